import assert from 'node:assert/strict';
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import Ajv from 'ajv';
import { buildBaseline, formatBaseline, identify, readBaseline } from '../../src/baseline/index.js';
import { check } from '../../src/pipeline.js';
import { scanJavaScript } from '../../src/source/eslint/scan.js';
import { runCli, tempDir } from '../helpers/cli.js';
import { ROOT } from '../helpers/paths.js';
import { destinationRule, writeTree } from '../helpers/manifests.js';

const KEEPALIVE = destinationRule('ext', { host: 'api.example.com' });
const CHURN = (mrpc: number, name = 'churn') => destinationRule(name, { host: 'churn.example.com', maxRequestsPerConnection: mrpc });
const RETRIES = (attempts: number) => `apiVersion: networking.istio.io/v1
kind: VirtualService
metadata:
  name: vs
  namespace: shop
spec:
  hosts: [reviews]
  http:
  - route:
    - destination:
        host: reviews
    retries:
      attempts: ${attempts}
      perTryTimeout: 2s
`;
/** The same three objects reformatted: flow style, quoting, other indentation and key order. */
const REFORMATTED = `kind: VirtualService
apiVersion: "networking.istio.io/v1"
metadata: {namespace: shop, name: vs}
spec:
    http:
        -   retries: {perTryTimeout: "2s", attempts: 6}
            route:
                -   destination: {host: reviews}
    hosts: ["reviews"]
---
{"apiVersion": "networking.istio.io/v1", "kind": "DestinationRule", "metadata": {"name": "churn", "namespace": "shop"},
 "spec": {"host": "churn.example.com", "trafficPolicy": {"connectionPool": {"http": {"maxRequestsPerConnection": 5}}}}}
---
apiVersion: networking.istio.io/v1beta1
kind: DestinationRule
metadata:
  namespace: 'shop'
  name: 'ext'
spec:
  trafficPolicy:
    connectionPool: { http: { maxRequestsPerConnection: 1 } }
  host: 'api.example.com'
`;

