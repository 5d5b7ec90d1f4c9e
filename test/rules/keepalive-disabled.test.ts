import { ruleTester } from '../helpers/rule-tester.js';

const dr = (pool: string, extra = '') => `apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata:
  name: ext
  namespace: shop
spec:
  host: api.example.com
  trafficPolicy:
    connectionPool:
${pool}${extra}`;

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
