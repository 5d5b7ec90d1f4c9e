/**
 * `meshlint audit` reads EnvoyFilters (`networking.istio.io/v1alpha3`, the only version Istio serves them in) and
 * they change the effective policy exactly as they do for `check`: the real binary against a fake API server
 * (real HTTPS on loopback) whose Istio group prefers v1, with and without the EnvoyFilter CRD.
 */
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { runCliAsync } from '../helpers/cli.js';
import { startFakeApiServer, type FakeApiServer, type KubeObject } from '../helpers/fake-apiserver.js';
import { assertNoSecrets, isolatedEnv, singleContextKubeconfig, TOKEN } from '../helpers/kube.js';
import { ROOT } from '../helpers/paths.js';

interface JsonFinding {
  ruleId: string;
  message: string;
  object?: { kind: string; namespace: string; name: string };
  fieldPath?: string;
}

/** A HCM patch (NETWORK_FILTER MERGE) on reviews' inbound listener port 9080. */
const INBOUND_IDLE_PATCH = {
  applyTo: 'NETWORK_FILTER',
  match: { context: 'SIDECAR_INBOUND', listener: { portNumber: 9080, filterChain: { filter: { name: 'envoy.filters.network.http_connection_manager' } } } },
  patch: {
    operation: 'MERGE',
    value: {
      typed_config: {
        '@type': 'type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager',
        common_http_protocol_options: { idle_timeout: '1s' },
      },
    },
  },
};

/** A CLUSTER MERGE that turns keep-alive off on outbound|9080||reviews (overriding the DestinationRule's 1000). */
const KEEPALIVE_OFF_PATCH = {
  applyTo: 'CLUSTER',
  match: { context: 'SIDECAR_OUTBOUND', cluster: { service: 'reviews.shop.svc.cluster.local', portNumber: 9080 } },
  patch: {
    operation: 'MERGE',
    value: {
      typed_extension_protocol_options: {
        'envoy.extensions.upstreams.http.v3.HttpProtocolOptions': {
          '@type': 'type.googleapis.com/envoy.extensions.upstreams.http.v3.HttpProtocolOptions',
          explicit_http_config: { http_protocol_options: {} },
          common_http_protocol_options: { max_requests_per_connection: 1 },
        },
      },
    },
  },
};

/** reviews in an injected namespace with a keep-alive DestinationRule, a route, and two EnvoyFilters. */
function cluster(): KubeObject[] {
  return [
    { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'shop', labels: { 'istio-injection': 'enabled' } } },
    { apiVersion: 'v1', kind: 'Service', metadata: { name: 'reviews', namespace: 'shop' }, spec: { selector: { app: 'reviews' }, ports: [{ name: 'http', port: 9080 }] } },
    {
      apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'reviews', namespace: 'shop' },
      spec: { selector: { matchLabels: { app: 'reviews' } }, template: { metadata: { labels: { app: 'reviews' } }, spec: { containers: [{ name: 'reviews', image: 'reviews:1' }] } } },
    },
    {
      apiVersion: 'networking.istio.io/v1', kind: 'DestinationRule', metadata: { name: 'reviews', namespace: 'shop', creationTimestamp: '2024-03-01T08:00:00Z' },
      spec: { host: 'reviews', trafficPolicy: { connectionPool: { tcp: { maxConnections: 100 }, http: { maxRequestsPerConnection: 1000, h2UpgradePolicy: 'DO_NOT_UPGRADE' } }, retryBudget: { percent: 20 } } },
    },
    {
      apiVersion: 'networking.istio.io/v1', kind: 'VirtualService', metadata: { name: 'reviews', namespace: 'shop', creationTimestamp: '2024-03-01T08:00:01Z' },
      spec: { hosts: ['reviews'], http: [{ route: [{ destination: { host: 'reviews' } }], retries: { attempts: 1 } }] },
    },
    { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'istio', namespace: 'istio-system' }, data: { mesh: 'rootNamespace: istio-system\n' } },
    { apiVersion: 'networking.istio.io/v1alpha3', kind: 'EnvoyFilter', metadata: { name: 'keepalive-off', namespace: 'shop' }, spec: { configPatches: [KEEPALIVE_OFF_PATCH] } },
    { apiVersion: 'networking.istio.io/v1alpha3', kind: 'EnvoyFilter', metadata: { name: 'inbound-idle', namespace: 'shop' }, spec: { workloadSelector: { labels: { app: 'reviews' } }, configPatches: [INBOUND_IDLE_PATCH] } },
  ];
}