describe('baseline', () => {
  let dir: string;
  let cleanup: () => void;
  before(() => ({ dir, cleanup } = tempDir()));
  after(() => cleanup());

  let n = 0;
  /** Checks `files` (written into a fresh directory) and returns the fingerprints by rule, sorted. */
  async function fingerprints(files: Record<string, string>): Promise<string[]> {
    const sub = `v${n++}`;
    writeTree(join(dir, sub), files);
    const result = await check({ paths: [sub], cwd: dir, defaultNamespace: 'default' });
    assert.deepEqual(result.errors, []);
    return identify(result.findings, dir).map((e) => `${e.ruleId} ${e.object} ${e.fingerprint}`).sort();
  }

  describe('fingerprints', () => {
    let base: string[];
    before(async () => {
      base = await fingerprints({ 'mesh.yaml': [KEEPALIVE, CHURN(5), RETRIES(6)].join('---\n') });
      assert.ok(base.some((f) => f.startsWith('keepalive-disabled DestinationRule/shop/ext')));
      assert.ok(base.some((f) => f.startsWith('connection-churn-settings DestinationRule/shop/churn')));
      assert.ok(base.some((f) => f.startsWith('retries-aggressive VirtualService/shop/vs')));
    });

    it('survive line shifts (comments, blank lines, new labels above)', async () => {
      const shifted = [`# owned by team payments\n\n${KEEPALIVE.replace('  namespace: shop\n', '  namespace: shop\n  labels:\n    team: payments\n    tier: edge\n')}`, `\n\n${CHURN(5)}`, RETRIES(6)].join('---\n');
      assert.deepEqual(await fingerprints({ 'mesh.yaml': shifted }), base);
    });

    it('survive reordering documents and moving them to other files', async () => {
      assert.deepEqual(await fingerprints({ 'mesh.yaml': [RETRIES(6), KEEPALIVE, CHURN(5)].join('---\n') }), base);
      assert.deepEqual(await fingerprints({ 'a/ext.yaml': KEEPALIVE, 'b/churn.yml': CHURN(5), 'c/vs.yaml': RETRIES(6) }), base);
    });

    it('survive reformatting (flow style, quoting, indentation, key order, JSON) and an apiVersion migration', async () => {
      assert.deepEqual(await fingerprints({ 'mesh.yaml': REFORMATTED }), base);
    });

    it('change when the substance changes: the triggering value, the object, the rule', async () => {
      const changed = await fingerprints({ 'mesh.yaml': [KEEPALIVE, CHURN(7), RETRIES(8)].join('---\n') });
      assert.ok(changed.some((f) => f.startsWith('keepalive-disabled ') && base.includes(f)), 'the untouched object keeps its fingerprint');
      assert.ok(!changed.some((f) => f.startsWith('connection-churn-settings') && base.includes(f)), 'maxRequestsPerConnection 5 → 7 is a new finding');
      assert.ok(!changed.some((f) => f.startsWith('retries-aggressive') && base.includes(f)), 'attempts 6 → 8 is a new finding');
      const renamed = await fingerprints({ 'mesh.yaml': [KEEPALIVE.replace('name: ext', 'name: ext-v2'), CHURN(5), RETRIES(6)].join('---\n') });
      assert.ok(!renamed.some((f) => f.startsWith('keepalive-disabled') && base.includes(f)), 'another object is another finding');
    });

    it('source findings key on file, rule and line text: line shifts keep them, an edited line does not', async () => {
      const original = readFileSync(join(ROOT, 'fixtures/source/javascript/express-payments-agent.js'), 'utf8');
      mkdirSync(join(dir, 'src-fp'), { recursive: true });
      const ids = async (text: string) => {
        writeFileSync(join(dir, 'src-fp/app.js'), text);
        const scanned = await scanJavaScript(['src-fp/app.js'], { cwd: dir });
        assert.ok(scanned.findings.length > 0, 'the scanner reports the fixture');
        return identify(scanned.findings, dir).map((e) => `${e.ruleId} ${e.file} ${e.fingerprint}`).sort();
      };
      const before = await ids(original);
      assert.deepEqual(await ids(`// a new header comment\n\n'use strict';\n${original}`), before);
      const edited = await ids(original.replace('rejectUnauthorized: true', 'rejectUnauthorized: true, timeout: 1000'));
      assert.notDeepEqual(edited, before);
      assert.ok(edited.filter((e) => before.includes(e)).length >= before.length - 1, 'other findings keep theirs');
    });
  });

  describe('the CLI', () => {
    const write = writeTree;

    it('--baseline-write records sorted, schema-valid JSON atomically; --baseline then reports only new findings and counts the rest', () => {
      const root = join(dir, 'cli1');
      write(root, { 'k8s/mesh.yaml': [KEEPALIVE, CHURN(5), RETRIES(6)].join('---\n') });
      const first = runCli(['check', 'k8s', '--baseline-write', '.meshlint-baseline.json'], { cwd: root });
      assert.equal(first.code, 0, `everything recorded is accepted: ${first.stdout}${first.stderr}`);
      assert.match(first.stderr, /wrote \d+ findings to the baseline \.meshlint-baseline\.json/);
      assert.match(first.stdout, /✔ no problems \(\d+ in the baseline\)/);
      assert.deepEqual(readdirSync(root).sort(), ['.meshlint-baseline.json', 'k8s'], 'no temporary file left behind');
      const text = readFileSync(join(root, '.meshlint-baseline.json'), 'utf8');
      const baseline = JSON.parse(text);
      const validate = new Ajv.default({ strict: false }).compile(JSON.parse(readFileSync(join(ROOT, 'schemas/baseline.schema.json'), 'utf8')));
      assert.ok(validate(structuredClone(baseline)), JSON.stringify(validate.errors));
      assert.equal(text, formatBaseline(baseline), 'two-space JSON with a trailing newline');
      const keys = baseline.findings.map((e: { ruleId: string; object?: string }) => `${e.ruleId} ${e.object}`);
      assert.deepEqual(keys, [...keys].sort(), 'sorted by rule, then object');
      assert.ok(baseline.findings.every((e: { line?: number }) => e.line === undefined), 'no line numbers');

      // unchanged input: exit 0, all baselined
      const again = runCli(['check', 'k8s', '--baseline', '.meshlint-baseline.json', '-f', 'json'], { cwd: root });
      assert.equal(again.code, 0, again.stdout);
      const report = JSON.parse(again.stdout);
      assert.equal(report.findings.length, 0);
      assert.equal(report.summary.baselined, report.suppressed.length);
      assert.deepEqual(report.baseline, { file: '.meshlint-baseline.json', matched: report.suppressed.length, absent: 0 });

      // a new finding and a fixed one; documents reordered and shifted. The new DestinationRule has its own host:
      // a second one for api.example.com in the same namespace would merge with the older one, whose top-level
      // trafficPolicy alone applies (istio/istio pilot/pkg/model/destination_rule.go, mergeDestinationRule).
      write(root, { 'k8s/mesh.yaml': ['# reviewed\n' + RETRIES(6), destinationRule('ext2', { host: 'api2.example.com' }), KEEPALIVE].join('---\n') });
      const next = runCli(['check', 'k8s', '--baseline', '.meshlint-baseline.json'], { cwd: root });
      assert.equal(next.code, 1, next.stdout);
      assert.match(next.stdout, /maxRequestsPerConnection: 1 .*keepalive-disabled/);
      assert.equal((next.stdout.match(/keepalive-disabled$/gm) ?? []).length, 1, 'only the new object is reported');
      assert.match(next.stdout, /✖ 1 problem \(1 error, 0 warnings, 0 info\); \d+ in the baseline/);
      assert.match(next.stdout, /1 baselined finding no longer found: refresh \.meshlint-baseline\.json with --baseline-write/);
    });

    it('counts identical findings: two overlays of one object need two entries', () => {
      const root = join(dir, 'cli2');
      write(root, { 'base/dr.yaml': KEEPALIVE, 'prod/dr.yaml': KEEPALIVE });
      assert.equal(runCli(['check', '.', '--baseline-write', 'b.json', '--rule', 'connection-churn-settings:off'], { cwd: root }).code, 0);
      const entry = JSON.parse(readFileSync(join(root, 'b.json'), 'utf8')).findings.find((e: { ruleId: string }) => e.ruleId === 'keepalive-disabled');
      assert.equal(entry.count, 2);
      write(root, { 'staging/dr.yaml': KEEPALIVE });
      const r = runCli(['check', '.', '--baseline', 'b.json', '-f', 'json'], { cwd: root });
      assert.equal(r.code, 1);
      assert.equal(JSON.parse(r.stdout).findings.filter((f: { ruleId: string }) => f.ruleId === 'keepalive-disabled').length, 1, 'a third copy is new');
    });

    it('refuses to write when the run had errors, and rejects a bad baseline file with file:line:column (exit 2)', () => {
      const root = join(dir, 'cli3');
      write(root, { 'dr.yaml': KEEPALIVE, 'old.json': '{"keep": true}\n', 'bad.json': '{\n  "version": 1,\n  "tool": "meshlint",\n  "findings": [\n    { "fingerprint": "xyz", "ruleId": "keepalive-disabled", "count": 1 }\n  ]\n}\n' });
      const partial = runCli(['check', 'dr.yaml', 'missing.yaml', '--baseline-write', 'old.json'], { cwd: root });
      assert.equal(partial.code, 2);
      assert.match(partial.stderr, /baseline not written to old\.json: the run had errors/);
      assert.equal(readFileSync(join(root, 'old.json'), 'utf8'), '{"keep": true}\n', 'the existing file is untouched');
      const bad = runCli(['check', 'dr.yaml', '--baseline', 'bad.json'], { cwd: root });
      assert.equal(bad.code, 2);
      assert.equal(bad.stdout, '');
      assert.match(bad.stderr, /^meshlint: bad\.json:5:7: findings\[0\]\.fingerprint: "xyz" is not valid: SHA-256/);
      const old = runCli(['check', 'dr.yaml', '--baseline', 'old.json'], { cwd: root });
      assert.equal(old.stderr, 'meshlint: old.json:1:1: missing required key "version" (not a meshlint baseline of version 1?)\n');
      const none = runCli(['check', 'dr.yaml', '--baseline', 'nope.json'], { cwd: root });
      assert.equal(none.code, 2);
      assert.match(none.stderr, /--baseline nope\.json: no such file \(create it with --baseline-write nope\.json\)/);
      rmSync(join(root, 'bad.json'));
    });
  });

  it('buildBaseline merges identical fingerprints into one entry with a count', () => {
    const f = { ruleId: 'keepalive-disabled', severity: 'error' as const, message: 'm', value: 1, location: { file: 'a.yaml', line: 3, column: 1, fieldPath: 'spec.x', object: { apiVersion: 'networking.istio.io/v1', kind: 'DestinationRule', namespace: 'shop', name: 'ext' } } };
    const b = buildBaseline([f, { ...f, location: { ...f.location, file: 'b.yaml', line: 9 } }], dir);
    assert.equal(b.findings.length, 1);
    assert.equal(b.findings[0].count, 2);
    assert.deepEqual(Object.keys(b.findings[0]), ['fingerprint', 'ruleId', 'object', 'fieldPath', 'value', 'count']);
  });
});

