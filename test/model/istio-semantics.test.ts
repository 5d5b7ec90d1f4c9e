/**
 * Each version-dependent fact and each EnvoyFilter behaviour, end to end through `check` on the fixtures in
 * test/fixtures/istio-semantics/ (each fixture's comment states the expected row).
 */
import assert from 'node:assert/strict';
import path from 'node:path';
import { describe, it } from 'node:test';
import { check } from '../../src/pipeline.js';
import { ROOT } from '../helpers/paths.js';

const FIXTURES = path.join('test', 'fixtures', 'istio-semantics');

async function run(file: string, istioVersion?: string) {
  return check({ paths: [path.join(FIXTURES, file)], cwd: ROOT, defaultNamespace: 'default', ...(istioVersion ? { istioVersion } : {}) });
}

const texts = (row: { legs: { trace: { text: string }[] }[] }) => row.legs.flatMap((l) => l.trace.map((t) => t.text)).join('\n');

describe('Istio version semantics in the table rows', () => {
  it('the same mesh gives a different row for 1.23 and 1.24: 503 retried by default, and inbound retries on the last leg', async () => {
    const old = (await run('inbound-retries-by-version.yaml', '1.23')).routes.find((r) => r.host.startsWith('reviews.'))!;
    const now = (await run('inbound-retries-by-version.yaml', '1.24')).routes.find((r) => r.host.startsWith('reviews.'))!;
    const last = (row: typeof old) => row.legs[row.legs.length - 1]!;
    assert.deepEqual([last(old).name, last(old).tries, old.total], ['sidecar → reviews.shop.svc.cluster.local:9080', 3, 0]);
    assert.deepEqual([last(now).name, last(now).tries, now.total], ['sidecar → reviews.shop.svc.cluster.local:9080', 3, 0]);
    assert.equal(last(old).inboundRetries, undefined);
    assert.deepEqual(last(now).inboundRetries, { attempts: 2, retryOn: 'reset-before-request' });
    assert.match(texts(old), /Istio 1\.23 default: 2 retries on .* with retriable status code 503/);
    assert.match(texts(now), /Istio 1\.24 default: 2 retries on .*, 503 not retried \(since 1\.24\)/);
    assert.match(texts(now), /the receiving sidecar retries reset-before-request up to 2 times/);
  });

  it('no inbound retries on a gRPC port (Istio skips them there), even on 1.24', async () => {
    const grpc = (await run('inbound-retries-by-version.yaml', '1.24')).routes.find((r) => r.host.startsWith('grpc-catalog.'))!;
    assert.equal(grpc.legs[grpc.legs.length - 1]!.inboundRetries, undefined);
  });

  it('an IstioOperator names the version and its spec.meshConfig gives the default retries', async () => {
    const result = await run('istiooperator-mesh-config.yaml');
    const row = result.routes[0]!;
    assert.equal(row.legs[row.legs.length - 1]!.tries, 5);
    assert.match(texts(row), /meshConfig\.defaultHttpRetryPolicy applies: 4 retries/);
    assert.equal(row.legs[row.legs.length - 1]!.inboundRetries, undefined, 'external host, and 1.23');
    assert.deepEqual(result.findings.filter((f) => f.ruleId === 'retry-budget-missing').map((f) => f.location.line), [29]);
    // --istio-version wins over the IstioOperator's tag.
    const forced = await run('istiooperator-mesh-config.yaml', '1.27');
    assert.match(texts(forced.routes[0]!), /defaultHttpRetryPolicy applies: 4 retries/);
  });
});

