import { ruleTester } from '../helpers/rule-tester.js';
import { ambientReviews } from '../helpers/manifests.js';
import { meshRoute } from '../helpers/gateway-api.js';
import { gatewayRouteOnLinkerdService, linkerdService } from '../helpers/linkerd.js';

/** A VirtualService for reviews in ambient namespace shop, without a retries block. */
const AMBIENT_NO_RETRIES = 'apiVersion: networking.istio.io/v1\nkind: VirtualService\nmetadata: { name: reviews, namespace: shop }\nspec:\n  hosts: [reviews]\n  http:\n  - route: [{ destination: { host: reviews } }]\n';
const vs = (routes: string) => `apiVersion: networking.istio.io/v1
kind: VirtualService
metadata:
  name: reviews
  namespace: prod
spec:
  hosts:
  - reviews
  http:
${routes}`;

ruleTester('retries-implicit-default', {
  valid: [
    { name: 'ambient without a waypoint: ztunnel applies no default retries either', yaml: ambientReviews('', AMBIENT_NO_RETRIES) },
    { name: 'Linkerd: a Service without retry annotations routed by a Gateway API HTTPRoute (Linkerd does not retry by default)', yaml: gatewayRouteOnLinkerdService('') },
    { name: 'Linkerd: timeout annotations only', yaml: linkerdService('{ timeout.linkerd.io/request: 3s }') },
    { name: 'explicit retries', yaml: vs('  - route:\n    - destination:\n        host: reviews\n    retries:\n      attempts: 1\n      perTryTimeout: 1s\n') },
    { name: 'near miss: retries disabled with attempts 0', yaml: vs('  - route:\n    - destination:\n        host: reviews\n    retries:\n      attempts: 0\n') },
    { name: 'near miss: fault injection disables retries', yaml: vs('  - route:\n    - destination:\n        host: reviews\n    fault:\n      abort:\n        httpStatus: 500\n        percentage:\n          value: 1\n') },
    { name: 'near miss: redirect route sends nothing upstream', yaml: vs('  - redirect:\n      uri: /v2\n') },
    { name: 'mesh default retries set to 0', yaml: vs('  - route:\n    - destination:\n        host: reviews\n'), mesh: { defaultRetryAttempts: 0 } },
    { name: 'tcp route only', yaml: 'apiVersion: networking.istio.io/v1\nkind: VirtualService\nmetadata:\n  name: db\nspec:\n  hosts:\n  - db\n  tcp:\n  - route:\n    - destination:\n        host: db\n' },
    { name: 'HTTPRoute rule with retry', yaml: meshRoute('HTTPRoute', '    retry:\n      attempts: 1\n') },
    { name: 'near miss: HTTPRoute retry attempts 0 (retries off)', yaml: meshRoute('HTTPRoute', '    retry:\n      attempts: 0\n') },
  ],
  invalid: [
    { name: 'near miss: ambient with a waypoint, which applies the default', yaml: ambientReviews(', istio.io/use-waypoint: waypoint', AMBIENT_NO_RETRIES, { waypoint: true }), errors: [{ line: 16, message: /default of 2 retries applies/ }] },
    { name: 'route without retries', yaml: vs('  - route:\n    - destination:\n        host: reviews\n'), errors: [{ line: 10, column: 5, severity: 'info', message: /default of 2 retries applies, up to 3 tries/ }] },
    {
      name: 'only the second of two routes',
      yaml: vs('  - name: canary\n    match:\n    - headers:\n        x-canary:\n          exact: "1"\n    route:\n    - destination:\n        host: reviews\n        subset: v2\n    retries:\n      attempts: 1\n  - name: default\n    route:\n    - destination:\n        host: reviews\n'),
      errors: [{ line: 21, message: /"default"/ }],
    },
    { name: 'mesh default of 4 retries', yaml: vs('  - route:\n    - destination:\n        host: reviews\n'), mesh: { defaultRetryAttempts: 4 }, errors: [{ line: 10, message: /default of 4 retries applies, up to 5 tries/ }] },
    { name: 'HTTPRoute rule without retry, at the rule', yaml: meshRoute('HTTPRoute'), errors: [{ line: 13, column: 5, message: /^HTTPRoute rule has no retry: Istio's default of 2 retries applies, up to 3 tries per request$/ }] },
    { name: 'GRPCRoute rule (Istio converts no retry for it)', yaml: meshRoute('GRPCRoute'), errors: [{ line: 13, message: /^GRPCRoute rule has no retry/ }] },
  ],
});
