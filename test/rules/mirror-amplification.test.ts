import { ruleTester } from '../helpers/rule-tester.js';
import { meshRoute } from '../helpers/gateway-api.js';

const vs = (mirror: string) => `apiVersion: networking.istio.io/v1
kind: VirtualService
metadata:
  name: orders
  namespace: shop
spec:
  hosts:
  - orders
  http:
  - route:
    - destination:
        host: orders
${mirror}`;

ruleTester('mirror-amplification', {
  valid: [
    { name: 'no mirror', yaml: vs('    retries:\n      attempts: 1\n') },
    { name: 'near miss: mirrorPercentage 0', yaml: vs('    mirror:\n      host: orders-shadow\n    mirrorPercentage:\n      value: 0\n') },
    { name: 'below the option threshold', yaml: vs('    mirror:\n      host: orders-shadow\n    mirrorPercentage:\n      value: 5\n'), options: { minPercentage: 10 } },
    { name: 'near miss: HTTPRoute RequestMirror at 0 %', yaml: meshRoute('HTTPRoute', '    filters:\n    - type: RequestMirror\n      requestMirror:\n        percent: 0\n        backendRef: { name: payments-canary, port: 80 }\n') },
  ],
  invalid: [
    { name: 'mirror with no percentage is 100%', yaml: vs('    mirror:\n      host: orders-shadow\n'), errors: [{ line: 13, column: 5, message: /mirrors 100% of requests to orders-shadow.*\+1\.00/ }] },
    { name: 'mirrorPercentage 25', yaml: vs('    mirror:\n      host: orders-shadow\n    mirrorPercentage:\n      value: 25\n'), errors: [{ line: 13, message: /25%.*\+0\.25/ }] },
    { name: 'mirrors[] list', yaml: vs('    mirrors:\n    - destination:\n        host: a\n      percentage:\n        value: 50\n    - destination:\n        host: b\n'), errors: [{ line: 14, message: /50% .* to a/ }, { line: 18, message: /100% .* to b/ }] },
    { name: 'HTTPRoute RequestMirror (percent), at the filter', yaml: meshRoute('HTTPRoute', '    filters:\n    - type: RequestMirror\n      requestMirror:\n        percent: 25\n        backendRef: { name: payments-canary, port: 80 }\n'), errors: [{ line: 17, column: 7, message: /^route mirrors 25% of requests to payments-canary\.shop\.svc\.cluster\.local/ }] },
    { name: 'GRPCRoute RequestMirror with no fraction: 100 %', yaml: meshRoute('GRPCRoute', '    filters:\n    - type: RequestMirror\n      requestMirror:\n        backendRef: { name: payments-canary, port: 80 }\n'), errors: [{ line: 17, message: /mirrors 100% of requests/ }] },
    { name: 'HTTPRoute RequestMirror fraction 1/4', yaml: meshRoute('HTTPRoute', '    filters:\n    - type: RequestMirror\n      requestMirror:\n        fraction: { numerator: 1, denominator: 4 }\n        backendRef: { name: payments-canary, port: 80 }\n'), errors: [{ line: 17, message: /mirrors 25% of requests/ }] },
  ],
});
