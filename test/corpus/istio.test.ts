/**
 * `meshlint check` over the real Istio configuration corpus in `../shared/corpus/istio/` (284 files from
 * istio/istio, see its SOURCE.md). Skipped, with a visible message, where `../shared` is absent.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { describe, it } from 'node:test';
import { globSync } from 'tinyglobby';
import { parseAllDocuments } from 'yaml';
import { runCli } from '../helpers/cli.js';
import { ROOT, SHARED } from '../helpers/paths.js';

interface JsonFinding {
  ruleId: string;
  file: string;
  line: number;
  column: number;
  message: string;
  hint?: string;
  fieldPath?: string;
  object?: { kind: string; namespace: string; name: string };
}

const CORPUS = SHARED ? join(SHARED, 'corpus', 'istio') : null;
const HELM_TEMPLATES = ['mutatingwebhooks.yaml', 'shimservice.yaml', 'validatingwebhook.yaml'].map((f) => `samples/ambient-argo/tag-chart/templates/${f}`);

describe('the real Istio corpus', { skip: CORPUS ? false : 'SKIPPED: ../shared/corpus/istio is absent on this machine' }, () => {
  const corpus = CORPUS!;
  const run = runCli(['check', corpus, '-f', 'json'], { cwd: ROOT, timeoutMs: 120_000 });
  const report = JSON.parse(run.stdout || '{}') as { summary: { files: number; byKind: Record<string, number> }; findings: JsonFinding[]; errors: unknown[] };
  const rel = (f: JsonFinding) => relative(corpus, resolve(ROOT, f.file)).split('\\').join('/');

  it('runs over the 279 files outside the Helm chart without a crash or run error (exit 1: the corpus has error findings)', () => {
    assert.equal(run.stderr, '', 'nothing on stderr');
    assert.equal(run.code, 1);
    // 284 files, less the chart samples/ambient-argo/tag-chart (Chart.yaml, values.yaml, three templates): a chart met
    // while walking is not descended into; it is reported once, unrendered (docs/rendering.md).
    assert.equal(report.summary.files, 279);
    assert.deepEqual(report.errors, []);
  });

  it('reports the Helm chart once as input-not-rendered at its Chart.yaml, and no parse-error for its templates', () => {
    assert.deepEqual(report.findings.filter((f) => f.ruleId === 'parse-error').map(rel), []);
    const unrendered = report.findings.filter((f) => f.ruleId === 'input-not-rendered');
    assert.deepEqual(unrendered.map(rel), ['samples/ambient-argo/tag-chart/Chart.yaml']);
    assert.match(unrendered[0]!.message + (unrendered[0]!.hint ?? ''), /helm/);
    // the nine other files with {{ }} inside string values are valid YAML and are not parse errors
    const templated = globSync('**/*.{yaml,yml}', { cwd: corpus }).filter((p) => readFileSync(join(corpus, p), 'utf8').includes('{{'));
    assert.equal(templated.length, 12, 'SOURCE.md: twelve files contain {{ }}');
  });

  it('loads every Istio networking and Gateway API route object: counts agree with an independent parse by the yaml package', () => {
    const expected: Record<string, number> = {};
    for (const p of globSync('**/*.{yaml,yml,json}', { cwd: corpus })) {
      if (HELM_TEMPLATES.includes(p)) continue;
      for (const doc of parseAllDocuments(readFileSync(join(corpus, p), 'utf8'))) {
        // mapAsMap: some analyzer test inputs have collection keys, which plain objects cannot hold
        const root = doc.toJS({ maxAliasCount: -1, mapAsMap: true }) as unknown;
        const get = (m: unknown, k: string): unknown => (m instanceof Map ? m.get(k) : undefined);
        const items = get(root, 'kind') === 'List' && Array.isArray(get(root, 'items')) ? (get(root, 'items') as unknown[]) : [root];
        for (const value of items) {
          const apiVersion = get(value, 'apiVersion');
          const kind = String(get(value, 'kind'));
          if (typeof apiVersion !== 'string') continue;
          // byKind counts by kind: a Gateway API Gateway and an Istio Gateway both count as Gateway
          const istio = apiVersion.startsWith('networking.istio.io/') && ['DestinationRule', 'VirtualService', 'ServiceEntry', 'Sidecar', 'Gateway'].includes(kind);
          const gatewayApi = apiVersion.startsWith('gateway.networking.k8s.io/') && ['Gateway', 'HTTPRoute', 'GRPCRoute'].includes(kind);
          if (!istio && !gatewayApi) continue;
          expected[kind] = (expected[kind] ?? 0) + 1;
        }
      }
    }
    // SOURCE.md counts networking.istio.io/v1 only: 152 VirtualService, 81 Gateway, 66 ServiceEntry, 42 DestinationRule, 19 Sidecar
    assert.ok(expected.VirtualService >= 152 && expected.Gateway >= 81 && expected.ServiceEntry >= 66 && expected.DestinationRule >= 42 && expected.Sidecar >= 19);
    for (const kind of Object.keys(expected)) assert.equal(report.summary.byKind[kind], expected[kind], kind);
  });

  it('finds the churn settings of tests/testdata/config/destination-rule-all.yaml at the field’s line', () => {
    const f = report.findings.filter((x) => rel(x) === 'tests/testdata/config/destination-rule-all.yaml');
    const churn = f.find((x) => x.ruleId === 'connection-churn-settings');
    assert.ok(churn, 'maxRequestsPerConnection: 65 is reported');
    assert.equal(churn.line, 38);
    assert.equal(churn.column, 9);
    assert.equal(churn.fieldPath, 'spec.trafficPolicy.connectionPool.http.maxRequestsPerConnection');
    assert.deepEqual(churn.object && [churn.object.kind, churn.object.namespace, churn.object.name], ['DestinationRule', 'testns', 'destall']);
    assert.ok(!f.some((x) => x.ruleId === 'keepalive-disabled'), '65 is not keep-alive off');
  });

  it('reports the stacked retries of the egress-gateway example and the schema errors of deliberately broken inputs', () => {
    const stacked = report.findings.find((x) => rel(x) === 'tests/testdata/config/se-example-gw.yaml' && x.ruleId === 'retries-aggressive');
    assert.ok(stacked);
    assert.match(stacked.message, /egress gateway → httpbin\.com/);
    const schema = report.findings.filter((x) => x.ruleId === 'schema-invalid');
    const ws = schema.filter((x) => rel(x) === 'tests/testdata/config/rule-websocket-route.yaml');
    assert.equal(ws.length, 2, 'websocketUpgrade is not a field of HTTPRoute');
    assert.ok(ws.every((x) => /websocketUpgrade/.test(x.message) && x.line > 1));
    const missingPort = schema.filter((x) => rel(x) === 'pkg/config/analysis/analyzers/testdata/conflicting-gateways-invalid-port.yaml');
    assert.equal(missingPort.length, 2);
  });

  it('reports MESH_EXTERNAL ServiceEntries of the samples that have no connectionPool', () => {
    const pool = report.findings.filter((x) => x.ruleId === 'connection-pool-missing' && /^MESH_EXTERNAL/.test(x.message));
    assert.ok(pool.length > 0);
    assert.ok(pool.every((x) => x.object && ['ServiceEntry', 'VirtualService'].includes(x.object.kind)));
  });
});
