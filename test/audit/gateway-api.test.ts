/**
 * `audit` reads the Gateway API kinds (issue 15) from a real HTTPS API server on loopback (the fake in
 * test/helpers/fake-apiserver.ts): Gateway, GatewayClass, HTTPRoute, GRPCRoute, ReferenceGrant and
 * XBackendTrafficPolicy in the version the cluster serves, analysed like files; a cluster without the CRDs is
 * coverage "not-installed", never an error.
 */
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { readCluster } from '../../src/audit/cluster.js';
import type { FakeApiServerOptions, KubeObject } from '../helpers/fake-apiserver.js';
import { runCliAsync } from '../helpers/cli.js';
import { fakeClusters, isolatedEnv } from '../helpers/kube.js';
import { ROOT } from '../helpers/paths.js';

const G = 'gateway.networking.k8s.io';

/** A north-south route on an Istio Gateway (retry.attempts 3, keep-alive off), a cross-namespace backendRef without a grant, and a retry budget. */
function gatewayObjects(version = 'v1'): KubeObject[] {
  return [
    { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'infra' } },
    { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'istio', namespace: 'istio-system' }, data: { mesh: 'enableTracing: false\n' } },
    { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'shop', labels: { 'istio-injection': 'enabled' } } },
    { apiVersion: 'v1', kind: 'Service', metadata: { name: 'shop', namespace: 'shop' }, spec: { ports: [{ name: 'http', port: 8080 }] } },
    { apiVersion: `${G}/${version}`, kind: 'GatewayClass', metadata: { name: 'istio' }, spec: { controllerName: 'istio.io/gateway-controller' } },
    { apiVersion: `${G}/${version}`, kind: 'Gateway', metadata: { name: 'ingress', namespace: 'infra' }, spec: { gatewayClassName: 'istio', listeners: [{ name: 'http', port: 80, protocol: 'HTTP', allowedRoutes: { namespaces: { from: 'All' } } }] } },
    { apiVersion: `${G}/${version}`, kind: 'HTTPRoute', metadata: { name: 'shop', namespace: 'shop' }, spec: { parentRefs: [{ name: 'ingress', namespace: 'infra' }], rules: [{ retry: { attempts: 3 }, backendRefs: [{ name: 'shop', port: 8080 }, { name: 'orders', namespace: 'prod', port: 8080 }] }] } },
    { apiVersion: `${G}/${version}`, kind: 'GRPCRoute', metadata: { name: 'shop-grpc', namespace: 'shop' }, spec: { parentRefs: [{ group: '', kind: 'Service', name: 'shop', port: 8080 }], rules: [{ backendRefs: [{ name: 'shop', port: 8080 }] }] } },
    { apiVersion: `${G}/v1beta1`, kind: 'ReferenceGrant', metadata: { name: 'from-web', namespace: 'prod' }, spec: { from: [{ group: G, kind: 'HTTPRoute', namespace: 'web' }], to: [{ group: '', kind: 'Service' }] } },
    { apiVersion: 'gateway.networking.x-k8s.io/v1alpha1', kind: 'XBackendTrafficPolicy', metadata: { name: 'shop', namespace: 'shop' }, spec: { targetRefs: [{ group: '', kind: 'Service', name: 'shop' }], retryConstraint: { budget: { percent: 30 } } } },
    { apiVersion: 'networking.istio.io/v1', kind: 'DestinationRule', metadata: { name: 'shop', namespace: 'shop' }, spec: { host: 'shop.shop.svc.cluster.local', trafficPolicy: { connectionPool: { http: { maxRequestsPerConnection: 1 } } } } },
  ];
}

const clusters = fakeClusters('meshlint-audit-gw-');
after(() => clusters.close());
const cluster = (options: FakeApiServerOptions) => clusters.start({ ...options });

