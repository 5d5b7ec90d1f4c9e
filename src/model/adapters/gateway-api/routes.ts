/**
 * Gateway API adapter: HTTPRoute and GRPCRoute rules (`gateway.networking.k8s.io` v1/v1beta1) → {@link TrafficRoute}
 * records, as Istio applies them. Istio converts each rule into a VirtualService `http` route (istio/istio
 * `pilot/pkg/config/kube/gateway/conversion.go`, `convertHTTPRoute` / `convertGRPCRoute`, read at commit
 * 60a4b52fa5551b9d841c43190934941421c57a5e, the Istio 1.27/1.28 line):
 *
 * - `rules[].retry` present → retries with `attempts` = `retry.attempts`, or 2 when unset; `retryOn` =
 *   `connect-failure,refused-stream,unavailable,cancelled` plus each of `retry.codes`; `attempts: 0` → no retries.
 * - no `retry` → the generated route has no `retries` block, so the mesh default retry policy applies
 *   (`adapters/istio/retries.ts`, `defaultRetryPolicy`). GRPCRoute has no `retry` field: always the default.
 * - `timeouts.request` → route timeout; `timeouts.backendRequest` → `retries.perTryTimeout` when a `retry` is
 *   set, else the route timeout.
 * - backendRefs with `weight` (default 1; 0 drops the backend); every weight 0 → a direct 500 response, nothing
 *   upstream. `RequestMirror` filters → mirrors (`percent`, or `fraction` numerator/denominator; default 100 %).
 *
 * Attachment decides who applies the route: a `parentRefs` entry of kind `Service` (or `ServiceEntry`) is a GAMMA
 * mesh route, applied by the client's sidecar (or the Service's waypoint in ambient); a `Gateway` parent
 * (default kind) is north-south, applied by that Gateway's proxy (Istio's Deployment `<name>-<class>`, or the
 * Gateway's `gateway.istio.io/name-override`); a waypoint Gateway takes no routes (attach them to the Service). Which
 * Gateways are Istio's, which listeners accept the route and which cross-namespace backendRefs a ReferenceGrant
 * allows is decided in `attachment.ts`; what Istio refuses, or another implementation applies, is recorded in
 * the rule's `notApplied` (rules `route-not-attached`, `gateway-unmodelled`), and a rule no modelled parent applies
 * keeps no backends, mirrors or retry policy.
 */
import type { ManifestObject } from '../../../load/objects.js';
import type { FieldPath } from '../../../types.js';
import type { MeshModel } from '../../mesh.js';
import type { RetryPolicy, RouteBackend, RouteMirror, RouteNotApplied, TrafficRoute } from '../../traffic.js';
import { traceAt } from '../../trace.js';
import { asArray, asNumber, asRecord, asString, dig, parseDurationSeconds } from '../../values.js';
import { httpRouteMatch, routeMatchLimits } from '../../route-matches.js';
import { defaultRetryPolicy } from '../istio/retries.js';
import { backendRefTarget, gatewayView, listenerAttachment, referenceAllowed, type GatewayView } from './attachment.js';

export { ISTIO_GATEWAY_CLASS } from './attachment.js';

/** `retryOn` Istio writes for every HTTPRoute `retry` (conversion.go: "SHOULD retry on connection errors"). */
export const HTTPROUTE_RETRY_ON = 'connect-failure,refused-stream,unavailable,cancelled';
/** Retries Istio uses for an HTTPRoute `retry` without `attempts` (conversion.go, "the default retry if none are set is 2"). */
export const HTTPROUTE_DEFAULT_ATTEMPTS = 2;
/** One parentRef of a route: a mesh Service (GAMMA) or a Gateway, with the port it limits the route to. */
export interface RouteParent {
  kind: 'mesh' | 'gateway';
  /** `<namespace>/<name>` of the Gateway, or the FQDN of the Service / ServiceEntry host. */
  name: string;
  port?: number;
  /** Gateway parents: its `gatewayClassName` when the input has the Gateway. */
  gatewayClassName?: string;
  /** Gateway parents the input has: the Gateway, its implementation and Istio's deployment for it. */
  gateway?: GatewayView;
  /** Gateway parents: ports of the listeners that accept the route (`attachment.ts`). */
  listenerPorts?: number[];
  /**
   * Whether the route is applied through this parent as meshlint models it: a mesh Service, or a Gateway of
   * Istio's ingress class whose listeners accept the route, or a Gateway the input does not have (taken as Istio's).
   */
  applied: boolean;
  at: { object: ManifestObject; path: FieldPath };
}

