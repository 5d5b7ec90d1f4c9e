import { ruleTester } from '../helpers/rule-tester.js';

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
  ],
  invalid: [
    { name: 'mirror with no percentage is 100%', yaml: vs('    mirror:\n      host: orders-shadow\n'), errors: [{ line: 13, column: 5, message: /mirrors 100% of requests to orders-shadow.*\+1\.00/ }] },
    { name: 'mirrorPercentage 25', yaml: vs('    mirror:\n      host: orders-shadow\n    mirrorPercentage:\n      value: 25\n'), errors: [{ line: 13, message: /25%.*\+0\.25/ }] },
    { name: 'mirrors[] list', yaml: vs('    mirrors:\n    - destination:\n        host: a\n      percentage:\n        value: 50\n    - destination:\n        host: b\n'), errors: [{ line: 14, message: /50% .* to a/ }, { line: 18, message: /100% .* to b/ }] },
  ],
});
