import { httpProtocolOptionsValue } from '../helpers/manifests.js';
import { ruleTester } from '../helpers/rule-tester.js';

const filter = (patches: string) => `apiVersion: networking.istio.io/v1alpha3
kind: EnvoyFilter
metadata: { name: ef, namespace: shop }
spec:
  configPatches:
${patches}`;

const HTTP_OPTIONS = `  - applyTo: CLUSTER
    match: { context: SIDECAR_OUTBOUND, cluster: { service: reviews.shop.svc.cluster.local } }
    patch:
      operation: MERGE
      value:
${httpProtocolOptionsValue('{ idle_timeout: 300s }', 8)}`;

ruleTester('envoyfilter-unmodelled', {
  valid: [
    { name: 'a modelled CLUSTER MERGE of HttpProtocolOptions', yaml: filter(HTTP_OPTIONS) },
    { name: 'a modelled HTTP connection manager idle timeout', yaml: filter(`  - applyTo: NETWORK_FILTER\n    match: { listener: { filterChain: { filter: { name: envoy.filters.network.http_connection_manager } } } }\n    patch: { operation: MERGE, value: { stream_idle_timeout: 60s } }\n`) },
    { name: 'near miss: circuit-breaker thresholds are modelled (as having no effect: setting-ignored)', yaml: filter(`  - applyTo: CLUSTER\n    match: { cluster: { service: reviews.shop.svc.cluster.local } }\n    patch: { operation: MERGE, value: { circuit_breakers: { thresholds: [{ max_retries: 3 }] } } }\n`) },
  ],
  invalid: [
    {
      name: 'each unmodelled patch once, with why',
      yaml: filter(`  - applyTo: HTTP_FILTER\n    patch: { operation: INSERT_BEFORE, value: { name: envoy.lua } }\n${HTTP_OPTIONS}  - applyTo: CLUSTER\n    patch: { operation: ADD, value: { name: extra } }\n`),
      errors: [
        { line: 6, column: 5, severity: 'info', message: /configPatches\[0\] \(HTTP_FILTER INSERT_BEFORE\) is not modelled: applyTo HTTP_FILTER/ },
        { line: 18, message: /configPatches\[2\] \(CLUSTER ADD\) is not modelled: adds a cluster of its own/ },
      ],
    },
    { name: 'a CLUSTER MERGE of settings meshlint does not read', yaml: filter(`  - applyTo: CLUSTER\n    match: { cluster: { service: reviews.shop.svc.cluster.local } }\n    patch: { operation: MERGE, value: { connect_timeout: 1s, dns_refresh_rate: 5s } }\n`), errors: [{ line: 6, message: /sets connect_timeout, dns_refresh_rate/ }] },
  ],
});
