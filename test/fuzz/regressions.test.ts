/**
 * Regression tests for what the robustness work of issue 7 found, and for the input classes the fuzzer
 * (`harness.ts`) generates, pinned with their exact expected outcome so that a change in behaviour shows up
 * here and not only as a random fuzz failure. Add a case here for every crash `npm run fuzz` finds (its
 * output gives the seed, the counterexample and the input).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { check } from '../../src/pipeline.js';
import { render } from '../../src/report/index.js';
import { spawnSync } from 'node:child_process';
import { BIN, ROOT } from '../helpers/paths.js';
import { checkInput } from './harness.js';

const DR = `apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: ext, namespace: shop}
spec:
  host: api.example.com
  trafficPolicy: {connectionPool: {http: {maxRequestsPerConnection: 1}}}
`;

const run = (text: string) => check({ paths: ['-'], cwd: ROOT, defaultNamespace: 'default', stdin: () => Buffer.from(text) });

describe('regressions: found while making check robust', () => {
  it('a pipe given as a path (process substitution, /dev/stdin) is read to the end, not as an empty file', () => {
    // Found by the file-system edge cases: files were read up to their stat size, which is 0 for a pipe, so
    // `meshlint check <(helm template …)` checked nothing and exited 0.
    // A real pipe (spawnSync's `input` is a socket pair, which open() refuses): the shell's `|`.
    const r = spawnSync('sh', ['-c', `printf '%s' "$0" | "${process.execPath}" "${BIN}" check /dev/stdin -f json`, DR], { cwd: ROOT, encoding: 'utf8' });
    assert.equal(r.status, 1, r.stderr);
    const report = JSON.parse(r.stdout);
    assert.equal(report.summary.documents, 1);
    assert.ok(report.findings.some((f: { ruleId: string }) => f.ruleId === 'keepalive-disabled'));
  });
});

describe('regressions: fuzz input classes, pinned', () => {
  it('__proto__ and constructor keys are plain fields: schema-invalid at the field, no prototype pollution', async () => {
    const text = `${DR}  __proto__: {trafficPolicy: {polluted: true}}\n`;
    const result = await checkInput(Buffer.from(text));
    const f = result.findings.find((x) => x.ruleId === 'schema-invalid');
    assert.ok(f, 'unknown field reported');
    assert.equal(f.location.line, 7);
    assert.equal(({} as Record<string, unknown>).trafficPolicy, undefined);
    assert.equal(({} as Record<string, unknown>).polluted, undefined);
  });

  it('.nan and .inf in numeric fields are schema-invalid at the field; reports still render (JSON null)', async () => {
    const text = DR.replace('maxRequestsPerConnection: 1', 'maxRequestsPerConnection: .nan').replace('host: api.example.com', 'host: api.example.com\n  subsets: [{name: a, trafficPolicy: {portLevelSettings: [{port: {number: .inf}}]}}]');
    const result = await checkInput(Buffer.from(text));
    const fields = result.findings.filter((x) => x.ruleId === 'schema-invalid').map((x) => x.location.fieldPath);
    assert.ok(fields.includes('spec.trafficPolicy.connectionPool.http.maxRequestsPerConnection'), fields.join());
    assert.ok(fields.includes('spec.subsets[0].trafficPolicy.portLevelSettings[0].port.number'), fields.join());
    JSON.parse(render('json', result, { color: false, explain: true, version: 'test' }));
  });

  it('a List with null, scalar and nested List items: each non-object item is schema-invalid at its own line', async () => {
    const text = 'apiVersion: v1\nkind: List\nitems:\n- null\n- 5\n- [a]\n- apiVersion: v1\n  kind: Namespace\n  metadata: {name: ok}\n';
    const result = await checkInput(Buffer.from(text));
    const lines = result.findings.filter((x) => x.ruleId === 'schema-invalid').map((x) => x.location.line);
    assert.deepEqual(lines, [5, 6]);
    assert.equal(result.stats.objects, 1);
  });

  it('nesting past the parser’s depth limit is a parse-error at the nesting, the file’s other problems aside', async () => {
    const text = `${DR}  exportTo: ${'['.repeat(500)}${']'.repeat(500)}\n`;
    const result = await checkInput(Buffer.from(text));
    const f = result.findings.find((x) => x.ruleId === 'parse-error');
    assert.ok(f);
    assert.equal(f.location.line, 7);
    assert.match(f.message, /nesting exceeded maxDepth/);
  });

  it('an alias bomb inside an Istio object is refused with a location; the other documents are analysed', async () => {
    const rows = ['a0: &a0 ["x","x","x","x","x","x","x","x","x","x"]'];
    for (let k = 1; k < 7; k++) rows.push(`a${k}: &a${k} [${Array(10).fill(`*a${k - 1}`).join(',')}]`);
    const bomb = `apiVersion: networking.istio.io/v1\nkind: DestinationRule\nmetadata: {name: bomb, namespace: shop}\nspec:\n  host: bomb.example.com\n${rows.map((r) => `  ${r}`).join('\n')}\n`;
    const result = await checkInput(Buffer.from(`${bomb}---\n${DR}`));
    const f = result.findings.find((x) => x.ruleId === 'parse-error');
    assert.ok(f && /alias bomb/.test(f.message));
    assert.equal(f.location.line, 1);
    assert.ok(result.findings.some((x) => x.ruleId === 'keepalive-disabled' && x.location.line === 19), 'the DestinationRule after the bomb is still checked');
  });

  it('invalid UTF-8 and a byte-order mark do not move locations off the text', async () => {
    const text = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(DR.replace('name: ext', 'name: "e\u00e9"')), Buffer.from('# \xff\xfe\n', 'latin1')]);
    const result = await checkInput(text);
    const f = result.findings.find((x) => x.ruleId === 'keepalive-disabled');
    assert.ok(f);
    assert.equal(f.location.line, 6);
  });

  it('CRLF line endings give the same lines as LF', async () => {
    const lf = await run(DR);
    const crlf = await run(DR.replace(/\n/g, '\r\n'));
    assert.deepEqual(
      crlf.findings.map((f) => `${f.ruleId}:${f.location.line}:${f.location.column}`),
      lf.findings.map((f) => `${f.ruleId}:${f.location.line}:${f.location.column}`),
    );
  });
});
