/**
 * Linkerd's outbound routes → {@link LinkerdRoute} records (one data-plane-neutral {@link TrafficRoute} each),
 * with the settings Linkerd does not read recorded as {@link IgnoredSetting}s. Per Service host, what the client
 * proxy applies (Linkerd 2.16 retries and timeouts references; linkerd/linkerd2
 * `policy-controller/k8s/index/src/outbound/index/http.rs`):
 *
 * 1. a `ServiceProfile` for the host (`profiles.ts`): its routes, retries and timeouts; every `retry.linkerd.io/*`
 *    and `timeout.linkerd.io/*` annotation on the Service or its routes is ignored;
 * 2. else each rule of each HTTPRoute / GRPCRoute with the Service as a parent (`policy.linkerd.io` routes, and
 *    `gateway.networking.k8s.io` routes whose parent Service is in the Linkerd mesh): the route's annotations,
 *    or the Service's when the route has none of that family; `policy.linkerd.io` HTTPRoute `timeouts.request`
 *    when no `timeout.linkerd.io/request` is written (`convert_linkerd_rule`). Gateway API `rules[].retry` and
 *    `rules[].timeouts` are not read (`convert_gateway_rule`): ignored;
 * 3. else the Service's own annotations, for all its traffic.
 * Linkerd retries nothing by default: a route without retry annotations has no retry policy.
 */
import type { ManifestObject } from '../../../load/objects.js';
import type { FieldPath } from '../../../types.js';
import type { MeshModel } from '../../mesh.js';
import type { IgnoredSetting, RetryPolicy, RouteBackend, Sourced, TrafficRoute } from '../../traffic.js';
import { asArray, asNumber, asRecord, asString, dig, parseDurationSeconds } from '../../values.js';
import { RETRY_PREFIX, TIMEOUT_PREFIX, annotationPath, annotationRetryPolicy, annotationStreamTimeouts, annotationTimeout, prefixed, type UnappliedTimeout } from './annotations.js';
import { annotationsOf, namespaceLinkerdInjection } from './injection.js';
import { profileHost, serviceProfileRoutes } from './profiles.js';
import type { LinkerdRoute } from './route.js';
import { httpRouteMatch, routeMatchLimits } from '../../route-matches.js';

export type { LinkerdRoute } from './route.js';

/** Linkerd's routes and ignored settings of one model. */
export interface LinkerdTraffic {
  routes: LinkerdRoute[];
  ignored: IgnoredSetting[];
}

const cache = new WeakMap<MeshModel, LinkerdTraffic>();
const meshedCache = new WeakMap<MeshModel, Map<string, boolean>>();

/**
 * True when the Service `host` is in the Linkerd mesh: its namespace has `linkerd.io/inject` enabled (or ingress), a
 * workload of its namespace runs the Linkerd proxy, a ServiceProfile describes it, or the Service carries
 * `retry.linkerd.io` / `timeout.linkerd.io` annotations. Kept per model and host.
 */
export function isLinkerdService(model: MeshModel, host: string): boolean {
  let byHost = meshedCache.get(model);
  if (!byHost) meshedCache.set(model, (byHost = new Map()));
  let meshed = byHost.get(host);
  if (meshed === undefined) {
    const svc = model.serviceFor(host);
    const ns = svc?.ref.namespace ?? host.split('.')[1];
    const nsInjection = ns ? namespaceLinkerdInjection(model.namespaces.get(ns)) : undefined;
    meshed =
      (nsInjection !== undefined && nsInjection.mode !== 'disabled') ||
      (ns !== undefined && model.workloadsIn(ns).some((w) => w.linkerd !== undefined && w.linkerd.mode !== 'disabled')) ||
      profilesByHost(model).has(host) ||
      (svc !== undefined && (prefixed(svc, RETRY_PREFIX).length > 0 || prefixed(svc, TIMEOUT_PREFIX).length > 0));
    byHost.set(host, meshed);
  }
  return meshed;
}

const profileIndex = new WeakMap<MeshModel, Map<string, ManifestObject[]>>();

/** ServiceProfiles by the host they describe (indexed once per model). */
export function profilesByHost(model: MeshModel): Map<string, ManifestObject[]> {
  let index = profileIndex.get(model);
  if (index) return index;
  profileIndex.set(model, (index = new Map()));
  for (const o of model.linkerd) {
    if (o.ref.kind !== 'ServiceProfile') continue;
    const host = profileHost(o);
    const list = index.get(host) ?? [];
    list.push(o);
    index.set(host, list);
  }
  return index;
}

