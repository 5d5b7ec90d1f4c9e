/**
 * The wrong cases of issue 13, each a fixture under test/fixtures/model/ named for what it shows, with the row
 * the multiplier table must print for it (the fixture's comment says the same) and the findings that must and
 * must not come with it. Every case runs the real `check` pipeline and the real stylish reporter.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { check, type CheckOptions } from '../../src/pipeline.js';
import { stylish } from '../../src/report/stylish.js';
import type { AppCallSite } from '../../src/source/types.js';
import { ROOT } from '../helpers/paths.js';

const FIXTURES = join(ROOT, 'test', 'fixtures', 'model');

/** `check` over one fixture (as standard input), plus the table rows it prints, whitespace-collapsed. */
async function run(fixture: string, options: Partial<CheckOptions> = {}) {
  const yaml = readFileSync(join(FIXTURES, fixture), 'utf8');
  const result = await check({ paths: ['-'], cwd: ROOT, defaultNamespace: 'default', stdin: () => Buffer.from(yaml), ...options });
  assert.deepEqual(result.errors, []);
  const text = stylish(result, { color: false, explain: false, version: 'test' });
  const table = text.split('\n');
  const start = table.findIndex((l) => l.startsWith('client → destination'));
  const rows = table.slice(start + 1).filter((l) => l.includes(' → ') && !l.startsWith('ports =')).map((l) => l.replace(/\s{2,}/g, ' | ').trim());
  return { result, rows, text };
}

const site = (overrides: Partial<AppCallSite>): AppCallSite => ({ file: 'app.js', line: 1, column: 1, language: 'javascript', clientPerRequest: false, keepAliveOff: false, appTries: 1, evidence: 'fetch()', ...overrides });