describe('baseline: no source text, no secrets (issue 14)', () => {
  it('a YAML error in a Secret and a source finding: the baseline holds fingerprints, not the line text; it still matches', () => {
    const { dir, cleanup } = tempDir('meshlint-baseline-secret-');
    try {
      const password = 'hunter2-correct-horse-battery';
      writeTree(dir, {
        'k8s/secret.yaml': `apiVersion: v1\nkind: Secret\nmetadata: {name: db, namespace: shop}\nstringData:\n  password: ${password}\n  password: ${password}-again\n`,
        'k8s/mesh.yaml': KEEPALIVE,
        'src/app.js': readFileSync(join(ROOT, 'fixtures/source/javascript/express-payments-agent.js'), 'utf8'),
      });
      const write = runCli(['check', 'k8s', 'src', '--baseline-write', 'baseline.json'], { cwd: dir });
      assert.equal(write.code, 0, write.stderr);
      const text = readFileSync(join(dir, 'baseline.json'), 'utf8');
      assert.ok(!text.includes('hunter2'), 'the Secret line is not in the baseline');
      const entries = JSON.parse(text).findings as { ruleId: string; file?: string; text?: string; count: number }[];
      assert.ok(entries.some((e) => e.ruleId === 'parse-error' && e.file === 'k8s/secret.yaml'));
      assert.ok(entries.some((e) => e.file === 'src/app.js'), 'source findings recorded');
      assert.ok(entries.every((e) => e.text === undefined), 'no line text at all');
      const again = runCli(['check', 'k8s', 'src', '--baseline', 'baseline.json', '-f', 'json'], { cwd: dir });
      assert.equal(again.code, 0, again.stderr);
      const report = JSON.parse(again.stdout);
      assert.equal(report.findings.length, 0);
      assert.equal(report.summary.baselined, entries.reduce((n, e) => n + e.count, 0));
    } finally {
      cleanup();
    }
  });

  it('values of Secret fields and of data/stringData are left out; other values are kept for reviewers', () => {
    const at = (kind: string, fieldPath: string) => ({
      ruleId: 'schema-invalid', severity: 'error' as const, message: 'm', value: 's3cr3t-value',
      location: { file: 'a.yaml', line: 1, column: 1, object: { apiVersion: 'v1', kind, namespace: 'shop', name: 'x' }, fieldPath },
    });
    const entries = identify([at('Secret', 'metadata.name'), at('ConfigMap', 'data.password'), at('ConfigMap', 'binaryData.k'), at('DestinationRule', 'spec.host')], '/');
    assert.deepEqual(entries.map((e) => e.value), [undefined, undefined, undefined, 's3cr3t-value']);
    assert.equal(new Set(entries.map((e) => e.fingerprint)).size, 4, 'the values still count in the fingerprints');
  });
});

