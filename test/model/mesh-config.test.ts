import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { findMeshConfigMap, meshSettingsFromConfigMap, parseMeshConfig } from '../../src/model/mesh-config.js';
import { computeMultipliers } from '../../src/model/build-traffic.js';
import { findingsOf } from '../helpers/rule-tester.js';
import { dedent, docs, modelFromYaml, objectsFromYaml } from '../helpers/model.js';
import { serviceEntry, virtualService } from '../helpers/manifests.js';

/** ConfigMap `istio` with `mesh` as its data.mesh text, in `namespace`. */
function meshConfigMap(mesh: string, namespace = 'istio-system', name = 'istio'): string {
  const indented = mesh.split('\n').map((l) => (l ? `    ${l}` : l)).join('\n');
  return `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ${name}\n  namespace: ${namespace}\ndata:\n  mesh: |\n${indented}\n`;
}

/** One namespace calling one MESH_EXTERNAL host over HTTP port 80 with no retries block and no DestinationRule. */
const EXTERNAL_CALL = docs(serviceEntry('pay', { host: 'api.pay.example' }), virtualService('pay', { host: 'api.pay.example', port: 80 }));

const BASELINE = dedent(`
  defaultTrafficPolicy:
    connectionPool:
      tcp: { maxConnections: 50 }
      http: { maxRequestsPerConnection: 1 }
    outlierDetection: { consecutive5xxErrors: 5 }
    loadBalancer: { simple: LEAST_REQUEST }
`);

describe('mesh config (ConfigMap istio) → MeshSettings', () => {
  it('reads rootNamespace, defaultHttpRetryPolicy, h2UpgradePolicy and defaultTrafficPolicy', () => {
    const [cm] = objectsFromYaml(meshConfigMap(`rootNamespace: mesh-root\ndefaultHttpRetryPolicy:\n  attempts: 4\nh2UpgradePolicy: UPGRADE\n${BASELINE}`));
    const { settings, problems } = meshSettingsFromConfigMap(cm);
    assert.deepEqual(problems, []);
    assert.equal(settings.rootNamespace, 'mesh-root');
    assert.equal(settings.defaultRetryAttempts, 4);
    assert.equal(settings.h2UpgradePolicy, 'UPGRADE');
    assert.deepEqual(settings.defaultTrafficPolicy?.path, ['data', 'mesh', 'defaultTrafficPolicy']);
    assert.equal(settings.defaultTrafficPolicy?.object, cm);
  });

  it('defaults: the root namespace is the ConfigMap’s; a retry policy without attempts disables retries (Istio: attempts ≤ 0)', () => {
    const [cm] = objectsFromYaml(meshConfigMap('defaultHttpRetryPolicy:\n  retryOn: connect-failure\n', 'istio-canary'));
    const { settings, problems } = meshSettingsFromConfigMap(cm);
    assert.deepEqual(problems, []);
    assert.deepEqual({ ...settings, defaultHttpRetryPolicy: settings.defaultHttpRetryPolicy?.value }, { rootNamespace: 'istio-canary', defaultRetryAttempts: 0, defaultHttpRetryPolicy: { retryOn: 'connect-failure' } });
    assert.deepEqual(settings.defaultHttpRetryPolicy?.path, ['data', 'mesh', 'defaultHttpRetryPolicy']);
    const [empty] = objectsFromYaml(meshConfigMap(''));
    assert.deepEqual(meshSettingsFromConfigMap(empty), { settings: { rootNamespace: 'istio-system' }, problems: [] });
  });

  it('values of the wrong type are problems at their path, and Istio’s defaults stay', () => {
    const [cm] = objectsFromYaml(meshConfigMap('defaultHttpRetryPolicy:\n  attempts: many\nh2UpgradePolicy: SOMETIMES\ndefaultTrafficPolicy: [1]\nrootNamespace: 7\n'));
    const { settings, problems } = meshSettingsFromConfigMap(cm);
    assert.deepEqual(settings, { rootNamespace: 'istio-system' });
    assert.deepEqual(problems.map((p) => p.path.join('.')), ['data.mesh.rootNamespace', 'data.mesh.defaultHttpRetryPolicy.attempts', 'data.mesh.h2UpgradePolicy', 'data.mesh.defaultTrafficPolicy']);
    assert.match(problems[2].message, /ConfigMap istio-system\/istio: mesh config h2UpgradePolicy must be UPGRADE or DO_NOT_UPGRADE/);
    assert.deepEqual(parseMeshConfig('- a\n- b\n'), { error: 'a YAML list, not a mapping' });
    assert.ok('error' in parseMeshConfig('a: [unclosed\n'));
  });

  it('prefers the ConfigMap in istio-system, ignores ConfigMaps of other names', () => {
    const objects = objectsFromYaml(docs(meshConfigMap('{}', 'other'), meshConfigMap('{}', 'istio-system')));
    assert.equal(findMeshConfigMap(objects)?.ref.namespace, 'istio-system');
    assert.equal(findMeshConfigMap(objectsFromYaml(meshConfigMap('{}', 'other')))?.ref.namespace, 'other');
    assert.equal(findMeshConfigMap([]), undefined);
  });
});

