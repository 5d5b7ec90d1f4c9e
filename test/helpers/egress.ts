/**
 * YAML of Istio's egress-gateway pattern for rule tests: clients in `shop` call api.example.com; a
 * VirtualService sends mesh traffic to istio-egressgateway.istio-system, and a gateway-bound VirtualService
 * sends it on to the external host. `drs` are extra documents (DestinationRules) appended.
 */
export function egressGatewayYaml(...drs: string[]): string {
  const docs = [
    `apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata:
  name: api
  namespace: shop
spec:
  hosts: [api.example.com]
  location: MESH_EXTERNAL
  resolution: DNS
  ports:
  - number: 80
    name: http
    protocol: HTTP
`,
    `apiVersion: networking.istio.io/v1
kind: VirtualService
metadata:
  name: via-egress
  namespace: shop
spec:
  hosts: [api.example.com]
  http:
  - retries:
      attempts: 1
    route:
    - destination:
        host: istio-egressgateway.istio-system.svc.cluster.local
`,
    `apiVersion: networking.istio.io/v1
kind: VirtualService
metadata:
  name: egress-out
  namespace: istio-system
spec:
  hosts: [api.example.com]
  gateways: [istio-egressgateway]
  http:
  - retries:
      attempts: 1
    route:
    - destination:
        host: api.example.com
`,
    `apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata:
  name: to-gateway
  namespace: shop
spec:
  host: istio-egressgateway.istio-system.svc.cluster.local
  trafficPolicy:
    connectionPool:
      tcp:
        maxConnections: 100
`,
    ...drs,
  ];
  return docs.join('---\n');
}

/** A DestinationRule for api.example.com in `namespace` with `policy` (indented under `spec:`). */
export function apiDestinationRule(namespace: string, policy: string, exportTo?: string): string {
  return `apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata:
  name: api
  namespace: ${namespace}
spec:
  host: api.example.com
${exportTo ? `  exportTo: ["${exportTo}"]\n` : ''}${policy}`;
}
