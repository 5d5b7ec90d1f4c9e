import { defineRule } from '../src/rules/engine.js';

/**
 * A Gateway API route reference Istio refuses, so that part of the route carries no traffic: a backendRef (or
 * RequestMirror backendRef) to another namespace that no ReferenceGrant allows (`RefNotPermitted`), or a
 * parentRef to an Istio Gateway with no listener of that name or port (`NoMatchingParent`), whose listeners'
 * `hostname`s match none of the route's `hostnames` (`NoMatchingListenerHostname`), or whose listeners all
 * refuse the route (`NotAllowedByListeners`: protocol, `allowedRoutes.kinds`, `allowedRoutes.namespaces`; a
 * waypoint's or east-west gateway's HBONE listener takes no routes at all).
 * Istio's conditions and their checks: istio/istio `pilot/pkg/config/kube/gateway/conversion.go`; the records
 * come from `adapters/gateway-api/attachment.ts`.
 */
/** What to change, per Istio condition reason (the default: a listener that exists and allows the route). */
const HINTS: Record<string, string> = {
  RefNotPermitted: "add a ReferenceGrant in the backend's namespace whose from names this route's kind and namespace and whose to names the backend's kind",
  NoMatchingListenerHostname: "give the route a hostname the listener's hostname covers (spec.hostnames), or widen the listener's hostname",
};

export default defineRule({
  meta: {
    id: 'route-not-attached',
    code: 'MSH116',
    family: 'config',
    description: 'A Gateway API route reference Istio refuses (no ReferenceGrant, no matching or accepting listener): that part of the route carries no traffic',
    defaultSeverity: 'warn',
    docs: 'docs/rules/route-not-attached.md',
    inputs: ['HTTPRoute', 'GRPCRoute', 'Gateway', 'ReferenceGrant'],
    defaultOptions: {},
  },
  create(context) {
    return {
      TrafficRoute(route) {
        for (const n of route.notApplied ?? []) {
          if (n.unmodelled) continue;
          context.report({
            object: n.at.object,
            path: n.at.path,
            value: n.condition,
            message: `${n.condition}: ${n.message}; Istio does not ${n.condition === 'RefNotPermitted' ? 'send to this backend (its share of requests fails)' : 'attach the route to this parent'}`,
            hint: n.hint ?? HINTS[n.condition] ?? "name a listener that exists (sectionName, port) and allows this route's kind and namespace (allowedRoutes)",
          });
        }
      },
    };
  },
});
