import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { locate } from '../../src/load/objects.js';
import { describeOverride, EnvoyFilterIndex, parseClusterName } from '../../src/model/adapters/istio/envoyfilter-index.js';
import { buildTrafficModel } from '../../src/model/build-traffic.js';
import { httpProtocolOptionsValue } from '../helpers/manifests.js';
import { dedent, docs, modelFromYaml, objectsFromYaml } from '../helpers/model.js';

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

/** reviews (Service port 9080 `http`, Deployment pods `app: reviews`) in injected `shop`, a mesh route to it, and `filters`. */
function hop(...filters: string[]): string {
  return docs(
    'apiVersion: v1\nkind: Namespace\nmetadata: { name: shop, labels: { istio-injection: enabled } }',
    'apiVersion: v1\nkind: Service\nmetadata: { name: reviews, namespace: shop }\nspec:\n  selector: { app: reviews }\n  ports: [{ name: http, port: 9080 }]',
    'apiVersion: apps/v1\nkind: Deployment\nmetadata: { name: reviews, namespace: shop }\nspec:\n  template:\n    metadata: { labels: { app: reviews, version: v1 } }\n    spec: { containers: [{ name: reviews, image: reviews }] }',
    'apiVersion: networking.istio.io/v1\nkind: VirtualService\nmetadata: { name: reviews, namespace: shop }\nspec:\n  hosts: [reviews]\n  http:\n  - route: [{ destination: { host: reviews } }]',
    ...filters,
  );
}

/** A NETWORK_FILTER MERGE of the HTTP connection manager on `context`'s listener port 9080, setting `typed` (flow mapping). */
function hcmPatch(name: string, namespace: string, context: string, typed: string, selector = ''): string {
  return envoyFilter(name, namespace, dedent(`
    ${selector ? `workloadSelector: { labels: ${selector} }` : ''}
    configPatches:
    - applyTo: NETWORK_FILTER
      match:
        context: ${context}
        listener: { portNumber: 9080, filterChain: { filter: { name: envoy.filters.network.http_connection_manager } } }
      patch:
        operation: MERGE
        value:
          typed_config:
            "@type": type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager
            ${typed}
  `));
}

