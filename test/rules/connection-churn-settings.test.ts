import { destinationRule, routedService } from '../helpers/manifests.js';
import { ruleTester } from '../helpers/rule-tester.js';

/** DestinationRule ext for api.example.com: `http` lines (from line 11), then `tcp` with maxConnections 50 and the `tcp` lines. */
const dr = (http: string, tcp = '') => destinationRule('ext', { host: 'api.example.com', pool: `      http:\n${http}      tcp:\n        maxConnections: 50\n${tcp}` });

/**
 * A Service reviews (port 9080 `http`, or `name` as given) with its Deployment (pods `app: reviews`) in an
 * injected namespace, and an EnvoyFilter `hcm` that MERGEs `hcmValue` (YAML under `typed_config`, 10-space
 * indent) into the HTTP connection manager of `context`'s listener on port 9080. The EnvoyFilter starts at line 29,
 * so its `common_http_protocol_options.idle_timeout` is line 48 and a first `stream_idle_timeout` line 47.
 */
const hcm = (context: string, hcmValue: string, options: { selector?: string; portName?: string } = {}) => `apiVersion: v1
kind: Namespace
metadata: { name: shop, labels: { istio-injection: enabled } }
---
apiVersion: v1
kind: Service
metadata: { name: reviews, namespace: shop }
spec:
  selector: { app: reviews }
  ports:
  - name: ${options.portName ?? 'http'}
    port: 9080
---
apiVersion: apps/v1
kind: Deployment
metadata: { name: reviews, namespace: shop }
spec:
  selector:
    matchLabels: { app: reviews }
  template:
    metadata:
      labels: { app: reviews }
    spec:
      containers:
      - name: reviews
        image: reviews:1
---
apiVersion: networking.istio.io/v1alpha3
kind: EnvoyFilter
metadata: { name: hcm, namespace: shop }
spec:
  workloadSelector:
    labels: { app: ${options.selector ?? 'reviews'} }
  configPatches:
  - applyTo: NETWORK_FILTER
    match:
      context: ${context}
      listener:
        portNumber: 9080
        filterChain:
          filter: { name: envoy.filters.network.http_connection_manager }
    patch:
      operation: MERGE
      value:
        typed_config:
          "@type": type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager
${hcmValue}`;

/** reviews (Service port 9080) routed from shop, and an EnvoyFilter CLUSTER MERGE of HttpProtocolOptions' `common` on `service` (line 27). */
const clusterPatch = (service: string, common: string) => `${routedService()}---
apiVersion: networking.istio.io/v1alpha3
kind: EnvoyFilter
metadata: { name: pool, namespace: shop }
spec:
  configPatches:
  - applyTo: CLUSTER
    match: { context: SIDECAR_OUTBOUND, cluster: { service: ${service} } }
    patch:
      operation: MERGE
      value:
        typed_extension_protocol_options:
          envoy.extensions.upstreams.http.v3.HttpProtocolOptions: { "@type": type.googleapis.com/envoy.extensions.upstreams.http.v3.HttpProtocolOptions, explicit_http_config: { http_protocol_options: {} }, common_http_protocol_options: ${common} }
`;

const idle = (d: string) => `          common_http_protocol_options:\n            idle_timeout: ${d}\n`;

