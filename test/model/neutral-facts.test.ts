import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { meshFacts } from '../../src/model/adapters/istio/mesh-facts.js';
import { istioSemantics } from '../../src/model/adapters/istio/versions.js';
import { meshSettingsFromConfigMap } from '../../src/model/mesh-config.js';
import { buildTrafficModel } from '../../src/model/build-traffic.js';
import type { ConnectionPolicy } from '../../src/model/traffic.js';
import { httpProtocolOptionsValue, routedService } from '../helpers/manifests.js';
import { dedent, docs, modelFromYaml, objectsFromYaml } from '../helpers/model.js';

/**
 * What the adapters put into the neutral model so that rules never read an object themselves
 * (docs/architecture.md, "Rules and the neutral model"): each figure's policy layer and written value, and the
 * mesh-wide facts of the rule context.
 */

const REVIEWS = 'reviews.shop.svc.cluster.local';

/** Service reviews with an HTTP port 9080 and a TLS port 9443, and a DestinationRule with a layer per level. */
const LAYERED = docs(
  dedent(`
    apiVersion: v1
    kind: Service
    metadata: { name: reviews, namespace: shop }
    spec:
      ports: [{ name: http, port: 9080 }, { name: tls, port: 9443 }]
  `),
  dedent(`
    apiVersion: networking.istio.io/v1
    kind: DestinationRule
    metadata: { name: reviews, namespace: shop }
    spec:
      host: reviews
      trafficPolicy:
        connectionPool:
          http: { idleTimeout: 10s, maxRequestsPerConnection: 5 }
        portLevelSettings:
        - port: { number: 9080 }
          connectionPool:
            tcp: { maxConnectionDuration: 2m }
      subsets:
      - name: v1
        labels: { version: v1 }
      - name: v2
        labels: { version: v2 }
        trafficPolicy:
          connectionPool:
            http: { maxRequestsPerConnection: 1 }
          portLevelSettings:
          - port: { number: 9080 }
            connectionPool:
              http: { idleTimeout: 15s }
  `),
);

/** EnvoyFilter `name` in shop with `patches` (items of `configPatches`, 2-space indent). */
const envoyFilter = (name: string, patches: string) => `apiVersion: networking.istio.io/v1alpha3\nkind: EnvoyFilter\nmetadata: { name: ${name}, namespace: shop }\nspec:\n  configPatches:\n${patches}`;

/** A CLUSTER MERGE on reviews:9080 of client sidecars that sets HttpProtocolOptions' `idle_timeout` to 3s. */
const IDLE_3S_PATCH = `  - applyTo: CLUSTER
    match:
      context: SIDECAR_OUTBOUND
      cluster: { service: ${REVIEWS}, portNumber: 9080 }
    patch:
      operation: MERGE
      value:
${httpProtocolOptionsValue('{ idle_timeout: 3s }', 8)}`;

/** The policy of clients in `shop` for reviews `subset` on `port`. */
function policyOf(policies: readonly ConnectionPolicy[], subset: string | undefined, port: number): ConnectionPolicy {
  const found = policies.find((p) => p.clientNamespace === 'shop' && p.host === REVIEWS && p.subset === subset && p.port === port);
  assert.ok(found, `a policy for ${subset ?? '(no subset)'}:${port}`);
  return found;
}

describe('connection policy figures carry their layer and written value', () => {
  const policies = buildTrafficModel(modelFromYaml(LAYERED)).connectionPolicies;

  it('names the DestinationRule layer each figure came from: top level, port, subset, subset and port', () => {
    assert.equal(policyOf(policies, undefined, 9443).http.maxRequestsPerConnection, undefined, 'TLS port: HTTP settings are ignored');
    const top = policyOf(policies, 'v1', 9443);
    assert.equal(top.tcp.maxConnectionDuration, undefined, 'the port 9080 layer does not reach 9443');
    const topPort = policyOf(policies, undefined, 9080);
    assert.equal(topPort.tcp.maxConnectionDuration?.layer, 'top level, port 9080');
    assert.equal(topPort.http.maxRequestsPerConnection, undefined, 'the port layer replaces the whole connectionPool block');
    const subset = policyOf(policies, 'v2', 9443);
    assert.equal(subset.ignored.find((i) => i.field === 'http.maxRequestsPerConnection')?.layer, 'subset v2', 'an ignored setting names its layer too');
    const subsetPort = policyOf(policies, 'v2', 9080);
    assert.deepEqual({ value: subsetPort.http.idleTimeout?.value, layer: subsetPort.http.idleTimeout?.layer, written: subsetPort.http.idleTimeout?.written }, { value: 15, layer: 'subset v2, port 9080', written: '15s' });
    const v1 = policyOf(policies, 'v1', 9080);
    assert.equal(v1.tcp.maxConnectionDuration?.layer, 'top level, port 9080', 'subset v1 has no policy of its own');
    assert.equal(v1.tcp.maxConnectionDuration?.written, '2m');
  });

  it('the top level of a DestinationRule without subsets or ports, and a number keeps no written text it does not need', () => {
    const policy = policyOf(buildTrafficModel(modelFromYaml(LAYERED.split('\n    portLevelSettings:')[0]!)).connectionPolicies, undefined, 9080);
    assert.equal(policy.http.maxRequestsPerConnection?.layer, 'top level');
    assert.equal(policy.http.maxRequestsPerConnection?.written, undefined);
    assert.equal(policy.http.idleTimeout?.written, '10s');
  });

  it('meshConfig.defaultTrafficPolicy from the istio ConfigMap: the mesh layer, and no written value (the mesh config is one string)', () => {
    const [cm] = objectsFromYaml(
      'apiVersion: v1\nkind: ConfigMap\nmetadata: { name: istio, namespace: istio-system }\ndata:\n  mesh: |\n    defaultTrafficPolicy:\n      connectionPool:\n        http: { idleTimeout: 5s }\n',
    );
    const { settings } = meshSettingsFromConfigMap(cm!);
    const policy = policyOf(buildTrafficModel(modelFromYaml(routedService(), settings)).connectionPolicies, undefined, 9080);
    assert.equal(policy.http.idleTimeout?.value, 5);
    assert.equal(policy.http.idleTimeout?.layer, 'meshConfig.defaultTrafficPolicy');
    assert.equal(policy.http.idleTimeout?.written, undefined);
  });

  it('an EnvoyFilter override names the filter and patch, over the DestinationRule, with the value as written', () => {
    const policy = policyOf(buildTrafficModel(modelFromYaml(docs(LAYERED, envoyFilter('keepalive', IDLE_3S_PATCH)))).connectionPolicies, undefined, 9080);
    const idle = policy.http.idleTimeout;
    assert.equal(idle?.object.ref.kind, 'EnvoyFilter');
    assert.deepEqual({ value: idle?.value, layer: idle?.layer, written: idle?.written }, { value: 3, layer: 'EnvoyFilter shop/keepalive configPatches[0], over the DestinationRule', written: '3s' });
  });
});

