/**
 * What a live audit knows beyond the configuration: where pods run (from the cluster) and what traffic and port
 * pressure Prometheus measured. Built by `src/audit/live.ts`; read by the per-node arithmetic (`nodes.ts`).
 */

/** A running pod and the node it is scheduled on (`spec.nodeName`). */
export interface PlacedPod {
  namespace: string;
  name: string;
  /** `spec.nodeName`. */
  node: string;
  /** Owner workload as Istio names it in `source_workload`: the Deployment for a ReplicaSet's pod, else the controller's name, else the pod's. */
  workload: string;
  /** Kind of that owner (`Deployment`, `StatefulSet`, `DaemonSet`, `Job`, `Pod`). */
  workloadKind: string;
  /** An Istio sidecar was injected (annotation `sidecar.istio.io/status`, or a container named `istio-proxy`). */
  sidecar: boolean;
  /** Captured by ambient mode's ztunnel (annotation `ambient.istio.io/redirection: enabled`). */
  ambient: boolean;
  /** `spec.hostNetwork`: the pod uses the node's network namespace. */
  hostNetwork: boolean;
}

/** A Kubernetes node. */
export interface ClusterNode {
  name: string;
  /** `status.addresses[].address` (InternalIP, Hostname…), to join node-exporter's `instance` label. */
  addresses: string[];
  /** Where findings about the node point: `cluster://<context>/Node/<name>`. */
  uri: string;
}

/** Requests/s of one source workload to one destination (Istio `istio_requests_total`). */
export interface WorkloadRate {
  namespace: string;
  workload: string;
  /** `destination_service`: the host the client called (FQDN). */
  destination: string;
  /** Requests/s over the window ending now (or `--at`). */
  now: number;
  /** Highest requests/s over the range (`max_over_time` of the rate). */
  peak: number;
  /** Which proxy reported it: `source` (the client's sidecar), or `destination` for a client without a proxy. */
  reporter: 'source' | 'destination';
}

/** node-exporter figures of one node; a field is absent when the metric was not found for that node. */
export interface NodeMeasurement {
  /** `node_sockstat_TCP_tw`: sockets in TIME_WAIT in the node's network namespace. */
  timeWait?: number;
  /** `rate(node_netstat_Tcp_ActiveOpens)`: outbound connections opened per second, node network namespace. */
  activeOpensPerSecond?: number;
  /** `node_nf_conntrack_entries`. */
  conntrackEntries?: number;
  /** `node_nf_conntrack_entries_limit`. */
  conntrackLimit?: number;
}

/** Everything a live audit read, for the arithmetic and the report. */
export interface LiveTraffic {
  /** Prometheus URL without credentials. */
  prometheus: string;
  /** Evaluation time, Unix seconds (`--at`); undefined = the server's now. */
  at?: number;
  /** `--window` and `--range` (PromQL durations). */
  window: string;
  range: string;
  pods: PlacedPod[];
  nodes: ClusterNode[];
  rates: WorkloadRate[];
  /** TCP connections opened per second per (workload, destination) where the proxies report `istio_tcp_connections_opened_total`. */
  tcpOpened: WorkloadRate[];
  /** Upstream connections opened per second per Envoy cluster; null when `envoy_cluster_upstream_cx_total` is not exported. */
  upstreamConnections: { cluster: string; perSecond: number }[] | null;
  /** node-exporter figures per node name (nodes whose series could not be joined are absent). */
  nodeMetrics: Map<string, NodeMeasurement>;
  /** What could not be read or joined, one line each (metric absent, series not joined to a node). */
  notes: string[];
}
