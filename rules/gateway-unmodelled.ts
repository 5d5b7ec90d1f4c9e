import { defineRule } from '../src/rules/engine.js';

/**
 * An HTTPRoute or GRPCRoute attached to a Gateway whose class another controller implements (Envoy Gateway,
 * Contour, a cloud load balancer, …): that implementation's retries and connection pools are not Istio's, and
 * meshlint models Istio's only. One finding per parentRef, at the parentRef; the route gets no rows through it
 * (`adapters/gateway-api/attachment.ts` decides who implements a class). Also each ambient multi-network Gateway
 * (class `istio-east-west` or `istio-remote`), at its `gatewayClassName`: cross-network traffic through it is not
 * modelled (rows take every destination as in the client's network).
 */
export default defineRule({
  meta: {
    id: 'gateway-unmodelled',
    code: 'MSH115',
    family: 'config',
    description: 'A Gateway API route attached to a Gateway of another implementation, or an ambient east-west gateway: meshlint does not model that proxy',
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
      end() {
        for (const gateway of context.mesh.multiNetworkGateways()) {
          context.report({
            object: gateway.object,
            path: ['spec', 'gatewayClassName'],
            value: gateway.className,
            message: `Gateway ${gateway.key} is ${gateway.role === 'east-west' ? "this network's east-west gateway" : "another network's east-west gateway"} (class ${gateway.className}): traffic between networks through it is not modelled. Rows take every destination as in the client's network; the client's ztunnel reaches a remote network's east-west gateway over pooled HBONE (port 15008) as it reaches a local ztunnel, so the client pod's figures hold, but what the east-west gateway and the remote pods spend is not counted`,
            hint: "run meshlint on the other network's manifests for its side of the traffic; this report covers the client side",
          });
        }
      },
    };
  },
});
