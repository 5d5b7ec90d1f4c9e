/**
 * Pods and nodes as read from a cluster (plain JSON as served), reduced to what the per-node arithmetic needs:
 * which node each running pod is on, its owner workload as Istio names it, and its data plane.
 */
import type { ClusterNode, PlacedPod } from './types.js';

type Json = Record<string, unknown>;

function record(value: unknown): Json {
  return value && typeof value === 'object' && !Array.isArray(value) ? (value as Json) : {};
}

function text(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined;
}

/**
 * The pod's owner workload, as Istio's `source_workload` names it: a ReplicaSet's pods belong to the Deployment
 * (the ReplicaSet's name less its `-<pod-template-hash>` suffix, label `pod-template-hash`), a Job's pods to the
 * Job; other controllers (StatefulSet, DaemonSet) by their name; a pod without a controller is its own workload.
 */
function ownerOf(pod: Json): { workload: string; workloadKind: string } {
  const metadata = record(pod.metadata);
  const owners = Array.isArray(metadata.ownerReferences) ? (metadata.ownerReferences as unknown[]).map(record) : [];
  const controller = owners.find((o) => o.controller === true) ?? owners[0];
  const name = text(metadata.name) ?? '';
  if (!controller) return { workload: name, workloadKind: 'Pod' };
  const kind = text(controller.kind) ?? '';
  const ownerName = text(controller.name) ?? name;
  if (kind === 'ReplicaSet') {
    const hash = text(record(metadata.labels)['pod-template-hash']);
    if (hash && ownerName.endsWith(`-${hash}`)) return { workload: ownerName.slice(0, -hash.length - 1), workloadKind: 'Deployment' };
    return { workload: ownerName, workloadKind: 'ReplicaSet' };
  }
  return { workload: ownerName, workloadKind: kind || 'Pod' };
}

/**
 * The running pods among `objects` (kind `Pod`, `status.phase: Running`, `spec.nodeName` set), with their node,
 * owner workload and data plane: sidecar when annotation `sidecar.istio.io/status` is set (what injection writes)
 * or a container is named `istio-proxy`; ambient when annotation `ambient.istio.io/redirection` is `enabled`
 * (what the Istio CNI writes on captured pods).
 */
export function placedPods(objects: readonly Json[]): PlacedPod[] {
  const out: PlacedPod[] = [];
  for (const pod of objects) {
    if (pod.kind !== 'Pod') continue;
    const spec = record(pod.spec);
    const node = text(spec.nodeName);
    if (!node || text(record(pod.status).phase) !== 'Running') continue;
    const metadata = record(pod.metadata);
    const annotations = record(metadata.annotations);
    const containers = [...(Array.isArray(spec.containers) ? spec.containers : []), ...(Array.isArray(spec.initContainers) ? spec.initContainers : [])].map(record);
    out.push({
      namespace: text(metadata.namespace) ?? '',
      name: text(metadata.name) ?? '',
      node,
      ...ownerOf(pod),
      sidecar: annotations['sidecar.istio.io/status'] !== undefined || containers.some((c) => c.name === 'istio-proxy'),
      ambient: annotations['ambient.istio.io/redirection'] === 'enabled',
      hostNetwork: spec.hostNetwork === true,
    });
  }
  return out;
}

/** The nodes among `objects` (kind `Node`) with their addresses; `uriOf` names each for findings. */
export function clusterNodes(objects: readonly Json[], uriOf: (name: string) => string): ClusterNode[] {
  const out: ClusterNode[] = [];
  for (const node of objects) {
    if (node.kind !== 'Node') continue;
    const name = text(record(node.metadata).name);
    if (!name) continue;
    const addresses = (Array.isArray(record(node.status).addresses) ? (record(node.status).addresses as unknown[]) : []).map((a) => text(record(a).address)).filter((a): a is string => a !== undefined);
    out.push({ name, addresses, uri: uriOf(name) });
  }
  return out;
}

/**
 * Joins a node-exporter series to a node by the value of its node label: the node's name, or `host[:port]` where
 * host is the name or one of its addresses (node-exporter's default `instance` is `<address>:9100`).
 * @returns a lookup from label value to node name (undefined when no node matches).
 */
export function nodeJoiner(nodes: readonly ClusterNode[]): (labelValue: string) => string | undefined {
  const byKey = new Map<string, string>();
  for (const n of nodes) {
    byKey.set(n.name, n.name);
    for (const a of n.addresses) if (!byKey.has(a)) byKey.set(a, n.name);
  }
  return (value) => {
    const direct = byKey.get(value);
    if (direct) return direct;
    const host = value.startsWith('[') ? value.slice(1, value.indexOf(']')) : value.replace(/:\d+$/, '');
    return byKey.get(host);
  };
}