/** Every Linkerd route of the model and the Linkerd settings that have no effect (extracted once per model). */
export function linkerdTraffic(model: MeshModel): LinkerdTraffic {
  let traffic = cache.get(model);
  if (!traffic) cache.set(model, (traffic = extract(model)));
  return traffic;
}

/** A route object (HTTPRoute or GRPCRoute) attached to a Linkerd Service, with the parent it was found through. */
interface AttachedRoute {
  object: ManifestObject;
  host: string;
  port?: number;
}

function extract(model: MeshModel): LinkerdTraffic {
  const routes: LinkerdRoute[] = [];
  const ignored: IgnoredSetting[] = [];
  const profiles = profilesByHost(model);
  const attached = attachedRoutes(model);
  const hosts = new Set<string>([...profiles.keys(), ...attached.keys()]);
  for (const svc of model.services) {
    const host = `${svc.ref.name}.${svc.ref.namespace}.svc.${model.settings.clusterDomain}`;
    if (prefixed(svc, RETRY_PREFIX).length || prefixed(svc, TIMEOUT_PREFIX).length) hosts.add(host);
  }
  for (const host of hosts) {
    const svc = model.serviceFor(host);
    const profile = profiles.get(host)?.[0];
    const routeObjects = attached.get(host) ?? [];
    if (profile) {
      for (const r of serviceProfileRoutes(model, profile)) routes.push(r);
      const why = `ServiceProfile ${profile.ref.namespace}/${profile.ref.name} describes ${host}: Linkerd uses its retries and timeouts and ignores retry and timeout annotations for this Service (Linkerd 2.16 retries and timeouts references)`;
      const hint = 'move the policy into the ServiceProfile (routes[].isRetryable, routes[].timeout, retryBudget), or delete the ServiceProfile to use the annotations';
      for (const o of [...(svc ? [svc] : []), ...routeObjects.map((r) => r.object)]) {
        for (const key of [...prefixed(o, RETRY_PREFIX), ...prefixed(o, TIMEOUT_PREFIX)]) ignored.push({ field: key, value: annotationsOf(o.raw)[key], at: { object: o, path: annotationPath(key) }, reason: why, hint });
      }
      continue;
    }
    if (routeObjects.length) {
      for (const r of routeObjects) for (const route of routeRules(model, r, svc, ignored)) routes.push(route);
      continue;
    }
    // A Service's retry.linkerd.io / timeout.linkerd.io annotations are Linkerd configuration by themselves.
    if (svc) routes.push(serviceRoute(svc, host));
  }
  return { routes, ignored };
}

/**
 * HTTPRoutes and GRPCRoutes by the host they attach to: the Linkerd Service of a `parentRefs` entry of kind
 * Service, or, for a parent of kind `EgressNetwork` (policy.linkerd.io, Linkerd 2.18+), each of the route's
 * `hostnames` (the external hosts whose traffic it describes; {@link egressHost} when it names none).
 */
function attachedRoutes(model: MeshModel): Map<string, AttachedRoute[]> {
  const out = new Map<string, AttachedRoute[]>();
  const add = (host: string, route: AttachedRoute) => {
    const list = out.get(host) ?? [];
    list.push(route);
    out.set(host, list);
  };
  const candidates = [...model.linkerd.filter((o) => o.ref.kind === 'HTTPRoute' || o.ref.kind === 'GRPCRoute'), ...model.gatewayApi.filter((o) => o.ref.kind === 'HTTPRoute' || o.ref.kind === 'GRPCRoute')];
  for (const object of candidates) {
    for (const ref of asArray(dig(object.raw, 'spec', 'parentRefs'))) {
      const kind = asString(dig(ref, 'kind'));
      const group = asString(dig(ref, 'group')) ?? '';
      const name = asString(dig(ref, 'name'));
      const namespace = asString(dig(ref, 'namespace')) ?? object.ref.namespace;
      const port = asNumber(dig(ref, 'port'));
      if (kind === 'EgressNetwork' && group === 'policy.linkerd.io' && name) {
        const hostnames = asArray(dig(object.raw, 'spec', 'hostnames')).map(asString).filter((h): h is string => h !== undefined && h !== '');
        for (const host of hostnames.length ? hostnames : [egressHost(namespace, name)]) add(host, { object, host, port });
        continue;
      }
      if (kind !== 'Service' || (group !== '' && group !== 'core') || !name) continue;
      const host = `${name}.${namespace}.svc.${model.settings.clusterDomain}`;
      if (object.group !== 'policy.linkerd.io' && !isLinkerdService(model, host)) continue;
      add(host, { object, host, port });
    }
  }
  return out;
}

