/**
 * Command-line options of `meshlint audit` that choose the cluster and what is read. The main CLI adds them with
 * {@link addAuditOptions} and turns the parsed values into {@link AuditOptions} with {@link auditOptionsFrom}.
 */
import { InvalidArgumentError, Option, type Command } from 'commander';
import type { AuditOptions } from './cluster.js';
import { MAX_TIMER_SECONDS } from '../facts.js';
import type { OutputFlags } from '../cli/output-options.js';
import type { ConfigFlags } from '../cli/config-options.js';
import type { PrometheusFlags } from '../live/options.js';

/** Every flag of `meshlint audit` (kept here, not in command.ts, so run.ts needs no import of the command it runs for). */
export type AuditCommandFlags = OutputFlags & ConfigFlags & AuditFlags & PrometheusFlags;

/** Parsed values of the options added by {@link addAuditOptions} (commander's camelCase names). */
export interface AuditFlags {
  kubeconfig?: string;
  /** `--context`, repeatable: one context is one cluster; several are audited each on its own (`clusters.ts`). */
  context?: string[];
  /** `--all-contexts`: every context of the kubeconfig. */
  allContexts?: boolean;
  namespace?: string[];
  allNamespaces?: boolean;
  /** Seconds; 0 = no timeout. */
  requestTimeout?: number;
  dump?: string;
  istioNamespace?: string;
  maxListPages?: number;
  maxListItems?: number;
}

/** {@link AuditOptions} plus what the CLI does with the result. */
export interface AuditCliOptions extends AuditOptions {
  /** `--dump DIR`: write what was read there with `dumpObjects`. */
  dump?: string;
}

const UNIT_SECONDS: Record<string, number> = { ns: 1e-9, us: 1e-6, µs: 1e-6, ms: 1e-3, s: 1, m: 60, h: 3600 };

/** Why a duration over {@link MAX_TIMER_SECONDS} is refused. */
function timerRangeMessage(): string {
  return `longer than ${Math.floor(MAX_TIMER_SECONDS)} seconds (about 24.8 days), the longest timer Node.js can set; use 0 for no timeout`;
}

/**
 * Parses a duration in kubectl's `--request-timeout` syntax: a Go duration (`30s`, `1m`, `1m30s`, `500ms`, `1.5h`)
 * or a bare number of seconds (`30`); `0` means no timeout.
 *
 * @returns the duration in seconds (may be fractional).
 * @throws InvalidArgumentError (a commander error: usage message, exit code 2) when `value` is not a duration, or is
 *   longer than {@link MAX_TIMER_SECONDS} (a Node.js timer that long fires after 1 ms).
 */
export function parseDuration(value: string): number {
  const text = value.trim();
  if (/^\d+(\.\d+)?$/.test(text)) {
    if (Number(text) > MAX_TIMER_SECONDS) throw new InvalidArgumentError(timerRangeMessage());
    return Number(text);
  }
  const re = /(\d+(?:\.\d+)?|\.\d+)(ns|us|µs|ms|s|m|h)/gy;
  let total = 0;
  let end = 0;
  let matched = false;
  for (let m = re.exec(text); m; m = re.exec(text)) {
    total += Number(m[1]) * UNIT_SECONDS[m[2]];
    end = re.lastIndex;
    matched = true;
  }
  if (!matched || end !== text.length) {
    throw new InvalidArgumentError('expected a duration such as 30s, 1m, 1m30s or 0 (no timeout)');
  }
  if (total > MAX_TIMER_SECONDS) throw new InvalidArgumentError(timerRangeMessage());
  return total;
}

function wholeNumber(value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value.trim()) || !Number.isSafeInteger(n) || n < 1) throw new InvalidArgumentError('expected a whole number ≥ 1');
  return n;
}

function collectNamespaces(value: string, previous: string[] | undefined): string[] {
  const names = value.split(',').map((n) => n.trim()).filter((n) => n !== '');
  for (const n of names) {
    if (!/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(n) || n.length > 63) {
      throw new InvalidArgumentError(`"${n}" is not a valid namespace name`);
    }
  }
  return [...(previous ?? []), ...names];
}

/**
 * Adds the cluster options of `meshlint audit` to `cmd` and returns it:
 * `--kubeconfig <file>`, `--context <name>` (repeatable), `--all-contexts`, `-n, --namespace <ns>` (repeatable, or comma-separated),
 * `-A, --all-namespaces` (the default; conflicts with `--namespace`), `--request-timeout <duration>` (kubectl syntax,
 * `0` = none, the default as for kubectl), `--istio-namespace <ns>` and `--dump <dir>`.
 */
export function addAuditOptions(cmd: Command): Command {
  return cmd
    .option('--kubeconfig <file>', 'kubeconfig file (default: $KUBECONFIG, else ~/.kube/config, else the pod’s service account)')
    .addOption(
      new Option('--context <name>', 'kubeconfig context to use (default: current-context); repeatable: each context is audited as its own cluster')
        .argParser((value: string, previous: string[] | undefined) => [...(previous ?? []), value])
        .conflicts('allContexts'),
    )
    .option('--all-contexts', 'audit every context of the kubeconfig, each as its own cluster')
    .addOption(
      new Option('-n, --namespace <ns>', 'read only this namespace; repeatable, or comma-separated (default: all namespaces)')
        .argParser(collectNamespaces)
        .conflicts('allNamespaces'),
    )
    .addOption(new Option('-A, --all-namespaces', 'read all namespaces (the default)'))
    .addOption(
      new Option('--request-timeout <duration>', 'timeout of each API request, e.g. 30s, 1m; 0 = none, the default (like kubectl)').argParser(parseDuration),
    )
    .addOption(
      new Option('--istio-namespace <ns>', 'namespace of the Istio control plane, whose ConfigMap istio holds the mesh config (default istio-system)').argParser(
        (value: string) => {
          collectNamespaces(value, undefined);
          return value;
        },
      ),
    )
    .addOption(new Option('--max-list-pages <n>', 'most list pages read per kind; the list stops there with a coverage note (default 1000, or audit.maxListPages)').argParser(wholeNumber))
    .addOption(new Option('--max-list-items <n>', 'most objects read per kind; the list stops there with a coverage note (default 200000, or audit.maxListItems)').argParser(wholeNumber))
    .option('--dump <dir>', 'also write the objects read to DIR as YAML files, replayable with meshlint check DIR');
}

/**
 * Turns the parsed values of the options added by {@link addAuditOptions} into options for `readCluster` (plus
 * `dump`); `configured` is the configuration file's `audit` block, which the flags override.
 */
export function auditOptionsFrom(flags: AuditFlags, configured: { maxListPages?: number; maxListItems?: number } = {}): AuditCliOptions {
  const options: AuditCliOptions = { ...configured };
  if (flags.kubeconfig !== undefined) options.kubeconfig = flags.kubeconfig;
  if (flags.context?.length === 1) options.context = flags.context[0];
  if (!flags.allNamespaces && flags.namespace && flags.namespace.length > 0) options.namespaces = [...new Set(flags.namespace)];
  if (flags.requestTimeout !== undefined) options.requestTimeoutSeconds = flags.requestTimeout;
  if (flags.dump !== undefined) options.dump = flags.dump;
  if (flags.istioNamespace !== undefined) options.istioNamespace = flags.istioNamespace;
  if (flags.maxListPages !== undefined) options.maxListPages = flags.maxListPages;
  if (flags.maxListItems !== undefined) options.maxListItems = flags.maxListItems;
  return options;
}