/** A Gateway API route rule as a {@link TrafficRoute}, with the parents it is attached to. */
export interface GatewayApiRoute extends TrafficRoute {
  /** `HTTPRoute` or `GRPCRoute`. */
  kind: string;
  parents: RouteParent[];
}

const cache = new WeakMap<MeshModel, GatewayApiRoute[]>();

/** Every rule of every HTTPRoute and GRPCRoute of the model, in input order (extracted once per model). */
export function gatewayApiRoutes(model: MeshModel): readonly GatewayApiRoute[] {
  let routes = cache.get(model);
  if (!routes) cache.set(model, (routes = model.gatewayApi.filter((o) => o.ref.kind === 'HTTPRoute' || o.ref.kind === 'GRPCRoute').flatMap((o) => extract(model, o))));
  return routes;
}

const gatewayIndex = new WeakMap<MeshModel, Map<string, ManifestObject>>();

/** The Gateway objects of the model by `<namespace>/<name>` (indexed once per model). */
export function gatewaysByName(model: MeshModel): Map<string, ManifestObject> {
  let out = gatewayIndex.get(model);
  if (out) return out;
  gatewayIndex.set(model, (out = new Map()));
  for (const o of model.gatewayApi) if (o.ref.kind === 'Gateway') out.set(`${o.ref.namespace}/${o.ref.name}`, o);
  return out;
}

/** The host a backendRef names: a Service FQDN, or a ServiceEntry host (`kind: Hostname`, group networking.istio.io). */
function backendHost(model: MeshModel, ref: unknown, ns: string): string | undefined {
  const name = asString(dig(ref, 'name'));
  if (!name) return undefined;
  const kind = asString(dig(ref, 'kind')) ?? 'Service';
  const group = asString(dig(ref, 'group')) ?? '';
  if (kind === 'Service' && group === '') return `${name}.${asString(dig(ref, 'namespace')) ?? ns}.svc.${model.settings.clusterDomain}`;
  if (kind === 'Hostname' && group === 'networking.istio.io') return name.toLowerCase();
  if (kind === 'ServiceEntry' && group === 'networking.istio.io') {
    const se = model.serviceEntries.find((o) => o.ref.name === name && o.ref.namespace === (asString(dig(ref, 'namespace')) ?? ns));
    return asString(asArray(dig(se?.raw, 'spec', 'hosts'))[0])?.toLowerCase();
  }
  return undefined;
}