/**
 * The destination name of a route on EgressNetwork `namespace/name` that lists no `hostnames`: its traffic is any
 * request to an address of the network's `networks[].cidr` (linkerd/linkerd2 `charts/linkerd-crds/templates/policy/
 * egress-network.yaml`), all outside the cluster, so a name outside the cluster domain stands for them.
 */
export function egressHost(namespace: string, name: string): string {
  return `egressnetwork/${namespace}/${name}`;
}

/**
 * True when a Gateway API route's Service parent `host` is served by Linkerd: the Istio adapter leaves such
 * parents to this adapter (a workload, and so the Service it backs, is in one mesh).
 */
export function isLinkerdParent(model: MeshModel, host: string): boolean {
  return isLinkerdService(model, host);
}

/** The route the Service's own annotations define for all its traffic. */
function serviceRoute(svc: ManifestObject, host: string): LinkerdRoute {
  const scope = { clientNamespace: svc.ref.namespace, host };
  const retryPolicy = annotationRetryPolicy(svc, { object: svc, path: ['metadata', 'annotations'] }, scope);
  const timeout = annotationTimeout(svc);
  const streamTimeouts = annotationStreamTimeouts(svc);
  return {
    kind: 'Service',
    service: host,
    at: { object: svc, path: ['metadata', 'annotations'] },
    name: svc.ref.name,
    namespace: svc.ref.namespace,
    hosts: [host],
    gateways: ['mesh'],
    backends: [{ host, at: { object: svc, path: ['metadata', 'name'] } }],
    mirrors: [],
    ...(retryPolicy ? { retryPolicy } : {}),
    ...(timeout ? { timeout } : {}),
    ...(Object.keys(streamTimeouts).length ? { streamTimeouts } : {}),
  };
}

/** The rules of one attached route, with its (or its Service's) annotations. */
function routeRules(model: MeshModel, attached: AttachedRoute, svc: ManifestObject | undefined, ignored: IgnoredSetting[]): LinkerdRoute[] {
  const { object, host } = attached;
  const ns = object.ref.namespace;
  const grpc = object.ref.kind === 'GRPCRoute';
  const gatewayApi = object.group !== 'policy.linkerd.io';
  // Route annotations override the Service's, per family (retry, timeout).
  const retrySource = prefixed(object, RETRY_PREFIX).length || !svc ? object : svc;
  const timeoutSource = prefixed(object, TIMEOUT_PREFIX).length || !svc ? object : svc;
  const annotated = annotationTimeout(timeoutSource);
  const streamTimeouts = annotationStreamTimeouts(timeoutSource);
  return asArray(dig(object.raw, 'spec', 'rules')).map((raw, i): LinkerdRoute => {
    const path: FieldPath = ['spec', 'rules', i];
    const rule = asRecord(raw) ?? {};
    const backends: RouteBackend[] = [];
    const refs = asArray(rule.backendRefs);
    refs.forEach((ref, j) => {
      const name = asString(dig(ref, 'name'));
      const weight = asNumber(dig(ref, 'weight')) ?? 1;
      if (!name || weight === 0 || (asString(dig(ref, 'kind')) ?? 'Service') !== 'Service') return;
      backends.push({ host: `${name}.${asString(dig(ref, 'namespace')) ?? ns}.svc.${model.settings.clusterDomain}`, port: asNumber(dig(ref, 'port')), ...(refs.length > 1 ? { weight } : {}), at: { object, path: [...path, 'backendRefs', j, 'name'] } });
    });
    if (!backends.length) backends.push({ host, ...(attached.port !== undefined ? { port: attached.port } : {}), at: { object, path } });
    const retryPolicy: RetryPolicy | undefined = annotationRetryPolicy(retrySource, { object, path }, { clientNamespace: ns, host }, grpc);
    const { timeout, unapplied } = ruleTimeouts(object, path, rule, annotated, ignored);
    if (gatewayApi) {
      const reason = `Linkerd does not read ${object.ref.kind} rules[].%s (policy-controller outbound/index/http.rs, convert_gateway_rule): its client proxies use the retry.linkerd.io and timeout.linkerd.io annotations`;
      if (rule.retry !== undefined) ignored.push({ field: 'retry', value: rule.retry, at: { object, path: [...path, 'retry'] }, reason: reason.replace('%s', 'retry'), hint: 'use retry.linkerd.io/http (or /grpc) and retry.linkerd.io/limit annotations on the route or its Service' });
      if (rule.timeouts !== undefined) ignored.push({ field: 'timeouts', value: rule.timeouts, at: { object, path: [...path, 'timeouts'] }, reason: reason.replace('%s', 'timeouts'), hint: 'use the timeout.linkerd.io/request annotation on the route or its Service' });
    }
    const ruleStreamTimeouts = unapplied.length ? { ...streamTimeouts, unapplied } : streamTimeouts;
    return {
      kind: grpc ? 'GRPCRoute' : 'HTTPRoute',
      service: host,
      ...(attached.port !== undefined ? { port: attached.port } : {}),
      at: { object, path },
      ...(typeof rule.name === 'string' ? { name: rule.name } : {}),
      namespace: ns,
      hosts: [host],
      gateways: ['mesh'],
      ...(attached.port !== undefined ? { matchPort: attached.port } : {}),
      backends,
      mirrors: [],
      ...(retryPolicy ? { retryPolicy } : {}),
      ...(timeout ? { timeout } : {}),
      ...(Object.keys(ruleStreamTimeouts).length ? { streamTimeouts: ruleStreamTimeouts } : {}),
      // gRPC requests are all POSTs: a GRPCRoute's matches name gRPC methods, not HTTP ones.
      ...(grpc ? {} : routeMatchLimits(rule.matches, httpRouteMatch, { object, path: [...path, 'matches'] })),
    };
  });
}

