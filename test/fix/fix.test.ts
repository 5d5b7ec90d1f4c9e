import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, cpSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { planFixes } from '../../src/fix/index.js';
import { applyFix } from '../../src/fix/yaml-edit.js';
import { check } from '../../src/pipeline.js';
import { runCli, tempDir } from '../helpers/cli.js';
import { ROOT } from '../helpers/paths.js';

const FIXTURES = join(ROOT, 'test/fixtures/fix');

/** A copy of a fixture directory (without expected.yaml) in a temp dir. */
function copyFixture(name: string): { dir: string; cleanup: () => void } {
  const t = tempDir('meshlint-fix-');
  for (const f of readdirSync(join(FIXTURES, name))) if (f !== 'expected.yaml') cpSync(join(FIXTURES, name, f), join(t.dir, f));
  return t;
}

const read = (dir: string, f: string) => readFileSync(join(dir, f), 'utf8');

describe('--fix round trips (byte for byte)', () => {
  const cases: { name: string; what: string; fixed: number }[] = [
    { name: 'multidoc', what: 'comments, quoting, an untouched odd-formatted document, block and flow retries', fixed: 3 },
    { name: 'list', what: 'kind: List items, a mapping left empty becomes {}', fixed: 2 },
    { name: 'flow', what: 'flow style (JSON-like YAML): only the innermost flow mapping is rewritten', fixed: 1 },
    { name: 'connection-pool', what: 'connectionPool added to DestinationRules in another file than the findings', fixed: 2 },
    { name: 'httproute', what: 'Gateway API: HTTPRoute retry.attempts lowered to maxAttempts (retries-aggressive), keep-alive restored in its DestinationRule', fixed: 2 },
  ];
  for (const c of cases) {
    it(`${c.name}: ${c.what}; a second --fix changes nothing`, () => {
      const { dir, cleanup } = copyFixture(c.name);
      try {
        const others = readdirSync(dir).filter((f) => f !== 'input.yaml').map((f) => [f, read(dir, f)]);
        const first = runCli(['check', '.', '--fix'], { cwd: dir });
        assert.equal(first.code, 0, first.stdout + first.stderr);
        assert.match(first.stderr, new RegExp(`^meshlint: fixed ${c.fixed} problems? in 1 file$`, 'm'));
        assert.match(first.stdout, /no problems/, 'the report after --fix shows what remains: nothing');
        assert.equal(read(dir, 'input.yaml'), readFileSync(join(FIXTURES, c.name, 'expected.yaml'), 'utf8'));
        for (const [f, text] of others) assert.equal(read(dir, f), text, `${f} untouched`);
        const second = runCli(['check', '.', '--fix'], { cwd: dir });
        assert.match(second.stderr, /^meshlint: fixed 0 problems in 0 files$/m);
        assert.equal(read(dir, 'input.yaml'), readFileSync(join(FIXTURES, c.name, 'expected.yaml'), 'utf8'), 'idempotent');
      } finally {
        cleanup();
      }
    });
  }
});

describe('--fix-dry-run', () => {
  it('HTTPRoute: the diff lowers retry.attempts and nothing else of the route', () => {
    const { dir, cleanup } = copyFixture('httproute');
    try {
      const r = runCli(['check', '.', '--fix-dry-run'], { cwd: dir });
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, /^-      attempts: 6 # too many\n\+      attempts: 3 # too many$/m);
      assert.match(r.stdout, /^-        maxRequestsPerConnection: 1$/m);
      assert.equal(r.stdout.split('\n').filter((l) => /^[-+](?![-+])/.test(l)).length, 3, 'two lines out, one in');
      assert.equal(read(dir, 'input.yaml'), readFileSync(join(FIXTURES, 'httproute', 'input.yaml'), 'utf8'), 'dry run writes nothing');
    } finally {
      cleanup();
    }
  });

  it('prints a unified diff that git apply accepts and that equals what --fix writes; files stay untouched', () => {
    const { dir, cleanup } = copyFixture('multidoc');
    try {
      const before = read(dir, 'input.yaml');
      const r = runCli(['check', 'input.yaml', '--fix-dry-run'], { cwd: dir });
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, /^--- a\/input\.yaml\n\+\+\+ b\/input\.yaml\n@@ /m);
      assert.match(r.stderr, /3 problems would be fixed in 1 file; 0 would remain/);
      assert.equal(read(dir, 'input.yaml'), before, 'dry run writes nothing');
      writeFileSync(join(dir, 'fix.patch'), r.stdout);
      const apply = spawnSync('git', ['apply', '--unsafe-paths', 'fix.patch'], { cwd: dir, encoding: 'utf8' });
      assert.equal(apply.status, 0, apply.stderr);
      assert.equal(read(dir, 'input.yaml'), readFileSync(join(FIXTURES, 'multidoc/expected.yaml'), 'utf8'));
    } finally {
      cleanup();
    }
  });

  it('exit code follows the findings that would remain; --fix with --fix-dry-run is a usage error', () => {
    const { dir, cleanup } = copyFixture('multidoc');
    try {
      writeFileSync(join(dir, 'json.json'), JSON.stringify({ apiVersion: 'networking.istio.io/v1', kind: 'DestinationRule', metadata: { name: 'j' }, spec: { host: 'j.example.com', trafficPolicy: { connectionPool: { http: { maxRequestsPerConnection: 1 } } } } }));
      const r = runCli(['check', '.', '--fix-dry-run', '-o', 'report.json', '-f', 'json'], { cwd: dir });
      assert.equal(r.code, 1, 'the JSON file’s keepalive-disabled error is not fixable and remains');
      const report = JSON.parse(read(dir, 'report.json'));
      assert.deepEqual(report.findings.map((f: { file: string; ruleId: string }) => `${f.file} ${f.ruleId}`), ['json.json keepalive-disabled']);
      assert.equal(runCli(['check', '.', '--fix', '--fix-dry-run'], { cwd: dir }).code, 2);
    } finally {
      cleanup();
    }
  });
});