describe('baseline: read as a stream (issue 14, item 21)', () => {
  /** A baseline text of `n` distinct entries, as --baseline-write writes it; entry `i` has fingerprint `fp(i)`. */
  const fp = (i: number) => i.toString(16).padStart(32, '0');
  const baselineText = (n: number, entry: (i: number) => Record<string, unknown> = (i) => ({ fingerprint: fp(i), ruleId: 'schema-invalid', file: 'a.yaml', count: 1 })) =>
    formatBaseline({ version: 1, tool: 'meshlint', findings: Array.from({ length: n }, (_, i) => entry(i)) as never });
  const { dir, cleanup } = tempDir('meshlint-baseline-stream-');
  after(cleanup);

  it('a baseline over the 1 MiB read size loads whole: every entry counted, counts of one fingerprint summed, keys in any order', () => {
    writeFileSync(join(dir, 'big.json'), baselineText(30_000, (i) => ({ count: i === 7 ? 3 : 1, ruleId: 'schema-invalid', fingerprint: fp(i % 29_999) })));
    const b = readBaseline('big.json', dir);
    assert.equal(b.entries, 30_000);
    assert.equal(b.accepted.size, 29_999);
    assert.equal(b.accepted.get(fp(0)), 2); // entries 0 and 29,999
    assert.equal(b.accepted.get(fp(7)), 3);
    assert.equal(b.accepted.get(fp(29_998)), 1);
  });

  it('a baseline written before issue 14 (with line text, $schema, compact JSON, a BOM-free UTF-8 value split across reads) still loads', () => {
    const entries = Array.from({ length: 8_000 }, (_, i) => ({ fingerprint: fp(i), ruleId: 'parse-error', file: 'ü/ö.yaml', text: `password: ${'é'.repeat(40)}`, count: 1 }));
    writeFileSync(join(dir, 'old-style.json'), JSON.stringify({ $schema: 'https://meshlint.dev/schemas/baseline.schema.json', version: 1, tool: 'meshlint', findings: entries }));
    const b = readBaseline('old-style.json', dir);
    assert.equal(b.entries, 8_000);
    assert.equal(b.accepted.get(fp(7_999)), 1);
  });

  it('problems in a baseline over 16 MiB are named without parsing it whole: the entry of a schema error, the line and column of a syntax error', () => {
    const n = 130_000; // about 18 MiB
    const text = baselineText(n);
    assert.ok(text.length > 16 * 1024 * 1024);
    writeFileSync(join(dir, 'bad-entry.json'), text.replace(`"fingerprint": "${fp(120_000)}"`, '"fingerprint": "xyz"'));
    assert.throws(() => readBaseline('bad-entry.json', dir), (e: Error) => {
      assert.match(e.message, /^bad-entry\.json: findings\[120000\]\.fingerprint: "xyz" is not valid: SHA-256.* \(not a meshlint baseline of version 1\?\)$/);
      return true;
    });
    const lines = text.split('\n');
    const at = lines.findIndex((l) => l.includes(fp(120_001)));
    lines[at] = lines[at]!.replace(/,$/, ''); // "fingerprint": "…" without its comma
    writeFileSync(join(dir, 'bad-syntax.json'), lines.join('\n'));
    assert.throws(() => readBaseline('bad-syntax.json', dir), (e: Error) => {
      assert.match(e.message, new RegExp(`^bad-syntax\\.json:${at + 2}:\\d+: invalid JSON: `));
      return true;
    });
  });

  it('a baseline that is not a mapping, or lacks findings, is refused with the same located message as before', () => {
    writeFileSync(join(dir, 'list.json'), '[1, 2]\n');
    assert.throws(() => readBaseline('list.json', dir), (e: Error) => /^list\.json:1:1: /.test(e.message));
    writeFileSync(join(dir, 'no-findings.json'), '{\n  "version": 1,\n  "tool": "meshlint"\n}\n');
    assert.throws(() => readBaseline('no-findings.json', dir), (e: Error) => e.message === 'no-findings.json:1:1: missing required key "findings" (not a meshlint baseline of version 1?)');
  });
});
