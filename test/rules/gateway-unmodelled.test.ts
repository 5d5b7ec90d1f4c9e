import { ruleTester } from '../helpers/rule-tester.js';

const gateway = (name: string, className: string) => `apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: { name: ${name}, namespace: infra }
spec:
  gatewayClassName: ${className}
  listeners: [{ name: http, port: 80, protocol: HTTP }]
---
`;
const route = (kind: string, parent: string) => `apiVersion: gateway.networking.k8s.io/v1
kind: ${kind}
metadata: { name: shop, namespace: infra }
spec:
  parentRefs:
  - name: ${parent}
  rules:
  - backendRefs: [{ name: shop, port: 80 }]
`;
const gatewayClass = (name: string, controller: string) => `apiVersion: gateway.networking.k8s.io/v1
kind: GatewayClass
metadata: { name: ${name} }
spec: { controllerName: ${controller} }
---
`;

ruleTester('gateway-unmodelled', {
  valid: [
    { name: 'a route on an istio Gateway', yaml: gateway('edge', 'istio') + route('HTTPRoute', 'edge') },
    { name: 'near miss: a custom class whose GatewayClass names Istio\'s controller', yaml: gatewayClass('internal', 'istio.io/gateway-controller') + gateway('edge', 'internal') + route('HTTPRoute', 'edge') },
    { name: 'near miss: a Gateway the input does not have (taken as Istio\'s)', yaml: route('HTTPRoute', 'elsewhere') },
    { name: 'a GAMMA route (Service parent)', yaml: `apiVersion: gateway.networking.k8s.io/v1\nkind: HTTPRoute\nmetadata: { name: r, namespace: infra }\nspec:\n  parentRefs: [{ group: "", kind: Service, name: shop, port: 80 }]\n  rules: [{ backendRefs: [{ name: shop, port: 80 }] }]\n` },
    { name: 'near miss: a waypoint Gateway is not a multi-network gateway', yaml: gateway('waypoint', 'istio-waypoint') },
    { name: 'near miss: a waypoint GatewayClass (istio.io/mesh-controller) is Istio\'s, not another implementation', yaml: gatewayClass('istio-waypoint', 'istio.io/mesh-controller') + gateway('waypoint', 'istio-waypoint') + route('HTTPRoute', 'waypoint') },
  ],
  invalid: [
    { name: 'an ambient east-west gateway: cross-network traffic is not modelled', yaml: gateway('eastwest', 'istio-east-west'), errors: [{ line: 5, column: 3, severity: 'info', message: /^Gateway infra\/eastwest is this network's east-west gateway \(class istio-east-west\): traffic between networks through it is not modelled/ }] },
    { name: 'a remote network\'s gateway (istio-remote)', yaml: gateway('remote', 'istio-remote'), errors: [{ line: 5, message: /is another network's east-west gateway \(class istio-remote\)/ }] },
    { name: 'an HTTPRoute on an envoy-gateway Gateway, at its parentRef', yaml: gateway('edge', 'envoy-gateway') + route('HTTPRoute', 'edge'), errors: [{ line: 13, column: 5, severity: 'info', message: /^Gateway infra\/edge is of class envoy-gateway, which another controller implements: meshlint models Istio's gateways only, so this HTTPRoute has no figures through it$/ }] },
    { name: 'a GRPCRoute on a Gateway whose GatewayClass another controller owns (even named istio)', yaml: gatewayClass('istio', 'example.net/gateway-controller') + gateway('edge', 'istio') + route('GRPCRoute', 'edge'), errors: [{ line: 18, message: /this GRPCRoute has no figures/ }] },
  ],
});