describe('--fix safety', () => {
  it('keeps the file mode (write-file-atomic: temp file + rename)', () => {
    const { dir, cleanup } = copyFixture('list');
    try {
      chmodSync(join(dir, 'input.yaml'), 0o640);
      runCli(['check', '.', '--fix'], { cwd: dir });
      assert.equal(read(dir, 'input.yaml'), readFileSync(join(FIXTURES, 'list/expected.yaml'), 'utf8'));
      assert.equal(statSync(join(dir, 'input.yaml')).mode & 0o777, 0o640);
      assert.deepEqual(readdirSync(dir).sort(), ['input.yaml'], 'no temporary file left behind');
    } finally {
      cleanup();
    }
  });

  it('standard input findings are not fixable and stay in the report', () => {
    const r = runCli(['check', '-', '--fix', '-f', 'json'], { input: readFileSync(join(FIXTURES, 'list/input.yaml')) });
    assert.equal(r.code, 1);
    assert.equal(JSON.parse(r.stdout).findings.filter((f: { ruleId: string }) => f.ruleId === 'keepalive-disabled').length, 2);
    assert.match(r.stderr, /fixed 0 problems in 0 files/);
  });

  it('a file that no longer parses is left untouched (its fixes refused), the others are fixed', async () => {
    const { dir, cleanup } = copyFixture('list');
    try {
      cpSync(join(FIXTURES, 'flow/input.yaml'), join(dir, 'flow.yaml'));
      const result = await check({ paths: ['.'], cwd: dir, defaultNamespace: 'default' });
      const broken = read(dir, 'input.yaml') + 'trailing: [unclosed\n';
      writeFileSync(join(dir, 'input.yaml'), broken); // changed between the check and the fix
      const plan = planFixes(result.findings, dir);
      const list = plan.files.find((f) => f.file === 'input.yaml')!;
      assert.equal(list.after, broken);
      assert.deepEqual(list.refused.map((x) => x.reason), ['parse-error', 'parse-error']);
      const flow = plan.files.find((f) => f.file === 'flow.yaml')!;
      assert.equal(flow.fixed.length, 1);
      assert.notEqual(flow.after, flow.before);
    } finally {
      cleanup();
    }
  });

  it('a fix whose object moved to another document is refused', () => {
    const text = 'kind: DestinationRule\nmetadata:\n  name: other\nspec:\n  x: 1\n';
    const r = applyFix(text, { docIndex: 0, object: { apiVersion: 'networking.istio.io/v1', kind: 'DestinationRule', namespace: 'a', name: 'x' }, objectPath: [], edits: [{ op: 'delete', path: ['spec', 'x'] }] });
    assert.deepEqual(r.ok ? 'applied' : r.reason, 'object-moved');
  });

  it('a text edit that would not give the intended document is refused (checked against the Document API)', () => {
    // The key shares its line with a sequence dash: deleting its line would delete the whole item.
    const text = 'kind: DestinationRule\nmetadata: {name: x}\nitems:\n- a: 1\n  b: 2\n';
    const r = applyFix(text, { docIndex: 0, object: { apiVersion: '', kind: 'DestinationRule', namespace: '', name: 'x' }, objectPath: [], edits: [{ op: 'delete', path: ['items', 0, 'a'] }] });
    assert.equal(r.ok, false);
  });

  it('fixes of context files are refused (--context-dir): only the named files are edited', () => {
    const { dir, cleanup } = copyFixture('connection-pool');
    try {
      const before = read(dir, 'input.yaml');
      const r = runCli(['check', 'routes.yaml', '--context-dir', '.', '--fix'], { cwd: dir });
      assert.equal(read(dir, 'input.yaml'), before);
      assert.match(r.stderr, /connection-pool-missing not fixed: the fix edits input\.yaml, which was loaded as context only/);
      assert.match(r.stdout, /connection-pool-missing/, 'the unfixed findings remain in the report');
    } finally {
      cleanup();
    }
  });
});

