/**
 * Ambient data plane (issue 15): enrolment by `istio.io/dataplane-mode`, waypoints by `istio.io/use-waypoint`, and
 * the legs each gives. Fixtures under test/fixtures/ambient/ are named for what they show; each runs through the
 * real `check` pipeline and the stylish reporter.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { check } from '../../src/pipeline.js';
import { stylish } from '../../src/report/stylish.js';
import { ROOT } from '../helpers/paths.js';

const FIXTURES = join(ROOT, 'test', 'fixtures', 'ambient');

async function run(fixture: string, transform: (yaml: string) => string = (y) => y) {
  const yaml = transform(readFileSync(join(FIXTURES, fixture), 'utf8'));
  const result = await check({ paths: ['-'], cwd: ROOT, defaultNamespace: 'default', stdin: () => Buffer.from(yaml) });
  assert.deepEqual(result.errors, []);
  const text = stylish(result, { color: false, explain: false, version: 'test' });
  const lines = text.split('\n');
  const start = lines.findIndex((l) => l.startsWith('client → destination'));
  const rows = lines.slice(start + 1).filter((l) => l.includes(' → ') && !l.startsWith('ports =')).map((l) => l.replace(/\s{2,}/g, ' | ').trim());
  return { result, rows };
}

describe('ambient', () => {
  it('no waypoint: ztunnel L4 only, pooled HBONE, no retries; the DestinationRule pool setting is ignored, not keepalive-disabled', async () => {
    const { result, rows } = await run('ambient-no-waypoint-l4-only.yaml');
    assert.match(rows[0]!, /^shop → reviews\.shop\.svc\.cluster\.local:9080 \| 1×pooled \+ 1×pooled \| 0 \|/);
    const row = result.routes[0]!;
    assert.deepEqual(row.legs.map((l) => l.dataPlane), ['none', 'ztunnel']);
    assert.equal(row.retryPolicy, undefined);
    assert.deepEqual(result.findings.filter((f) => f.ruleId === 'keepalive-disabled'), []);
    const ignored = result.findings.filter((f) => f.ruleId === 'setting-ignored');
    assert.equal(ignored.length, 1);
    assert.match(ignored[0]!.message, /no waypoint: ambient L4 only/);
    assert.equal(ignored[0]!.location.line, 47);
    const explained = stylish(result, { color: false, explain: true, version: 'test' });
    assert.match(explained, /data plane: app → ztunnel \[app\], ztunnel → ztunnel reviews\.shop\.svc\.cluster\.local:9080 \[ztunnel\]/);
    assert.match(explained, /sidecar: no \(ambient: namespace shop has istio\.io\/dataplane-mode=ambient\)/);
  });

  it('a waypoint is the L7 leg: it applies the retries and the DestinationRule (keep-alive off)', async () => {
    const { result, rows } = await run('ambient-waypoint-l7-retries.yaml');
    assert.match(rows[0]!, /^shop → reviews\.shop\.svc\.cluster\.local:9080 \| 1×pooled \+ 1×pooled \+ 4×1 \| 4 \|/);
    assert.deepEqual(result.routes[0]!.legs.map((l) => l.dataPlane), ['none', 'ztunnel', 'waypoint']);
    assert.equal(result.findings.filter((f) => f.ruleId === 'keepalive-disabled').length, 1);
    assert.deepEqual(result.findings.filter((f) => f.ruleId === 'setting-ignored'), []);
  });

  it('near misses: a pod-level dataplane-mode none, or a sidecar-injected namespace, is not ambient', async () => {
    const none = await run('ambient-no-waypoint-l4-only.yaml', (y) => y.replace('istio.io/dataplane-mode: ambient', 'istio.io/dataplane-mode: none'));
    assert.ok(!none.result.routes[0]!.legs.some((l) => l.dataPlane === 'ztunnel'));
    const injected = await run('ambient-no-waypoint-l4-only.yaml', (y) => y.replace('istio.io/dataplane-mode: ambient', 'istio.io/dataplane-mode: ambient\n    istio-injection: enabled'));
    assert.deepEqual(injected.result.routes[0]!.legs.map((l) => l.dataPlane), ['none', 'sidecar']);
    assert.equal(injected.result.findings.filter((f) => f.ruleId === 'keepalive-disabled').length, 1);
  });
});
