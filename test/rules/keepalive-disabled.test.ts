import { destinationRule } from '../helpers/manifests.js';
import { ruleTester } from '../helpers/rule-tester.js';

/** DestinationRule ext for api.example.com with `pool` under `connectionPool` (from line 10), then `extra`. */
const dr = (pool: string, extra = '') => destinationRule('ext', { host: 'api.example.com', pool, tail: extra });

/** The istio ConfigMap with a mesh-wide defaultTrafficPolicy of `maxRequestsPerConnection: 1` (findings point at its `mesh` key, line 7). */
const meshDefault = `apiVersion: v1
kind: ConfigMap
metadata:
  name: istio
  namespace: istio-system
data:
  mesh: |
    defaultTrafficPolicy:
      connectionPool:
        http:
          maxRequestsPerConnection: 1
`;

/** A MESH_EXTERNAL ServiceEntry for `hosts` on port 80 HTTP (each host is a route with Istio's default retries). */
const external = (...hosts: string[]) => `apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata:
  name: ext
  namespace: shop
spec:
  hosts: [${hosts.join(', ')}]
  location: MESH_EXTERNAL
  resolution: DNS
  ports: [{ number: 80, name: http, protocol: HTTP }]
`;

/** An in-mesh Service `name` in shop with a mesh VirtualService routing to it. */
const inMesh = (name: string) => `apiVersion: v1
kind: Service
metadata: { name: ${name}, namespace: shop }
spec:
  ports: [{ name: http, port: 80 }]
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: { name: ${name}, namespace: shop }
spec:
  hosts: [${name}]
  http:
  - route: [{ destination: { host: ${name} } }]
`;

ruleTester('keepalive-disabled', {
  valid: [
    { name: 'no connectionPool', yaml: dr('      tcp:\n        maxConnections: 10\n') },
    { name: 'maxRequestsPerConnection 0 (unlimited)', yaml: dr('      http:\n        maxRequestsPerConnection: 0\n') },
    { name: 'near miss: maxRequestsPerConnection 2 is churn, not keep-alive off', yaml: dr('      http:\n        maxRequestsPerConnection: 2\n') },
    { name: 'near miss: maxRetries 1', yaml: dr('      http:\n        maxRetries: 1\n') },
    { name: 'near miss: tcp.maxConnections 1', yaml: dr('      tcp:\n        maxConnections: 1\n') },
    { name: 'not a DestinationRule', yaml: 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\ndata:\n  maxRequestsPerConnection: "1"\n' },
  ],
  invalid: [
    {
      name: 'meshConfig.defaultTrafficPolicy: one finding that names every host it reaches (in-mesh and external)',
      yaml: [meshDefault, inMesh('orders'), external('a.example.com', 'b.example.com')].join('---\n'),
      errors: [{ line: 7, message: /^maxRequestsPerConnection: 1 \(meshConfig\.defaultTrafficPolicy\) disables keep-alive to 3 hosts: (?=.*orders\.shop\.svc\.cluster\.local)(?=.*a\.example\.com)(?=.*b\.example\.com).*; for the external ones \(a\.example\.com, b\.example\.com\), from the node’s shared SNAT ports$/ }],
    },
    {
      name: 'meshConfig.defaultTrafficPolicy over 7 hosts: the first 5, then "and 2 more"',
      yaml: [meshDefault, external('h1.example.com', 'h2.example.com', 'h3.example.com', 'h4.example.com', 'h5.example.com', 'h6.example.com', 'h7.example.com')].join('---\n'),
      errors: [{ line: 7, message: /disables keep-alive to 7 hosts: h1\.example\.com, h2\.example\.com, h3\.example\.com, h4\.example\.com, h5\.example\.com and 2 more: .*, from the node’s shared SNAT ports$/ }],
    },
    {
      name: 'near miss: meshConfig.defaultTrafficPolicy over exactly 5 hosts names all 5, without "more"',
      yaml: [meshDefault, external('h1.example.com', 'h2.example.com', 'h3.example.com', 'h4.example.com', 'h5.example.com')].join('---\n'),
      errors: [{ line: 7, message: /disables keep-alive to 5 hosts: h1\.example\.com, h2\.example\.com, h3\.example\.com, h4\.example\.com, h5\.example\.com: every request/ }],
    },
    {
      name: 'top level, points at the field',
      yaml: dr('      http:\n        maxRequestsPerConnection: 1\n'),
      errors: [{ line: 11, column: 9, message: /disables keep-alive to api\.example\.com.*SNAT/, severity: 'error' }],
    },
    {
      name: 'written as a string still counts (schema-invalid too)',
      yaml: dr('      http:\n        maxRequestsPerConnection: "1"\n'),
      errors: [{ line: 11 }],
    },
    {
      name: 'subset and port level',
      yaml: `apiVersion: networking.istio.io/v1beta1
kind: DestinationRule
metadata:
  name: reviews
  namespace: prod
spec:
  host: reviews
  trafficPolicy:
    portLevelSettings:
    - port:
        number: 9080
      connectionPool:
        http:
          maxRequestsPerConnection: 1
  subsets:
  - name: v2
    labels:
      version: v2
    trafficPolicy:
      connectionPool:
        http:
          maxRequestsPerConnection: 1
`,
      errors: [
        { line: 14, message: /port 9080.*reviews\.prod\.svc\.cluster\.local/ },
        { line: 22, message: /subset v2/ },
      ],
    },
    {
      name: 'v1alpha3 in a kind: List',
      yaml: `apiVersion: v1
kind: List
items:
- apiVersion: networking.istio.io/v1alpha3
  kind: DestinationRule
  metadata:
    name: a
    namespace: shop
  spec:
    host: a
    trafficPolicy:
      connectionPool:
        http:
          maxRequestsPerConnection: 1
`,
      errors: [{ line: 14, column: 11 }],
    },
  ],
});
