/**
 * Whether a client namespace's traffic to one port goes through a Linkerd proxy, and whether the proxy sees HTTP
 * on a destination port (`injection.ts` for the annotations and their sources).
 */
import type { MeshModel } from '../../mesh.js';
import { LINKERD_DEFAULT_OPAQUE_PORTS, LINKERD_OPAQUE_PORTS, LINKERD_SKIP_OUTBOUND_PORTS, annotationsOf, namespaceLinkerdInjection, portList } from './injection.js';

/** A client's Linkerd proxy on one outbound port: `proxy` false when none runs or the port skips it; undefined when the input does not say. */
export interface LinkerdClient {
  proxy: boolean | undefined;
  reason: string;
}

/**
 * The Linkerd proxy of clients in `namespace` calling `port`: from the namespace's workloads when the input has
 * some (enrolled ones whose `config.linkerd.io/skip-outbound-ports` does not list the port), else from the
 * Namespace's `linkerd.io/inject` annotation, else assumed present (the route is Linkerd's, so its clients are
 * expected to be meshed: Linkerd applies retries and timeouts only on the client side).
 */
export function linkerdClient(model: MeshModel, namespace: string, port: number | undefined): LinkerdClient {
  const workloads = model.workloadsIn(namespace);
  const nsObject = model.namespaces.get(namespace);
  const nsSkip = portList(annotationsOf(nsObject?.raw)[LINKERD_SKIP_OUTBOUND_PORTS]);
  if (workloads.length) {
    const enrolled = workloads.filter((w) => w.linkerd !== undefined && w.linkerd.mode !== 'disabled' && !w.hostNetwork);
    if (!enrolled.length) return { proxy: false, reason: `no workload of ${namespace} runs the Linkerd proxy (${workloads[0]!.sidecarReason})` };
    if (port !== undefined) {
      const through = enrolled.filter((w) => !(portList(w.podAnnotations[LINKERD_SKIP_OUTBOUND_PORTS]) ?? nsSkip)?.has(port));
      if (!through.length) {
        const w = enrolled[0]!;
        return { proxy: false, reason: `${w.object.ref.kind} ${namespace}/${w.object.ref.name} skips outbound port ${port} (${LINKERD_SKIP_OUTBOUND_PORTS}): the app connects directly` };
      }
      return { proxy: true, reason: `Linkerd proxy: ${through[0]!.linkerd!.reason}` };
    }
    return { proxy: true, reason: `Linkerd proxy: ${enrolled[0]!.linkerd!.reason}` };
  }
  const injection = namespaceLinkerdInjection(nsObject);
  if (injection) {
    if (injection.mode === 'disabled') return { proxy: false, reason: injection.reason };
    if (port !== undefined && nsSkip?.has(port)) return { proxy: false, reason: `namespace ${namespace} skips outbound port ${port} (${LINKERD_SKIP_OUTBOUND_PORTS}): the app connects directly` };
    return { proxy: true, reason: `Linkerd proxy: ${injection.reason}` };
  }
  return { proxy: undefined, reason: `assumed meshed by Linkerd: no workload or Namespace object for ${namespace} in the input` };
}

/**
 * Why the Linkerd proxy treats `port` of `host` as opaque TCP (no HTTP: no retries, one upstream connection per
 * app connection), or null when it detects the protocol: the Service's `config.linkerd.io/opaque-ports`, else its
 * namespace's, else the install's default opaque ports.
 */
export function opaquePortReason(model: MeshModel, host: string, port: number | undefined): string | null {
  if (port === undefined) return null;
  const svc = model.serviceFor(host);
  const own = portList(annotationsOf(svc?.raw)[LINKERD_OPAQUE_PORTS]);
  if (own) return own.has(port) ? `Service ${svc!.ref.namespace}/${svc!.ref.name} lists port ${port} in ${LINKERD_OPAQUE_PORTS}` : null;
  const ns = svc ? model.namespaces.get(svc.ref.namespace) : undefined;
  const nsPorts = portList(annotationsOf(ns?.raw)[LINKERD_OPAQUE_PORTS]);
  if (nsPorts) return nsPorts.has(port) ? `namespace ${ns!.ref.name} lists port ${port} in ${LINKERD_OPAQUE_PORTS}` : null;
  return LINKERD_DEFAULT_OPAQUE_PORTS.has(port) ? `port ${port} is one of Linkerd's default opaque ports (charts/linkerd-control-plane values.yaml proxy.opaquePorts)` : null;
}
