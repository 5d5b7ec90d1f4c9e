import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { clusterUri, kubectlEditCommand, manifestObjectsOf } from '../../src/audit/objects.js';
import { isClusterUri, locate } from '../../src/load/objects.js';

describe('cluster object locations', () => {
  it('names objects cluster://<context>/<kind>/<namespace>/<name>, percent-encoding each part', () => {
    assert.equal(clusterUri('kind-prod', { kind: 'DestinationRule', namespace: 'payments', name: 'api' }), 'cluster://kind-prod/DestinationRule/payments/api');
    assert.equal(clusterUri('kind-prod', { kind: 'Namespace', namespace: '', name: 'payments' }), 'cluster://kind-prod/Namespace/payments');
    // kubeadm's and EKS's context names: '@', ':' and '/' would otherwise split the authority or the path.
    const eks = clusterUri('arn:aws:eks:eu-west-1:123456789012:cluster/prod', { kind: 'VirtualService', namespace: 'a', name: 'b' });
    assert.equal(eks, 'cluster://arn%3Aaws%3Aeks%3Aeu-west-1%3A123456789012%3Acluster%2Fprod/VirtualService/a/b');
    const url = new URL(clusterUri('kubernetes-admin@kubernetes', { kind: 'Gateway', namespace: 'istio-system', name: 'gw' }));
    assert.equal(url.protocol, 'cluster:');
    assert.equal(url.username, '', 'the context is not mistaken for userinfo');
    assert.equal(url.pathname, '/Gateway/istio-system/gw');
    assert.ok(isClusterUri(eks));
    assert.ok(!isClusterUri('cluster.yaml'));
  });

  it('kubectl edit commands: kind/name, -n for namespaced kinds, --context when given, quoted when needed', () => {
    assert.equal(kubectlEditCommand({ kind: 'DestinationRule', namespace: 'payments', name: 'api' }), 'kubectl edit destinationrule/api -n payments');
    assert.equal(kubectlEditCommand({ kind: 'Namespace', namespace: '', name: 'payments' }), 'kubectl edit namespace/payments');
    // A kind served by several groups is named with its group, so kubectl opens the right object.
    assert.equal(kubectlEditCommand({ apiVersion: 'policy.linkerd.io/v1beta3', kind: 'HTTPRoute', namespace: 'shop', name: 'orders' }), 'kubectl edit httproute.policy.linkerd.io/orders -n shop');
    assert.equal(kubectlEditCommand({ apiVersion: 'gateway.networking.k8s.io/v1', kind: 'HTTPRoute', namespace: 'shop', name: 'orders' }), 'kubectl edit httproute.gateway.networking.k8s.io/orders -n shop');
    assert.equal(kubectlEditCommand({ apiVersion: 'networking.istio.io/v1', kind: 'Gateway', namespace: 'infra', name: 'gw' }), 'kubectl edit gateway.networking.istio.io/gw -n infra');
    assert.equal(kubectlEditCommand({ apiVersion: 'linkerd.io/v1alpha2', kind: 'ServiceProfile', namespace: 'shop', name: 'payments.shop.svc.cluster.local' }), 'kubectl edit serviceprofile/payments.shop.svc.cluster.local -n shop');
    assert.equal(kubectlEditCommand({ kind: 'ConfigMap', namespace: 'istio-system', name: 'istio' }, 'admin@prod'), 'kubectl edit configmap/istio -n istio-system --context admin@prod');
    assert.equal(kubectlEditCommand({ kind: 'Deployment', namespace: 'a', name: 'web' }, "it's prod"), "kubectl edit deployment/web -n a --context 'it'\\''s prod'");
  });

  it('turns served objects into ManifestObjects without lines, located by URI and field path', () => {
    const { objects, skipped } = manifestObjectsOf([
      { apiVersion: 'networking.istio.io/v1beta1', kind: 'DestinationRule', metadata: { name: 'api', namespace: 'payments' }, spec: { host: 'api' } },
      { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'payments' } },
      { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'istio', namespace: 'istio-system' }, data: { mesh: '' } },
      { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'other', namespace: 'istio-system' } },
    ], 'ctx');
    assert.deepEqual(objects.map((o) => [o.ref.kind, o.ref.namespace, o.ref.name, o.group, o.version, o.order]), [
      ['DestinationRule', 'payments', 'api', 'networking.istio.io', 'v1beta1', 0],
      ['Namespace', '', 'payments', '', 'v1', 1],
      ['ConfigMap', 'istio-system', 'istio', '', 'v1', 2],
    ]);
    assert.deepEqual(skipped, { ConfigMap: 1 });
    assert.equal(objects[0].origin.positions, null);
    assert.deepEqual(locate(objects[0], ['spec', 'host']), {
      file: 'cluster://ctx/DestinationRule/payments/api',
      line: 1,
      column: 1,
      object: { apiVersion: 'networking.istio.io/v1beta1', kind: 'DestinationRule', namespace: 'payments', name: 'api' },
      fieldPath: 'spec.host',
    });
  });
});