describe('meshlint audit reads EnvoyFilters', { concurrency: 2 }, () => {
  let withCrd: FakeApiServer;
  let withoutCrd: FakeApiServer;
  let dir: string;
  let home: string;
  const outputs: string[] = [];

  before(async () => {
    [withCrd, withoutCrd] = await Promise.all([
      startFakeApiServer({ objects: cluster(), tokens: [TOKEN] }),
      startFakeApiServer({ objects: cluster(), tokens: [TOKEN], istioMissing: ['envoyfilters'] }),
    ]);
    dir = mkdtempSync(path.join(tmpdir(), 'meshlint-audit-envoyfilter-'));
    home = path.join(dir, 'home');
    mkdirSync(home);
  });

  after(async () => {
    for (const out of outputs) assertNoSecrets(out);
    await Promise.all([withCrd?.close(), withoutCrd?.close()]);
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  /** `meshlint audit -f json` against `server`; returns the parsed report. */
  const audit = async (server: FakeApiServer, name: string) => {
    const kc = path.join(dir, `${name}.kubeconfig`);
    writeFileSync(kc, singleContextKubeconfig(name, server.url, TOKEN, server.caPem));
    const r = await runCliAsync(['audit', '--kubeconfig', kc, '-f', 'json'], { cwd: ROOT, env: isolatedEnv(home) });
    outputs.push(r.stdout, r.stderr);
    assert.ok(r.code === 0 || r.code === 1, `exit ${r.code}: ${r.stderr}`);
    return JSON.parse(r.stdout) as { findings: JsonFinding[]; coverage: Array<Record<string, string>> };
  };

  it('lists envoyfilters at v1alpha3 though the group prefers v1; the cluster patch turns keep-alive off and the HCM patch is a churn finding', async () => {
    const report = await audit(withCrd, 'with-crd');
    assert.ok(withCrd.requests.some((r) => r.path === '/apis/networking.istio.io/v1alpha3/envoyfilters'), 'EnvoyFilters listed cluster-wide at v1alpha3');
    assert.deepEqual(withCrd.unexpected, []);
    assert.deepEqual(report.coverage, [], 'everything was read');
    const keepalive = report.findings.filter((f) => f.ruleId === 'keepalive-disabled');
    assert.equal(keepalive.length, 1, JSON.stringify(report.findings.map((f) => `${f.ruleId} ${f.message}`)));
    assert.deepEqual(keepalive[0].object, { apiVersion: 'networking.istio.io/v1alpha3', kind: 'EnvoyFilter', namespace: 'shop', name: 'keepalive-off' });
    assert.match(keepalive[0].message, /EnvoyFilter shop\/keepalive-off/);
    const churn = report.findings.filter((f) => f.ruleId === 'connection-churn-settings');
    assert.equal(churn.length, 1);
    assert.equal(churn[0].object?.name, 'inbound-idle');
    assert.match(churn[0].message, /idle_timeout of 1 s .*reviews\.shop\.svc\.cluster\.local:9080's inbound listener/);
  });

  it('near miss: without the EnvoyFilter CRD the same cluster reads as pooled, and says EnvoyFilters were not read', async () => {
    const report = await audit(withoutCrd, 'without-crd');
    assert.deepEqual(report.findings.filter((f) => f.ruleId === 'keepalive-disabled' || f.ruleId === 'connection-churn-settings'), []);
    assert.deepEqual(report.coverage.map((n) => [n.kind, n.status]), [['EnvoyFilter', 'not-installed']]);
  });
});
