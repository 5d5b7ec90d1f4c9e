import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { locate } from '../../src/load/objects.js';
import { describeOverride, EnvoyFilterIndex, parseClusterName } from '../../src/model/adapters/istio/envoyfilter.js';
import { httpProtocolOptionsValue } from '../helpers/manifests.js';
import { dedent, docs, objectsFromYaml } from '../helpers/model.js';

const REVIEWS = 'reviews.shop.svc.cluster.local';

/** An EnvoyFilter named `name` in `namespace` with `body` (YAML under `spec:`, indented two spaces). */
function envoyFilter(name: string, namespace: string, body: string): string {
  return `apiVersion: networking.istio.io/v1alpha3\nkind: EnvoyFilter\nmetadata:\n  name: ${name}\n  namespace: ${namespace}\nspec:\n${body
    .split('\n')
    .map((l) => (l ? `  ${l}` : l))
    .join('\n')}\n`;
}

/** A CLUSTER MERGE patch on `match` that sets HttpProtocolOptions' common options to `common` (YAML flow mapping). */
function httpOptionsPatch(match: string, common: string, context = 'SIDECAR_OUTBOUND'): string {
  return `configPatches:
- applyTo: CLUSTER
  match:
    context: ${context}
    cluster: ${match}
  patch:
    operation: MERGE
    value:
${httpProtocolOptionsValue(common, 6)}`;
}

const query = (over: Partial<Parameters<EnvoyFilterIndex['clusterOverrides']>[0]> = {}) => ({ proxyNamespace: 'shop', context: 'SIDECAR_OUTBOUND' as const, host: REVIEWS, port: 9080, ...over });

