/**
 * `audit` reads the Linkerd kinds (issue 16) from a real HTTPS API server on loopback (the fake in
 * test/helpers/fake-apiserver.ts): ServiceProfile (linkerd.io), HTTPRoute and EgressNetwork (policy.linkerd.io) in
 * the version the cluster serves, analysed like files; a cluster without Linkerd's CRDs is coverage
 * "not-installed", never an error.
 */
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { readCluster } from '../../src/audit/cluster.js';
import type { FakeApiServerOptions, KubeObject } from '../helpers/fake-apiserver.js';
import { runCliAsync } from '../helpers/cli.js';
import { fakeClusters, isolatedEnv } from '../helpers/kube.js';
import { ROOT } from '../helpers/paths.js';

/**
 * A Linkerd mesh: namespace `shop` injected; ServiceProfile for `payments` with a retryable POST route; a
 * policy.linkerd.io HTTPRoute on `orders` with `retry.linkerd.io/limit: 5`; an EgressNetwork for 0.0.0.0/0.
 */
function linkerdObjects(routeVersion = 'v1beta3'): KubeObject[] {
  return [
    { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'shop', annotations: { 'linkerd.io/inject': 'enabled' } } },
    { apiVersion: 'v1', kind: 'Service', metadata: { name: 'payments', namespace: 'shop' }, spec: { ports: [{ name: 'http', port: 80 }] } },
    { apiVersion: 'v1', kind: 'Service', metadata: { name: 'orders', namespace: 'shop' }, spec: { ports: [{ name: 'http', port: 80 }] } },
    {
      apiVersion: 'linkerd.io/v1alpha2', kind: 'ServiceProfile', metadata: { name: 'payments.shop.svc.cluster.local', namespace: 'shop' },
      spec: { routes: [{ name: 'POST /pay', condition: { method: 'POST', pathRegex: '/pay' }, isRetryable: true, timeout: '2s' }] },
    },
    {
      apiVersion: `policy.linkerd.io/${routeVersion}`, kind: 'HTTPRoute',
      metadata: { name: 'orders', namespace: 'shop', annotations: { 'retry.linkerd.io/http': '5xx', 'retry.linkerd.io/limit': '5', 'retry.linkerd.io/timeout': '300ms' } },
      spec: { parentRefs: [{ name: 'orders', kind: 'Service', group: 'core', port: 80 }], rules: [{ backendRefs: [{ name: 'orders', port: 80 }] }] },
    },
    { apiVersion: 'policy.linkerd.io/v1alpha1', kind: 'EgressNetwork', metadata: { name: 'internet', namespace: 'linkerd-egress' }, spec: { trafficPolicy: 'Allow', networks: [{ cidr: '0.0.0.0/0' }] } },
  ];
}

const clusters = fakeClusters('meshlint-audit-linkerd-');
after(() => clusters.close());
const cluster = (options: FakeApiServerOptions) => clusters.start({ istioVersions: [], ...options });

const linkerdKinds = (objects: readonly Record<string, unknown>[]) =>
  objects.filter((o) => String(o.apiVersion).includes('linkerd.io/')).map((o) => `${String(o.kind)} ${String(o.apiVersion)}`).sort();

