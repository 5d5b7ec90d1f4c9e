/**
 * Which node goes bad first. Behind SNAT every pod of a node shares the node's ephemeral ports, so a node's load is
 * the sum over the pods scheduled on it:
 *
 *   new SNAT'd connections/s of node n = Σ over pods p on n, over destinations d of p's workload
 *        (workload rate to d ÷ running pods of the workload) × M(d)
 *
 * where M(d) is the route's new connections per request on its SNAT'd legs (the model's `budgetConnections` for a
 * `node`-scope row, read through `routeBudgetOf`). Each such connection's port stays in TIME_WAIT for 60 s
 * (`TCP_TIMEWAIT_LEN`, include/net/tcp.h), so ports held = connections/s × 60, against the node's usable range.
 *
 * Assumptions, stated in the report: a workload's requests are spread evenly over its running pods (Kubernetes
 * Services balance per connection, Istio per request); where several route rows of one client namespace match a
 * destination (weighted destinations, several `http[]` matches), the row with the most connections per request
 * is used (worst case).
 */
import type { RouteMultiplier } from '../model/traffic.js';
import type { Location } from '../types.js';
import { routeBudgetOf, type RouteBudget } from './route-budget.js';
import type { LiveTraffic, NodeMeasurement } from './types.js';

/** Connections/s, ports in TIME_WAIT and their share of the range, at one request rate. */
export interface NodeLoad {
  /** Predicted new SNAT'd connections per second. */
  connectionsPerSecond: number;
  /** Ports held in TIME_WAIT at that rate: connectionsPerSecond × TIME_WAIT seconds. */
  timeWait: number;
  /** timeWait ÷ usable ports (1 = the range is full). */
  utilisation: number;
}

/** One route's share of a node's load. */
export interface NodeDriver {
  clientNamespace: string;
  /** Source workload (`source_workload`). */
  workload: string;
  /** Destination host. */
  host: string;
  /** Where the route is defined. */
  at: Location;
  /** New SNAT'd connections per request (M on the SNAT'd legs). */
  connectionsPerRequest: number;
  /** The workload's pods on this node. */
  pods: string[];
  /** Requests/s those pods send to the host, now and at the peak. */
  requestsPerSecond: { now: number; peak: number };
  /** New connections/s they open, now and at the peak. */
  connectionsPerSecond: { now: number; peak: number };
}

/** One node's port budget, predicted and measured. */
export interface NodePortRow {
  node: string;
  /** `cluster://<context>/Node/<name>`. */
  uri: string;
  /** Usable ephemeral ports of the node (range less reserved). */
  ports: number;
  /** Pods scheduled on the node (running). */
  pods: number;
  now: NodeLoad;
  peak: NodeLoad;
  /**
   * Seconds until the range is full if traffic jumps from now to the peak rate and stays there: ports held grow
   * by (peak − now) connections/s as new TIME_WAIT ports arrive and the old ones expire, so the range is full after
   * (ports − TIME_WAIT now) ÷ (peak − now) s, when the peak's steady state (peak × 60) exceeds the range. 0 when
   * it is already full; null when the peak's steady state fits.
   */
  exhaustsInSeconds: number | null;
  /** How many times the peak rate the range holds: ports ÷ peak TIME_WAIT; null when nothing churns. */
  peakHeadroom: number | null;
  /** node-exporter figures, when Prometheus has them for this node. */
  measured?: NodeMeasurement;
  /** Measured minus predicted (now): TIME_WAIT sockets and connections/s; absent without measurements. */
  gap?: { timeWait?: number; connectionsPerSecond?: number };
  /** Routes driving the node, most connections at the peak first. */
  drivers: NodeDriver[];
}

/** The per-node section of a live audit. */
export interface NodePortReport {
  /** Prometheus URL without credentials. */
  prometheus: string;
  window: string;
  range: string;
  /** Evaluation time (Unix seconds), when `--at` was given. */
  at?: number;
  timeWaitSeconds: number;
  /** Nodes with pods, highest peak utilisation first. */
  nodes: NodePortRow[];
  /** Request rates (workload → host) that no route row of the client's namespace matches: not in the prediction. */
  unmatched: { namespace: string; workload: string; destination: string; peak: number }[];
  /** Upstream connections/s per Envoy cluster, or null when the proxies do not export them. */
  upstreamConnections: { cluster: string; perSecond: number }[] | null;
  /** Measured TCP connections opened/s per (workload, destination) (`istio_tcp_connections_opened_total`). */
  tcpOpened: { namespace: string; workload: string; destination: string; now: number }[];
  /** What could not be read or joined, and the assumptions made. */
  notes: string[];
}

/**
 * Predicts each node's SNAT'd connections, TIME_WAIT ports and headroom from the live traffic and the route rows.
 *
 * @param live pods, nodes, request rates and node measurements (see {@link LiveTraffic}).
 * @param routes the model's route rows (read only through {@link routeBudgetOf}).
 * @param ports usable ephemeral ports per node (range less reserved).
 * @param timeWaitSeconds seconds a port stays in TIME_WAIT (60).
 * @returns nodes sorted by peak utilisation (then name); linear in pods + rates + routes.
 */