describe('issue 13 wrong cases: the table row and the findings agree with the model', () => {
  it('1. a destination without a port reaches the Service port and its portLevelSettings; the mirror to v2 uses v2’s policy', async () => {
    const { rows, result } = await run('port-level-keepalive-off-no-vs-port.yaml');
    assert.deepEqual(rows, ['prod → reviews.prod.svc.cluster.local:9080 (v1) | 1×pooled + 3×1 + mirror 0 | 3 | 0 | pod | 156 req/s']);
    const keepalive = result.findings.filter((f) => f.ruleId === 'keepalive-disabled');
    assert.deepEqual(keepalive.map((f) => f.location.line), [33], 'the port-level field, the one the row uses');
    assert.ok(!result.findings.some((f) => f.ruleId === 'connection-churn-settings' && f.location.line === 28), 'near miss: the top-level 10 is shadowed on 9080, the only port');
  });

  it('2. HTTP settings on a TLS port: no keep-alive error, a setting-ignored warning, a pooled row', async () => {
    const { rows, result } = await run('tls-port-http-settings-ignored.yaml');
    assert.deepEqual(rows, ['shop → api.example.com:443 | 1×pooled + 1×pooled | 0 | 0 | node (SNAT) | ∞ (pooled)']);
    assert.deepEqual(result.findings.filter((f) => f.ruleId === 'keepalive-disabled'), []);
    const ignored = result.findings.filter((f) => f.ruleId === 'setting-ignored');
    assert.equal(ignored.length, 1);
    assert.equal(ignored[0]!.severity, 'warn');
    assert.match(ignored[0]!.message, /^ignored: http\.maxRequestsPerConnection: 1 \(top level\) has no effect: port 443 is TLS/);
  });

  it('3. several call sites: one row each, and adding a pooled one never hides the worse figure', async () => {
    const js = site({ host: 'api.example.com', port: 80, scheme: 'http', clientPerRequest: true, appTries: 3, evidence: 'new http.Agent() per try, 3 tries', workload: { name: 'web', namespace: 'shop' } });
    const go = site({ file: 'main.go', language: 'go', host: 'api.example.com', port: 80, scheme: 'http', evidence: 'http.DefaultClient', workload: { name: 'worker', namespace: 'shop' } });
    const both = await run('several-call-sites-one-route.yaml', { callSites: [js, go] });
    assert.deepEqual(both.rows, ['shop → api.example.com:80 | 3×1 + 12×1 | 15 | 12 | node (SNAT) | 39 req/s', 'shop → api.example.com:80 | 1×pooled + 4×1 | 4 | 4 | node (SNAT) | 117 req/s']);
    const jsOnly = await run('several-call-sites-one-route.yaml', { callSites: [js] });
    assert.deepEqual(jsOnly.rows, [both.rows[0]], 'the JS row is the same with or without the Go call site');
  });

  it('4. the app leg is charged to the pod budget: a client built per request churns even behind a pooling sidecar', async () => {
    const app = site({ host: 'ratings.shop', port: 9080, scheme: 'http', clientPerRequest: true, workload: { name: 'web', namespace: 'shop' } });
    const { rows, result } = await run('app-leg-charged-to-pod-budget.yaml', { callSites: [app] });
    assert.deepEqual(rows, ['shop → ratings.shop.svc.cluster.local:9080 | 1×1 + 3×pooled | 1 | 0 | pod | 470 req/s']);
    assert.deepEqual(result.routes[0]!.budgets.map((b) => [b.scope, b.connections]), [['pod', 1]]);
    const pooled = await run('app-leg-charged-to-pod-budget.yaml', { callSites: [{ ...app, clientPerRequest: false }] });
    assert.deepEqual(pooled.rows, ['shop → ratings.shop.svc.cluster.local:9080 | 1×pooled + 3×pooled | 0 | 0 | pod | ∞ (pooled)'], 'near miss: a pooled client');
  });

  it('5. M and the SNAT’d share are both shown; --time-wait 30 changes the figures and the finding texts', async () => {
    const sixty = await run('snat-share-and-time-wait.yaml');
    assert.deepEqual(sixty.rows, ['shop → api.example.com:80 | 1×pooled + 3×1 + mirror 1 | 4 | 3 | node (SNAT) | 156 req/s']);
    assert.match(sixty.text, /TIME_WAIT for 60 s/);
    const thirty = await run('snat-share-and-time-wait.yaml', { timeWaitSeconds: 30 });
    assert.deepEqual(thirty.rows, ['shop → api.example.com:80 | 1×pooled + 3×1 + mirror 1 | 4 | 3 | node (SNAT) | 313 req/s']);
    assert.doesNotMatch(thirty.text, /60 s/);
    assert.ok(thirty.result.findings.filter((f) => f.ruleId === 'keepalive-disabled').every((f) => f.message.includes('TIME_WAIT for 30 s')));
  });

  it('6. a stated rate over the port budget is a finding, with keepalive-disabled off', async () => {
    const rules = new Map([['keepalive-disabled', { severity: 'off' as const }]]);
    const { rows, result } = await run('rate-over-port-budget.yaml', { rps: 200, rules });
    assert.deepEqual(rows, ['shop → api.example.com:80 | 1×pooled + 4×1 | 4 | 4 | node (SNAT) | 117 req/s | 48,000 / 28,232 ports']);
    const over = result.findings.filter((f) => f.ruleId === 'port-budget-exceeded');
    assert.equal(over.length, 1);
    assert.equal(over[0]!.severity, 'error');
    assert.match(over[0]!.message, /holds 48,000 ports in TIME_WAIT \(200 × 4 new connections × 60 s\), more than the 28,232 of the node's SNAT ports/);
    const share = async (rps: number) => (await run('rate-over-port-budget.yaml', { rps, rules })).result.findings.filter((f) => f.ruleId === 'port-budget-exceeded').map((f) => f.severity);
    assert.deepEqual(await share(100), ['warn'], '100 × 4 × 60 = 24,000 ports: 85 % of the budget, above the 80 % line');
    assert.deepEqual(await share(90), [], 'near miss: 90 × 4 × 60 = 21,600 ports, 76.5 %');
  });
});
