/**
 * `meshlint alerts`, the pure part: a PrometheusRule (prometheus-operator, `monitoring.coreos.com/v1`) for the
 * node-exporter metrics that show ephemeral-port pressure, with thresholds derived from the node's port range.
 *
 * Metrics (node-exporter collectors `sockstat` and `netstat`, both enabled by default):
 * - `node_sockstat_TCP_tw`: TCP sockets in TIME_WAIT (`/proc/net/sockstat`, `TCP: … tw N`);
 * - `node_netstat_Tcp_ActiveOpens`: counter of outbound connections opened (`/proc/net/snmp`, `Tcp: ActiveOpens`,
 *   RFC 1213 `tcpActiveOpens`); its `rate()` is new outbound connections per second.
 *
 * Thresholds: a port stays in TIME_WAIT for TIME_WAIT_SECONDS = 60 s (`TCP_TIMEWAIT_LEN`, `include/net/tcp.h`),
 * so a steady rate of r new connections/s holds r × 60 ports, and the range is full at usable ÷ 60
 * connections/s (`TCP_TIMEWAIT_LEN`, kernel `include/net/tcp.h`). The TIME_WAIT alerts fire at a fraction of the usable ports; the churn alerts at
 * the same fraction of usable ÷ 60, the rate whose TIME_WAIT alone would hold that many ports.
 */
import { createRequire } from 'node:module';
import { DEFAULT_PORT_RANGE_HIGH, DEFAULT_PORT_RANGE_LOW, TIME_WAIT_SECONDS } from '../facts.js';
import { reservedInside, type PortRange } from './sysctl.js';

/** Default warning threshold: 70 % of usable ports (a choice of this tool, not a kernel number). */
export const DEFAULT_WARNING_FRACTION = 0.7;
/** Default critical threshold: 90 % of usable ports (a choice of this tool, not a kernel number). */
export const DEFAULT_CRITICAL_FRACTION = 0.9;
/** Utilisation of the range at which the node-budget alerts warn: `node-port-budget`'s default `warnAt` (0.8). */
export const NODE_BUDGET_WARN_FRACTION = 0.8;

/** Inputs of {@link buildPrometheusRule}. */
export interface AlertOptions {
  /** `ip_local_port_range` of the nodes; default 32768–60999 (`src/facts.ts`). */
  portRange?: PortRange;
  /** `ip_local_reserved_ports` of the nodes; default none. */
  reserved?: PortRange[];
  /** Fraction of usable ports (0 < f < 1) for the warning alerts; default 0.7. */
  warningFraction?: number;
  /** Fraction of usable ports (warning < f ≤ 1) for the critical alerts; default 0.9. */
  criticalFraction?: number;
  /** New connections per logical request (meshlint's connection multiplier M), for the `estimate` annotation. */
  multiplier?: number;
  /** Where `multiplier` came from (e.g. the worst route of a report), named in the annotation. */
  multiplierSource?: string;
  /** Requests per second the workload serves, with `multiplier`, for the `estimate` annotation. */
  rps?: number;
  /** `metadata.name`; default `meshlint-ephemeral-ports`. */
  name?: string;
  /** `metadata.namespace`; omitted when not given. */
  namespace?: string;
  /** `metadata.labels`, e.g. the `release` label a Prometheus `ruleSelector` matches. */
  labels?: Record<string, string>;
  /** PromQL label matchers added to both metrics, without braces, e.g. `job="node-exporter"`. */
  selector?: string;
}

/** The numbers the alerts use. */
export interface AlertThresholds {
  low: number;
  high: number;
  /** Reserved ports inside the range. */
  reserved: number;
  /** Ports connect() can pick: high − low + 1 − reserved. */
  usable: number;
  /** usable ÷ 60 s: new connections per second to one destination whose TIME_WAIT fills the range (connections/s). */
  exhaustionRate: number;
  /** floor(usable × warningFraction): sockets in TIME_WAIT for the warning alert. */
  warningTimeWait: number;
  /** floor(usable × criticalFraction): sockets in TIME_WAIT for the critical alert. */
  criticalTimeWait: number;
  /** exhaustionRate × warningFraction, rounded down to 0.01 connections/s. */
  warningRate: number;
  /** exhaustionRate × criticalFraction, rounded down to 0.01 connections/s. */
  criticalRate: number;
  warningFraction: number;
  criticalFraction: number;
}