describe('meshConfig.defaultTrafficPolicy in the model (Istio ≥ 1.31)', () => {
  it('fills connectionPool and outlierDetection that no DestinationRule layer sets, not the other blocks', () => {
    const [cm] = objectsFromYaml(meshConfigMap(BASELINE));
    const { settings } = meshSettingsFromConfigMap(cm);
    const model = modelFromYaml(docs(EXTERNAL_CALL, dedent(`
      apiVersion: networking.istio.io/v1
      kind: DestinationRule
      metadata: { name: pay, namespace: shop }
      spec:
        host: api.pay.example
        trafficPolicy:
          connectionPool:
            tcp: { maxConnections: 10 }
        subsets:
        - name: v2
          trafficPolicy:
            loadBalancer: { simple: ROUND_ROBIN }
    `)), settings);
    const dr = model.destinationRuleFor('shop', 'api.pay.example');
    const policy = model.effectivePolicy(dr, 'v2', 80);
    assert.deepEqual(policy.connectionPool?.value, { tcp: { maxConnections: 10 } }, 'the DestinationRule’s block wins as a whole');
    assert.equal(policy.connectionPool?.object.ref.kind, 'DestinationRule');
    assert.deepEqual(policy.outlierDetection?.value, { consecutive5xxErrors: 5 });
    assert.deepEqual(policy.outlierDetection?.path, ['data', 'mesh', 'defaultTrafficPolicy', 'outlierDetection']);
    assert.deepEqual(policy.loadBalancer?.value, { simple: 'ROUND_ROBIN' }, 'loadBalancer is not taken from the baseline');
    // No DestinationRule at all: the baseline alone.
    const none = model.effectivePolicy(null);
    assert.deepEqual(Object.keys(none).sort(), ['connectionPool', 'outlierDetection']);
    // Without a baseline, no DestinationRule means no policy.
    assert.deepEqual(modelFromYaml(EXTERNAL_CALL).effectivePolicy(null), {});
  });

  it('counts the baseline’s maxRequestsPerConnection in the multiplier, traced to the ConfigMap', () => {
    const [cm] = objectsFromYaml(meshConfigMap(BASELINE));
    const model = modelFromYaml(EXTERNAL_CALL, meshSettingsFromConfigMap(cm).settings);
    const [route] = computeMultipliers(model, {});
    assert.equal(route.total, 3, '3 tries (Istio’s 2 default retries), each a new connection');
    const trace = route.legs[1].trace.at(-1)!;
    assert.equal(trace.text, 'maxRequestsPerConnection: 1 (keep-alive off)');
    assert.equal(trace.location?.fieldPath, 'data.mesh.defaultTrafficPolicy.connectionPool.http.maxRequestsPerConnection');
    assert.equal(trace.location?.object?.kind, 'ConfigMap');
  });
});

describe('meshlint check reads ConfigMap istio among its inputs', () => {
  it('a baseline connectionPool silences connection-pool-missing; a ConfigMap of another name does not', async () => {
    assert.equal((await findingsOf('connection-pool-missing', { name: 'no mesh config', yaml: EXTERNAL_CALL })).length, 1);
    assert.equal((await findingsOf('connection-pool-missing', { name: 'baseline', yaml: docs(EXTERNAL_CALL, meshConfigMap(BASELINE)) })).length, 0);
    assert.equal((await findingsOf('connection-pool-missing', { name: 'near miss: another ConfigMap', yaml: docs(EXTERNAL_CALL, meshConfigMap(BASELINE, 'istio-system', 'istio-sidecar-injector')) })).length, 1);
  });

  it('defaultHttpRetryPolicy changes the implicit default retries; explicit mesh options still win', async () => {
    const yaml = docs(EXTERNAL_CALL, meshConfigMap('defaultHttpRetryPolicy:\n  attempts: 5\n'));
    const [finding] = await findingsOf('retries-implicit-default', { name: 'mesh default 5', yaml });
    assert.match(finding.message, /Istio's default of 5 retries applies, up to 6 tries per request/);
    assert.match((await findingsOf('retries-implicit-default', { name: 'override', yaml, mesh: { defaultRetryAttempts: 1 } }))[0].message, /default of 1 retries/);
  });

  it('an unusable mesh config is schema-invalid at data.mesh, and the defaults apply', async () => {
    const yaml = docs(EXTERNAL_CALL, meshConfigMap('- not\n- a mapping\n'));
    const found = await findingsOf('schema-invalid', { name: 'list', yaml });
    assert.equal(found.length, 1);
    assert.equal(found[0].location.line, yaml.split('\n').indexOf('  mesh: |') + 1, 'the line of data.mesh in the input');
    assert.equal(found[0].location.fieldPath, 'data.mesh');
    assert.match(found[0].message, /ConfigMap istio-system\/istio: data\.mesh is a YAML list, not a mapping; mesh config defaults are assumed/);
    assert.match((await findingsOf('retries-implicit-default', { name: 'defaults', yaml }))[0].message, /default of 2 retries/);
  });
});
