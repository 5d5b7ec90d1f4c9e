import { ambientReviews, destinationRule, HTTP_80, serviceEntry, TLS_443, type ServiceEntryPort } from '../helpers/manifests.js';
import { ruleTester } from '../helpers/rule-tester.js';
import { gatewayRouteOnLinkerdService, linkerdService, serviceProfile } from '../helpers/linkerd.js';

const se = (ports: readonly ServiceEntryPort[]) => `${serviceEntry('api', { ports })}---\n`;
/** DestinationRule api for api.example.com with `http` (8-space indent) under `connectionPool.http`: its first line is line 11. */
const dr = (http: string) => destinationRule('api', { host: 'api.example.com', pool: `      http:\n${http}` });

const ambient = (nsLabels: string, route: string) => ambientReviews(nsLabels, route);
const VS_RETRIES = 'apiVersion: networking.istio.io/v1\nkind: VirtualService\nmetadata: { name: reviews, namespace: shop }\nspec:\n  hosts: [reviews]\n  http:\n  - route: [{ destination: { host: reviews } }]\n    retries: { attempts: 3 }\n';
const httpRoute = (retry: string) => `apiVersion: gateway.networking.k8s.io/v1\nkind: HTTPRoute\nmetadata: { name: reviews, namespace: shop }\nspec:\n  parentRefs: [{ group: "", kind: Service, name: reviews, port: 9080 }]\n  rules:\n  - backendRefs: [{ name: reviews, port: 9080 }]\n${retry}`;
const WAYPOINT_GW = '---\napiVersion: gateway.networking.k8s.io/v1\nkind: Gateway\nmetadata: { name: waypoint, namespace: shop }\nspec:\n  gatewayClassName: istio-waypoint\n  listeners: [{ name: mesh, port: 15008, protocol: HBONE }]\n';

ruleTester('setting-ignored', {
  valid: [
    { name: 'ambient with a waypoint: the waypoint applies the VirtualService retries', yaml: ambient(', istio.io/use-waypoint: waypoint', VS_RETRIES) + WAYPOINT_GW },
    { name: 'ambient without a waypoint, no retries written: the mesh default is nobody\'s setting', yaml: ambient('', httpRoute('')) },
    { name: 'near miss: a sidecar namespace applies the retries', yaml: ambient('', VS_RETRIES).replace('istio.io/dataplane-mode: ambient', 'istio-injection: enabled') },
    { name: 'Linkerd: annotations without a ServiceProfile are in force', yaml: linkerdService('{ retry.linkerd.io/http: 5xx, retry.linkerd.io/timeout: 1s }') },
    { name: 'Linkerd: near miss, a ServiceProfile for another Service', yaml: linkerdService('{ retry.linkerd.io/http: 5xx, retry.linkerd.io/timeout: 1s }', 'ledger') + '---\n' + serviceProfile('  routes: []\n') },
    { name: 'HTTP port: the setting applies', yaml: se([HTTP_80]) + dr('        maxRequestsPerConnection: 1\n') },
    { name: 'near miss: one HTTP and one TLS port, the top level works on the HTTP one', yaml: se([HTTP_80, TLS_443]) + dr('        maxRequestsPerConnection: 1\n') },
    { name: 'no ports declared: HTTP assumed (sniffed)', yaml: dr('        idleTimeout: 5s\n') },
    { name: 'tcp settings on a TLS port apply', yaml: se([TLS_443]) + dr('        {}\n').replace('      http:\n        {}\n', '      tcp:\n        maxConnections: 10\n') },
  ],
  invalid: [
    { name: 'ambient without a waypoint: VirtualService retries.attempts do nothing', yaml: ambient('', VS_RETRIES), errors: [{ line: 17, message: /^ignored: retries\.attempts: 3 has no effect: no waypoint: ambient L4 only \(ztunnel applies no route retries; no istio\.io\/use-waypoint label on Service shop\/reviews or its namespace\)$/ }] },
    { name: 'ambient without a waypoint: a GAMMA HTTPRoute retry block (2 retries by default) does nothing', yaml: ambient('', httpRoute('    retry: { codes: [503] }\n')), errors: [{ line: 17, message: /^ignored: retry: 2 has no effect: no waypoint/ }] },
    { name: 'near miss: the waypoint label says none', yaml: ambient(', istio.io/use-waypoint: none', VS_RETRIES) + WAYPOINT_GW, errors: [{ line: 17, message: /Namespace shop has istio\.io\/use-waypoint=none/ }] },
    { name: 'Linkerd: retry annotations while a ServiceProfile exists', yaml: linkerdService('{ retry.linkerd.io/http: 5xx, retry.linkerd.io/timeout: 1s }') + '---\n' + serviceProfile('  routes: []\n'), errors: [{ line: 3, message: /^ignored: retry\.linkerd\.io\/http: "5xx" has no effect: ServiceProfile shop\/payments/ }, { line: 3, message: /retry\.linkerd\.io\/timeout/ }] },
    { name: 'Linkerd: Gateway API retry on a Linkerd Service route', yaml: gatewayRouteOnLinkerdService('retry: { attempts: 2 }'), errors: [{ line: 11, message: /^ignored: retry: \{"attempts":2\} has no effect: Linkerd does not read HTTPRoute rules\[\]\.retry/ }] },
    { name: 'TLS port only', yaml: se([TLS_443]) + dr('        maxRequestsPerConnection: 1\n'), errors: [{ line: 25, column: 9, severity: 'warn', message: /^ignored: http\.maxRequestsPerConnection: 1 \(top level\) has no effect: port 443 is TLS/ }] },
    { name: 'every HTTP field is reported, each once', yaml: se([TLS_443]) + dr('        idleTimeout: 5s\n        h2UpgradePolicy: UPGRADE\n'), errors: [{ line: 25, message: /http\.idleTimeout: 5/ }, { line: 26, message: /h2UpgradePolicy: "UPGRADE"/ }] },
    {
      name: 'a port-level setting for the TLS port of a host that also has HTTP',
      yaml: se([HTTP_80, TLS_443]) + dr('        maxRequestsPerConnection: 100\n') + '    portLevelSettings:\n    - port:\n        number: 443\n      connectionPool:\n        http:\n          maxRequestsPerConnection: 1\n',
      errors: [{ line: 34, message: /\(top level, port 443\).*port 443 is TLS/ }],
    },
    {
      name: 'a Service port named tls',
      yaml: 'apiVersion: v1\nkind: Service\nmetadata:\n  name: db\n  namespace: shop\nspec:\n  ports:\n  - name: tls-db\n    port: 5432\n---\n' + dr('        maxRequestsPerConnection: 1\n').replace('api.example.com', 'db'),
      errors: [{ line: 21, message: /port 5432 is TLS/ }],
    },
  ],
});