describe('EnvoyFilter CLUSTER patches → overrides', () => {
  it('reads HttpProtocolOptions common options (durations in seconds) with the field they are written at', () => {
    const objects = objectsFromYaml(envoyFilter('keepalive', 'shop', httpOptionsPatch(`{ service: ${REVIEWS}, portNumber: 9080 }`, '{ max_requests_per_connection: 1, idle_timeout: 5s, maxConnectionDuration: 2m }')));
    const index = new EnvoyFilterIndex(objects, 'istio-system');
    const found = index.clusterOverrides(query());
    assert.deepEqual(found.map((o) => [o.setting, o.value, o.effective, o.replacesEntry]), [
      ['maxRequestsPerConnection', 1, true, true],
      ['idleTimeout', 5, true, true],
      ['maxConnectionDuration', 120, true, true],
    ]);
    const at = locate(found[0].filter, found[0].path);
    assert.equal(at.line, 19, 'file:line of max_requests_per_connection (the common_http_protocol_options line)');
    assert.equal(found[0].path.at(-1), 'max_requests_per_connection');
    assert.match(describeOverride(found[1]), /^EnvoyFilter shop\/keepalive configPatches\[0\] common_http_protocol_options\.idle_timeout: 5 s$/);
    assert.deepEqual(index.unmodelled, []);
  });

  it('matches service, port and subset as istiod does; near misses do not match', () => {
    const objects = objectsFromYaml(envoyFilter('v1-only', 'shop', httpOptionsPatch(`{ service: ${REVIEWS}, portNumber: 9080, subset: v1 }`, '{ max_requests_per_connection: 1 }')));
    const index = new EnvoyFilterIndex(objects, 'istio-system');
    assert.equal(index.clusterOverrides(query({ subset: 'v1' })).length, 1);
    assert.equal(index.clusterOverrides(query({ subset: 'v2' })).length, 0, 'other subset');
    assert.equal(index.clusterOverrides(query()).length, 0, 'no subset: cluster outbound|9080||host');
    assert.equal(index.clusterOverrides(query({ subset: 'v1', port: 9443 })).length, 0, 'other port');
    assert.equal(index.clusterOverrides(query({ subset: 'v1', host: 'reviews' })).length, 0, 'service is compared as the exact FQDN');
    assert.equal(index.clusterOverrides(query({ subset: 'v1', context: 'GATEWAY' })).length, 0, 'SIDECAR_OUTBOUND does not patch gateways');
  });

  it('matches an exact cluster name outbound|<port>|<subset>|<host>', () => {
    const objects = objectsFromYaml(envoyFilter('by-name', 'shop', httpOptionsPatch(`{ name: "outbound|9080||${REVIEWS}" }`, '{ idle_timeout: 1s }', 'ANY')));
    const index = new EnvoyFilterIndex(objects, 'istio-system');
    assert.equal(index.clusterOverrides(query()).length, 1);
    assert.equal(index.clusterOverrides(query({ context: 'GATEWAY' })).length, 1, 'context ANY');
    assert.equal(index.clusterOverrides(query({ subset: 'v1' })).length, 0);
    assert.deepEqual(parseClusterName(`outbound|9080|v1|${REVIEWS}`), { direction: 'outbound', port: 9080, subset: 'v1', host: REVIEWS });
    assert.equal(parseClusterName('PassthroughCluster'), undefined);
  });

  it('root namespace filters apply to every proxy, others only to their namespace; root ones first', () => {
    const objects = objectsFromYaml(
      docs(
        envoyFilter('local', 'shop', httpOptionsPatch(`{ service: ${REVIEWS} }`, '{ idle_timeout: 10s }')),
        envoyFilter('global', 'mesh-root', httpOptionsPatch(`{ service: ${REVIEWS} }`, '{ idle_timeout: 20s }')),
      ),
    );
    const index = new EnvoyFilterIndex(objects, 'mesh-root');
    assert.deepEqual(index.clusterOverrides(query()).map((o) => o.value), [20, 10], 'root first, then the proxy namespace: the last wins');
    assert.deepEqual(index.clusterOverrides(query({ proxyNamespace: 'other' })).map((o) => o.value), [20]);
  });

  it('workloadSelector: applies to matching labels, not others; without labels it is assumed and says so', () => {
    const objects = objectsFromYaml(envoyFilter('sel', 'shop', `workloadSelector:\n  labels: { app: productpage }\n${httpOptionsPatch(`{ service: ${REVIEWS} }`, '{ max_requests_per_connection: 1 }')}`));
    const index = new EnvoyFilterIndex(objects, 'istio-system');
    assert.equal(index.clusterOverrides(query({ proxyLabels: { app: 'productpage', version: 'v1' } })).length, 1);
    assert.equal(index.clusterOverrides(query({ proxyLabels: { app: 'ratings' } })).length, 0);
    const assumed = index.clusterOverrides(query());
    assert.equal(assumed.length, 1);
    assert.match(assumed[0].assumed ?? '', /selects pods by labels \(app=productpage\)/);
  });

  it('targetRefs: only the referenced gateway’s proxies, never sidecars', () => {
    const objects = objectsFromYaml(envoyFilter('gw', 'shop', `targetRefs:\n- { kind: Gateway, group: gateway.networking.k8s.io, name: egress }\n${httpOptionsPatch(`{ service: ${REVIEWS} }`, '{ max_requests_per_connection: 1 }', 'ANY')}`));
    const index = new EnvoyFilterIndex(objects, 'istio-system');
    assert.equal(index.clusterOverrides(query({ proxyLabels: { 'gateway.networking.k8s.io/gateway-name': 'egress' } })).length, 0, 'a sidecar');
    assert.equal(index.clusterOverrides(query({ context: 'GATEWAY', proxyLabels: { 'gateway.networking.k8s.io/gateway-name': 'egress' } })).length, 1);
    assert.equal(index.clusterOverrides(query({ context: 'GATEWAY', proxyLabels: { 'gateway.networking.k8s.io/gateway-name': 'ingress' } })).length, 0);
  });

  it('circuit_breakers.thresholds via MERGE is read but has no effect (appended after istiod’s DEFAULT threshold)', () => {
    const objects = objectsFromYaml(
      envoyFilter(
        'cb',
        'shop',
        dedent(`
          configPatches:
          - applyTo: CLUSTER
            match: { context: SIDECAR_OUTBOUND, cluster: { service: ${REVIEWS} } }
            patch:
              operation: MERGE
              value:
                circuit_breakers:
                  thresholds:
                  - max_retries: 3
                    maxConnections: 100
                    retry_budget: { budget_percent: { value: 25 }, min_retry_concurrency: 5 }
        `),
      ),
    );
    const found = new EnvoyFilterIndex(objects, 'istio-system').clusterOverrides(query());
    assert.deepEqual(found.map((o) => [o.setting, o.value, o.effective]), [
      ['maxConnections', 100, false],
      ['maxRetries', 3, false],
      ['retryBudget', { percent: 25, minRetryConcurrency: 5 }, false],
    ]);
    assert.match(found[0].reason ?? '', /first threshold of a priority/);
  });

  it('the deprecated cluster-level max_requests_per_connection, and an HttpProtocolOptions entry without a protocol', () => {
    const objects = objectsFromYaml(
      docs(
        envoyFilter('old', 'shop', dedent(`
          configPatches:
          - applyTo: CLUSTER
            match: { cluster: { service: ${REVIEWS} } }
            patch: { operation: MERGE, value: { max_requests_per_connection: 1, connect_timeout: 1s } }
        `)),
        envoyFilter('bare', 'shop', `configPatches:
- applyTo: CLUSTER
  match: { cluster: { service: ${REVIEWS} } }
  patch:
    operation: MERGE
    value:
${httpProtocolOptionsValue('{ idle_timeout: 30s }', 6, false)}`),
      ),
    );
    const index = new EnvoyFilterIndex(objects, 'istio-system');
    const [old, bare] = index.clusterOverrides(query());
    assert.equal(old.setting, 'clusterMaxRequestsPerConnection');
    assert.deepEqual(index.filters[0].patches[0].otherFields, ['connect_timeout']);
    assert.equal(bare.setting, 'idleTimeout');
    assert.match(bare.caveat ?? '', /Envoy requires/);
  });
});

