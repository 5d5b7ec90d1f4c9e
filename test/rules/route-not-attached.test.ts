import { ruleTester } from '../helpers/rule-tester.js';

const gateway = (listeners: string) => `apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: { name: ingress, namespace: infra }
spec:
  gatewayClassName: istio
  listeners:
${listeners}---
`;
const route = (kind: string, ns: string, parentRef: string, backend = '{ name: shop, port: 8080 }') => `apiVersion: gateway.networking.k8s.io/v1
kind: ${kind}
metadata: { name: shop, namespace: ${ns} }
spec:
  parentRefs:
  - ${parentRef}
  rules:
  - backendRefs: [${backend}]
`;
const grant = (fromKind: string, fromNs: string, toName?: string) => `---
apiVersion: gateway.networking.k8s.io/v1beta1
kind: ReferenceGrant
metadata: { name: g, namespace: prod }
spec:
  from: [{ group: gateway.networking.k8s.io, kind: ${fromKind}, namespace: ${fromNs} }]
  to: [{ group: "", kind: Service${toName ? `, name: ${toName}` : ''} }]
`;
/** A route on Gateway infra/ingress with `hostnames` (none: no hostnames field). */
const hostRoute = (hostnames: string[]) => `apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: { name: shop, namespace: infra }
spec:
  parentRefs:
  - { name: ingress }
${hostnames.length ? `  hostnames: [${hostnames.join(', ')}]\n` : ''}  rules:
  - backendRefs: [{ name: shop, port: 8080 }]
`;
const WILDCARD_LISTENER = '  - { name: web, port: 80, protocol: HTTP, hostname: "*.example.com" }\n';
const WAYPOINT = `apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: { name: waypoint, namespace: shop }
spec:
  gatewayClassName: istio-waypoint
  listeners:
  - { name: mesh, port: 15008, protocol: HBONE }
---
`;
const HTTP_ALL = '  - { name: http, port: 80, protocol: HTTP, allowedRoutes: { namespaces: { from: All } } }\n';
const MESH_PARENT = '{ group: "", kind: Service, name: web, port: 80 }';