describe('audit: Linkerd kinds', () => {
  it('reads ServiceProfile, policy.linkerd.io HTTPRoute and EgressNetwork in the preferred served version, with no unexpected call', async () => {
    const { srv, kubeconfig, home } = await cluster({ objects: linkerdObjects() });
    const read = await readCluster({ kubeconfig, env: isolatedEnv(home) as Record<string, string> });
    // Istio is not installed here: only its kinds are missing.
    assert.deepEqual(read.coverage.filter((n) => !n.resource.endsWith('networking.istio.io')), []);
    assert.deepEqual(linkerdKinds(read.objects), ['EgressNetwork policy.linkerd.io/v1alpha1', 'HTTPRoute policy.linkerd.io/v1beta3', 'ServiceProfile linkerd.io/v1alpha2']);
    assert.ok(srv.requests.some((r) => r.path === '/apis/policy.linkerd.io/v1beta3/httproutes'), 'HTTPRoute listed in v1beta3');
    assert.ok(srv.requests.some((r) => r.path === '/apis/policy.linkerd.io/v1alpha1/egressnetworks'), 'EgressNetwork listed in v1alpha1');
    assert.deepEqual(srv.unexpected, []);
  });

  it('an older Linkerd (HTTPRoute v1beta1 only, no EgressNetwork CRD): HTTPRoute read in v1beta1, EgressNetwork not-installed', async () => {
    const objects = linkerdObjects('v1beta1').filter((o) => o.kind !== 'EgressNetwork');
    const { srv, kubeconfig, home } = await cluster({ objects, linkerdVersions: { policy: ['v1beta1', 'v1alpha1'] }, linkerdMissing: ['egressnetworks'] });
    const read = await readCluster({ kubeconfig, env: isolatedEnv(home) as Record<string, string> });
    assert.deepEqual(linkerdKinds(read.objects), ['HTTPRoute policy.linkerd.io/v1beta1', 'ServiceProfile linkerd.io/v1alpha2']);
    const linkerdNotes = read.coverage.filter((n) => n.resource.endsWith('linkerd.io'));
    assert.deepEqual(linkerdNotes.map((n) => [n.kind, n.status]), [['EgressNetwork', 'not-installed']]);
    assert.match(linkerdNotes[0]!.message, /egressnetworks\.policy\.linkerd\.io is not served by this cluster \(is the Linkerd EgressNetwork CRD installed\?\)/);
    assert.ok(!srv.requests.some((r) => r.path.startsWith('/apis/policy.linkerd.io/v1beta3/')), 'no list in a version that is not served');
    assert.deepEqual(srv.unexpected, []);
  });

  // HTTPRoute v1alpha1 is still served by Linkerd's CRD (policy/httproute.yaml): read when it is all the cluster
  // serves, never when a v1beta version is served too, whatever the group's preferredVersion says.
  for (const { served, read: version } of [
    { served: ['v1alpha1'], read: 'v1alpha1' },
    { served: ['v1alpha1', 'v1beta1'], read: 'v1beta1' },
  ]) {
    it(`policy.linkerd.io served in ${served.join(', ')}: HTTPRoute read in ${version} (v1alpha1 is the lowest preference)`, async () => {
      const objects = linkerdObjects(version).filter((o) => o.kind !== 'EgressNetwork');
      const { srv, kubeconfig, home } = await cluster({ objects, linkerdVersions: { policy: served }, linkerdMissing: ['egressnetworks'] });
      const read = await readCluster({ kubeconfig, env: isolatedEnv(home) as Record<string, string> });
      assert.deepEqual(linkerdKinds(read.objects), [`HTTPRoute policy.linkerd.io/${version}`, 'ServiceProfile linkerd.io/v1alpha2']);
      assert.deepEqual(read.coverage.filter((n) => n.resource.endsWith('linkerd.io')).map((n) => [n.kind, n.status]), [['EgressNetwork', 'not-installed']]);
      const lists = srv.requests.filter((r) => r.path.startsWith('/apis/policy.linkerd.io/') && r.path.endsWith('/httproutes')).map((r) => r.path);
      assert.deepEqual(lists, [`/apis/policy.linkerd.io/${version}/httproutes`], 'HTTPRoute listed once, in the preferred served version');
      assert.deepEqual(srv.unexpected, []);
    });
  }

  it('Linkerd CRDs not installed: one not-installed note per Linkerd kind, no list call, the rest is analysed', async () => {
    const objects = linkerdObjects().filter((o) => !o.apiVersion.includes('linkerd.io/'));
    const { srv, kubeconfig, home } = await cluster({ objects, linkerdVersions: { profiles: [], policy: [] } });
    const read = await readCluster({ kubeconfig, env: isolatedEnv(home) as Record<string, string> });
    const linkerdNotes = read.coverage.filter((n) => !n.resource.endsWith('networking.istio.io'));
    assert.deepEqual(linkerdNotes.map((n) => `${n.kind} ${n.resource} ${n.status}`).sort(), [
      'EgressNetwork egressnetworks.policy.linkerd.io not-installed',
      'HTTPRoute httproutes.policy.linkerd.io not-installed',
      'ServiceProfile serviceprofiles.linkerd.io not-installed',
    ]);
    for (const n of linkerdNotes) assert.match(n.message, /^the API group (policy\.)?linkerd\.io is not served by this cluster \(Linkerd CRDs not installed\); no \w+ objects were read$/);
    assert.ok(!srv.requests.some((r) => r.path.includes('linkerd.io')), 'no Linkerd list attempted');
    assert.ok(read.objects.some((o) => o.kind === 'Service'));
  });

  it('meshlint audit analyses them like files: the Linkerd rows, retries-aggressive and retries-non-idempotent', async () => {
    const { kubeconfig, home } = await cluster({ objects: linkerdObjects() });
    const r = await runCliAsync(['audit', '--kubeconfig', kubeconfig, '--format', 'json'], { cwd: ROOT, env: isolatedEnv(home) });
    assert.equal(r.code, 0, r.stderr); // warnings only
    const report = JSON.parse(r.stdout) as { findings: { ruleId: string; message: string }[]; routes: { host: string; legs: { name: string; tries: number }[] }[] };
    const findings = report.findings.map((f) => f.ruleId);
    const aggressive = report.findings.find((f) => f.ruleId === 'retries-aggressive') as { hint?: string } | undefined;
    assert.ok(aggressive, JSON.stringify(report.findings));
    assert.match(aggressive.hint ?? '', /kubectl edit httproute\.policy\.linkerd\.io\/orders -n shop/, 'the edit hint names the Linkerd HTTPRoute, not the Gateway API one');
    assert.ok(report.findings.some((f) => f.ruleId === 'retries-non-idempotent' && /ServiceProfile route "POST \/pay" matches POST/.test(f.message)), JSON.stringify(report.findings));
    assert.ok(!findings.includes('retries-implicit-default'), 'Linkerd retries nothing by default');
    const orders = report.routes.find((x) => x.host === 'orders.shop.svc.cluster.local');
    assert.ok(orders, JSON.stringify(report.routes.map((x) => x.host)));
    // limit 5: 1 + 5 tries on the client proxy's leg.
    assert.deepEqual(orders.legs.map((l) => [l.name, l.tries]).find(([name]) => String(name).startsWith('linkerd-proxy → orders')), ['linkerd-proxy → orders.shop.svc.cluster.local:80', 6]);
  });
});