describe('EnvoyFilter in the effective policy', () => {
  it('overrides the DestinationRule: the row and keepalive-disabled point at the EnvoyFilter; MERGEd thresholds are ignored', async () => {
    const result = await run('envoyfilter-over-destinationrule.yaml');
    const row = result.routes.find((r) => r.host.startsWith('reviews.'))!;
    assert.deepEqual([row.legs[1]!.tries, row.legs[1]!.connectionsPerTry, row.total], [3, 1, 3]);
    const trace = row.legs[1]!.trace.find((t) => /keep-alive off/.test(t.text))!;
    assert.match(trace.text, /EnvoyFilter istio-system\/no-keepalive configPatches\[0\]/);
    assert.equal(trace.location?.line, 45);
    const policy = row.connectionPolicy!;
    assert.equal(policy.overrides[0]!.replaced?.object.ref.kind, 'DestinationRule', 'the DestinationRule value it shadows');
    const byRule = (id: string) => result.findings.filter((f) => f.ruleId === id).map((f) => f.location.line);
    assert.deepEqual(byRule("keepalive-disabled"), [45]);
    assert.deepEqual(byRule("setting-ignored"), [53, 54]);
    assert.ok(policy.tcp.maxConnections === undefined, 'max_connections from the MERGE does not apply');
  });

  it('an HttpProtocolOptions entry without max_requests_per_connection drops the DestinationRule’s keep-alive off', async () => {
    const result = await run('envoyfilter-drops-destinationrule-setting.yaml');
    const row = result.routes[0]!;
    assert.deepEqual([row.legs[1]!.connectionsPerTry, row.total], [0, 0]);
    assert.match(row.connectionPolicy!.overrides.map((o) => o.text).join('\n'), /replaces the cluster's whole HttpProtocolOptions without maxRequestsPerConnection/);
    assert.deepEqual(result.findings.filter((f) => f.ruleId === 'keepalive-disabled'), []);
  });

  it('a GATEWAY-context CLUSTER patch changes the egress gateway leg only; the SIDECAR_OUTBOUND one is not the gateway\'s', async () => {
    const result = await run('envoyfilter-gateway-context.yaml');
    const row = result.routes.find((r) => r.host === 'api.example.com')!;
    assert.deepEqual(row.legs.map((l) => [l.name, l.tries, l.connectionsPerTry, l.snat]), [
      ['app → sidecar', 1, 0, false],
      ['sidecar → istio-egressgateway.istio-system.svc.cluster.local:80', 3, 0, false],
      ['egress gateway → api.example.com:80', 3, 1, true],
    ]);
    assert.equal(row.total, 3);
    const trace = row.legs[2]!.trace.find((t) => /keep-alive off/.test(t.text))!;
    assert.match(trace.text, /EnvoyFilter istio-system\/gateway-keepalive configPatches\[0\]/);
    assert.equal(trace.location?.line, 59);
    assert.equal(row.legs[2]!.policy?.http.maxRequestsPerConnection?.object.ref.name, 'gateway-keepalive', 'not the SIDECAR_OUTBOUND patch (2)');
    assert.deepEqual(result.findings.filter((f) => f.ruleId === 'keepalive-disabled').map((f) => f.location.line), [59]);
  });

  it('HTTP connection manager idle timeouts: traced on the leg whose connections they close, not counted in M; connection-churn-settings at each', async () => {
    const result = await run('envoyfilter-hcm-idle-timeouts.yaml');
    const row = result.routes.find((r) => r.host === 'reviews.shop.svc.cluster.local')!;
    assert.deepEqual(row.legs.map((l) => [l.name, l.tries, l.connectionsPerTry]), [['app → sidecar', 1, 0], ['sidecar → reviews.shop.svc.cluster.local:9080', 2, 0]]);
    assert.equal(row.total, 0);
    const lines = (leg: number) => row.legs[leg]!.trace.filter((t) => /idle_timeout/.test(t.text)).map((t) => t.location?.line);
    assert.deepEqual(lines(0), [51, 52], 'outbound listener: the app → sidecar leg');
    assert.deepEqual(lines(1), [69], 'inbound listener of reviews: the sidecar → reviews leg');
    assert.deepEqual(result.findings.filter((f) => f.ruleId === 'connection-churn-settings').map((f) => f.location.line), [51, 52, 69]);
  });
});