export function nodePortBudgets(live: LiveTraffic, routes: readonly RouteMultiplier[], ports: number, timeWaitSeconds: number): NodePortReport {
  // Worst node-scope row per (client namespace, host); pod-scope rows do not draw on the node's ports.
  const worst = new Map<string, { budget: RouteBudget; row: RouteMultiplier }>();
  const known = new Set<string>();
  for (const row of routes) {
    const key = `${row.clientNamespace}\u0000${row.host}`;
    known.add(key);
    const budget = routeBudgetOf(row);
    if (budget.scope !== 'node' || budget.connectionsPerRequest <= 0) continue;
    const had = worst.get(key);
    if (!had || budget.connectionsPerRequest > had.budget.connectionsPerRequest) worst.set(key, { budget, row });
  }
  const podsOf = new Map<string, string[][]>(); // workload key → [node, pod name][]
  const podCount = new Map<string, number>();
  const podsPerNode = new Map<string, number>();
  for (const pod of live.pods) {
    const key = `${pod.namespace}\u0000${pod.workload}`;
    podCount.set(key, (podCount.get(key) ?? 0) + 1);
    const list = podsOf.get(key) ?? [];
    list.push([pod.node, pod.name]);
    podsOf.set(key, list);
    podsPerNode.set(pod.node, (podsPerNode.get(pod.node) ?? 0) + 1);
  }
  const drivers = new Map<string, Map<string, NodeDriver>>(); // node → driver key → driver
  const unmatched: NodePortReport['unmatched'] = [];
  for (const rate of live.rates) {
    const routeKey = `${rate.namespace}\u0000${rate.destination}`;
    const route = worst.get(routeKey);
    if (!route) {
      // A Service in the cluster (`<name>.<namespace>.svc.<domain>`) without a route: in-mesh, the pod's ports, not the node's.
      if (!known.has(routeKey) && rate.peak > 0 && !rate.destination.includes('.svc.')) unmatched.push({ namespace: rate.namespace, workload: rate.workload, destination: rate.destination, peak: rate.peak });
      continue;
    }
    const workloadKey = `${rate.namespace}\u0000${rate.workload}`;
    const placed = podsOf.get(workloadKey);
    if (!placed) continue;
    const share = 1 / placed.length;
    const m = route.budget.connectionsPerRequest;
    for (const [node, pod] of placed) {
      const byNode = drivers.get(node) ?? new Map<string, NodeDriver>();
      drivers.set(node, byNode);
      const dkey = `${workloadKey}\u0000${rate.destination}`;
      let d = byNode.get(dkey);
      if (!d) {
        d = { clientNamespace: rate.namespace, workload: rate.workload, host: rate.destination, at: route.budget.at, connectionsPerRequest: m, pods: [], requestsPerSecond: { now: 0, peak: 0 }, connectionsPerSecond: { now: 0, peak: 0 } };
        byNode.set(dkey, d);
      }
      if (!d.pods.includes(pod)) d.pods.push(pod);
      d.requestsPerSecond.now += rate.now * share;
      d.requestsPerSecond.peak += rate.peak * share;
      d.connectionsPerSecond.now += rate.now * share * m;
      d.connectionsPerSecond.peak += rate.peak * share * m;
    }
  }
  const load = (cps: number): NodeLoad => ({ connectionsPerSecond: cps, timeWait: cps * timeWaitSeconds, utilisation: ports > 0 ? (cps * timeWaitSeconds) / ports : Infinity });
  const rows: NodePortRow[] = [];
  const nodeNames = new Set([...live.nodes.map((n) => n.name), ...podsPerNode.keys()]);
  const uriOf = new Map(live.nodes.map((n) => [n.name, n.uri]));
  for (const name of nodeNames) {
    const list = [...(drivers.get(name)?.values() ?? [])].sort((a, b) => b.connectionsPerSecond.peak - a.connectionsPerSecond.peak || (a.host < b.host ? -1 : 1));
    const now = load(list.reduce((s, d) => s + d.connectionsPerSecond.now, 0));
    const peak = load(list.reduce((s, d) => s + d.connectionsPerSecond.peak, 0));
    const measured = live.nodeMetrics.get(name);
    let exhaustsInSeconds: number | null = null;
    if (peak.timeWait >= ports) {
      const rise = peak.connectionsPerSecond - now.connectionsPerSecond;
      exhaustsInSeconds = now.timeWait >= ports ? 0 : rise > 0 ? (ports - now.timeWait) / rise : 0;
    }
    const row: NodePortRow = {
      node: name,
      uri: uriOf.get(name) ?? `Node/${name}`,
      ports,
      pods: podsPerNode.get(name) ?? 0,
      now,
      peak,
      exhaustsInSeconds,
      peakHeadroom: peak.timeWait > 0 ? ports / peak.timeWait : null,
      drivers: list,
    };
    if (measured) {
      row.measured = measured;
      const gap: NonNullable<NodePortRow['gap']> = {};
      if (measured.timeWait !== undefined) gap.timeWait = measured.timeWait - now.timeWait;
      if (measured.activeOpensPerSecond !== undefined) gap.connectionsPerSecond = measured.activeOpensPerSecond - now.connectionsPerSecond;
      row.gap = gap;
    }
    rows.push(row);
  }
  rows.sort((a, b) => b.peak.utilisation - a.peak.utilisation || (a.node < b.node ? -1 : 1));
  const notes = [
    ...live.notes,
    "a workload's requests are taken as spread evenly over its running pods; where several routes of a namespace reach one host, the one opening the most connections per request is used",
  ];
  if (unmatched.length) notes.push(`${unmatched.length} measured workload → destination rate(s) match no route of the configuration and are not in the prediction (listed under unmatched)`);
  return {
    prometheus: live.prometheus,
    window: live.window,
    range: live.range,
    ...(live.at !== undefined ? { at: live.at } : {}),
    timeWaitSeconds,
    nodes: rows,
    unmatched: unmatched.sort((a, b) => b.peak - a.peak),
    upstreamConnections: live.upstreamConnections,
    tcpOpened: live.tcpOpened.map((t) => ({ namespace: t.namespace, workload: t.workload, destination: t.destination, now: t.now })),
    notes,
  };
}
