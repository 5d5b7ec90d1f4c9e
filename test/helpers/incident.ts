/**
 * The incident meshlint exists for, as test data: one node goes bad. Shared by the live-audit tests, the bench and
 * the walkthrough in docs/audit.md.
 *
 * Cluster `shop`: Deployment `checkout` (4 pods: 3 on node-a, 1 on node-b) calls the external
 * `api.payments.example.com:80` (ServiceEntry MESH_EXTERNAL, HTTP) through a DestinationRule with
 * `maxRequestsPerConnection: 1` and a VirtualService with `retries.attempts: 2`: M = 3 new SNAT'd connections per
 * request. Deployment `catalog` (2 pods, node-b and node-c) calls the in-mesh `search` Service (pod budget, not the
 * node's).
 *
 * Prometheus, over the two hours before `end`: checkout sends 120 requests/s to the payments API now, and reached
 * 220 requests/s for 20 minutes an hour ago (the peak); catalog sends 50 requests/s to search. Each checkout pod
 * takes a quarter: node-a, with three, opens 3 × 55 × 3 = 495 connections/s at the peak: 29,700 ports in TIME_WAIT,
 * more than its 28,232. node-exporter: node-a, node-b by name in `instance`; node-c by `10.0.0.3:9100`.
 */
import type { KubeObject } from './fake-apiserver.js';
import { counterSamples, gaugeSamples, type Series } from './prometheus.js';

export const NAMESPACE = 'shop';
export const PAYMENTS_HOST = 'api.payments.example.com';
export const SEARCH_HOST = 'search.shop.svc.cluster.local';

/** Requests/s of checkout → payments: 220 during the peak (80 to 60 minutes before `end`), 120 in the last 40 minutes, 100 before. */
export function checkoutRate(end: number): (t: number) => number {
  return (t) => (t >= end - 80 * 60 && t < end - 60 * 60 ? 220 : t >= end - 40 * 60 ? 120 : 100);
}

/** A pod `name` of `workload` (a Deployment's, through ReplicaSet `<workload>-7d9f8`) on `node`, with an Istio sidecar. */
export function pod(name: string, workload: string, node: string, namespace = NAMESPACE): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name,
      namespace,
      labels: { app: workload, 'pod-template-hash': '7d9f8' },
      annotations: { 'sidecar.istio.io/status': '{"containers":["istio-proxy"]}' },
      ownerReferences: [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: `${workload}-7d9f8`, controller: true, uid: `rs-${workload}` }],
    },
    spec: { nodeName: node, containers: [{ name: workload, image: `${workload}:1` }, { name: 'istio-proxy', image: 'proxyv2' }] },
    status: { phase: 'Running' },
  };
}

/** A node with an InternalIP. */
export function node(name: string, ip: string): KubeObject {
  return { apiVersion: 'v1', kind: 'Node', metadata: { name }, status: { addresses: [{ type: 'InternalIP', address: ip }, { type: 'Hostname', address: name }] } };
}

/** A Deployment whose pods get a sidecar. */
function deployment(name: string): KubeObject {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name, namespace: NAMESPACE, creationTimestamp: '2026-01-01T00:00:00Z' },
    spec: { replicas: 2, selector: { matchLabels: { app: name } }, template: { metadata: { labels: { app: name } }, spec: { containers: [{ name, image: `${name}:1` }] } } },
  };
}

