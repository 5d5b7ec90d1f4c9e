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

/** An Istio VirtualService with one http route: `match` (YAML flow list) and `retries` (flow mapping, or '' for none). */
const virtualService = (match: string, retries = '{ attempts: 3, retryOn: 5xx }') => `apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: { name: orders, namespace: shop }
spec:
  hosts: [orders.shop.svc.cluster.local]
  http:
  - match: ${match}
    route: [{ destination: { host: orders.shop.svc.cluster.local } }]
${retries ? `    retries: ${retries}\n` : ''}`;

/** A Gateway API HTTPRoute on the mesh Service `orders` (Istio's GAMMA) with `retry` on its rule and `matches`. */
const gatewayRoute = (matches: string, retry = '{ attempts: 2, codes: [503] }') => `apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: { name: orders, namespace: shop }
spec:
  parentRefs: [{ name: orders, kind: Service, group: "", port: 80 }]
  rules:
  - matches: ${matches}
    retry: ${retry}
    backendRefs: [{ name: orders, port: 80 }]
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
    { name: 'Istio: a retried GET route', yaml: virtualService('[{ method: { exact: GET } }]') },
    { name: "near miss, Istio: a POST route with only Istio's default retries (not written)", yaml: virtualService('[{ method: { exact: POST } }]', '') },
    { name: 'near miss, Istio: method prefix P matches POST, PUT and PATCH alike: no known method', yaml: virtualService('[{ method: { prefix: P } }]') },
    { name: 'near miss, Istio: method regex is no known method', yaml: virtualService('[{ method: { regex: "POST|GET" } }]') },
    { name: 'near miss, Istio: a second match without a method matches any method', yaml: virtualService('[{ method: { exact: POST } }, { uri: { prefix: /orders } }]') },
    { name: 'near miss, Istio: POST retried only on connect-failure', yaml: virtualService('[{ method: { exact: POST } }]', '{ attempts: 3, retryOn: "connect-failure,refused-stream" }') },
    { name: 'near miss, Gateway API: a retried GET rule', yaml: gatewayRoute('[{ method: GET }]') },
    { name: 'near miss, Gateway API: no matches (any method)', yaml: gatewayRoute('[]') },
  ],
  invalid: [
    { name: 'a retryable POST ServiceProfile route', yaml: profile('{ method: POST, pathRegex: /orders }'), errors: [{ line: 6, severity: 'warn', message: /^ServiceProfile route "r" matches POST and is retried \(5xx\)/ }] },
    { name: 'PATCH under retry annotations on an HTTPRoute', yaml: route('{ retry.linkerd.io/http: gateway-error }', '[{ method: PATCH }]'), errors: [{ line: 7, message: /^HTTPRoute route matches PATCH and is retried \(gateway-error\)/ }] },
    { name: 'a retry limit without conditions: the default conditions', yaml: route('{ retry.linkerd.io/limit: "2" }', '[{ method: POST }]'), errors: [{ line: 7, message: /is retried \(the default conditions\)/ }] },
    { name: 'Istio: a VirtualService route matching method exact POST, retried on 5xx', yaml: virtualService('[{ method: { exact: POST } }]'), errors: [{ line: 7, message: /^VirtualService route matches POST and is retried \(5xx\)/ }] },
    { name: "Istio: POST or PATCH matches, retries without retryOn: Istio's default retryOn (with retriable-status-codes)", yaml: virtualService('[{ method: { exact: POST } }, { method: { exact: PATCH } }]', '{ attempts: 2 }'), errors: [{ line: 7, message: /matches POST, PATCH and is retried \(connect-failure,refused-stream,unavailable,cancelled,retriable-status-codes\)/ }] },
    {
      name: 'Istio: a uri prefix marked in the options',
      yaml: virtualService('[{ uri: { prefix: /refunds } }]'),
      options: { paths: ['^/refunds'] },
      errors: [{ line: 7, message: /matches \/refunds, marked state-changing in the options/ }],
    },
    { name: 'Gateway API: an HTTPRoute rule matching POST with retry.attempts', yaml: gatewayRoute('[{ method: POST }]'), errors: [{ line: 7, message: /^HTTPRoute route matches POST and is retried/ }] },
    {
      name: 'a path marked in the options, any method',
      yaml: route('{ retry.linkerd.io/http: 5xx }', '[{ path: { type: PathPrefix, value: /refunds } }]'),
      options: { paths: ['^/refunds'] },
      errors: [{ line: 7, message: /matches \/refunds, marked state-changing in the options/ }],
    },
  ],
});
