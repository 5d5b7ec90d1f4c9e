/**
 * Reads what a live audit needs from Prometheus: request rates per workload and destination (now and peak),
 * connections the proxies opened, and node-exporter's per-node figures, then joins them to the cluster's pods and
 * nodes. Ten aggregated queries, run concurrently, whatever the number of pods.
 */
import { PrometheusClient, type PrometheusConnection, type VectorSample } from './prometheus.js';
import { nodeQueries, peakOf, requestRateQuery, tcpOpenedQuery, upstreamConnectionsQuery, type QueryScope } from './queries.js';
import { nodeJoiner } from './placement.js';
import type { ClusterNode, LiveTraffic, NodeMeasurement, PlacedPod, WorkloadRate } from './types.js';

/** Options of {@link collectLiveTraffic}. */
export interface CollectOptions {
  connection: PrometheusConnection;
  scope: QueryScope;
  /** Evaluation time, Unix seconds; undefined = the server's now. */
  at?: number;
  pods: PlacedPod[];
  nodes: ClusterNode[];
}

/** Istio's value of `source_workload` when the reporting proxy did not learn the peer (an unmeshed client). */
const UNKNOWN = 'unknown';

/**
 * Runs the queries and joins their results to the pods and nodes.
 * @throws PrometheusError when Prometheus cannot be reached, rejects the credentials (401/403), times out or
 *   rejects a query; metrics that are simply absent are notes in the result, not errors.
 */
export async function collectLiveTraffic(options: CollectOptions): Promise<LiveTraffic> {
  const client = new PrometheusClient(options.connection);
  const { scope, at } = options;
  const q = (expr: string) => client.query(expr, at);
  try {
    const node = nodeQueries(scope);
    const srcNow = requestRateQuery(scope, 'source');
    const dstNow = requestRateQuery(scope, 'destination');
    const [sourceNow, sourcePeak, destNow, destPeak, tcp, upstream, tw, opens, ctEntries, ctLimit] = await Promise.all([
      q(srcNow),
      q(peakOf(srcNow, scope)),
      q(dstNow),
      q(peakOf(dstNow, scope)),
      q(tcpOpenedQuery(scope)),
      q(upstreamConnectionsQuery(scope)),
      q(node.timeWait),
      q(node.activeOpens),
      q(node.conntrackEntries),
      q(node.conntrackLimit),
    ]);
    const notes: string[] = [];
    const rates = mergeRates(sourceNow, sourcePeak, 'source');
    const seen = new Set(rates.map(rateKey));
    let unknownSources = 0;
    for (const r of mergeRates(destNow, destPeak, 'destination')) {
      if (r.workload === UNKNOWN || r.namespace === UNKNOWN) {
        unknownSources += r.peak;
        continue;
      }
      if (!seen.has(rateKey(r))) rates.push(r);
    }
    if (sourcePeak.length === 0 && destPeak.length === 0) notes.push(`istio_requests_total: no series in Prometheus over the last ${scope.range} (Istio metrics disabled, or not scraped): no request rates, so no node prediction`);
    if (unknownSources > 0) notes.push(`${round(unknownSources)} requests/s at the peak come from clients Istio could not identify (source_workload="unknown", clients without a proxy): not attributed to any pod`);
    const upstreamConnections = upstream.length ? upstream.map((s) => ({ cluster: s.labels.cluster_name ?? '', perSecond: s.value })).sort((a, b) => b.perSecond - a.perSecond) : null;
    if (!upstreamConnections) notes.push('envoy_cluster_upstream_cx_total is not exported (add it to the mesh\'s proxyStatsMatcher to see upstream connections per destination)');
    const nodeMetrics = new Map<string, NodeMeasurement>();
    const join = nodeJoiner(options.nodes);
    const unjoined = new Set<string>();
    const put = (samples: VectorSample[], field: keyof NodeMeasurement) => {
      for (const s of samples) {
        const value = s.labels[scope.nodeLabel];
        const name = value === undefined ? undefined : join(value);
        if (!name) {
          unjoined.add(value ?? `(no ${scope.nodeLabel} label)`);
          continue;
        }
        const m = nodeMetrics.get(name) ?? {};
        m[field] = Math.max(m[field] ?? 0, s.value);
        nodeMetrics.set(name, m);
      }
    };
    put(tw, 'timeWait');
    put(opens, 'activeOpensPerSecond');
    put(ctEntries, 'conntrackEntries');
    put(ctLimit, 'conntrackLimit');
    if (tw.length === 0 && opens.length === 0) notes.push('node_sockstat_TCP_tw and node_netstat_Tcp_ActiveOpens: no series (node-exporter not installed or not scraped): nothing measured per node');
    else if (ctEntries.length === 0) notes.push('node_nf_conntrack_entries: no series (node-exporter\'s conntrack collector is off, or the nf_conntrack module is not loaded)');
    if (unjoined.size) notes.push(`${unjoined.size} node-exporter series match no node by their ${scope.nodeLabel} label (e.g. ${[...unjoined].slice(0, 3).join(', ')}); set --node-label to the label that holds the node name`);
    return {
      prometheus: client.server,
      ...(at !== undefined ? { at } : {}),
      window: scope.window,
      range: scope.range,
      pods: options.pods,
      nodes: options.nodes,
      rates,
      tcpOpened: tcp.map((s) => ({ namespace: s.labels.source_workload_namespace ?? '', workload: s.labels.source_workload ?? '', destination: s.labels.destination_service ?? '', now: s.value, peak: s.value, reporter: 'source' as const })),
      upstreamConnections,
      nodeMetrics,
      notes,
    };
  } finally {
    await client.close();
  }
}

function round(n: number): number {
  return Math.round(n * 100) / 100;
}

function rateKey(r: WorkloadRate): string {
  return `${r.namespace}\u0000${r.workload}\u0000${r.destination}`;
}

/** Pairs the now and peak vectors by (workload, namespace, destination); a series absent now has rate 0 now. */
function mergeRates(now: VectorSample[], peak: VectorSample[], reporter: WorkloadRate['reporter']): WorkloadRate[] {
  const byKey = new Map<string, WorkloadRate>();
  const add = (s: VectorSample, field: 'now' | 'peak') => {
    const r: WorkloadRate = { namespace: s.labels.source_workload_namespace ?? '', workload: s.labels.source_workload ?? '', destination: s.labels.destination_service ?? '', now: 0, peak: 0, reporter };
    const key = rateKey(r);
    const had = byKey.get(key) ?? r;
    had[field] = s.value;
    byKey.set(key, had);
  };
  for (const s of peak) add(s, 'peak');
  for (const s of now) add(s, 'now');
  for (const r of byKey.values()) r.peak = Math.max(r.peak, r.now);
  return [...byKey.values()];
}