/** One Prometheus alerting rule. */
export interface AlertRule {
  alert: string;
  expr: string;
  for: string;
  labels: { severity: 'warning' | 'critical' };
  annotations: Record<string, string>;
}

/** A prometheus-operator PrometheusRule object. */
export interface PrometheusRule {
  apiVersion: 'monitoring.coreos.com/v1';
  kind: 'PrometheusRule';
  metadata: { name: string; namespace?: string; labels?: Record<string, string> };
  spec: { groups: { name: string; rules: AlertRule[] }[] };
}

const MATCHERS = /^\s*[A-Za-z_][A-Za-z0-9_]*\s*(=~|!~|!=|=)\s*"(?:[^"\\]|\\.)*"\s*(,\s*[A-Za-z_][A-Za-z0-9_]*\s*(=~|!~|!=|=)\s*"(?:[^"\\]|\\.)*"\s*)*,?\s*$/;

/**
 * Compute the thresholds.
 *
 * @throws Error when the fractions are out of order or range, the port range is invalid, or no port is usable.
 */
export function alertThresholds(options: AlertOptions = {}): AlertThresholds {
  const range = options.portRange ?? { low: DEFAULT_PORT_RANGE_LOW, high: DEFAULT_PORT_RANGE_HIGH };
  const warningFraction = options.warningFraction ?? DEFAULT_WARNING_FRACTION;
  const criticalFraction = options.criticalFraction ?? DEFAULT_CRITICAL_FRACTION;
  if (!(range.low >= 1 && range.low <= range.high && range.high <= 65535)) {
    throw new Error(`invalid port range ${range.low}-${range.high}: expected 1 <= LOW <= HIGH <= 65535`);
  }
  if (!(warningFraction > 0 && warningFraction < criticalFraction && criticalFraction <= 1)) {
    throw new Error(`thresholds must satisfy 0 < warning < critical <= 100 % (got ${warningFraction * 100} % and ${criticalFraction * 100} %)`);
  }
  const reserved = reservedInside(range, options.reserved ?? []);
  const usable = range.high - range.low + 1 - reserved;
  if (usable <= 0) throw new Error(`no usable ports: every port of ${range.low}-${range.high} is reserved`);
  const exhaustionRate = usable / TIME_WAIT_SECONDS;
  const down2 = (x: number): number => Math.floor(x * 100 + 1e-9) / 100;
  return {
    low: range.low,
    high: range.high,
    reserved,
    usable,
    exhaustionRate,
    warningTimeWait: Math.floor(usable * warningFraction),
    criticalTimeWait: Math.floor(usable * criticalFraction),
    warningRate: down2(exhaustionRate * warningFraction),
    criticalRate: down2(exhaustionRate * criticalFraction),
    warningFraction,
    criticalFraction,
  };
}

function pct(f: number): string {
  return `${Math.round(f * 1000) / 10} %`;
}

/** The `estimate` annotation text for `multiplier` (and `rps`), or undefined when no multiplier was given. */
function estimateText(t: AlertThresholds, multiplier?: number, rps?: number, source?: string): string | undefined {
  if (multiplier === undefined) return undefined;
  const exhaustRps = t.usable / (multiplier * TIME_WAIT_SECONDS);
  let text = `With ${multiplier} new connections per request (meshlint's connection multiplier${source ? `, ${source}` : ''}), one destination's ports run out at ${exhaustRps.toFixed(1)} requests/s per source IP (${t.usable} ports / (${multiplier} x ${TIME_WAIT_SECONDS} s)).`;
  if (rps !== undefined) {
    const conns = rps * multiplier;
    const held = conns * TIME_WAIT_SECONDS;
    text += ` At ${rps} requests/s that is ${conns.toFixed(1)} new connections/s holding about ${Math.round(held)} ports in TIME_WAIT, ${pct(held / t.usable)} of the usable range.`;
  }
  return text;
}

/**
 * Build the PrometheusRule object.
 *
 * @throws Error as {@link alertThresholds}, and when `selector` is not a list of PromQL label matchers or
 *   `rps` is given without `multiplier`.
 */
export function buildPrometheusRule(options: AlertOptions = {}): PrometheusRule {
  const t = alertThresholds(options);
  if (options.selector !== undefined && options.selector.trim() !== '' && !MATCHERS.test(options.selector)) {
    throw new Error(`selector ${JSON.stringify(options.selector)} is not a list of PromQL label matchers like job="node-exporter"`);
  }
  if (options.rps !== undefined && options.multiplier === undefined) throw new Error('rps needs multiplier');
  for (const [k, v] of [['multiplier', options.multiplier], ['rps', options.rps]] as const) {
    if (v !== undefined && !(Number.isFinite(v) && v > 0)) throw new Error(`${k} must be a number > 0`);
  }
  const sel = options.selector?.trim() ? `{${options.selector.trim().replace(/,\s*$/, '')}}` : '';
  const tw = `node_sockstat_TCP_tw${sel}`;
  const opens = `rate(node_netstat_Tcp_ActiveOpens${sel}[5m])`;
  const rangeText = `${t.low}-${t.high}`;
  const budget = `Ports: range ${rangeText}, ${t.reserved} reserved, ${t.usable} usable per source IP and destination ip:port; each TIME_WAIT socket holds its port ${TIME_WAIT_SECONDS} s (TCP_TIMEWAIT_LEN, include/net/tcp.h).`;
  const check = [
    'Scope: the node network namespace (host processes, hostNetwork pods), all destinations together; pods with their own network namespace are counted in theirs.',
    'Check: `meshlint ports --proc /host/proc` in `kubectl debug node/<node>`, or `ss -tan state time-wait` on the node, for the destination that holds the ports;',
    'then the churn behind it: DestinationRules with `connectionPool.http.maxRequestsPerConnection: 1`, short `idleTimeout`/`maxConnectionDuration`, retries stacked across legs, clients built per request or without keep-alive (`meshlint check`).',
  ].join('\n');
  const estimate = estimateText(t, options.multiplier, options.rps, options.multiplierSource);
  const annotations = (summary: string, description: string): Record<string, string> => {
    const a: Record<string, string> = { summary, description };
    if (estimate) a['estimate'] = estimate;
    return a;
  };
  const rules: AlertRule[] = [
    {
      alert: 'EphemeralPortsTimeWaitHigh',
      expr: `${tw} > ${t.warningTimeWait}`,
      for: '5m',
      labels: { severity: 'warning' },
      annotations: annotations(
        'Many TCP sockets in TIME_WAIT on {{ $labels.instance }}: ephemeral ports may run out',
        `{{ $labels.instance }} has {{ $value | humanize }} TCP sockets in TIME_WAIT, over ${t.warningTimeWait} (${pct(t.warningFraction)} of ${t.usable} usable ports).\n${budget}\n${check}`,
      ),
    },
    {
      alert: 'EphemeralPortsTimeWaitCritical',
      expr: `${tw} > ${t.criticalTimeWait}`,
      for: '2m',
      labels: { severity: 'critical' },
      annotations: annotations(
        'TIME_WAIT sockets on {{ $labels.instance }} near the ephemeral port range: connect() may fail with EADDRNOTAVAIL',
        `{{ $labels.instance }} has {{ $value | humanize }} TCP sockets in TIME_WAIT, over ${t.criticalTimeWait} (${pct(t.criticalFraction)} of ${t.usable} usable ports).\nIf one destination holds most of them, new connections to it fail with EADDRNOTAVAIL ("Cannot assign requested address").\n${budget}\n${check}`,
      ),
    },
    {
      alert: 'EphemeralPortsConnectionChurnHigh',
      expr: `${opens} > ${t.warningRate}`,
      for: '10m',
      labels: { severity: 'warning' },
      annotations: annotations(
        'High rate of new outbound TCP connections on {{ $labels.instance }}',
        `{{ $labels.instance }} opens {{ $value | humanize }} outbound TCP connections/s, over ${t.warningRate}/s: at ${TIME_WAIT_SECONDS} s in TIME_WAIT each, that rate to one destination holds ${pct(t.warningFraction)} of the ${t.usable} usable ports; ${t.exhaustionRate.toFixed(2)}/s fills them (${t.usable} / ${TIME_WAIT_SECONDS} s).\n${budget}\n${check}`,
      ),
    },
    {
      alert: 'EphemeralPortsConnectionChurnCritical',
      expr: `${opens} > ${t.criticalRate}`,
      for: '5m',
      labels: { severity: 'critical' },
      annotations: annotations(
        'New outbound TCP connections on {{ $labels.instance }} near the rate that exhausts ephemeral ports',
        `{{ $labels.instance }} opens {{ $value | humanize }} outbound TCP connections/s, over ${t.criticalRate}/s (${pct(t.criticalFraction)} of ${t.exhaustionRate.toFixed(2)}/s, the rate whose TIME_WAIT alone fills the ${t.usable} usable ports of one destination).\n${budget}\n${check}`,
      ),
    },
  ];
  // The node budget, as `meshlint audit --prometheus` computes it (rule node-port-budget): TIME_WAIT over the node's
  // usable ports (warn at 80 %, full at 100 %), and new outbound connections/s over the rate that fills the range.
  const perNode = (expr: string) => `max by (instance) (${expr})`;
  const utilisation = `${perNode(tw)} / ${t.usable}`;
  const churn = `${perNode(opens)} / ${+t.exhaustionRate.toFixed(4)}`;
  const nodeBudget: AlertRule[] = [
    {
      alert: 'EphemeralPortRangeUtilisationHigh',
      expr: `${utilisation} >= ${NODE_BUDGET_WARN_FRACTION}`,
      for: '5m',
      labels: { severity: 'warning' },
      annotations: annotations(
        'Node {{ $labels.instance }} holds {{ $value | humanizePercentage }} of its ephemeral port range in TIME_WAIT',
        `TIME_WAIT sockets on {{ $labels.instance }} are {{ $value | humanizePercentage }} of the ${t.usable} usable ports (warning from ${pct(NODE_BUDGET_WARN_FRACTION)}, as meshlint's node-port-budget rule). \`meshlint audit --prometheus\` names the pods and routes that drive the node.\n${budget}\n${check}`,
      ),
    },
    {
      alert: 'EphemeralPortRangeFull',
      expr: `${utilisation} >= 1`,
      for: '2m',
      labels: { severity: 'critical' },
      annotations: annotations(
        'Node {{ $labels.instance }} has as many sockets in TIME_WAIT as usable ephemeral ports',
        `TIME_WAIT sockets on {{ $labels.instance }} are {{ $value | humanizePercentage }} of the ${t.usable} usable ports: connections to a destination that holds most of them fail with EADDRNOTAVAIL.\n${budget}\n${check}`,
      ),
    },
    {
      alert: 'EphemeralPortExhaustionRateReached',
      expr: `${churn} >= 1`,
      for: '5m',
      labels: { severity: 'critical' },
      annotations: annotations(
        'Node {{ $labels.instance }} opens outbound connections at the rate that fills its ephemeral port range',
        `{{ $labels.instance }} opens outbound TCP connections at {{ $value | humanize }}× ${t.exhaustionRate.toFixed(2)}/s, the rate whose TIME_WAIT alone fills the ${t.usable} usable ports (${t.usable} / ${TIME_WAIT_SECONDS} s).\n${budget}\n${check}`,
      ),
    },
  ];
  const metadata: PrometheusRule['metadata'] = { name: options.name ?? 'meshlint-ephemeral-ports' };
  if (options.namespace) metadata.namespace = options.namespace;
  if (options.labels && Object.keys(options.labels).length > 0) metadata.labels = { ...options.labels };
  return {
    apiVersion: 'monitoring.coreos.com/v1',
    kind: 'PrometheusRule',
    metadata,
    spec: { groups: [{ name: 'meshlint-ephemeral-ports', rules }, { name: 'meshlint-node-port-budget', rules: nodeBudget }] },
  };
}

/**
 * The PrometheusRule as YAML (serialised with the `yaml` package), with a leading comment that says how the
 * thresholds were derived.
 *
 * @throws Error as {@link buildPrometheusRule}.
 */
export function renderPrometheusRule(options: AlertOptions = {}): string {
  const rule = buildPrometheusRule(options);
  const t = alertThresholds(options);
  // yaml is loaded here, on first use (~30 ms), not when every command starts (issue 7, cold start).
  const { Document } = createRequire(import.meta.url)('yaml') as typeof import('yaml');
  const doc = new Document(rule);
  doc.commentBefore = [
    ` Generated by meshlint alerts. Port range ${t.low}-${t.high}, ${t.reserved} reserved: ${t.usable} usable ports.`,
    ` TIME_WAIT thresholds: ${pct(t.warningFraction)} = ${t.warningTimeWait}, ${pct(t.criticalFraction)} = ${t.criticalTimeWait} sockets.`,
    ` Churn thresholds: usable / ${TIME_WAIT_SECONDS} s (TCP_TIMEWAIT_LEN) = ${t.exhaustionRate.toFixed(2)} connections/s, x ${t.warningFraction} = ${t.warningRate}, x ${t.criticalFraction} = ${t.criticalRate}.`,
  ].join('\n');
  return doc.toString({ lineWidth: 0 });
}
