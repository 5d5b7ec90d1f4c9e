import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { chooseIstioSemantics, installFlags, readIstioInstall } from '../../src/model/adapters/istio/install.js';
import { dedent, docs, objectsFromYaml } from '../helpers/model.js';

const OPERATOR = dedent(`
  apiVersion: install.istio.io/v1alpha1
  kind: IstioOperator
  metadata: { name: installed-state, namespace: istio-system }
  spec:
    tag: 1.23.4-distroless
    meshConfig:
      rootNamespace: istio-config
      defaultHttpRetryPolicy: { attempts: 5, retryOn: "5xx,connect-failure" }
      h2UpgradePolicy: UPGRADE
    values:
      pilot:
        env:
          ENABLE_INBOUND_RETRY_POLICY: "true"
`);

const ISTIOD = dedent(`
  apiVersion: apps/v1
  kind: Deployment
  metadata: { name: istiod, namespace: istio-system }
  spec:
    template:
      spec:
        containers:
        - name: discovery
          image: docker.io/istio/pilot:1.24.2
          env:
          - { name: PILOT_TRACE_SAMPLING, value: "1" }
          - { name: EXCLUDE_UNSAFE_503_FROM_DEFAULT_RETRY, value: "false" }
`);

const CONFIGMAP = dedent(`
  apiVersion: v1
  kind: ConfigMap
  metadata:
    name: istio
    namespace: istio-system
    labels: { app.kubernetes.io/version: "1.26.1", helm.sh/chart: istiod-1.26.1 }
  data:
    mesh: |
      defaultHttpRetryPolicy: { attempts: 1 }
`);

describe('IstioOperator: spec.meshConfig is read like the istio ConfigMap', () => {
  it('reads the mesh settings, the version from spec.tag and pilot env switches, with their fields', () => {
    const install = readIstioInstall(objectsFromYaml(OPERATOR));
    assert.deepEqual(install.problems, []);
    assert.equal(install.meshSettings.rootNamespace, 'istio-config');
    assert.equal(install.meshSettings.defaultRetryAttempts, 5);
    assert.equal(install.meshSettings.h2UpgradePolicy, 'UPGRADE');
    assert.deepEqual(install.meshSettings.defaultHttpRetryPolicy?.path, ['spec', 'meshConfig', 'defaultHttpRetryPolicy']);
    assert.deepEqual(install.version?.value, { major: 1, minor: 23, patch: 4 });
    assert.deepEqual(install.version?.path, ['spec', 'tag']);
    assert.deepEqual(installFlags(install), { enableInboundRetryPolicy: true });
    const semantics = chooseIstioSemantics(install);
    assert.equal(semantics.source.kind, 'input');
    assert.ok(semantics.inboundRetry, '1.23 with the inbound retry switch turned on');
    assert.deepEqual(semantics.defaultRetry.retriableStatusCodes, [503]);
  });

  it('the istio ConfigMap wins for the mesh config; the operator still names the version', () => {
    const install = readIstioInstall(objectsFromYaml(docs(OPERATOR, CONFIGMAP)));
    assert.deepEqual(install.meshSettings, {});
    assert.equal(install.meshConfigFrom, undefined);
    assert.equal(install.version?.text, 'IstioOperator istio-system/installed-state spec.tag 1.23.4');
  });

  it('wrong values are problems at their field; the rest is still read', () => {
    const install = readIstioInstall(objectsFromYaml(dedent(`
      apiVersion: install.istio.io/v1alpha1
      kind: IstioOperator
      metadata: { name: bad, namespace: istio-system }
      spec:
        tag: latest
        meshConfig: { h2UpgradePolicy: SOMETIMES, defaultHttpRetryPolicy: { attempts: 3 } }
        values: { pilot: { env: { ENABLE_INBOUND_RETRY_POLICY: maybe } } }
    `)));
    assert.deepEqual(install.problems.map((p) => p.path.join('.')), ['spec.tag', 'spec.values.pilot.env.ENABLE_INBOUND_RETRY_POLICY', 'spec.meshConfig.h2UpgradePolicy']);
    assert.equal(install.version, undefined);
    assert.equal(install.meshSettings.defaultRetryAttempts, 3);
  });
});

describe('which Istio release the run models', () => {
  it('the istiod image and env win over the operator and the ConfigMap labels', () => {
    const install = readIstioInstall(objectsFromYaml(docs(CONFIGMAP, OPERATOR, ISTIOD)));
    assert.deepEqual(install.version?.value, { major: 1, minor: 24, patch: 2 });
    assert.match(install.version?.text ?? '', /istiod image docker.io\/istio\/pilot:1.24.2/);
    assert.deepEqual(installFlags(install), { exclude503FromDefaultRetry: false, enableInboundRetryPolicy: true });
    const semantics = chooseIstioSemantics(install);
    assert.deepEqual(semantics.defaultRetry.retriableStatusCodes, [503], 'EXCLUDE_UNSAFE_503_FROM_DEFAULT_RETRY=false on istiod');
  });

  it('the ConfigMap’s Helm labels name the version when nothing else does', () => {
    assert.deepEqual(readIstioInstall(objectsFromYaml(CONFIGMAP)).version?.value, { major: 1, minor: 26, patch: 1 });
  });

  it('--istio-version beats istio.version beats the input beats the default, and a disagreement is noted', () => {
    const install = readIstioInstall(objectsFromYaml(CONFIGMAP));
    const cli = chooseIstioSemantics(install, { cli: '1.23', config: '1.27' });
    assert.deepEqual([cli.version, cli.source.kind], [{ major: 1, minor: 23 }, 'cli']);
    assert.match(cli.notes.join('\n'), /--istio-version 1.23 is used, although the input says ConfigMap istio-system\/istio label app.kubernetes.io\/version 1.26.1/);
    const config = chooseIstioSemantics(install, { config: '1.27' });
    assert.deepEqual([config.version, config.source.kind], [{ major: 1, minor: 27 }, 'config']);
    assert.equal(chooseIstioSemantics(install).source.kind, 'input');
    const none = chooseIstioSemantics(readIstioInstall([]));
    assert.equal(none.source.kind, 'default');
    assert.deepEqual(none.notes, []);
  });

  it('a compatibilityVersion 1.23 profile turns the 1.24 retry changes off unless a switch says otherwise', () => {
    const install = readIstioInstall(objectsFromYaml(dedent(`
      apiVersion: install.istio.io/v1alpha1
      kind: IstioOperator
      metadata: { name: compat, namespace: istio-system }
      spec:
        tag: 1.25.0
        compatibilityVersion: "1.23"
        values: { pilot: { env: { ENABLE_INBOUND_RETRY_POLICY: "true" } } }
    `)));
    const semantics = chooseIstioSemantics(install);
    assert.deepEqual(semantics.defaultRetry.retriableStatusCodes, [503]);
    assert.ok(semantics.inboundRetry, 'the explicit switch wins over the profile');
  });
});
