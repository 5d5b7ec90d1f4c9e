import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { check, type CheckOptions } from '../../src/pipeline.js';
import { applySuppressions } from '../../src/suppress/index.js';
import { parseDirective, sourceDirectives, yamlDirectives } from '../../src/suppress/directives.js';
import type { Finding } from '../../src/types.js';
import { tempDir } from '../helpers/cli.js';
import { destinationRule, writeTree } from '../helpers/manifests.js';
import { ROOT } from '../helpers/paths.js';
import { scanJavaScript } from '../../src/source/eslint/scan.js';
import { readFileSync } from 'node:fs';

/** A keep-alive-off DestinationRule (see test/helpers/manifests.ts). */
function dr(name: string, opts: { annotations?: Record<string, string>; comment?: string; namespace?: string } = {}): string {
  return destinationRule(name, opts);
}

describe('suppressions', () => {
  let dir: string;
  let cleanup: () => void;
  before(() => ({ dir, cleanup } = tempDir()));
  after(() => cleanup());

  /** Writes `files` under a fresh sub-directory and checks it. */
  let n = 0;
  async function run(files: Record<string, string>, extra: Partial<CheckOptions> = {}) {
    const sub = `case${n++}`;
    writeTree(join(dir, sub), files);
    return check({ paths: [sub], cwd: dir, defaultNamespace: 'default', ...extra });
  }
  const ka = (findings: readonly Finding[]) => findings.filter((f) => f.ruleId === 'keepalive-disabled').map((f) => `${f.location.file.split('/').pop()}:${f.location.line}`);

  describe('object annotations', () => {
    it('meshlint.io/ignore with a list silences those rules on that object only, with its reason', async () => {
      const r = await run({
        'a.yaml': `${dr('a', { annotations: { 'meshlint.io/ignore': 'connection-limit-unbounded, keepalive-disabled', 'meshlint.io/ignore-reason': 'vendor closes connections anyway' } })}---\n${dr('b')}`,
      });
      assert.deepEqual(ka(r.findings), ['a.yaml:26'], 'the un-annotated object still reports');
      const s = r.suppressed!.filter((f) => f.ruleId === 'keepalive-disabled');
      assert.equal(s.length, 1);
      assert.equal(s[0].location.object?.name, 'a');
      assert.deepEqual(s[0].suppressions, [{ kind: 'inSource', via: 'annotation', justification: 'vendor closes connections anyway', location: { file: 'case0/a.yaml', line: 7, column: 5 } }]);
    });

    it('"*" silences every rule; near misses: another rule id, the same name in another namespace', async () => {
      const r = await run({
        'a.yaml': [dr('a', { annotations: { 'meshlint.io/ignore': '*' } }), dr('b', { annotations: { 'meshlint.io/ignore': 'retries-aggressive' } }), dr('a', { namespace: 'other' })].join('---\n'),
      });
      assert.deepEqual(ka(r.findings), ['a.yaml:27', 'a.yaml:39']);
      assert.deepEqual(r.suppressed!.map((f) => `${f.ruleId} ${f.location.object?.namespace}/${f.location.object?.name}`), ['keepalive-disabled shop/a']);
    });

    it('galley.istio.io/analyze-suppress: IST0106 silences schema-invalid; IST0102 and "*" silence nothing of meshlint', async () => {
      const bad = (name: string, codes: string) => `apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata:
  name: ${name}
  namespace: shop
  annotations:
    galley.istio.io/analyze-suppress: "${codes}"
spec:
  host: ${name}.example.com
  trafficPolicy:
    connectionPool:
      tcp:
        maxConnections: lots
`;
      const r = await run({ 'a.yaml': [bad('a', 'IST0102,IST0106'), bad('b', 'IST0102'), bad('c', '*')].join('---\n') });
      assert.deepEqual(r.findings.filter((f) => f.ruleId === 'schema-invalid').map((f) => f.location.object?.name), ['b', 'c']);
      const s = r.suppressed!.find((f) => f.ruleId === 'schema-invalid')!;
      assert.equal(s.location.object?.name, 'a');
      assert.equal(s.suppressions![0].via, 'istio-annotation');
      assert.equal(s.suppressions![0].justification, 'galley.istio.io/analyze-suppress: IST0102,IST0106');
    });
  });

  describe('YAML comments', () => {
    it('meshlint-disable-next-line silences the next line only, with the reason after --', async () => {
      const r = await run({ 'a.yaml': dr('a', { comment: '        # meshlint-disable-next-line keepalive-disabled -- vendor SDK\n' }) });
      assert.deepEqual(ka(r.findings), []);
      assert.deepEqual(r.suppressed![0].suppressions, [{ kind: 'inSource', via: 'comment', justification: 'vendor SDK', location: { file: 'case3/a.yaml', line: 11, column: 9 } }]);
    });

    it('near misses: the directive on the wrong line, a wrong rule id, text in a block scalar, a comment that only mentions it', async () => {
      const blockScalar = `apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata:
  name: c
  namespace: shop
  annotations:
    runbook: |
      # meshlint-disable-next-line keepalive-disabled
spec:
  host: c.example.com
  trafficPolicy:
    connectionPool:
      http:
        maxRequestsPerConnection: 1
`;
      const r = await run({
        'a.yaml': [
          dr('a', { comment: '        # meshlint-disable-next-line keepalive-disabled\n\n' }),
          dr('b', { comment: '        # meshlint-disable-next-line keepalive-disable\n' }),
          blockScalar,
          dr('d', { comment: '        # TODO meshlint-disable-next-line keepalive-disabled\n' }),
        ].join('---\n'),
      });
      assert.equal(ka(r.findings).length, 4, `every finding still reported: ${ka(r.findings)}`);
      assert.deepEqual(r.suppressed, []);
    });

    it('meshlint-disable covers the rest of its document: not the documents after it, nor lines above it', async () => {
      const r = await run({
        'a.yaml': `# meshlint-disable keepalive-disabled -- before the first document\n${dr('a')}---\n${dr('b')}---\n# meshlint-disable keepalive-disabled -- whole document\n${dr('c')}---\n${dr('d')}# meshlint-disable keepalive-disabled -- at the end of d: nothing after it\n---\n${dr('e')}...\n# meshlint-disable keepalive-disabled -- after the end marker: the next document\n---\n${dr('f')}`,
      });
      assert.deepEqual(r.findings.filter((f) => f.ruleId === 'keepalive-disabled').map((f) => f.location.object?.name), ['b', 'd', 'e']);
      assert.deepEqual(r.suppressed!.map((f) => f.location.object?.name).sort(), ['a', 'c', 'f']);
    });

    it('meshlint-disable-line on the finding’s line; several rule ids; * for all', async () => {
      const r = await run({
        'a.yaml': [
          dr('a').replace('maxRequestsPerConnection: 1', 'maxRequestsPerConnection: 1  # meshlint-disable-line retries-aggressive, keepalive-disabled'),
          dr('b', { comment: '        # meshlint-disable-next-line *\n' }),
        ].join('---\n'),
      });
      assert.deepEqual(ka(r.findings), []);
      assert.equal(r.suppressed!.length, 2);
    });

    it('reads directives from standard input', async () => {
      const text = dr('a', { comment: '        # meshlint-disable-next-line keepalive-disabled\n' });
      const r = await check({ paths: ['-'], cwd: dir, defaultNamespace: 'default', stdin: () => Buffer.from(text) });
      assert.deepEqual(ka(r.findings), []);
      assert.equal(r.suppressed![0].suppressions![0].location?.file, '<stdin>');
    });
  });

  describe('unused directives', () => {
    it('are reported per rule id with --report-unused-disable-directives, and only then', async () => {
      const files = { 'a.yaml': dr('a', { annotations: { 'meshlint.io/ignore': 'keepalive-disabled,mirror-amplification' }, comment: '        # meshlint-disable-next-line keepalive-disabled\n' }) };
      const quiet = await run(files);
      assert.deepEqual(quiet.findings.filter((f) => f.ruleId === 'unused-disable-directive'), []);
      const loud = await run(files, { reportUnusedDisableDirectives: true });
      const unused = loud.findings.filter((f) => f.ruleId === 'unused-disable-directive');
      assert.deepEqual(unused.map((f) => `${f.location.line}:${f.location.column} ${f.message}`), ['7:5 unused meshlint.io/ignore annotation: there is no mirror-amplification finding on DestinationRule shop/a to silence']);
      assert.equal(loud.suppressed!.length, 1, 'one finding, silenced by both directives');
      assert.equal(loud.suppressed![0].suppressions!.length, 2);
    });

    it('are off when the rule is off', async () => {
      const r = await run({ 'a.yaml': dr('a', { annotations: { 'meshlint.io/ignore': 'mirror-amplification' } }) }, { reportUnusedDisableDirectives: true, rules: new Map([['unused-disable-directive', { severity: 'off' }]]) });
      assert.deepEqual(r.findings.filter((f) => f.ruleId === 'unused-disable-directive'), []);
    });
  });

  describe('source files', () => {
    const sources: Record<string, string> = {
      'svc/app.ts': "const s = '// meshlint-disable-next-line client-per-request';\n// meshlint-disable-next-line client-per-request -- one-off script\nnewClient();\nnewClient();\n",
      'svc/app.js': '/* meshlint-disable-next-line client-per-request */\nnewClient();\n',
      'svc/main.go': 'package main\n\n// meshlint-disable-next-line client-per-request\nfunc f() { c := &http.Client{} }\n',
      'svc/app.py': "s = '# meshlint-disable-next-line client-per-request'\n# meshlint-disable-next-line client-per-request\nrequests.Session()\n",
      'svc/App.java': 'class A {\n  // meshlint-disable client-per-request\n  void f() { HttpClient.newHttpClient(); }\n  void g() { HttpClient.newHttpClient(); }\n}\n',
    };
    const finding = (file: string, line: number): Finding => ({ ruleId: 'client-per-request', severity: 'warn', message: 'client built per request', location: { file, line, column: 1 } });

    it('comments found with ast-grep in TypeScript, JavaScript, Go, Python and Java; strings are not comments', async () => {
      const sub = 'src-case';
      writeTree(join(dir, sub), sources);
      const files = Object.keys(sources).map((f) => `${sub}/${f}`);
      const findings = [
        finding(`${sub}/svc/app.ts`, 1), // line of the string: not silenced
        finding(`${sub}/svc/app.ts`, 3), // silenced
        finding(`${sub}/svc/app.ts`, 4), // the line after: not silenced
        finding(`${sub}/svc/app.js`, 2),
        finding(`${sub}/svc/main.go`, 4),
        finding(`${sub}/svc/app.py`, 1), // the string
        finding(`${sub}/svc/app.py`, 3),
        finding(`${sub}/svc/App.java`, 3),
        finding(`${sub}/svc/App.java`, 4), // disable: rest of the file
        { ...finding(`${sub}/svc/app.ts`, 3), ruleId: 'app-retries' }, // another rule on a silenced line
      ];
      const out = await applySuppressions({ findings, objects: [], manifestTexts: new Map(), sourceFiles: files, cwd: dir, reportUnused: true, unusedSeverity: 'warn' });
      assert.deepEqual(out.findings.map((f) => `${f.ruleId} ${f.location.file.split('/').pop()}:${f.location.line}`), [
        'client-per-request app.ts:1',
        'client-per-request app.ts:4',
        'client-per-request app.py:1',
        'app-retries app.ts:3',
      ]);
      assert.deepEqual(out.suppressed.map((f) => `${f.location.file.split('/').pop()}:${f.location.line}`), ['app.ts:3', 'app.js:2', 'main.go:4', 'app.py:3', 'App.java:3', 'App.java:4']);
      assert.equal(out.suppressed[0].suppressions![0].justification, 'one-off script');
    });

    it('silences a real ESLint-scanner finding on the next line, and only that one', async () => {
      const original = readFileSync(join(ROOT, 'fixtures/source/javascript/express-payments-agent.js'), 'utf8').split('\n');
      const at = original.findIndex((l) => l.includes('expect: client-per-request'));
      assert.ok(at > 0, 'the fixture has a client-per-request line');
      const withDirective = [...original.slice(0, at), '    // meshlint-disable-next-line client-per-request -- reviewed: one charge per minute', ...original.slice(at)].join('\n');
      mkdirSync(join(dir, 'real-js'), { recursive: true });
      writeFileSync(join(dir, 'real-js/plain.js'), original.join('\n'));
      writeFileSync(join(dir, 'real-js/silenced.js'), withDirective);
      const files = ['real-js/plain.js', 'real-js/silenced.js'];
      const scanned = await scanJavaScript(files, { cwd: dir });
      const cpr = scanned.findings.filter((f) => f.ruleId === 'client-per-request');
      assert.ok(cpr.some((f) => f.location.file === 'real-js/plain.js' && f.location.line === at + 1), `scanner finds the agent in plain.js: ${cpr.map((f) => `${f.location.file}:${f.location.line}`)}`);
      const out = await applySuppressions({ findings: scanned.findings, objects: [], manifestTexts: new Map(), sourceFiles: files, cwd: dir, reportUnused: true, unusedSeverity: 'warn' });
      assert.deepEqual(out.suppressed.map((f) => `${f.ruleId} ${f.location.file}:${f.location.line}`), [`client-per-request real-js/silenced.js:${at + 2}`]);
      assert.ok(out.findings.some((f) => f.ruleId === 'client-per-request' && f.location.file === 'real-js/plain.js' && f.location.line === at + 1));
      assert.deepEqual(out.findings.filter((f) => f.ruleId === 'unused-disable-directive'), []);
    });

    it('directive parsing: kinds, separators, reason, not a directive', () => {
      assert.deepEqual(parseDirective('# meshlint-disable-next-line a, b c -- because -- really'), { kind: 'disable-next-line', rules: ['a', 'b', 'c'], all: false, reason: 'because -- really' });
      assert.deepEqual(parseDirective('// meshlint-disable'), { kind: 'disable', rules: [], all: true });
      assert.deepEqual(parseDirective('/* meshlint-disable-line x */'), { kind: 'disable-line', rules: ['x'], all: false });
      assert.equal(parseDirective('# meshlint-disabled x'), null);
      assert.equal(parseDirective('# see meshlint-disable x'), null);
    });

    it('YAML and source directive positions are 1-based lines and columns', async () => {
      assert.deepEqual(yamlDirectives('f.yaml', 'a: 1 # meshlint-disable-line x\n').map((d) => [d.line, d.column, d.from, d.to]), [[1, 6, 1, 1]]);
      assert.deepEqual((await sourceDirectives('f.ts', 'x();\n  // meshlint-disable-next-line y\n')).map((d) => [d.line, d.column, d.from, d.to]), [[2, 3, 3, 3]]);
    });
  });
});