/**
 * The request timeout (seconds) one route rule gets from its `timeouts` field, and the timeout fields the client
 * proxy does not apply, as Linkerd 2.16+ reads them (linkerd/linkerd2 `policy-controller/k8s/index/src/outbound/
 * index/http.rs`; Linkerd 2.16 timeouts reference):
 * - a `policy.linkerd.io` HTTPRoute's `timeouts.request` is the route's request timeout unless a
 *   `timeout.linkerd.io/request` annotation is in force (`annotated`), which takes priority (`convert_linkerd_rule`);
 *   `0s` means no timeout (GEP-1742);
 * - its `timeouts.backendRequest` is not read: the policy controller's route timeouts are request, response and idle
 *   only (Linkerd 2.14 and 2.15 applied it per backend request; 2.16 moved timeouts to annotations);
 * - a Gateway API route's `timeouts` are not read at all (`convert_gateway_rule`): the caller records the field.
 * Each unread non-zero field is returned in `unapplied` (for explain); those of a `policy.linkerd.io` route are also
 * pushed to `ignored` (for `setting-ignored`).
 */
function ruleTimeouts(object: ManifestObject, path: FieldPath, rule: Record<string, unknown>, annotated: Sourced<number> | undefined, ignored: IgnoredSetting[]): { timeout: Sourced<number> | undefined; unapplied: UnappliedTimeout[] } {
  const gatewayApi = object.group !== 'policy.linkerd.io';
  const unapplied: UnappliedTimeout[] = [];
  const field = (name: 'request' | 'backendRequest'): Sourced<number> | undefined => {
    const value = parseDurationSeconds(dig(rule, 'timeouts', name));
    return value !== undefined && value > 0 ? { value, object, path: [...path, 'timeouts', name] } : undefined;
  };
  const request = field('request');
  const backendRequest = field('backendRequest');
  if (gatewayApi) {
    const reason = `Linkerd does not read ${object.ref.kind} rules[].timeouts (policy-controller outbound/index/http.rs, convert_gateway_rule)`;
    for (const t of [request, backendRequest]) if (t) unapplied.push({ timeout: t, reason });
    return { timeout: annotated, unapplied };
  }
  if (request && annotated) {
    const reason = `timeout.linkerd.io/request (${annotated.value}s, on ${annotated.object.ref.kind} ${annotated.object.ref.name}) takes priority over the HTTPRoute's timeouts.request (Linkerd 2.16 timeouts reference; policy-controller outbound/index/http.rs, convert_linkerd_rule)`;
    unapplied.push({ timeout: request, reason });
    ignored.push({ field: 'timeouts.request', value: dig(rule, 'timeouts', 'request'), at: { object, path: request.path }, reason, hint: 'delete one of the two so the configuration says which request timeout applies' });
  }
  if (backendRequest) {
    const reason = 'Linkerd 2.16+ does not read timeouts.backendRequest: its route timeouts are timeouts.request and the timeout.linkerd.io/request, /response and /idle annotations (policy-controller outbound/index/http.rs, convert_linkerd_rule; Linkerd 2.16 timeouts reference)';
    unapplied.push({ timeout: backendRequest, reason });
    ignored.push({ field: 'timeouts.backendRequest', value: dig(rule, 'timeouts', 'backendRequest'), at: { object, path: backendRequest.path }, reason, hint: 'for a bound on each try, retried, use retry.linkerd.io/timeout; for one backend response, not retried, use timeout.linkerd.io/response' });
  }
  return { timeout: annotated ?? request, unapplied };
}