describe('mesh facts of the rule context (MeshFacts)', () => {
  it('the release as plain values: version text, retryBudget field, the uncapped max_retries istiod writes', () => {
    assert.deepEqual(meshFacts(modelFromYaml('')).release, { version: '1.31', retryBudgetField: true, uncappedMaxRetries: 4294967295 });
    assert.deepEqual(meshFacts(modelFromYaml('', { istio: istioSemantics({ major: 1, minor: 26, patch: 2 }) })).release, { version: '1.26.2', retryBudgetField: false, uncappedMaxRetries: 4294967295 });
  });

  it('h2UpgradePolicy: the mesh default unless the mesh config says UPGRADE', () => {
    assert.equal(meshFacts(modelFromYaml('')).h2UpgradePolicy, 'DO_NOT_UPGRADE');
    assert.equal(meshFacts(modelFromYaml('', { h2UpgradePolicy: 'UPGRADE' })).h2UpgradePolicy, 'UPGRADE');
  });

  it('unmodelled patches with their reason; a modelled patch is not among them', () => {
    const yaml = envoyFilter('lua', `  - applyTo: HTTP_FILTER\n    patch: { operation: INSERT_FIRST, value: {} }\n${IDLE_3S_PATCH}`);
    const patches = meshFacts(modelFromYaml(yaml)).unmodelledPatches();
    assert.deepEqual(patches.map((p) => [p.filter.ref.name, p.index, p.path.join('.'), p.applyTo, p.operation, p.reason]), [['lua', 0, 'spec.configPatches.0', 'HTTP_FILTER', 'INSERT_FIRST', 'applyTo HTTP_FILTER is not modelled']]);
  });

  it('listening ports of the node (hostPort, hostNetwork containerPort, nodePort) and of one workload’s pods (containerPort, Service targetPort)', () => {
    const yaml = docs(
      dedent(`
        apiVersion: apps/v1
        kind: DaemonSet
        metadata: { name: agent, namespace: kube-system }
        spec:
          template:
            metadata: { labels: { app: agent } }
            spec:
              containers:
              - name: agent
                ports: [{ containerPort: 8080, hostPort: 40001 }, { containerPort: 53, protocol: UDP, hostPort: 53 }]
      `),
      dedent(`
        apiVersion: apps/v1
        kind: Deployment
        metadata: { name: web, namespace: shop }
        spec:
          template:
            metadata: { labels: { app: web } }
            spec:
              hostNetwork: true
              containers:
              - name: web
                ports: [{ containerPort: 45000 }]
      `),
      dedent(`
        apiVersion: v1
        kind: Service
        metadata: { name: web, namespace: shop }
        spec:
          type: NodePort
          selector: { app: web }
          ports: [{ port: 80, targetPort: 45001, nodePort: 31000 }]
      `),
    );
    const model = modelFromYaml(yaml);
    const facts = meshFacts(model);
    assert.deepEqual(facts.nodeListeningPorts(), [
      { port: 40001, what: 'hostPort of DaemonSet kube-system/agent container agent' },
      { port: 45000, what: 'containerPort of hostNetwork Deployment shop/web container web' },
      { port: 31000, what: 'nodePort of Service shop/web' },
    ]);
    assert.equal(facts.nodeListeningPorts(), facts.nodeListeningPorts(), 'computed once');
    const web = model.objects.find((o) => o.ref.kind === 'Deployment')!;
    assert.deepEqual(facts.podListeningPorts(web), [
      { port: 45000, what: 'containerPort of Deployment shop/web container web' },
      { port: 45001, what: 'targetPort of Service shop/web' },
    ]);
    const service = model.objects.find((o) => o.ref.kind === 'Service')!;
    assert.deepEqual(facts.podListeningPorts(service), [], 'a Service has no pod spec');
  });
});
