/**
 * Istio adapter: VirtualService `spec.http[i]` → {@link TrafficRoute}, extracted once per model (istio/api
 * `networking/v1alpha3/virtual_service.proto`: `HTTPRoute.route[].destination` {host, subset, port}, `weight`,
 * `mirror` + `mirrorPercentage` and `mirrors[]` {destination, percentage}, `retries`, `timeout`, `fault`,
 * `redirect`, `directResponse`; `HTTPMatchRequest.port`, `HTTPMatchRequest.gateways`).
 */
import type { ManifestObject } from '../../../load/objects.js';
import type { FieldPath } from '../../../types.js';
import { httpRouteGateways, type MeshModel } from '../../mesh.js';
import type { RouteBackend, RouteMirror, TrafficRoute } from '../../traffic.js';
import { asArray, asNumber, asRecord, asString, dig, parseDurationSeconds } from '../../values.js';
import { retryPolicyOf } from './retries.js';
import { routeMatchLimits, virtualServiceMatch } from '../../route-matches.js';

const routeCache = new WeakMap<MeshModel, Map<ManifestObject, TrafficRoute[]>>();

/** The HTTP routes of one VirtualService, in `spec.http` order (kept per model: asked by the multiplier and by rules). */
export function httpRoutesOf(model: MeshModel, vs: ManifestObject): readonly TrafficRoute[] {
  let byObject = routeCache.get(model);
  if (!byObject) routeCache.set(model, (byObject = new Map()));
  let routes = byObject.get(vs);
  if (!routes) byObject.set(vs, (routes = extract(model, vs)));
  return routes;
}

/** Every HTTP route of every VirtualService of the model, in input order. */
export function allHttpRoutes(model: MeshModel): TrafficRoute[] {
  return model.virtualServices.flatMap((vs) => httpRoutesOf(model, vs));
}

function extract(model: MeshModel, vs: ManifestObject): TrafficRoute[] {
  const ns = vs.ref.namespace;
  const hosts = asArray(dig(vs.raw, 'spec', 'hosts')).filter((h): h is string => typeof h === 'string').map((h) => model.resolve(h, ns));
  const callHost = hosts.find((h) => !h.startsWith('*')) ?? hosts[0] ?? '';
  return asArray(dig(vs.raw, 'spec', 'http')).map((raw, i) => {
    const path: FieldPath = ['spec', 'http', i];
    const route = asRecord(raw) ?? {};
    const matchPorts = asArray(route.match).map((m) => asNumber(dig(m, 'port')));
    const matchPort = matchPorts.length && matchPorts.every((p) => p !== undefined && p === matchPorts[0]) ? matchPorts[0] : undefined;
    const backends: RouteBackend[] = [];
    asArray(route.route).forEach((dest, j) => {
      const host = asString(dig(dest, 'destination', 'host'));
      if (!host) return;
      backends.push({
        host: model.resolve(host, ns),
        subset: asString(dig(dest, 'destination', 'subset')),
        port: asNumber(dig(dest, 'destination', 'port', 'number')),
        weight: asNumber(dig(dest, 'weight')),
        at: { object: vs, path: [...path, 'route', j, 'destination', 'host'] },
      });
    });
    const mirrors: RouteMirror[] = [];
    const single = asString(dig(route, 'mirror', 'host'));
    if (single) {
      mirrors.push({ host: model.resolve(single, ns), subset: asString(dig(route, 'mirror', 'subset')), port: asNumber(dig(route, 'mirror', 'port', 'number')), percentage: asNumber(dig(route, 'mirrorPercentage', 'value')) ?? 100, at: { object: vs, path: [...path, 'mirror'] } });
    }
    asArray(route.mirrors).forEach((m, j) => {
      const host = asString(dig(m, 'destination', 'host'));
      if (!host) return;
      mirrors.push({ host: model.resolve(host, ns), subset: asString(dig(m, 'destination', 'subset')), port: asNumber(dig(m, 'destination', 'port', 'number')), percentage: asNumber(dig(m, 'percentage', 'value')) ?? 100, at: { object: vs, path: [...path, 'mirrors', j] } });
    });
    const upstream = route.redirect === undefined && route.directResponse === undefined;
    const timeout = parseDurationSeconds(route.timeout);
    return {
      at: { object: vs, path },
      ...(typeof route.name === 'string' ? { name: route.name } : {}),
      namespace: ns,
      hosts,
      gateways: httpRouteGateways(vs, route),
      matchPort,
      backends,
      mirrors,
      ...(upstream ? { retryPolicy: retryPolicyOf(model, vs, path, { clientNamespace: ns, host: callHost }) } : {}),
      ...(timeout !== undefined ? { timeout: { value: timeout, object: vs, path: [...path, 'timeout'] } } : {}),
      ...routeMatchLimits(route.match, virtualServiceMatch, { object: vs, path: [...path, 'match'] }),
    };
  });
}
