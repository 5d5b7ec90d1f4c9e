import { HTTP_80, routedService, serviceEntry, TLS_443, virtualService } from '../helpers/manifests.js';
import { ruleTester } from '../helpers/rule-tester.js';
import { meshRoute } from '../helpers/gateway-api.js';
import { linkerdService, serviceProfile } from '../helpers/linkerd.js';

/** The external host api.pay.example (MESH_EXTERNAL by default) with an HTTP port 80 and a TLS port 443: 16 lines. */
const ENTRY = serviceEntry('pay', { host: 'api.pay.example', ports: [HTTP_80, TLS_443] });

/** A VirtualService for the external host with `retries` (YAML flow mapping) on its only route; line 27 of ENTRY + route is the route. */
const route = (retries: string) => `---\n${virtualService('pay', { host: 'api.pay.example', port: 80, routeLines: retries ? `    ${retries}\n` : '' })}`;

const dr = (trafficPolicy: string) => `---
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: { name: pay, namespace: shop }
spec:
  host: api.pay.example
  trafficPolicy: ${trafficPolicy}
`;

const INTERNAL = routedService('reviews', { routeLines: '    retries: { attempts: 3 }\n' });

/** A MESH_EXTERNAL ServiceEntry for api.example.com:80 (14 lines with `---`), for an HTTPRoute backendRef to it by `kind: Hostname`. */
const EXTERNAL_SE = `${serviceEntry('api')}---\n`;
/** The route attaches to the ServiceEntry (Istio's egress pattern), so the entry's default route does not apply beside it. */
const SE_PARENT: [string, string, string] = ['networking.istio.io', 'ServiceEntry', 'api'];
const EXTERNAL_BACKEND = 'group: networking.istio.io\n      kind: Hostname\n      name: api.example.com\n      port: 80';

ruleTester('retry-budget-missing', {
  valid: [
    { name: 'Linkerd: annotation retries to an in-mesh host with no rate given', yaml: linkerdService('{ retry.linkerd.io/http: 5xx, retry.linkerd.io/limit: "2" }') },
    { name: 'Linkerd: near miss, 99 requests/s is below highRate', yaml: linkerdService('{ retry.linkerd.io/http: 5xx, retry.linkerd.io/limit: "2" }'), check: { rps: 99 } },
    { name: 'Linkerd: a ServiceProfile budget caps retries at any rate', yaml: serviceProfile('  routes: [{ name: r, condition: { method: GET }, isRetryable: true, timeout: 1s }]\n') + '---\n' + linkerdService('{}'), check: { rps: 1000 } },
    { name: 'trafficPolicy.retryBudget (Istio 1.27+, the default release)', yaml: ENTRY + route('retries: { attempts: 3 }') + dr('{ retryBudget: { percent: 20 } }') },
    { name: 'connectionPool.http.maxRetries', yaml: ENTRY + route('retries: { attempts: 3 }') + dr('{ connectionPool: { http: { maxRetries: 10 } } }') },
    { name: 'maxRetries on Istio 1.23', yaml: ENTRY + route('retries: { attempts: 3 }') + dr('{ connectionPool: { http: { maxRetries: 10 } } }'), check: { istioVersion: '1.23' } },
    { name: 'near miss: attempts 0', yaml: ENTRY + route('retries: { attempts: 0 }') },
    { name: 'near miss: mesh default retries off', yaml: ENTRY + route(''), mesh: { defaultRetryAttempts: 0 } },
    { name: 'near miss: in-mesh host', yaml: INTERNAL },
    { name: 'near miss: the TLS port only (no HTTP retries)', yaml: serviceEntry('pay', { host: 'api.pay.example', ports: [TLS_443] }) },
    { name: 'HTTPRoute to an external Hostname backend with retryBudget (Istio 1.27)', yaml: EXTERNAL_SE + meshRoute('HTTPRoute', '    retry:\n      attempts: 2\n', { backend: EXTERNAL_BACKEND, parent: SE_PARENT }) + '---\napiVersion: networking.istio.io/v1\nkind: DestinationRule\nmetadata: { name: api, namespace: shop }\nspec: { host: api.example.com, trafficPolicy: { retryBudget: { percent: 20 } } }\n', check: { istioVersion: '1.27' } },
    { name: 'near miss: HTTPRoute retry attempts 0 to the external host', yaml: EXTERNAL_SE + meshRoute('HTTPRoute', '    retry:\n      attempts: 0\n', { backend: EXTERNAL_BACKEND, parent: SE_PARENT }) },
  ],
  invalid: [
    { name: 'Linkerd: annotation retries at 100 requests/s (highRate)', yaml: linkerdService('{ retry.linkerd.io/http: 5xx, retry.linkerd.io/limit: "2" }'), check: { rps: 100 }, errors: [{ line: 3, message: /^2 retries per request to payments\.shop\.svc\.cluster\.local:80 at 100 requests\/s with no retry budget/ }] },
    { name: 'Linkerd: highRate option lowered', yaml: linkerdService('{ retry.linkerd.io/http: 5xx }'), check: { rps: 10 }, options: { highRate: 10 }, errors: [{ line: 3, message: /^1 retry per request/ }] },
    { name: 'explicit retries, no cap', yaml: ENTRY + route('retries: { attempts: 3 }'), errors: [{ line: 27, column: 5, severity: 'warn', message: /retries.attempts: 3 to external api.pay.example:80 with no retry budget: .*up to 4 requests/ }] },
    { name: 'the default retries (no retries block)', yaml: ENTRY + route(''), errors: [{ line: 27, message: /default retries to external api.pay.example:80 .*up to 3 requests/ }] },
    { name: 'a DestinationRule without either', yaml: ENTRY + route('retries: { attempts: 2 }') + dr('{ connectionPool: { tcp: { maxConnections: 100 } } }'), errors: [{ line: 27, message: /up to 3 requests/ }] },
    {
      name: 'retryBudget on Istio 1.26 does not exist',
      yaml: ENTRY + route('retries: { attempts: 3 }') + dr('{ retryBudget: { percent: 20 } }'),
      check: { istioVersion: '1.26' },
      errors: [{ line: 27, message: /the retryBudget at DestinationRule shop\/pay is ignored: Istio 1.26 has no trafficPolicy.retryBudget/ }],
    },
    { name: 'HTTPRoute retry.attempts to an external Hostname backend, at the HTTPRoute rule', yaml: EXTERNAL_SE + meshRoute('HTTPRoute', '    retry:\n      attempts: 2\n', { backend: EXTERNAL_BACKEND, parent: SE_PARENT }), errors: [{ line: 27, column: 5, message: /^retry\.attempts: 2 to external api\.example\.com:80 with no retry budget/ }] },
    { name: 'GRPCRoute (mesh default retries) to an external ServiceEntry backend', yaml: EXTERNAL_SE + meshRoute('GRPCRoute', '', { backend: 'group: networking.istio.io\n      kind: ServiceEntry\n      name: api\n      port: 80', parent: SE_PARENT }), errors: [{ line: 27, message: /^default retries to external api\.example\.com:80 with no retry budget/ }] },
  ],
});
