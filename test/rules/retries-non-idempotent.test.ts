import { ruleTester } from '../helpers/rule-tester.js';

/** A ServiceProfile with one route: `condition` and the route's other fields as YAML flow mappings. */
const profile = (condition: string, extra = 'isRetryable: true, timeout: 2s') => `apiVersion: linkerd.io/v1alpha2
kind: ServiceProfile
metadata: { name: orders.shop.svc.cluster.local, namespace: shop }
spec:
  routes:
  - { name: r, condition: ${condition}, ${extra} }
`;

/** A policy.linkerd.io HTTPRoute with `annotations` and one rule whose matches are `matches`. */
const route = (annotations: string, matches: string) => `apiVersion: policy.linkerd.io/v1beta3
kind: HTTPRoute
metadata: { name: refunds, namespace: shop, annotations: ${annotations} }
spec:
  parentRefs: [{ name: payments, kind: Service, group: core, port: 80 }]
  rules:
  - matches: ${matches}
    backendRefs: [{ name: payments, port: 80 }]
`;

ruleTester('retries-non-idempotent', {
  valid: [
    { name: 'a retryable GET route', yaml: profile('{ method: GET, pathRegex: /orders }') },
    { name: 'near miss: a POST route that is not retryable', yaml: profile('{ method: POST, pathRegex: /orders }', 'timeout: 2s') },
    { name: 'near miss: PUT is idempotent', yaml: profile('{ method: PUT, pathRegex: /orders/1 }') },
    { name: 'near miss: any method (no method condition)', yaml: profile('{ pathRegex: /orders }') },
    { name: 'near miss: GET or POST matches (not only state-changing)', yaml: route('{ retry.linkerd.io/http: 5xx }', '[{ method: GET }, { method: POST }]') },
    { name: 'near miss: path not marked', yaml: route('{ retry.linkerd.io/http: 5xx }', '[{ path: { type: PathPrefix, value: /refunds } }]') },
    { name: 'near miss: POST without retry annotations (Linkerd retries nothing by default)', yaml: route('{ timeout.linkerd.io/request: 3s }', '[{ method: POST }]') },
  ],
  invalid: [
    { name: 'a retryable POST ServiceProfile route', yaml: profile('{ method: POST, pathRegex: /orders }'), errors: [{ line: 6, severity: 'warn', message: /^ServiceProfile route "r" matches POST and is retried \(5xx\)/ }] },
    { name: 'PATCH under retry annotations on an HTTPRoute', yaml: route('{ retry.linkerd.io/http: gateway-error }', '[{ method: PATCH }]'), errors: [{ line: 7, message: /^HTTPRoute route matches PATCH and is retried \(gateway-error\)/ }] },
    { name: 'a retry limit without conditions: the default conditions', yaml: route('{ retry.linkerd.io/limit: "2" }', '[{ method: POST }]'), errors: [{ line: 7, message: /is retried \(the default conditions\)/ }] },
    {
      name: 'a path marked in the options, any method',
      yaml: route('{ retry.linkerd.io/http: 5xx }', '[{ path: { type: PathPrefix, value: /refunds } }]'),
      options: { paths: ['^/refunds'] },
      errors: [{ line: 7, message: /matches \/refunds, marked state-changing in the options/ }],
    },
  ],
});