/** The cluster's objects: namespace, workloads, the payments ServiceEntry, DestinationRule and VirtualService, pods and nodes. */
export function incidentCluster(): KubeObject[] {
  const ts = '2026-01-01T00:00:00Z';
  return [
    { apiVersion: 'v1', kind: 'Namespace', metadata: { name: NAMESPACE, labels: { 'istio-injection': 'enabled' }, creationTimestamp: ts } },
    deployment('checkout'),
    deployment('catalog'),
    { apiVersion: 'v1', kind: 'Service', metadata: { name: 'search', namespace: NAMESPACE, creationTimestamp: ts }, spec: { selector: { app: 'search' }, ports: [{ name: 'http', port: 80 }] } },
    {
      apiVersion: 'networking.istio.io/v1',
      kind: 'ServiceEntry',
      metadata: { name: 'payments-api', namespace: NAMESPACE, creationTimestamp: ts },
      spec: { hosts: [PAYMENTS_HOST], location: 'MESH_EXTERNAL', resolution: 'DNS', ports: [{ number: 80, name: 'http', protocol: 'HTTP' }] },
    },
    {
      apiVersion: 'networking.istio.io/v1',
      kind: 'DestinationRule',
      metadata: { name: 'payments-api', namespace: NAMESPACE, creationTimestamp: ts },
      spec: { host: PAYMENTS_HOST, trafficPolicy: { connectionPool: { http: { maxRequestsPerConnection: 1 } } } },
    },
    {
      apiVersion: 'networking.istio.io/v1',
      kind: 'VirtualService',
      metadata: { name: 'payments-api', namespace: NAMESPACE, creationTimestamp: ts },
      spec: { hosts: [PAYMENTS_HOST], http: [{ route: [{ destination: { host: PAYMENTS_HOST, port: { number: 80 } } }], retries: { attempts: 2, retryOn: '5xx,connect-failure' } }] },
    },
    pod('checkout-7d9f8-a1', 'checkout', 'node-a'),
    pod('checkout-7d9f8-a2', 'checkout', 'node-a'),
    pod('checkout-7d9f8-a3', 'checkout', 'node-a'),
    pod('checkout-7d9f8-b1', 'checkout', 'node-b'),
    pod('catalog-7d9f8-b2', 'catalog', 'node-b'),
    pod('catalog-7d9f8-c1', 'catalog', 'node-c'),
    node('node-a', '10.0.0.1'),
    node('node-b', '10.0.0.2'),
    node('node-c', '10.0.0.3'),
  ];
}

/** Istio request counters and node-exporter series over the two hours before `end` (Unix seconds), one sample every 30 s. */
export function incidentSeries(end: number, options: { nodeExporter?: boolean; istio?: boolean } = {}): Series[] {
  const start = end - 2 * 3600;
  const step = 30;
  const series: Series[] = [];
  const rate = checkoutRate(end);
  if (options.istio !== false) {
    const labels = (workload: string, destination: string) => ({ reporter: 'source', source_workload: workload, source_workload_namespace: NAMESPACE, destination_service: destination, response_code: '200' });
    series.push({ name: 'istio_requests_total', type: 'counter', labels: labels('checkout', PAYMENTS_HOST), samples: counterSamples(start, end, step, rate) });
    series.push({ name: 'istio_requests_total', type: 'counter', labels: labels('catalog', SEARCH_HOST), samples: counterSamples(start, end, step, () => 50) });
    series.push({ name: 'istio_requests_total', type: 'counter', labels: { ...labels('catalog', SEARCH_HOST), reporter: 'destination', source_workload: 'unknown', source_workload_namespace: 'unknown' }, samples: counterSamples(start, end, step, () => 5) });
    series.push({ name: 'istio_tcp_connections_opened_total', type: 'counter', labels: labels('checkout', PAYMENTS_HOST), samples: counterSamples(start, end, step, (t) => rate(t) * 3) });
  }
  if (options.nodeExporter !== false) {
    // Measured TIME_WAIT tracks the prediction on node-a (3 pods × 30 req/s × 3 × 60 s = 16,200 now), less on node-b.
    const tw: Record<string, (t: number) => number> = { 'node-a': (t) => rate(t) * 0.75 * 3 * 60, 'node-b': (t) => rate(t) * 0.25 * 3 * 60 * 0.8, '10.0.0.3:9100': () => 120 };
    for (const [instance, f] of Object.entries(tw)) {
      series.push({ name: 'node_sockstat_TCP_tw', type: 'gauge', labels: { instance, job: 'node-exporter' }, samples: gaugeSamples(start, end, step, (t) => Math.round(f(t))) });
      series.push({ name: 'node_netstat_Tcp_ActiveOpens', type: 'counter', labels: { instance, job: 'node-exporter' }, samples: counterSamples(start, end, step, (t) => f(t) / 60) });
      series.push({ name: 'node_nf_conntrack_entries', type: 'gauge', labels: { instance, job: 'node-exporter' }, samples: gaugeSamples(start, end, step, (t) => Math.round(f(t) * 1.5 + 200)) });
      series.push({ name: 'node_nf_conntrack_entries_limit', type: 'gauge', labels: { instance, job: 'node-exporter' }, samples: gaugeSamples(start, end, step, () => 131072) });
    }
  }
  return series;
}