ruleTester('route-not-attached', {
  valid: [
    { name: 'listener allows all namespaces', yaml: gateway(HTTP_ALL) + route('HTTPRoute', 'shop', '{ name: ingress, namespace: infra, sectionName: http }') },
    { name: 'same namespace, default allowedRoutes (Same)', yaml: gateway('  - { name: http, port: 80, protocol: HTTP }\n') + route('HTTPRoute', 'infra', '{ name: ingress }') },
    { name: 'near miss: one of two listeners (HTTPS) accepts the GRPCRoute', yaml: gateway('  - { name: tcp, port: 9000, protocol: TCP }\n  - { name: https, port: 443, protocol: HTTPS, allowedRoutes: { namespaces: { from: All } } }\n') + route('GRPCRoute', 'shop', '{ name: ingress, namespace: infra }') },
    { name: 'cross-namespace backendRef with a ReferenceGrant naming it', yaml: route('HTTPRoute', 'web', MESH_PARENT, '{ name: orders, namespace: prod, port: 8080 }') + grant('HTTPRoute', 'web', 'orders') },
    { name: 'a GRPCRoute backendRef granted for GRPCRoutes', yaml: route('GRPCRoute', 'web', MESH_PARENT, '{ name: orders, namespace: prod, port: 8080 }') + grant('GRPCRoute', 'web') },
    { name: 'listener hostname *.example.com covers the route hostname shop.example.com', yaml: gateway(WILDCARD_LISTENER) + hostRoute(['shop.example.com']) },
    { name: 'a route without hostnames (*) attaches to a listener with a hostname', yaml: gateway(WILDCARD_LISTENER) + hostRoute([]) },
    { name: 'Istio compares strings: *.example.com covers a.b.example.com', yaml: gateway(WILDCARD_LISTENER) + hostRoute(['a.b.example.com']) },
    { name: 'one of two route hostnames overlaps the listener', yaml: gateway(WILDCARD_LISTENER) + hostRoute(['shop.example.org', '"*.example.com"']) },
    { name: 'a listener without hostname takes any route hostname', yaml: gateway('  - { name: web, port: 80, protocol: HTTP }\n') + hostRoute(['shop.example.org']) },
    { name: 'GAMMA: the route on the Service that uses the waypoint is not refused', yaml: WAYPOINT + route('HTTPRoute', 'shop', '{ group: "", kind: Service, name: shop, port: 8080 }') },
  ],
  invalid: [
    { name: 'listener hostname matches none of the route hostnames: NoMatchingListenerHostname', yaml: gateway(WILDCARD_LISTENER) + hostRoute(['shop.example.org']), errors: [{ line: 14, message: /^NoMatchingListenerHostname: Gateway infra\/ingress refuses the HTTPRoute: listener web's hostname \*\.example\.com matches none of the route's hostnames \(shop\.example\.org\)/ }] },
    { name: 'near miss: *.example.com does not cover example.com itself', yaml: gateway(WILDCARD_LISTENER) + hostRoute(['example.com']), errors: [{ line: 14, message: /^NoMatchingListenerHostname/ }] },
    { name: 'hostname refused on one listener, namespace on the other: NotAllowedByListeners', yaml: gateway(WILDCARD_LISTENER + '  - { name: api, port: 8080, protocol: HTTP }\n') + route('HTTPRoute', 'shop', '{ name: ingress, namespace: infra }').replace('  rules:', '  hostnames: [shop.example.org]\n  rules:'), errors: [{ line: 15, message: /^NotAllowedByListeners: .*listener web's hostname.*listener api allows routes from its own namespace/ }] },
    { name: 'an HTTPRoute parented on a waypoint Gateway: its HBONE listener takes no routes', yaml: WAYPOINT + route('HTTPRoute', 'shop', '{ group: gateway.networking.k8s.io, kind: Gateway, name: waypoint }'), errors: [{ line: 14, message: /^NotAllowedByListeners: Gateway shop\/waypoint is a waypoint \(class istio-waypoint\): its HBONE listener takes no HTTPRoute/ }] },
    { name: 'near miss: a waypoint of a custom class whose GatewayClass is istio.io/mesh-controller', yaml: WAYPOINT.replace('istio-waypoint', 'tenant-waypoint') + 'apiVersion: gateway.networking.k8s.io/v1\nkind: GatewayClass\nmetadata: { name: tenant-waypoint }\nspec: { controllerName: istio.io/mesh-controller }\n---\n' + route('HTTPRoute', 'shop', '{ name: waypoint }'), errors: [{ line: 19, message: /is a waypoint \(class tenant-waypoint\)/ }] },
    { name: 'no ReferenceGrant: RefNotPermitted at the backendRef', yaml: route('HTTPRoute', 'web', MESH_PARENT, '{ name: orders, namespace: prod, port: 8080 }'), errors: [{ line: 8, message: /^RefNotPermitted: backendRef orders\/prod not accessible to a HTTPRoute in namespace "web": no ReferenceGrant in prod allows HTTPRoutes from web to Service orders; Istio does not send to this backend/ }] },
    { name: 'near miss: the grant names another Service', yaml: route('HTTPRoute', 'web', MESH_PARENT, '{ name: orders, namespace: prod, port: 8080 }') + grant('HTTPRoute', 'web', 'payments'), errors: [{ line: 8, message: /^RefNotPermitted/ }] },
    { name: 'near miss: the grant is for HTTPRoutes, the route is a GRPCRoute', yaml: route('GRPCRoute', 'web', MESH_PARENT, '{ name: orders, namespace: prod, port: 8080 }') + grant('HTTPRoute', 'web'), errors: [{ line: 8, message: /a GRPCRoute in namespace "web"/ }] },
    { name: 'sectionName with no such listener: NoMatchingParent', yaml: gateway(HTTP_ALL) + route('HTTPRoute', 'shop', '{ name: ingress, namespace: infra, sectionName: https }'), errors: [{ line: 14, message: /^NoMatchingParent: Gateway infra\/ingress has no listener sectionName https; Istio does not attach the route to this parent$/ }] },
    { name: 'default allowedRoutes (Same) refuses another namespace', yaml: gateway('  - { name: http, port: 80, protocol: HTTP }\n') + route('HTTPRoute', 'shop', '{ name: ingress, namespace: infra }'), errors: [{ line: 14, message: /^NotAllowedByListeners: .*allowedRoutes.namespaces.from: Same/ }] },
    { name: 'allowedRoutes.kinds lists only GRPCRoute', yaml: gateway('  - { name: http, port: 80, protocol: HTTP, allowedRoutes: { kinds: [{ kind: GRPCRoute }], namespaces: { from: All } } }\n') + route('HTTPRoute', 'shop', '{ name: ingress, namespace: infra }'), errors: [{ line: 14, message: /listener http allows only GRPCRoute/ }] },
    { name: 'a TCP listener does not take HTTPRoutes', yaml: gateway('  - { name: tcp, port: 80, protocol: TCP, allowedRoutes: { namespaces: { from: All } } }\n') + route('HTTPRoute', 'shop', '{ name: ingress, namespace: infra, port: 80 }'), errors: [{ line: 14, message: /listener tcp is TCP/ }] },
  ],
});
