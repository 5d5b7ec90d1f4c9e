/**
 * Gateway API adapter (issue 15): HTTPRoute/GRPCRoute rules feed the same multiplier rows and RetryPolicy records
 * as VirtualService routes, with Istio's conversion of `retry` and `timeouts` (istio/istio
 * `pilot/pkg/config/kube/gateway/conversion.go`). Each case runs a fixture under test/fixtures/gateway-api/ named
 * for what it shows through the real `check` pipeline and the stylish reporter.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { check } from '../../src/pipeline.js';
import { stylish } from '../../src/report/stylish.js';
import { ROOT } from '../helpers/paths.js';

const FIXTURES = join(ROOT, 'test', 'fixtures', 'gateway-api');

async function run(fixture: string) {
  const yaml = readFileSync(join(FIXTURES, fixture), 'utf8');
  const result = await check({ paths: ['-'], cwd: ROOT, defaultNamespace: 'default', stdin: () => Buffer.from(yaml) });
  assert.deepEqual(result.errors, []);
  const text = stylish(result, { color: false, explain: false, version: 'test' });
  const lines = text.split('\n');
  const start = lines.findIndex((l) => l.startsWith('client → destination'));
  const rows = start < 0 ? [] : lines.slice(start + 1).filter((l) => l.includes(' → ') && !l.startsWith('ports =')).map((l) => l.replace(/\s{2,}/g, ' | ').trim());
  return { result, rows, text };
}

describe('Gateway API routes (HTTPRoute, GRPCRoute)', () => {
  it('a GAMMA HTTPRoute with retry but no attempts: 2 retries, backendRequest is the per-try timeout; keep-alive off → 3 connections', async () => {
    const { rows, result } = await run('httproute-gamma-retry-keepalive-off.yaml');
    assert.equal(rows.length, 1);
    assert.match(rows[0]!, /^prod → reviews\.prod\.svc\.cluster\.local:9080 \| 1×pooled \+ 3×1 \| 3 \|/);
    const row = result.routes[0]!;
    assert.equal(row.retryPolicy?.attempts.value, 2);
    assert.equal(row.retryPolicy?.retryOn?.value, 'connect-failure,refused-stream,unavailable,cancelled,503');
    assert.equal(row.retryPolicy?.perTryTimeout?.value, 2);
    assert.deepEqual(row.definedBy.path, ['spec', 'rules', 0, 'backendRefs', 0, 'name']);
    assert.ok(!result.findings.some((f) => f.ruleId === 'retries-implicit-default'), 'a retry is written: not the implicit default');
    assert.ok(!result.findings.some((f) => f.ruleId === 'schema-invalid'));
  });

  it('no retry → the mesh default (retries-implicit-default at the rule); attempts: 6 → retries-aggressive at retry.attempts; RequestMirror → mirror-amplification', async () => {
    const { rows, result } = await run('httproute-gamma-no-retry-default.yaml');
    assert.equal(rows.length, 2);
    const implicit = result.findings.filter((f) => f.ruleId === 'retries-implicit-default');
    assert.deepEqual(implicit.map((f) => f.location.line), [16]);
    assert.match(implicit[0]!.message, /^HTTPRoute rule has no retry: Istio's default of 2 retries applies/);
    const aggressive = result.findings.filter((f) => f.ruleId === 'retries-aggressive');
    assert.deepEqual(aggressive.map((f) => [f.location.line, f.message.split(' allows')[0]]), [[24, 'retry.attempts: 6']]);
    const mirror = result.findings.filter((f) => f.ruleId === 'mirror-amplification');
    assert.deepEqual(mirror.map((f) => f.location.line), [26]);
    assert.match(mirror[0]!.message, /mirrors 50% of requests to ratings-canary\.prod\.svc\.cluster\.local/);
    assert.equal(result.routes[1]!.legs[1]!.tries, 7, '1 + 6 retries at the sidecar');
  });

  it('a route on a Gateway of another class is not modelled; one on an istio Gateway gets the default at the gateway', async () => {
    const { result, rows } = await run('httproute-other-gateway-class-not-modelled.yaml');
    assert.deepEqual(rows, [], 'north-south routes make no client sidecar rows');
    const implicit = result.findings.filter((f) => f.ruleId === 'retries-implicit-default');
    assert.deepEqual(implicit.map((f) => f.location.line), [50]);
    assert.deepEqual(result.stats.skipped, {}, 'HTTPRoute, Gateway and GatewayClass are analysed, not skipped');
  });
});

describe('Gateway API schema validation', () => {
  it('retry.attempts that is not an integer is schema-invalid at that field', async () => {
    const yaml = readFileSync(join(FIXTURES, 'httproute-schema-invalid-retry.yaml'), 'utf8');
    const result = await check({ paths: ['-'], cwd: ROOT, defaultNamespace: 'default', stdin: () => Buffer.from(yaml) });
    const invalid = result.findings.filter((f) => f.ruleId === 'schema-invalid');
    assert.deepEqual(invalid.map((f) => [f.location.line, f.message]), [[14, 'HTTPRoute prod/bad: spec.rules.0.retry.attempts must be integer']]);
  });

  it('near miss: valid HTTPRoute, Gateway and GatewayClass-free input has no schema-invalid', async () => {
    const { result } = await run('httproute-other-gateway-class-not-modelled.yaml');
    assert.deepEqual(result.findings.filter((f) => f.ruleId === 'schema-invalid'), []);
  });
});