ruleTester('connection-churn-settings', {
  valid: [
    { name: 'large maxRequestsPerConnection', yaml: dr('        maxRequestsPerConnection: 1000\n') },
    { name: 'near miss: exactly the threshold (100)', yaml: dr('        maxRequestsPerConnection: 100\n') },
    { name: 'near miss: 1 is keepalive-disabled, not this rule', yaml: dr('        maxRequestsPerConnection: 1\n') },
    { name: 'idleTimeout at the threshold', yaml: dr('        idleTimeout: 30s\n') },
    { name: 'long maxConnectionDuration', yaml: dr('        idleTimeout: 1h\n', '        maxConnectionDuration: 10m\n') },
    { name: 'near miss: idleTimeout 0s disables the idle timeout (Envoy), it does not recycle', yaml: dr('        idleTimeout: 0s\n') },
    { name: 'near miss: a short tcp.idleTimeout is overridden by a long http.idleTimeout', yaml: dr('        idleTimeout: 1h\n', '        idleTimeout: 5s\n') },
    { name: 'threshold lowered by option', yaml: dr('        maxRequestsPerConnection: 10\n'), options: { minRequestsPerConnection: 10 } },
    { name: 'EnvoyFilter HCM idle_timeout at the threshold (30s)', yaml: hcm('SIDECAR_INBOUND', idle('30s')) },
    { name: 'near miss: EnvoyFilter HCM idle_timeout 0s disables the idle timeout (protocol.proto), it does not recycle', yaml: hcm('SIDECAR_INBOUND', idle('0s')) },
    { name: 'near miss: the EnvoyFilter selects other pods (app: ratings), not the destination reviews', yaml: hcm('SIDECAR_INBOUND', idle('1s'), { selector: 'ratings' }) },
    { name: 'near miss: a TCP port has no HTTP connection manager', yaml: hcm('SIDECAR_INBOUND', idle('1s'), { portName: 'tcp' }) },
    { name: 'near miss: a GATEWAY patch does not change sidecar listeners', yaml: hcm('GATEWAY', idle('1s')) },
    { name: 'near miss: EnvoyFilter HCM idle_timeout 10s with minIdleTimeoutSeconds 5', yaml: hcm('SIDECAR_INBOUND', idle('10s')), options: { minIdleTimeoutSeconds: 5 } },
    { name: 'near miss: an EnvoyFilter CLUSTER patch on another service', yaml: clusterPatch('ratings.shop.svc.cluster.local', '{ idle_timeout: 5s, max_requests_per_connection: 10 }') },
    { name: 'near miss: stream_idle_timeout of 5m (Envoy default)', yaml: hcm('SIDECAR_OUTBOUND', '          stream_idle_timeout: 5m\n') },
  ],
  invalid: [
    { name: 'maxRequestsPerConnection 2', yaml: dr('        maxRequestsPerConnection: 2\n'), errors: [{ line: 11, column: 9, message: /1\/2 of a new connection/, severity: 'warn' }] },
    { name: 'maxRequestsPerConnection 99', yaml: dr('        maxRequestsPerConnection: 99\n'), errors: [{ line: 11 }] },
    { name: 'short idleTimeout in ms', yaml: dr('        idleTimeout: 500ms\n'), errors: [{ line: 11, message: /0\.5 s/ }] },
    { name: 'short maxConnectionDuration', yaml: dr('        idleTimeout: 1h\n', '        maxConnectionDuration: 30s\n'), errors: [{ line: 14, message: /maxConnectionDuration of 30 s/ }] },
    { name: 'short tcp.idleTimeout with http.idleTimeout unset: HTTP connections fall back to it', yaml: dr('', '        idleTimeout: 5s\n'), errors: [{ line: 13, column: 9, message: /tcp\.idleTimeout of 5 s .*fall back/ }] },
    {
      name: 'EnvoyFilter HCM idle_timeout 1s on the destination pods\' inbound listener',
      yaml: hcm('SIDECAR_INBOUND', idle('1s')),
      errors: [{ line: 48, column: 13, message: /^HTTP connection manager idle_timeout of 1 s \(EnvoyFilter shop\/hcm configPatches\[0\]\) on reviews\.shop\.svc\.cluster\.local:9080's inbound listener: it closes idle connections from calling proxies/, severity: 'warn' }],
    },
    {
      name: 'EnvoyFilter HCM idle_timeout 2s on the client sidecar\'s outbound listener (the app → sidecar leg)',
      yaml: hcm('SIDECAR_OUTBOUND', idle('2s')),
      errors: [{ line: 48, message: /idle_timeout of 2 s .* on the client sidecar's outbound listener for port 9080 \(shop\): it closes the application's idle connections to its sidecar/ }],
    },
    {
      name: 'EnvoyFilter context ANY: one finding for the field, though both listeners have it',
      yaml: hcm('ANY', idle('500ms')),
      errors: [{ line: 48, message: /idle_timeout of 0\.5 s/ }],
    },
    {
      name: 'EnvoyFilter HCM stream_idle_timeout 1s',
      yaml: hcm('SIDECAR_OUTBOUND', '          stream_idle_timeout: 1s\n'),
      errors: [{ line: 47, message: /stream_idle_timeout of 1 s .* resets every request .* on HTTP\/1\.1 the connection closes with it/ }],
    },
    {
      name: 'EnvoyFilter HCM idle_timeout 10s with minIdleTimeoutSeconds raised to 60',
      yaml: hcm('SIDECAR_INBOUND', idle('10s')),
      options: { minIdleTimeoutSeconds: 60 },
      errors: [{ line: 48 }],
    },
    {
      name: 'EnvoyFilter CLUSTER patch: idle_timeout and max_requests_per_connection in HttpProtocolOptions override the DestinationRule',
      yaml: clusterPatch('reviews.shop.svc.cluster.local', '{ idle_timeout: 5s, max_requests_per_connection: 10 }'),
      errors: [
        { line: 27, message: /^http\.idleTimeout of 5 s \(EnvoyFilter shop\/pool configPatches\[0\], over the DestinationRule\)/ },
        { line: 27, message: /^maxRequestsPerConnection: 10 \(EnvoyFilter shop\/pool configPatches\[0\], over the DestinationRule\)/ },
      ],
    },
    { name: 'option raises the bar', yaml: dr('        maxRequestsPerConnection: 500\n'), options: { minRequestsPerConnection: 1000 }, errors: [{ line: 11 }] },
  ],
});
