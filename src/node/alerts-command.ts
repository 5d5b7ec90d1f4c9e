/**
 * `meshlint alerts`: print a PrometheusRule for ephemeral-port pressure (see `alerts.ts`).
 */
import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { renderPrometheusRule, type AlertOptions } from './alerts.js';
import { defaultIO, UsageError, type CommandIO } from './io.js';
import { parseRangeOption } from './ports-command.js';
import { parsePortRange, parseReservedPorts } from './sysctl.js';

/** Options of `meshlint alerts` as commander passes them. */
interface RawAlertsOptions {
  portRange?: string;
  reservedPorts?: string;
  warning: string;
  critical: string;
  multiplier?: string;
  fromReport?: string;
  rps?: string;
  name?: string;
  namespace?: string;
  label: string[];
  selector?: string;
}

function percentOption(text: string, flag: string): number {
  const n = Number(text);
  if (text.trim() === '' || !Number.isFinite(n) || n <= 0 || n > 100) throw new UsageError(`${flag} ${JSON.stringify(text)}: expected a percentage in (0, 100]`);
  return n / 100;
}

function positiveNumber(text: string, flag: string): number {
  const n = Number(text);
  if (text.trim() === '' || !Number.isFinite(n) || n <= 0) throw new UsageError(`${flag} ${JSON.stringify(text)}: expected a number > 0`);
  return n;
}

/**
 * The worst connection multiplier on the nodes' ports in a meshlint JSON report (`meshlint check -f json` or an
 * audit): the largest `budgetConnections` among routes with `budgetScope: "node"`.
 *
 * @returns the multiplier and the route it belongs to, or null when no route churns on the nodes' ports.
 * @throws UsageError when the file cannot be read or is not a meshlint JSON report (schemaVersion 1 or 2: its routes' budget fields are the same in both).
 */
export function worstNodeMultiplier(file: string): { multiplier: number; route: string } | null {
  let doc: { schemaVersion?: unknown; routes?: unknown };
  try {
    doc = JSON.parse(readFileSync(file, 'utf8')) as typeof doc;
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    throw new UsageError(`--from-report ${file}: ${err.code ? `cannot read (${err.code})` : `not JSON (${err.message})`}`);
  }
  if (doc === null || typeof doc !== 'object' || (doc.schemaVersion !== 1 && doc.schemaVersion !== 2) || !Array.isArray(doc.routes)) {
    throw new UsageError(`--from-report ${file}: not a meshlint JSON report (expected schemaVersion 1 or 2 and routes; write one with meshlint check -f json)`);
  }
  let best: { multiplier: number; route: string } | null = null;
  for (const r of doc.routes as { budgetScope?: unknown; budgetConnections?: unknown; clientNamespace?: unknown; host?: unknown; port?: unknown }[]) {
    if (r?.budgetScope !== 'node' || typeof r.budgetConnections !== 'number' || !(r.budgetConnections > 0)) continue;
    if (!best || r.budgetConnections > best.multiplier) {
      best = { multiplier: r.budgetConnections, route: `${String(r.clientNamespace)} → ${String(r.host)}${typeof r.port === 'number' ? `:${r.port}` : ''}` };
    }
  }
  return best;
}

/** Validate commander's raw option strings into {@link AlertOptions}. @throws UsageError with a one-line message. */
export function validateAlertsOptions(raw: RawAlertsOptions): AlertOptions {
  const out: AlertOptions = {
    warningFraction: percentOption(raw.warning, '--warning'),
    criticalFraction: percentOption(raw.critical, '--critical'),
  };
  if (raw.portRange !== undefined) out.portRange = parsePortRange(parseRangeOption(raw.portRange, '--port-range'))!;
  if (raw.reservedPorts !== undefined) {
    try {
      out.reserved = parseReservedPorts(raw.reservedPorts);
    } catch (e) {
      throw new UsageError(`--reserved-ports: ${(e as Error).message}`);
    }
  }
  if (raw.multiplier !== undefined && raw.fromReport !== undefined) throw new UsageError('--multiplier and --from-report both set the multiplier: give one');
  if (raw.multiplier !== undefined) out.multiplier = positiveNumber(raw.multiplier, '--multiplier');
  if (raw.fromReport !== undefined) {
    const worst = worstNodeMultiplier(raw.fromReport);
    if (worst) {
      out.multiplier = worst.multiplier;
      out.multiplierSource = `the worst route on the nodes' ports in ${raw.fromReport}: ${worst.route}`;
    }
  }
  if (raw.rps !== undefined) {
    if (out.multiplier === undefined) throw new UsageError('--rps needs --multiplier M (new connections per request) or a --from-report with a churning route');
    out.rps = positiveNumber(raw.rps, '--rps');
  }
  if (raw.name !== undefined) out.name = raw.name;
  if (raw.namespace !== undefined) out.namespace = raw.namespace;
  if (raw.selector !== undefined) out.selector = raw.selector;
  if (raw.label.length > 0) {
    out.labels = {};
    for (const l of raw.label) {
      const eq = l.indexOf('=');
      if (eq <= 0) throw new UsageError(`--label ${JSON.stringify(l)}: expected KEY=VALUE`);
      out.labels[l.slice(0, eq)] = l.slice(eq + 1);
    }
  }
  return out;
}

/**
 * Add the `alerts` subcommand to `program`. It writes the YAML to `io.stdout`; exit code 2 with a one-line
 * message on stderr when an option value is invalid.
 *
 * @param program the CLI's root command.
 * @param io where output goes (tests pass their own); defaults to the process's stdout/stderr/exit code.
 * @returns the new subcommand.
 */
export function registerAlertsCommand(program: Command, io: Partial<CommandIO> = {}): Command {
  const sink = defaultIO(io);
  return program
    .command('alerts')
    .description(
      'print a PrometheusRule (prometheus-operator) that alerts on TIME_WAIT sockets (node_sockstat_TCP_tw) and outbound connection churn (node_netstat_Tcp_ActiveOpens), with thresholds from the node port range',
    )
    .option('--port-range <low-high>', 'ip_local_port_range of the nodes (default 32768-60999)')
    .option('--reserved-ports <list>', 'ip_local_reserved_ports of the nodes, e.g. 30000-32767,8080')
    .option('--warning <percent>', 'warning threshold, percent of usable ports', '70')
    .option('--critical <percent>', 'critical threshold, percent of usable ports', '90')
    .option('--multiplier <m>', 'new connections per request (from meshlint check), for an estimate annotation')
    .option('--from-report <file>', 'take the multiplier from a meshlint JSON report (check -f json): the worst route on the nodes\' ports')
    .option('--rps <r>', 'requests per second, with --multiplier, for the estimate annotation')
    .option('--name <name>', 'metadata.name', 'meshlint-ephemeral-ports')
    .option('--namespace <namespace>', 'metadata.namespace')
    .option('--label <key=value>', 'metadata label, repeatable (e.g. release=kube-prometheus-stack for a ruleSelector)', (v: string, acc: string[]) => [...acc, v], [] as string[])
    .option('--selector <matchers>', 'PromQL label matchers for the node-exporter series, e.g. job="node-exporter"')
    .action((raw: RawAlertsOptions) => {
      try {
        sink.stdout.write(renderPrometheusRule(validateAlertsOptions(raw)));
      } catch (e) {
        sink.stderr.write(`meshlint alerts: ${(e as Error)?.message ?? String(e)}\n`);
        sink.setExitCode(2);
      }
    });
}