describe('EnvoyFilter NETWORK_FILTER patches on the HTTP connection manager', () => {
  it('reads common_http_protocol_options.idle_timeout and stream_idle_timeout (typed_config or the v2 flat form)', () => {
    const objects = objectsFromYaml(
      envoyFilter('hcm', 'shop', dedent(`
        configPatches:
        - applyTo: NETWORK_FILTER
          match:
            context: SIDECAR_OUTBOUND
            listener:
              portNumber: 9080
              filterChain: { filter: { name: envoy.filters.network.http_connection_manager } }
          patch:
            operation: MERGE
            value:
              typed_config:
                "@type": type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager
                common_http_protocol_options: { idle_timeout: 2s }
                stream_idle_timeout: 1s
        - applyTo: NETWORK_FILTER
          match:
            listener: { filterChain: { filter: { name: envoy.http_connection_manager } } }
          patch: { operation: MERGE, value: { idle_timeout: 30s, xff_num_trusted_hops: 5 } }
      `)),
    );
    const index = new EnvoyFilterIndex(objects, 'istio-system');
    const port9080 = index.listenerOverrides({ proxyNamespace: 'shop', context: 'SIDECAR_OUTBOUND', port: 9080 });
    assert.deepEqual(port9080.map((o) => [o.setting, o.value]), [
      ['downstreamIdleTimeout', 2],
      ['streamIdleTimeout', 1],
      ['downstreamIdleTimeout', 30],
    ]);
    assert.deepEqual(index.listenerOverrides({ proxyNamespace: 'shop', context: 'SIDECAR_OUTBOUND', port: 8080 }).map((o) => o.value), [30], 'port 9080 only for the first patch');
    assert.deepEqual(index.listenerOverrides({ proxyNamespace: 'shop', context: 'GATEWAY' }).map((o) => o.value), [30]);
    assert.deepEqual(index.filters[0].patches[1].otherFields, ['xff_num_trusted_hops']);
  });
});

describe('patches meshlint does not model are counted, not guessed', () => {
  it('counts other applyTo, other operations, inbound, proxy metadata and unread settings, with the reason', () => {
    const objects = objectsFromYaml(
      envoyFilter('misc', 'shop', dedent(`
        configPatches:
        - applyTo: HTTP_FILTER
          match: { context: SIDECAR_INBOUND }
          patch: { operation: INSERT_BEFORE, value: { name: envoy.lua } }
        - applyTo: CLUSTER
          match: { context: SIDECAR_OUTBOUND }
          patch: { operation: ADD, value: { name: lua_cluster, type: STRICT_DNS } }
        - applyTo: CLUSTER
          match: { context: SIDECAR_INBOUND, cluster: { portNumber: 9080 } }
          patch: { operation: MERGE, value: { max_requests_per_connection: 1 } }
        - applyTo: CLUSTER
          match: { proxy: { metadata: { ROUTER: "yes" } }, cluster: { service: ${REVIEWS} } }
          patch: { operation: MERGE, value: { max_requests_per_connection: 1 } }
        - applyTo: CLUSTER
          match: { cluster: { service: ${REVIEWS} } }
          patch: { operation: MERGE, value: { connect_timeout: 1s } }
        - applyTo: NETWORK_FILTER
          match: { listener: { filterChain: { filter: { name: envoy.tcp_proxy } } } }
          patch: { operation: MERGE, value: { idle_timeout: 1s } }
      `)),
    );
    const index = new EnvoyFilterIndex(objects, 'istio-system');
    assert.deepEqual(index.unmodelled.map((u) => [u.index, u.applyTo, u.operation]), [
      [0, 'HTTP_FILTER', 'INSERT_BEFORE'],
      [1, 'CLUSTER', 'ADD'],
      [2, 'CLUSTER', 'MERGE'],
      [3, 'CLUSTER', 'MERGE'],
      [4, 'CLUSTER', 'MERGE'],
      [5, 'NETWORK_FILTER', 'MERGE'],
    ]);
    assert.match(index.unmodelled[2].reason, /inbound/);
    assert.match(index.unmodelled[3].reason, /proxy metadata/);
    assert.match(index.unmodelled[4].reason, /connect_timeout/);
    assert.equal(index.clusterOverrides(query()).length, 0);
  });

  it('proxyVersion selects by the modelled Istio release', () => {
    const body = `configPatches:\n- applyTo: CLUSTER\n  match: { proxy: { proxyVersion: '^1\\.2[34].*' }, cluster: { service: ${REVIEWS} } }\n  patch: { operation: MERGE, value: { max_requests_per_connection: 2 } }\n`;
    const objects = objectsFromYaml(envoyFilter('ver', 'shop', body));
    assert.equal(new EnvoyFilterIndex(objects, 'istio-system', { major: 1, minor: 24 }).clusterOverrides(query()).length, 1);
    assert.equal(new EnvoyFilterIndex(objects, 'istio-system', { major: 1, minor: 27 }).clusterOverrides(query()).length, 0);
  });
});
