/**
 * Workloads adapter: the TCP ports the input's workloads and Services listen on, for the neutral model's
 * `MeshFacts` (`src/model/traffic.ts`: `nodeListeningPorts`, `podListeningPorts`). An ephemeral port range
 * must leave them free or reserve them (kernel `Documentation/networking/ip-sysctl.rst`, `ip_local_reserved_ports`).
 */
import type { ManifestObject } from '../../../load/objects.js';
import { podTemplatePath, type MeshModel } from '../../mesh.js';
import type { ListeningPort } from '../../traffic.js';
import { asArray, asNumber, asRecord, asString, dig } from '../../values.js';

/** The pod spec of a workload object and its path, or undefined. */
function podSpecOf(object: ManifestObject): { spec: Record<string, unknown>; labels: Record<string, unknown> } | undefined {
  const template = podTemplatePath(object.ref.kind);
  const spec = asRecord(dig(object.raw, ...template, 'spec'));
  if (!spec) return undefined;
  return { spec, labels: asRecord(dig(object.raw, ...template, 'metadata', 'labels')) ?? {} };
}

/** Every `ports[]` item of every container (init containers too) of a pod spec. */
function containerPorts(spec: Record<string, unknown>): { container: string; item: Record<string, unknown> }[] {
  const out: { container: string; item: Record<string, unknown> }[] = [];
  for (const kind of ['initContainers', 'containers']) {
    for (const c of asArray(spec[kind])) {
      const name = asString(dig(c, 'name')) ?? '?';
      for (const p of asArray(dig(c, 'ports'))) {
        const item = asRecord(p);
        if (item && (asString(item['protocol']) ?? 'TCP').toUpperCase() === 'TCP') out.push({ container: name, item });
      }
    }
  }
  return out;
}

function refText(object: ManifestObject): string {
  return `${object.ref.kind} ${object.ref.namespace}/${object.ref.name}`;
}

/**
 * TCP ports that listen in the node's network namespace according to the input: `hostPort` of any container,
 * `containerPort` of `hostNetwork` pods, and explicit Service `nodePort` values.
 */
export function nodeListeningPorts(model: MeshModel): ListeningPort[] {
  const out: ListeningPort[] = [];
  for (const w of model.workloads) {
    const pod = podSpecOf(w.object);
    if (!pod) continue;
    for (const { container, item } of containerPorts(pod.spec)) {
      const hostPort = asNumber(item['hostPort']);
      const containerPort = asNumber(item['containerPort']);
      if (hostPort !== undefined) out.push({ port: hostPort, what: `hostPort of ${refText(w.object)} container ${container}` });
      else if (w.hostNetwork && containerPort !== undefined) out.push({ port: containerPort, what: `containerPort of hostNetwork ${refText(w.object)} container ${container}` });
    }
  }
  for (const svc of model.services) {
    for (const p of asArray(dig(svc.raw, 'spec', 'ports'))) {
      const nodePort = asNumber(dig(p, 'nodePort'));
      if (nodePort !== undefined) out.push({ port: nodePort, what: `nodePort of Service ${svc.ref.namespace}/${svc.ref.name}` });
    }
  }
  return out;
}

/**
 * TCP ports a workload's pods listen on in their own network namespace: each container's `containerPort`, and
 * the numeric `targetPort` of Services in its namespace whose selector matches its pod labels.
 */
export function podListeningPorts(model: MeshModel, object: ManifestObject): ListeningPort[] {
  const out: ListeningPort[] = [];
  const pod = podSpecOf(object);
  if (!pod) return out;
  for (const { container, item } of containerPorts(pod.spec)) {
    const port = asNumber(item['containerPort']);
    if (port !== undefined) out.push({ port, what: `containerPort of ${refText(object)} container ${container}` });
  }
  for (const svc of model.services) {
    if (svc.ref.namespace !== object.ref.namespace) continue;
    const selector = asRecord(dig(svc.raw, 'spec', 'selector'));
    if (!selector || Object.keys(selector).length === 0) continue;
    if (!Object.entries(selector).every(([k, v]) => String(pod.labels[k]) === String(v))) continue;
    for (const p of asArray(dig(svc.raw, 'spec', 'ports'))) {
      const target = asNumber(dig(p, 'targetPort'));
      if (target !== undefined) out.push({ port: target, what: `targetPort of Service ${svc.ref.namespace}/${svc.ref.name}` });
    }
  }
  return out;
}