function extract(model: MeshModel, object: ManifestObject): GatewayApiRoute[] {
  const ns = object.ref.namespace;
  const gateways = gatewaysByName(model);
  const parents: RouteParent[] = [];
  const notApplied: RouteNotApplied[] = [];
  const kind = object.ref.kind;
  const hostnames = asArray(dig(object.raw, 'spec', 'hostnames')).filter((h): h is string => typeof h === 'string').map((h) => h.toLowerCase());
  asArray(dig(object.raw, 'spec', 'parentRefs')).forEach((ref, i) => {
    const at = { object, path: ['spec', 'parentRefs', i] as FieldPath };
    const parentKind = asString(dig(ref, 'kind')) ?? 'Gateway';
    const port = asNumber(dig(ref, 'port'));
    const name = asString(dig(ref, 'name'));
    if (!name) return;
    const parentNs = asString(dig(ref, 'namespace')) ?? ns;
    if (parentKind === 'Service' || parentKind === 'ServiceEntry') {
      const host = parentKind === 'Service' ? `${name}.${parentNs}.svc.${model.settings.clusterDomain}` : backendHost(model, { name, kind: parentKind, group: 'networking.istio.io', namespace: parentNs }, ns);
      if (host) parents.push({ kind: 'mesh', name: host, port, applied: true, at });
    } else if (parentKind === 'Gateway') {
      const key = `${parentNs}/${name}`;
      const gateway = gatewayView(model, gateways.get(key));
      if (!gateway) {
        // The Gateway is not in the input: its class and listeners are unknown; taken as Istio's (no rows, rules still run).
        parents.push({ kind: 'gateway', name: key, port, applied: true, at });
        return;
      }
      const parent: RouteParent = { kind: 'gateway', name: key, port, gatewayClassName: gateway.className, gateway, applied: false, at };
      parents.push(parent);
      if (gateway.implementation === 'other') {
        notApplied.push({ at, condition: 'UnmodelledImplementation', message: `Gateway ${key} is of class ${gateway.className || '(none)'}, which another controller implements: meshlint models Istio's gateways only, so this ${kind} has no figures through it`, unmodelled: true });
        return;
      }
      if (gateway.hbone) {
        // A waypoint (or east-west gateway) applies routes attached to the Services that use it, never its own.
        notApplied.push({
          at,
          condition: 'NotAllowedByListeners',
          message: `Gateway ${key} is ${gateway.className === 'istio-east-west' ? 'an east-west gateway' : 'a waypoint'} (class ${gateway.className}): its HBONE listener takes no ${kind} (Istio gives HBONE listeners no route kinds), so the route is not applied through it`,
          hint: 'attach the route to the Service that uses the waypoint (parentRefs: group "", kind: Service, with istio.io/use-waypoint on the Service or its Namespace): the waypoint applies it there',
        });
        return;
      }
      if (gateway.implementation !== 'istio') return;
      const attachment = listenerAttachment(model, gateway.object, ref, kind, ns, hostnames);
      if (!attachment.attached) {
        notApplied.push({ at, condition: attachment.condition, message: attachment.message });
        return;
      }
      parent.applied = true;
      parent.listenerPorts = attachment.listeners.map((l) => l.port).filter((p): p is number => p !== undefined);
    }
  });
  const anyApplied = parents.length === 0 || parents.some((p) => p.applied);
  const meshHosts = parents.filter((p) => p.kind === 'mesh').map((p) => p.name);
  const hosts = [...meshHosts, ...(parents.some((p) => p.kind === 'gateway') ? (hostnames.length ? hostnames : ['*']) : [])];
  const matchPorts = parents.filter((p) => p.kind === 'mesh').map((p) => p.port);
  const matchPort = matchPorts.length && matchPorts.every((p) => p !== undefined && p === matchPorts[0]) ? matchPorts[0] : undefined;
  const callHost = meshHosts[0] ?? hosts[0] ?? '';
  return asArray(dig(object.raw, 'spec', 'rules')).map((raw, i): GatewayApiRoute => {
    const path: FieldPath = ['spec', 'rules', i];
    // Parent refusals belong to the object: reported with its first rule only (one finding per parentRef).
    const routeNotApplied: RouteNotApplied[] = i === 0 ? [...notApplied] : [];
    const rule = asRecord(raw) ?? {};
    const refs = asArray(rule.backendRefs);
    const backends: RouteBackend[] = [];
    refs.forEach((ref, j) => {
      const weight = asNumber(dig(ref, 'weight')) ?? 1;
      const host = backendHost(model, ref, ns);
      if (!host || weight === 0) return;
      if (!permitted(model, object, ref, [...path, 'backendRefs', j], routeNotApplied)) return;
      backends.push({ host, port: asNumber(dig(ref, 'port')), ...(refs.length > 1 ? { weight } : {}), at: { object, path: [...path, 'backendRefs', j, 'name'] } });
    });
    const mirrors: RouteMirror[] = [];
    asArray(rule.filters).forEach((filter, j) => {
      if (asString(dig(filter, 'type')) !== 'RequestMirror') return;
      const ref = dig(filter, 'requestMirror', 'backendRef');
      const host = backendHost(model, ref, ns);
      if (!host) return;
      if (!permitted(model, object, ref, [...path, 'filters', j, 'requestMirror', 'backendRef'], routeNotApplied)) return;
      const numerator = asNumber(dig(filter, 'requestMirror', 'fraction', 'numerator'));
      const percentage = asNumber(dig(filter, 'requestMirror', 'percent')) ?? (numerator !== undefined ? (100 * numerator) / (asNumber(dig(filter, 'requestMirror', 'fraction', 'denominator')) ?? 100) : 100);
      mirrors.push({ host, port: asNumber(dig(ref, 'port')), percentage, at: { object, path: [...path, 'filters', j] } });
    });
    // A route no parent applies (other implementations, refused by every listener) carries nothing meshlint models.
    if (!anyApplied) backends.length = mirrors.length = 0;
    const upstream = backends.length > 0 && !asArray(rule.filters).some((f) => asString(dig(f, 'type')) === 'RequestRedirect');
    const retry = object.ref.kind === 'HTTPRoute' ? asRecord(rule.retry) : undefined;
    const request = parseDurationSeconds(dig(rule, 'timeouts', 'request'));
    const backendRequest = parseDurationSeconds(dig(rule, 'timeouts', 'backendRequest'));
    const scope = { clientNamespace: ns, host: callHost };
    let retryPolicy: RetryPolicy | undefined;
    if (upstream) {
      retryPolicy = retry ? retryOf(object, path, retry, scope) : defaultRetryPolicy(model, object, path, object.ref.kind === 'GRPCRoute' ? 'GRPCRoute rule (Istio converts no retry for GRPCRoute)' : 'no retry on the HTTPRoute rule', scope);
      if (retry && backendRequest) retryPolicy.perTryTimeout = { value: backendRequest, object, path: [...path, 'timeouts', 'backendRequest'] };
    }
    const timeout = request ? { value: request, object, path: [...path, 'timeouts', 'request'] } : backendRequest && !retry ? { value: backendRequest, object, path: [...path, 'timeouts', 'backendRequest'] } : undefined;
    return {
      kind: object.ref.kind,
      parents,
      at: { object, path },
      ...(typeof rule.name === 'string' ? { name: rule.name } : {}),
      namespace: ns,
      hosts,
      gateways: parents.map((p) => (p.kind === 'mesh' ? 'mesh' : p.name)),
      matchPort,
      backends,
      mirrors,
      ...(retryPolicy ? { retryPolicy } : {}),
      ...(timeout ? { timeout } : {}),
      ...(routeNotApplied.length ? { notApplied: routeNotApplied } : {}),
      // gRPC requests are all POSTs: a GRPCRoute's matches name gRPC methods, not HTTP ones.
      ...(object.ref.kind === 'HTTPRoute' ? routeMatchLimits(rule.matches, httpRouteMatch, { object, path: [...path, 'matches'] }) : {}),
    };
  });
}

