/**
 * The PromQL meshlint sends, built in one place. Every query aggregates on the server (`sum by`/`max by`): the
 * number of series returned grows with workloads × destinations and with nodes, never with pods.
 *
 * Metrics (each named where it is defined):
 * - `istio_requests_total` (COUNTER, one per request handled by an Istio proxy) and
 *   `istio_tcp_connections_opened_total` (COUNTER, one per opened TCP connection), labels `reporter`
 *   (`source` = the client's proxy, `destination` = the server's), `source_workload`, `source_workload_namespace`,
 *   `destination_service` (Istio standard metrics, https://istio.io/latest/docs/reference/config/metrics/);
 * - `envoy_cluster_upstream_cx_total` (Envoy cluster statistic `upstream_cx_total`, connections opened per upstream
 *   cluster; Istio's proxies export it only when `proxyStatsMatcher` includes it);
 * - node-exporter: `node_sockstat_TCP_tw` (sockets in TIME_WAIT, `/proc/net/sockstat`), `node_netstat_Tcp_ActiveOpens`
 *   (outbound connections opened, `/proc/net/snmp` `Tcp: ActiveOpens`), `node_nf_conntrack_entries` and
 *   `node_nf_conntrack_entries_limit` (conntrack collector, `/proc/sys/net/netfilter/nf_conntrack_{count,max}`).
 */

/** A PromQL label name (Prometheus data model: `[a-zA-Z_][a-zA-Z0-9_]*`). */
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
/** A PromQL duration such as `5m`, `1h30m`, `7d` (units ms, s, m, h, d, w, y). */
const DURATION = /^(\d+(ms|s|m|h|d|w|y))+$/;

/** Whether `name` is a valid label name. */
export function isLabelName(name: string): boolean {
  return LABEL_NAME.test(name);
}

/** Whether `text` is a PromQL duration (`5m`, `7d`, `1h30m`). */
export function isPromDuration(text: string): boolean {
  return DURATION.test(text);
}

/**
 * A PromQL double-quoted string literal for `value`. PromQL strings take Go's escapes; JSON's `\"`, `\\`, `\n`, `\t`,
 * `\uXXXX` are all valid Go escapes, so JSON's quoting is PromQL's.
 */
export function promString(value: string): string {
  return JSON.stringify(value);
}

/**
 * Label matchers as PromQL text (`a="x",b="y"`), values escaped.
 * @throws Error when a label name is not valid PromQL.
 */
export function matchers(labels: Readonly<Record<string, string>>): string {
  return Object.entries(labels)
    .map(([name, value]) => {
      if (!isLabelName(name)) throw new Error(`"${name}" is not a Prometheus label name`);
      return `${name}=${promString(value)}`;
    })
    .join(',');
}

/** What the queries are scoped to. */
export interface QueryScope {
  /** Rate window (`rate(…[window])`), a PromQL duration; default `5m`. */
  window: string;
  /** How far back the peak is looked for (`max_over_time(…[range:window])`), a PromQL duration; default `7d`. */
  range: string;
  /** Extra label matchers on every series, e.g. `{ cluster: "prod" }` when one Prometheus holds several clusters. */
  selector: Readonly<Record<string, string>>;
  /** Label of the node-exporter series that names the node (`instance` with kube-prometheus's relabelling, or `node`). */
  nodeLabel: string;
}

/** Labels the Istio request rates are grouped by. */
export const WORKLOAD_GROUPING = ['source_workload', 'source_workload_namespace', 'destination_service'] as const;

function selectorWith(scope: QueryScope, extra: Record<string, string>): string {
  return `{${matchers({ ...extra, ...scope.selector })}}`;
}

/** Requests/s per (source workload, namespace, destination service) as one reporter saw them, over the window. */
export function requestRateQuery(scope: QueryScope, reporter: 'source' | 'destination'): string {
  return `sum by (${WORKLOAD_GROUPING.join(', ')}) (rate(istio_requests_total${selectorWith(scope, { reporter })}[${scope.window}]))`;
}

/** The highest value `inner` took over the range, sampled every window (a subquery). */
export function peakOf(inner: string, scope: QueryScope): string {
  return `max_over_time((${inner})[${scope.range}:${scope.window}])`;
}

/** TCP connections opened per second per (source workload, namespace, destination service), client side. */
export function tcpOpenedQuery(scope: QueryScope): string {
  return `sum by (${WORKLOAD_GROUPING.join(', ')}) (rate(istio_tcp_connections_opened_total${selectorWith(scope, { reporter: 'source' })}[${scope.window}]))`;
}

/** Upstream connections opened per second per Envoy cluster (`outbound|443||api.example.com`). */
export function upstreamConnectionsQuery(scope: QueryScope): string {
  return `sum by (cluster_name) (rate(envoy_cluster_upstream_cx_total${selectorWith(scope, {})}[${scope.window}]))`;
}

/** Per-node node-exporter figures: the metric's value (or rate) per node label. */
export function nodeQueries(scope: QueryScope): { timeWait: string; activeOpens: string; conntrackEntries: string; conntrackLimit: string } {
  if (!isLabelName(scope.nodeLabel)) throw new Error(`"${scope.nodeLabel}" is not a Prometheus label name`);
  const sel = selectorWith(scope, {});
  const by = `max by (${scope.nodeLabel})`;
  return {
    timeWait: `${by} (node_sockstat_TCP_tw${sel})`,
    activeOpens: `${by} (rate(node_netstat_Tcp_ActiveOpens${sel}[${scope.window}]))`,
    conntrackEntries: `${by} (node_nf_conntrack_entries${sel})`,
    conntrackLimit: `${by} (node_nf_conntrack_entries_limit${sel})`,
  };
}

/** Requests/s per (client namespace, destination service), client side: the rate of a route row (`check --prometheus`). */
export function namespaceRateQuery(scope: QueryScope): string {
  return `sum by (source_workload_namespace, destination_service) (rate(istio_requests_total${selectorWith(scope, { reporter: 'source' })}[${scope.window}]))`;
}