describe('EnvoyFilter HTTP connection manager timeouts in the effective policy and the trace', () => {
  const rowOf = (yaml: string) => {
    const traffic = buildTrafficModel(modelFromYaml(yaml));
    const row = traffic.routes.find((r) => r.host === REVIEWS && r.port === 9080);
    assert.ok(row?.connectionPolicy, 'the route to reviews:9080 has a policy');
    return { row, policy: row.connectionPolicy, traffic };
  };

  it('SIDECAR_INBOUND on the destination pods: listener.inboundIdleTimeout, traced on the sidecar → reviews leg with file:line; M unchanged', () => {
    const { row, policy } = rowOf(hop(hcmPatch('in', 'shop', 'SIDECAR_INBOUND', 'common_http_protocol_options: { idle_timeout: 1s }', '{ app: reviews }')));
    assert.equal(policy.listener.inboundIdleTimeout?.value, 1);
    assert.equal(policy.listener.outboundIdleTimeout, undefined, 'the client outbound listener is not patched');
    assert.equal(policy.listener.inboundIdleTimeout?.path.at(-1), 'idle_timeout');
    assert.match(policy.overrides.at(-1)!.text, /EnvoyFilter shop\/in configPatches\[0\] common_http_protocol_options\.idle_timeout: 1 s on reviews\.shop\.svc\.cluster\.local's sidecars' inbound listener port 9080/);
    const leg = row.legs.find((l) => l.name.startsWith('sidecar →'))!;
    const item = leg.trace.find((t) => /idle_timeout 1 s/.test(t.text));
    assert.ok(item, 'the hop leg traces the inbound idle timeout');
    assert.match(item.text, /the destination's proxy closes this hop's pooled connections after 1 s without a request/);
    assert.equal(item.location?.file, 'model-test.yaml');
    assert.ok((item.location?.line ?? 0) > 20, 'line of the EnvoyFilter field');
    assert.equal(row.legs.find((l) => l.name === 'app → sidecar')!.trace.some((t) => /idle_timeout/.test(t.text)), false, 'not on the app leg');
    assert.equal(row.total, 0, 'idle timeouts are not counted in M');
  });

  it('SIDECAR_OUTBOUND on the client: listener.outbound*, traced on the app → sidecar leg', () => {
    const { row, policy } = rowOf(hop(hcmPatch('out', 'shop', 'SIDECAR_OUTBOUND', 'common_http_protocol_options: { idle_timeout: 2s }\n            stream_idle_timeout: 1s')));
    assert.equal(policy.listener.outboundIdleTimeout?.value, 2);
    assert.equal(policy.listener.outboundStreamIdleTimeout?.value, 1);
    assert.equal(policy.listener.inboundIdleTimeout, undefined);
    const app = row.legs.find((l) => l.name === 'app → sidecar')!;
    assert.ok(app.trace.some((t) => /idle_timeout 2 s: closes the app's connections to its sidecar/.test(t.text) && t.location));
    assert.ok(app.trace.some((t) => /stream_idle_timeout 1 s: a request idle 1 s is reset/.test(t.text)));
  });

  it('near misses: other pods, other port, another namespace, GATEWAY context, an external host', () => {
    const cases = [
      hcmPatch('in', 'shop', 'SIDECAR_INBOUND', 'common_http_protocol_options: { idle_timeout: 1s }', '{ app: ratings }'),
      hcmPatch('in', 'shop', 'SIDECAR_INBOUND', 'common_http_protocol_options: { idle_timeout: 1s }').replace('portNumber: 9080', 'portNumber: 9090'),
      hcmPatch('in', 'other', 'SIDECAR_INBOUND', 'common_http_protocol_options: { idle_timeout: 1s }'),
      hcmPatch('gw', 'shop', 'GATEWAY', 'common_http_protocol_options: { idle_timeout: 1s }'),
    ];
    for (const filter of cases) assert.deepEqual(rowOf(hop(filter)).policy.listener, {}, filter.split('\n').slice(0, 12).join(' '));
  });

  it('a root-namespace filter applies to every proxy; a later one for the same field wins', () => {
    const { policy } = rowOf(hop(
      hcmPatch('mesh-wide', 'istio-system', 'SIDECAR_INBOUND', 'common_http_protocol_options: { idle_timeout: 5s }'),
      hcmPatch('local', 'shop', 'SIDECAR_INBOUND', 'common_http_protocol_options: { idle_timeout: 20s }', '{ version: v1 }'),
    ));
    assert.equal(policy.listener.inboundIdleTimeout?.value, 20, 'shop/local applies after the root namespace filter');
    assert.equal(policy.listener.inboundIdleTimeout?.object.ref.name, 'local');
  });

  it('a destination whose pods run without a sidecar has no inbound listener to patch', () => {
    const yaml = hop(hcmPatch('in', 'shop', 'SIDECAR_INBOUND', 'common_http_protocol_options: { idle_timeout: 1s }')).replace('labels: { app: reviews, version: v1 }', 'labels: { app: reviews, version: v1, sidecar.istio.io/inject: "false" }');
    const policies = buildTrafficModel(modelFromYaml(yaml)).connectionPolicies.filter((p) => p.host === REVIEWS && p.port === 9080);
    assert.ok(policies.length, 'the hop has a policy');
    for (const p of policies) assert.deepEqual(p.listener, {});
    const injected = buildTrafficModel(modelFromYaml(yaml.replace('sidecar.istio.io/inject: "false"', 'sidecar.istio.io/inject: "true"'))).connectionPolicies.filter((p) => p.host === REVIEWS && p.port === 9080);
    assert.ok(injected.some((p) => p.listener.inboundIdleTimeout?.value === 1), 'near miss: the same pods with a sidecar');
  });

  it('a patch no route reaches still gets the Service port\'s policy (so rules see it)', () => {
    const yaml = hop(hcmPatch('in', 'shop', 'SIDECAR_INBOUND', 'common_http_protocol_options: { idle_timeout: 1s }')).split('---\n').filter((d) => !d.includes('kind: VirtualService')).join('---\n');
    const traffic = buildTrafficModel(modelFromYaml(yaml));
    assert.equal(traffic.routes.length, 0);
    assert.equal(traffic.connectionPolicies.find((p) => p.host === REVIEWS && p.port === 9080)?.listener.inboundIdleTimeout?.value, 1);
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