describe('--fix at scale and on values it must not overwrite (issue 14)', () => {
  const dr = (i: number, extra = '') =>
    `apiVersion: networking.istio.io/v1\nkind: DestinationRule\nmetadata:\n  name: d${i}\n  namespace: shop\n# comment ${i}\nspec:\n  host: h${i}.example.com\n  trafficPolicy:\n    connectionPool:\n      http:\n        maxRequestsPerConnection: 1\n        idleTimeout: 5s${extra}\n`;

  it('650 fixes in one file: every one applied, in one parse per document (the diff equals --fix; a second run finds nothing)', () => {
    const { dir, cleanup } = tempDir('meshlint-fix-many-');
    try {
      const n = 650;
      const before = Array.from({ length: n }, (_, i) => dr(i)).join('---\n');
      writeFileSync(join(dir, 'many.yaml'), before);
      const dry = runCli(['check', 'many.yaml', '--fix-dry-run'], { cwd: dir, timeoutMs: 120_000 });
      assert.match(dry.stderr, new RegExp(`--fix-dry-run: ${n} problems would be fixed in 1 file`));
      assert.equal(dry.stdout.match(/^- {8}maxRequestsPerConnection: 1$/gm)?.length, n);
      const fix = runCli(['check', 'many.yaml', '--fix'], { cwd: dir, timeoutMs: 120_000 });
      assert.match(fix.stderr, new RegExp(`^meshlint: fixed ${n} problems in 1 file$`, 'm'));
      const after = read(dir, 'many.yaml');
      assert.equal(after, before.replace(/ {8}maxRequestsPerConnection: 1\n/g, ''), 'only the fixed lines changed; comments and documents kept');
      const again = runCli(['check', 'many.yaml', '--fix'], { cwd: dir });
      assert.match(again.stderr, /fixed 0 problems in 0 files/);
    } finally {
      cleanup();
    }
  });

  it('a %YAML directive (documents that may not stand alone) takes the one-by-one path with the same result', async () => {
    const text = `%YAML 1.2\n---\n${dr(1)}---\n${dr(2)}`;
    const { dir, cleanup } = tempDir('meshlint-fix-directive-');
    try {
      writeFileSync(join(dir, 'd.yaml'), text);
      const r = runCli(['check', 'd.yaml', '--fix'], { cwd: dir });
      assert.match(r.stderr, /fixed 2 problems in 1 file/);
      assert.equal(read(dir, 'd.yaml'), text.replace(/ {8}maxRequestsPerConnection: 1\n/g, ''));
    } finally {
      cleanup();
    }
  });

  for (const [what, value] of [['null', 'null'], ['~', '~'], ['a string', '"none"'], ['a list', '[a, b]']] as const) {
    it(`connection-pool-missing with trafficPolicy ${what}: not fixed, and --fix-dry-run and --fix say the same`, () => {
      const { dir, cleanup } = tempDir('meshlint-fix-tp-');
      try {
        const text = `apiVersion: networking.istio.io/v1\nkind: DestinationRule\nmetadata: {name: d, namespace: shop}\nspec:\n  host: api.shop.svc.cluster.local\n  trafficPolicy: ${value}\n---\napiVersion: networking.istio.io/v1\nkind: VirtualService\nmetadata: {name: v, namespace: shop}\nspec:\n  hosts: [api.shop.svc.cluster.local]\n  http:\n  - route:\n    - destination: {host: api.shop.svc.cluster.local}\n`;
        writeFileSync(join(dir, 't.yaml'), text);
        const kind = what === 'a string' ? 'a string' : what === 'a list' ? 'a list' : 'null';
        const refusal = new RegExp(`t\\.yaml:\\d+:\\d+: connection-pool-missing not fixed: spec\\.trafficPolicy is ${kind}, not a mapping: the fix adds keys to a mapping and never overwrites a value`);
        const dry = runCli(['check', 't.yaml', '--fix-dry-run'], { cwd: dir });
        assert.match(dry.stderr, refusal);
        assert.match(dry.stderr, /--fix-dry-run: 0 problems would be fixed in 0 files/);
        assert.equal(dry.stdout, '');
        const fix = runCli(['check', 't.yaml', '--fix'], { cwd: dir });
        assert.match(fix.stderr, refusal);
        assert.match(fix.stderr, /fixed 0 problems in 0 files/);
        assert.equal(read(dir, 't.yaml'), text);
      } finally {
        cleanup();
      }
    });
  }
});