describe('audit: Gateway API kinds', () => {
  it('reads every Gateway API kind meshlint analyses, in the served version, with no unexpected call', async () => {
    const { srv, kubeconfig, home } = await cluster({ objects: gatewayObjects() });
    const read = await readCluster({ kubeconfig, env: isolatedEnv(home) as Record<string, string> });
    assert.deepEqual(read.coverage, []);
    const kinds = (group: string) => read.objects.filter((o) => String(o.apiVersion).startsWith(`${group}/`)).map((o) => `${String(o.kind)} ${String(o.apiVersion)}`).sort();
    assert.deepEqual(kinds(G), [`GRPCRoute ${G}/v1`, `Gateway ${G}/v1`, `GatewayClass ${G}/v1`, `HTTPRoute ${G}/v1`, `ReferenceGrant ${G}/v1beta1`]);
    assert.deepEqual(kinds('gateway.networking.x-k8s.io'), ['XBackendTrafficPolicy gateway.networking.x-k8s.io/v1alpha1']);
    assert.ok(srv.requests.some((r) => r.path === `/apis/${G}/v1/gatewayclasses`), 'GatewayClass is listed cluster-wide');
    assert.deepEqual(srv.unexpected, []);
  });

  it('v1beta1 only (an older Gateway API install): HTTPRoute and Gateway are read in v1beta1', async () => {
    const { srv, kubeconfig, home } = await cluster({ objects: gatewayObjects('v1beta1'), gatewayApiVersions: { standard: ['v1beta1'] } });
    const read = await readCluster({ kubeconfig, env: isolatedEnv(home) as Record<string, string> });
    assert.equal(read.objects.find((o) => o.kind === 'HTTPRoute')?.apiVersion, `${G}/v1beta1`);
    // GRPCRoute has no v1beta1: not installed in a version meshlint reads, said in coverage.
    assert.deepEqual(read.coverage.map((n) => [n.kind, n.status]), [['GRPCRoute', 'not-installed']]);
    assert.ok(!srv.requests.some((r) => r.path.startsWith(`/apis/${G}/v1/`)), 'no list in a version that is not served');
    assert.deepEqual(srv.unexpected, []);
  });

  it('CRDs not installed: one not-installed coverage note per kind, no list call, the rest is analysed', async () => {
    const objects = gatewayObjects().filter((o) => !o.apiVersion.startsWith('gateway.'));
    const { srv, kubeconfig, home } = await cluster({ objects, gatewayApiVersions: { standard: [], experimental: [] } });
    const read = await readCluster({ kubeconfig, env: isolatedEnv(home) as Record<string, string> });
    assert.deepEqual(read.coverage.map((n) => n.kind).sort(), ['GRPCRoute', 'Gateway', 'GatewayClass', 'HTTPRoute', 'ReferenceGrant', 'XBackendTrafficPolicy']);
    for (const n of read.coverage) {
      assert.equal(n.status, 'not-installed');
      assert.match(n.message, /is not served by this cluster \(Gateway API CRDs not installed\)/);
    }
    assert.ok(!srv.requests.some((r) => r.path.includes('gateway.networking')), 'no Gateway API list attempted');
    assert.ok(read.objects.some((o) => o.kind === 'DestinationRule'));
  });

  it('one CRD missing from a served group (a 404 on its list): not-installed for that kind only', async () => {
    const { kubeconfig, home } = await cluster({ objects: gatewayObjects(), gatewayApiMissing: ['grpcroutes'] });
    const read = await readCluster({ kubeconfig, env: isolatedEnv(home) as Record<string, string> });
    assert.deepEqual(read.coverage.map((n) => [n.kind, n.status]), [['GRPCRoute', 'not-installed']]);
    assert.match(read.coverage[0]!.message, /grpcroutes\.gateway\.networking\.k8s\.io is not served by this cluster \(is the Gateway API GRPCRoute CRD installed\?\)/);
  });

  it('meshlint audit analyses them: the gateway Deployment row, RefNotPermitted, the GRPCRoute default retries', async () => {
    const { kubeconfig, home } = await cluster({ objects: gatewayObjects() });
    const r = await runCliAsync(['audit', '--kubeconfig', kubeconfig, '--format', 'json', '--istio-version', '1.27'], { cwd: ROOT, env: isolatedEnv(home) });
    assert.ok(r.code === 0 || r.code === 1, r.stderr);
    const report = JSON.parse(r.stdout) as { findings: { ruleId: string; message: string }[]; routes: { host: string; legs: { name: string; tries: number; connectionsPerTry: number }[] }[] };
    const row = report.routes.find((x) => x.legs.some((l) => l.name.startsWith('gateway shop') || l.name.startsWith('gateway infra/ingress-istio')));
    assert.ok(row, JSON.stringify(report.routes.map((x) => x.legs.map((l) => l.name))));
    assert.deepEqual(row.legs.map((l) => [l.name, l.tries, l.connectionsPerTry]), [['downstream → gateway infra/ingress-istio', 1, 0], ['gateway infra/ingress-istio → shop.shop.svc.cluster.local:8080', 4, 1]]);
    assert.ok(report.findings.some((f) => f.ruleId === 'route-not-attached' && /^RefNotPermitted: backendRef orders\/prod/.test(f.message)));
    assert.ok(report.findings.some((f) => f.ruleId === 'retries-implicit-default' && /^GRPCRoute rule has no retry/.test(f.message)));
  });
});
