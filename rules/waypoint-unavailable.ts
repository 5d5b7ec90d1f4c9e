import { defineRule } from '../src/rules/engine.js';

/**
 * An `istio.io/use-waypoint` label whose waypoint cannot take the traffic: the Gateway it names does not exist
 * (read from a cluster: istiod reports WaypointIsNotReady) or is not in the input, its `istio.io/waypoint-for`
 * does not take this kind of traffic, or its HBONE listener's `allowedRoutes` does not admit the namespace.
 * Istio then binds no waypoint (istio/istio `pilot/pkg/serviceregistry/kube/controller/ambient/waypoints.go`):
 * ztunnel carries the traffic L4 only, and the routes and DestinationRule settings meant for the waypoint do nothing.
 */
export default defineRule({
  meta: {
    id: 'waypoint-unavailable',
    code: 'MSH113',
    family: 'config',
    description: 'An istio.io/use-waypoint label names a waypoint that is missing or cannot take the traffic: ztunnel carries it L4 only',
    defaultSeverity: 'warn',
    docs: 'docs/rules/waypoint-unavailable.md',
    inputs: ['Namespace', 'Service', 'ServiceEntry', 'Deployment', 'Gateway', 'GatewayClass'],
    defaultOptions: {},
    fixable: false,
  },
  create(context) {
    return {
      WaypointBinding(binding) {
        if (binding.status === 'ok' || binding.status === 'none') return;
        const ref = `${binding.namespace}/${binding.name}`;
        const l4 = binding.traffic === 'service' ? 'traffic to it goes through ztunnel L4 only: no route retries, no DestinationRule connectionPool' : 'traffic addressed to these pods goes through ztunnel L4 only';
        const missing = binding.status === 'missing' || binding.status === 'not-in-input';
        context.report({
          object: binding.at.object,
          path: binding.at.path,
          value: ref,
          // A waypoint absent from a partial input (a pre-commit run over one directory) may exist in the cluster.
          ...(binding.status === 'not-in-input' ? { severity: 'info' as const } : {}),
          message: missing
            ? `waypoint ${ref} ${binding.status === 'missing' ? 'does not exist' : 'is not in the input'}: ${binding.status === 'missing' ? 'istiod binds no waypoint (WaypointIsNotReady), so ' : 'if it does not exist, '}${l4}`
            : `${binding.reason}: ${l4}`,
          hint: missing
            ? `create a Gateway ${ref} with gatewayClassName: istio-waypoint (istioctl waypoint apply), or fix the label`
            : binding.status === 'wrong-traffic'
              ? `label the waypoint Gateway istio.io/waypoint-for: ${binding.traffic === 'service' ? 'service' : 'workload'} (or all)`
              : `allow namespace ${binding.owner.ref.kind === 'Namespace' ? binding.owner.ref.name : binding.owner.ref.namespace} in the waypoint's HBONE listener (allowedRoutes.namespaces.from: All or Selector)`,
        });
      },
    };
  },
});