/**
 * Whether a backendRef (or mirror backendRef) at `path` may be used: same namespace, or a ReferenceGrant allows
 * it (`attachment.ts`). A refused one is recorded in `notApplied` with Istio's condition reason.
 */
function permitted(model: MeshModel, object: ManifestObject, ref: unknown, path: FieldPath, notApplied: RouteNotApplied[]): boolean {
  const target = backendRefTarget(ref, object.ref.namespace);
  if (!target || referenceAllowed(model, object.ref.kind, object.ref.namespace, target)) return true;
  notApplied.push({
    at: { object, path },
    condition: 'RefNotPermitted',
    message: `backendRef ${target.name}/${target.namespace} not accessible to a ${object.ref.kind} in namespace "${object.ref.namespace}": no ReferenceGrant in ${target.namespace} allows ${object.ref.kind}s from ${object.ref.namespace} to ${target.kind} ${target.name}`,
  });
  return false;
}

/** The retry policy of an HTTPRoute rule with a `retry` block, as Istio converts it (see the module comment). */
function retryOf(object: ManifestObject, path: FieldPath, retry: Record<string, unknown>, scope: { clientNamespace: string; host: string }): RetryPolicy {
  const written = asNumber(retry.attempts);
  const attempts = Math.max(0, written ?? HTTPROUTE_DEFAULT_ATTEMPTS);
  const codes = asArray(retry.codes).map((c) => asNumber(c)).filter((c): c is number => c !== undefined);
  const retryOn = attempts === 0 ? '' : [HTTPROUTE_RETRY_ON, ...codes].join(',');
  const block = { object, path: [...path, 'retry'] };
  return {
    route: { object, path },
    ...scope,
    attempts:
      written === undefined
        ? { value: attempts, default: false, trace: traceAt(`retry without attempts: Istio uses ${HTTPROUTE_DEFAULT_ATTEMPTS} retries`, object, block.path) }
        : { value: attempts, default: false, trace: traceAt(`retry.attempts: ${written}`, object, [...block.path, 'attempts']), at: { object, path: [...block.path, 'attempts'] } },
    retryOn: { value: retryOn, ...(codes.length ? { at: { object, path: [...block.path, 'codes'] } } : {}) },
    block,
  };
}

/**
 * The gateway Deployment that applies a Gateway API route through an Istio ingress Gateway, as a row's `client`
 * (`<namespace>/<deployment>`, the Deployment named as in {@link GatewayView}); nothing for other routes (a
 * VirtualService bound to an Istio `Gateway` names no Deployment).
 */
export function ingressClientOf(route: TrafficRoute): { client?: string } {
  const parents = (route as Partial<GatewayApiRoute>).parents;
  const gateway = parents?.find((p) => p.kind === 'gateway' && p.applied && p.gateway?.implementation === 'istio')?.gateway;
  return gateway ? { client: `${gateway.object.ref.namespace}/${gateway.deployment}` } : {};
}
