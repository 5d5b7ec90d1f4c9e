/**
 * Linkerd enrolment of pods and namespaces, read from the annotations linkerd2 defines (linkerd/linkerd2
 * `pkg/k8s/labels.go`): `linkerd.io/inject` (`enabled`, `ingress`, `disabled`) on a Namespace applies to all
 * its pods, and on a pod template it wins over the namespace's. `config.linkerd.io/skip-outbound-ports` sends
 * those ports around the proxy (iptables, linkerd2-proxy-init); `config.linkerd.io/opaque-ports` (on a Service,
 * a pod or a Namespace) makes the proxy treat a port as plain TCP: no HTTP, so no retries and no HTTP/2 upgrade.
 * Other `config.linkerd.io/*` and `config.alpha.linkerd.io/*` annotations (e.g. `proxy-enable-native-sidecar`,
 * which only changes how the proxy container is started) do not change enrolment or the legs.
 */
import type { ManifestObject } from '../../../load/objects.js';
import { asRecord, dig } from '../../values.js';

/** `linkerd.io/inject` (linkerd2 `pkg/k8s/labels.go`, `ProxyInjectAnnotation`). */
export const LINKERD_INJECT = 'linkerd.io/inject';
/** Ports the client's proxy does not intercept (linkerd2-proxy-init `--outbound-ports-to-ignore`). */
export const LINKERD_SKIP_OUTBOUND_PORTS = 'config.linkerd.io/skip-outbound-ports';
/** Ports the proxy proxies as opaque TCP (linkerd2 `pkg/k8s/labels.go`, `ProxyOpaquePortsAnnotation`). */
export const LINKERD_OPAQUE_PORTS = 'config.linkerd.io/opaque-ports';
/**
 * Opaque ports of a default install when nothing annotates the Service, pod or namespace: SMTP, MySQL, Galera,
 * PostgreSQL, Redis, Elasticsearch, Memcached (linkerd/linkerd2 `charts/linkerd-control-plane/values.yaml`,
 * `proxy.opaquePorts: "25,587,3306,4444,5432,6379,9300,11211"`).
 */
export const LINKERD_DEFAULT_OPAQUE_PORTS: ReadonlySet<number> = new Set([25, 587, 3306, 4444, 5432, 6379, 9300, 11211]);

/** How a pod (or a namespace's pods) is enrolled in Linkerd, and why. */
export interface LinkerdInjection {
  /** `enabled` and `ingress` run a proxy; `disabled` does not. */
  mode: 'enabled' | 'ingress' | 'disabled';
  /** e.g. `pod annotation linkerd.io/inject=enabled`. */
  reason: string;
}

/** The string annotations of an object's `metadata` (or a pod template's), `{}` when none. */
export function annotationsOf(raw: unknown): Record<string, string> {
  const record = asRecord(dig(raw, 'metadata', 'annotations')) ?? {};
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(record)) if (v !== null && v !== undefined) out[k] = String(v);
  return out;
}

function modeOf(value: string | undefined): LinkerdInjection['mode'] | undefined {
  const v = value?.trim().toLowerCase();
  return v === 'enabled' || v === 'ingress' || v === 'disabled' ? v : undefined;
}

/**
 * Linkerd enrolment of a pod template: its own `linkerd.io/inject` when it has one, else its namespace's;
 * undefined when neither says (the pod is not in Linkerd: Linkerd injects only where asked).
 */
export function linkerdInjection(podAnnotations: Record<string, string>, namespace: ManifestObject | undefined): LinkerdInjection | undefined {
  const pod = modeOf(podAnnotations[LINKERD_INJECT]);
  if (pod) return { mode: pod, reason: `pod annotation ${LINKERD_INJECT}=${pod}` };
  return namespaceLinkerdInjection(namespace);
}

/** A Namespace's `linkerd.io/inject` annotation, when it has one. */
export function namespaceLinkerdInjection(namespace: ManifestObject | undefined): LinkerdInjection | undefined {
  if (!namespace) return undefined;
  const ns = modeOf(annotationsOf(namespace.raw)[LINKERD_INJECT]);
  return ns ? { mode: ns, reason: `namespace ${namespace.ref.name} annotation ${LINKERD_INJECT}=${ns}` } : undefined;
}

/** Ports of a comma-separated port list with ranges (`25,587,8000-8010`), as Linkerd's annotations take them. */
export function portList(value: string | undefined): { has(port: number): boolean; text: string } | undefined {
  if (value === undefined) return undefined;
  const single = new Set<number>();
  const ranges: [number, number][] = [];
  for (const part of value.split(',').map((p) => p.trim()).filter(Boolean)) {
    const m = /^(\d+)(?:-(\d+))?$/.exec(part);
    if (!m) continue;
    if (m[2] === undefined) single.add(Number(m[1]));
    else ranges.push([Number(m[1]), Number(m[2])]);
  }
  return { has: (port) => single.has(port) || ranges.some(([lo, hi]) => port >= lo && port <= hi), text: value };
}
