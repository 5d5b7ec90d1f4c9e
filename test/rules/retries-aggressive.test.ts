import { virtualService } from '../helpers/manifests.js';
import { ruleTester } from '../helpers/rule-tester.js';
import { ambientReviews } from '../helpers/manifests.js';
import { meshRoute } from '../helpers/gateway-api.js';
import { linkerdService, serviceProfile } from '../helpers/linkerd.js';

/** VirtualService pay routing to payments with `route` under its one route: `route` starts on line 13. */
const vs = (route: string) => virtualService('pay', { host: 'payments', routeLines: route });

/** A VirtualService for reviews in ambient namespace shop with retries.attempts 6. */
const AMBIENT_SIX = 'apiVersion: networking.istio.io/v1\nkind: VirtualService\nmetadata: { name: reviews, namespace: shop }\nspec:\n  hosts: [reviews]\n  http:\n  - route: [{ destination: { host: reviews } }]\n    retries: { attempts: 6, perTryTimeout: 1s }\n';

ruleTester('retries-aggressive', {
  valid: [
    { name: 'ambient without a waypoint: nothing applies the retries (setting-ignored says so)', yaml: ambientReviews('', AMBIENT_SIX) },
    { name: 'Linkerd: limit 3 with a retry timeout', yaml: linkerdService('{ retry.linkerd.io/http: 5xx, retry.linkerd.io/limit: "3", retry.linkerd.io/timeout: 1s }') },
    { name: 'Linkerd: near miss, codes that are not 5xx/gateway-error without a retry timeout', yaml: linkerdService('{ retry.linkerd.io/http: "503" }') },
    { name: 'Linkerd: retryRatio 0.2 and a route timeout', yaml: serviceProfile('  retryBudget: { retryRatio: 0.2, minRetriesPerSecond: 10, ttl: 10s }\n  routes: [{ name: r, condition: { method: GET }, isRetryable: true, timeout: 1s }]\n') },
    { name: 'Linkerd: retryRatio 1.0 with no retryable route', yaml: serviceProfile('  retryBudget: { retryRatio: 1.0, minRetriesPerSecond: 10, ttl: 10s }\n  routes: [{ name: r, condition: { method: GET } }]\n') },
    { name: 'three retries with perTryTimeout', yaml: vs('    retries:\n      attempts: 3\n      perTryTimeout: 2s\n      retryOn: 5xx\n') },
    { name: 'near miss: 5xx with attempts 0 (disabled)', yaml: vs('    retries:\n      attempts: 0\n      retryOn: 5xx\n') },
    { name: 'near miss: connect-failure only, no perTryTimeout', yaml: vs('    retries:\n      attempts: 2\n      retryOn: connect-failure,refused-stream\n') },
    { name: 'tries fit the timeout exactly', yaml: vs('    timeout: 6s\n    retries:\n      attempts: 2\n      perTryTimeout: 2s\n') },
    { name: 'no retries block (implicit default is another rule)', yaml: vs('    timeout: 1s\n') },
    { name: 'option allows 5', yaml: vs('    retries:\n      attempts: 5\n      perTryTimeout: 1s\n'), options: { maxAttempts: 5 } },
    // Gateway API: HTTPRoute `retry.attempts` is the same RetryPolicy record; GRPCRoute has no retry field.
    { name: 'HTTPRoute retry.attempts 3 with backendRequest', yaml: meshRoute('HTTPRoute', '    retry:\n      attempts: 3\n    timeouts:\n      request: 10s\n      backendRequest: 2s\n') },
    { name: 'near miss: HTTPRoute retry without attempts (Istio: 2 retries)', yaml: meshRoute('HTTPRoute', '    retry:\n      codes: [503]\n') },
    { name: 'near miss: a GRPCRoute (no retry field: the default, another rule)', yaml: meshRoute('GRPCRoute') },
  ],
  invalid: [
    { name: 'near miss: ambient with a waypoint applies them', yaml: ambientReviews(', istio.io/use-waypoint: waypoint', AMBIENT_SIX, { waypoint: true }), errors: [{ line: 17, message: /^retries\.attempts: 6 allows 7 tries/ }] },
    { name: 'Linkerd: retry.linkerd.io/limit above maxAttempts', yaml: linkerdService('{ retry.linkerd.io/http: "503", retry.linkerd.io/limit: "4" }'), errors: [{ line: 3, message: /^retry\.linkerd\.io\/limit: 4 allows 5 tries per request/ }] },
    { name: 'Linkerd: 5xx without retry.linkerd.io/timeout', yaml: linkerdService('{ retry.linkerd.io/http: 5xx }'), errors: [{ line: 3, message: /^retry\.linkerd\.io\/http 5xx without retry\.linkerd\.io\/timeout/ }] },
    { name: 'Linkerd: retryRatio above 0.2, retryable route with a timeout', yaml: serviceProfile('  retryBudget: { retryRatio: 0.5, minRetriesPerSecond: 10, ttl: 10s }\n  routes: [{ name: r, condition: { method: GET }, isRetryable: true, timeout: 1s }]\n'), errors: [{ line: 5, message: /^retryBudget\.retryRatio: 0\.5 lets retries add up to 50% of the requests/ }] },
    { name: 'Linkerd: a retryable route without timeout (default budget)', yaml: serviceProfile('  routes: [{ name: r, condition: { method: GET }, isRetryable: true }]\n'), errors: [{ line: 5, message: /^retryable route without timeout/ }] },
    { name: 'attempts above 3', yaml: vs('    retries:\n      attempts: 4\n      perTryTimeout: 1s\n'), errors: [{ line: 14, column: 7, message: /5 tries per request/ }] },
    { name: 'gateway-error without perTryTimeout', yaml: vs('    retries:\n      attempts: 2\n      retryOn: gateway-error,connect-failure\n'), errors: [{ line: 15, message: /gateway-error without perTryTimeout/ }] },
    { name: 'tries exceed route timeout', yaml: vs('    timeout: 5s\n    retries:\n      attempts: 2\n      perTryTimeout: 2s\n'), errors: [{ line: 16, message: /3 tries × perTryTimeout 2 s = 6 s exceeds the route timeout of 5 s/ }] },
    { name: 'high attempts and reset without perTryTimeout', yaml: vs('    retries:\n      attempts: 10\n      retryOn: reset\n'), errors: [{ line: 14 }, { line: 15 }] },
    {
      name: 'retries stacked on the mesh route and the egress gateway route',
      yaml: `${virtualService('via-egress', { destination: 'istio-egressgateway.istio-system.svc.cluster.local', routeLines: '    retries:\n      attempts: 2\n      perTryTimeout: 1s\n' })}---
${virtualService('egress-out', { namespace: 'istio-system', gateways: ['istio-egressgateway'], routeLines: '    retries:\n      attempts: 3\n      perTryTimeout: 1s\n' })}`,
      errors: [{ line: 12, message: /retries stack across legs.*up to 12 tries/ }],
    },
    { name: 'HTTPRoute retry.attempts above 3, at retry.attempts', yaml: meshRoute('HTTPRoute', '    retry:\n      attempts: 5\n'), errors: [{ line: 17, column: 7, message: /^retry\.attempts: 5 allows 6 tries per request/ }] },
    { name: 'HTTPRoute tries × backendRequest beyond timeouts.request', yaml: meshRoute('HTTPRoute', '    retry:\n      attempts: 2\n    timeouts:\n      request: 5s\n      backendRequest: 2s\n'), errors: [{ line: 20, message: /3 tries × perTryTimeout 2 s = 6 s exceeds the route timeout of 5 s/ }] },
  ],
});
