import { defineRule } from '../src/rules/engine.js';

/**
 * An HTTPRoute or GRPCRoute attached to a Gateway whose class another controller implements (Envoy Gateway,
 * Contour, a cloud load balancer, …): that implementation's retries and connection pools are not Istio's, and
 * meshlint models Istio's only. One finding per parentRef, at the parentRef; the route gets no rows through it
 * (`adapters/gateway-api/attachment.ts` decides who implements a class).
 */
export default defineRule({
  meta: {
    id: 'gateway-unmodelled',
    code: 'MSH115',
    family: 'config',
    description: 'A Gateway API route attached to a Gateway of another implementation: meshlint does not model its retries or connection pools',
    defaultSeverity: 'info',
    docs: 'docs/rules/gateway-unmodelled.md',
    inputs: ['HTTPRoute', 'GRPCRoute', 'Gateway', 'GatewayClass'],
    defaultOptions: {},
  },
  create(context) {
    return {
      TrafficRoute(route) {
        for (const n of route.notApplied ?? []) {
          if (!n.unmodelled) continue;
          context.report({ object: n.at.object, path: n.at.path, value: n.condition, message: n.message, hint: "check that implementation's retry and connection-pool settings by hand; only routes on Istio's gateways and mesh Services get connection figures" });
        }
      },
    };
  },
});
