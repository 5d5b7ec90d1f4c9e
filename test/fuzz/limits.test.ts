/**
 * Regression tests for the scale and output defects of issue 14 ("never fall over"): inputs a big cluster or
 * monorepo produces (150k findings, 200k documents in one file, a 600 MB file, minified bundles), hostile file
 * names, closed or full standard output, and values past Node's timer range. Each test pins the exact outcome.
 * Timing and memory are measured by `npm run bench`, not here.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, symlinkSync, writeFileSync, ftruncateSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import AjvDraft04 from 'ajv-draft-04';
import addFormats from 'ajv-formats';
import { check } from '../../src/pipeline.js';
import { scanSources } from '../../src/source/index.js';
import { parseManifestText } from '../../src/load/parse.js';
import { render } from '../../src/report/index.js';
import { artifactUri } from '../../src/report/sarif.js';
import { escapeControl } from '../../src/report/format.js';
import { runCli, tempDir } from '../helpers/cli.js';
import { BIN, ROOT } from '../helpers/paths.js';
import { tempRepo } from '../helpers/git.js';

const DR = (name: string, host = 'api.example.com') => `apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: ${name}, namespace: shop}
spec:
  host: ${host}
  trafficPolicy: {connectionPool: {http: {maxRequestsPerConnection: 1}}}
`;

const fromStdin = (text: string) => check({ paths: ['-'], cwd: ROOT, defaultNamespace: 'default', stdin: () => Buffer.from(text) });
const REPORT = { color: false, explain: false, version: 'test' };

const tmp = tempDir('meshlint-limits-');
after(() => tmp.cleanup());

describe('issue 14, item 7: no call-stack overflow from spreading large arrays', () => {
  it('151,000 findings go through the pipeline and the stylish, JSON and GitHub reports', async () => {
    // 151k documents that are not mappings: one schema-invalid finding each, cheap to parse. Before: push(...x)
    // over the findings overflowed the call stack ("Maximum call stack size exceeded").
    const result = await fromStdin('1\n---\n'.repeat(151_000));
    assert.equal(result.findings.length, 151_000);
    assert.equal(result.stats.documents, 151_000);
    assert.match(render('stylish', result, REPORT), /✖ 151000 problems/);
    assert.equal(JSON.parse(render('json', result, REPORT)).findings.length, 151_000);
    assert.equal(render('github', result, REPORT).split('\n').filter((l) => l.startsWith('::error')).length, 151_000);
  });

  it('explain with 16,000 routes renders every route (the report/stylish crash)', async () => {
    const one = await fromStdin(`${DR('one')}---
apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: {name: ext, namespace: shop}
spec: {hosts: [api.example.com], location: MESH_EXTERNAL, ports: [{number: 443, name: https, protocol: TLS}], resolution: DNS}
`);
    assert.equal(one.routes.length, 1);
    const routes = Array.from({ length: 16_000 }, (_, i) => ({ ...one.routes[0]!, host: `h${i}.example.com` }));
    const text = render('stylish', { ...one, routes }, { ...REPORT, explain: true });
    assert.equal(text.split('\n').filter((l) => l.startsWith('shop → h')).length, 16_000);
  });
});

describe('issue 14, item 8: many documents in one file are linear', () => {
  it('200,000 documents parse, each matched to its own positions', () => {
    // takeDocument matched documents with roots.shift(): quadratic (100k documents 6.2 s, 400k 95 s).
    // `npm run bench` times 1M documents; here the matching must be right at the far end of the file.
    const text = Array.from({ length: 200_000 }, () => 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\n').join('---\n');
    const parsed = parseManifestText(text, 'many.yaml');
    assert.equal(parsed.problems.length, 0);
    assert.equal(parsed.documents.length, 200_000);
    for (const i of [0, 1, 99_999, 199_999]) {
      const at = parsed.documents[i]!.positions.resolve(['metadata', 'name']);
      assert.equal(at.line, i * 4 + 3, `document ${i}`);
    }
  });
});

describe('issue 14, item 10: source scanning is bounded by size, and minified or binary files are skipped by name', () => {
  it('an oversized file is a parse-error finding that says why; a minified and a binary .ts file are named skips', () => {
    const dir = join(tmp.dir, 'sources');
    mkdirSync(dir);
    writeFileSync(join(dir, 'big.js'), 'const x = 1;\n'.repeat(10_000)); // 130 KB
    writeFileSync(join(dir, 'bundle.js'), `var a=${'1+'.repeat(15_000)}1;\n`); // one 30,000-character line
    writeFileSync(join(dir, 'video.ts'), Buffer.concat([Buffer.from([0x47, 0x40, 0x00, 0x10]), Buffer.alloc(2000)])); // an MPEG-TS packet
    writeFileSync(join(dir, 'ok.ts'), 'export const n = 1;\n');
    const r = runCli(['check', dir, '-f', 'json', '--max-source-size', '100'], { cwd: tmp.dir });
    assert.equal(r.code, 1, r.stderr);
    const report = JSON.parse(r.stdout);
    const big = report.findings.filter((f: { file: string }) => f.file.endsWith('big.js'));
    assert.equal(big.length, 1);
    assert.equal(big[0].ruleId, 'parse-error');
    assert.match(big[0].message, /file is 130000 bytes, over the 102400-byte limit for source files \(raise it with --max-source-size\)/);
    const skipped = Object.fromEntries(report.summary.skippedPaths.map((s: { path: string; reason: string }) => [s.path.split('/').pop(), s.reason]));
    assert.equal(skipped['bundle.js'], 'minified or generated source (a line over 20,000 characters)');
    assert.equal(skipped['video.ts'], 'binary source file (contains NUL bytes)');
    assert.equal(skipped['ok.ts'], undefined);
    assert.equal(report.findings.length, 1);
  });
});

/**
 * Dense JavaScript of about `bytes` bytes, a `fetch` per short line: the JS/TS scanner needs about 8 s of CPU and
 * 600 MiB per MiB of it (docs/robustness.md), far over the limits the tests below set.
 */
function denseJs(bytes: number): string {
  const parts: string[] = [];
  let size = 0;
  for (let i = 0; size < bytes; i++) {
    const p = `var a${i}=function(b,c){if(b>${i}){return fetch("http://h${i % 50}.example.com/"+b,{headers:{x:c}}).then(function(r){return r.json()})}return c};\n`;
    parts.push(p);
    size += p.length;
  }
  return parts.join('');
}

/** A small file with one keepalive-disabled-client finding (line 2). */
const AGENT_OFF = "import http from 'node:http';\nexport const agent = new http.Agent({ keepAlive: false });\n";

describe('issue 14, item 10: a wall-clock and heap limit per large source file (worker thread)', () => {
  const dir = join(tmp.dir, 'slow-sources');
  mkdirSync(dir);
  writeFileSync(join(dir, 'slow.js'), denseJs(1024 * 1024 - 200));
  writeFileSync(join(dir, 'agent.js'), AGENT_OFF);
  const agentFinding = (findings: readonly { ruleId: string; location: { file: string; line: number } }[]) =>
    findings.filter((f) => f.ruleId === 'keepalive-disabled-client' && f.location.file === 'agent.js').map((f) => f.location.line);

  it('a file over the time limit is an error that says why; the file after it gets a fresh worker and is scanned', async () => {
    // minBytes 0: both files go to the worker, so agent.js is scanned by the worker started after slow.js's was terminated.
    const r = await scanSources(['slow.js', 'agent.js'], { cwd: dir, isolation: { timeoutSeconds: 1, minBytes: 0 } });
    assert.deepEqual(r.errors, [{ file: 'slow.js', message: 'slow.js: took longer than 1 s (raise it with --source-timeout)' }]);
    assert.equal(r.filesScanned, 1);
    assert.deepEqual(agentFinding(r.findings), [2]);
  });

  it('a file over the heap cap is an error, not a crash; a file that fits the same cap is scanned', async () => {
    const r = await scanSources(['slow.js', 'agent.js'], { cwd: dir, isolation: { maxHeapMiB: 64, minBytes: 0 } });
    assert.deepEqual(r.errors, [{ file: 'slow.js', message: 'slow.js: needed more than the 64 MiB heap (raise it with --source-max-heap)' }]);
    assert.equal(r.filesScanned, 1);
    assert.deepEqual(agentFinding(r.findings), [2]);
  });

  it('a file scanned on the worker gets the same findings and call sites as on the main thread (ESLint and tree-sitter)', async () => {
    const files = ['agent.js', join(ROOT, 'fixtures/source/go/gin-keepalive-off.go'), join(ROOT, 'fixtures/source/python/aiohttp_clientsession.py')].filter((f) => f === 'agent.js' || existsSync(f));
    assert.equal(files.length, 3);
    const isolated = await scanSources(files, { cwd: dir, isolation: { minBytes: 0 } });
    const here = await scanSources(files, { cwd: dir });
    assert.ok(here.findings.length >= 3, 'each file has a finding');
    assert.deepEqual(isolated.errors, []);
    assert.equal(isolated.filesScanned, 3);
    const byPosition = <T extends { file?: string; location?: { file: string; line: number; column: number } }>(xs: T[]) => [...xs].sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b)));
    assert.deepEqual(byPosition(isolated.findings), byPosition(here.findings));
    assert.deepEqual(byPosition(isolated.callSites), byPosition(here.callSites));
  });

  it('the CLI: source.timeoutSeconds in the configuration and --source-max-heap make parse-error findings (exit 1); the other file is reported', () => {
    writeFileSync(join(dir, '.meshlintrc.json'), JSON.stringify({ source: { timeoutSeconds: 1 } }));
    const slow = runCli(['check', 'slow.js', 'agent.js', '-f', 'json', '--allow-empty-input'], { cwd: dir, timeoutMs: 120_000 });
    assert.equal(slow.code, 1, slow.stderr);
    assert.equal(slow.stderr, '');
    const report = JSON.parse(slow.stdout);
    assert.deepEqual(
      report.findings.map((f: { file: string; ruleId: string; line: number; message: string }) => [f.file, f.ruleId, f.line, f.ruleId === 'parse-error' ? f.message : '']),
      [
        ['agent.js', 'keepalive-disabled-client', 2, ''],
        ['slow.js', 'parse-error', 1, 'source file not analysed: took longer than 1 s (raise it with --source-timeout)'],
      ],
    );
    const heap = runCli(['check', 'slow.js', 'agent.js', '--allow-empty-input', '--source-timeout', '600', '--source-max-heap', '64'], { cwd: dir, timeoutMs: 120_000 });
    assert.equal(heap.code, 1, heap.stderr);
    assert.match(heap.stdout, /slow\.js\n\s+1:1\s+error\s+source file not analysed: needed more than the 64 MiB heap \(raise it with --source-max-heap\)\s+parse-error/);
    assert.match(heap.stdout, /agent\.js\n\s+2:\d+\s+warning .*keepalive-disabled-client/);
    assert.doesNotMatch(heap.stderr, /\n\s+at /);
  });

  it('a timeout of 0 or beyond the longest timer, a heap under 16 MiB, in flags or configuration, are usage errors (exit 2)', () => {
    for (const args of [['--source-timeout', '0'], ['--source-timeout', '2147484'], ['--source-max-heap', '8']]) {
      const r = runCli(['check', 'agent.js', ...args], { cwd: dir });
      assert.equal(r.code, 2, args.join(' '));
      assert.match(r.stderr, new RegExp(`${args[0]} must be`));
    }
    writeFileSync(join(dir, '.meshlintrc.json'), JSON.stringify({ source: { timeoutSeconds: 0 } }));
    const r = runCli(['check', 'agent.js'], { cwd: dir });
    assert.equal(r.code, 2);
    assert.match(r.stderr, /timeoutSeconds/);
  });
});

describe('issue 14, item 12: every read is capped', () => {
  it('a 600 MB file with --max-file-size 1000 is one finding; the other file is still reported', () => {
    const dir = join(tmp.dir, 'huge');
    mkdirSync(dir);
    const fd = openSync(join(dir, 'huge.yaml'), 'w');
    ftruncateSync(fd, 600 * 1024 * 1024); // sparse: no disk used
    closeSync(fd);
    writeFileSync(join(dir, 'dr.yaml'), DR('small'));
    const r = runCli(['check', dir, '--max-file-size', '1000', '-f', 'json'], { cwd: tmp.dir, timeoutMs: 30_000 });
    assert.equal(r.code, 1, r.stderr);
    assert.equal(r.stderr, '');
    const report = JSON.parse(r.stdout);
    const huge = report.findings.filter((f: { file: string }) => f.file.endsWith('huge.yaml'));
    assert.equal(huge.length, 1);
    assert.match(huge[0].message, /^file is 600\.0 MiB, over the 500\.0 MiB limit \(raise it with --max-file-size; 500 MiB is the most meshlint reads\)$/);
    assert.ok(report.findings.some((f: { file: string; ruleId: string }) => f.file.endsWith('dr.yaml') && f.ruleId === 'keepalive-disabled'));
  });

  it('-c /dev/zero, --baseline /dev/zero and /dev/zero as a path are refused without reading (exit 2)', () => {
    const manifest = join(tmp.dir, 'one.yaml');
    writeFileSync(manifest, DR('one'));
    for (const [args, message] of [
      [['-c', '/dev/zero'], /^meshlint: --config \/dev\/zero: not a regular file\n$/],
      [['--baseline', '/dev/zero'], /^meshlint: --baseline \/dev\/zero: not a regular file \(a device or a socket\)\n$/],
      [['/dev/zero', '--max-file-size', '5000'], /^meshlint: \/dev\/zero: not a regular file \(a device or a socket\)\n$/],
    ] as const) {
      const r = runCli(['check', manifest, ...args], { cwd: tmp.dir, timeoutMs: 20_000 });
      assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
      assert.match(r.stderr, message);
    }
  });

  it('standard input is read up to the limit, not to its end', () => {
    // `yes` never ends: without the cap this read would not return.
    const r = spawnSync('sh', ['-c', `yes 'a: 1' | "${process.execPath}" "${BIN}" check - --max-file-size 1 -f json`], { cwd: tmp.dir, encoding: 'utf8', timeout: 30_000 });
    assert.equal(r.status, 1, r.stderr);
    const report = JSON.parse(r.stdout);
    assert.equal(report.findings.length, 1);
    assert.match(report.findings[0].message, /^input is over the 1\.0 MiB limit/);
  });
});

describe('issue 14, item 13: standard output closed or full', () => {
  const many = '1\n---\n'.repeat(20_000); // 20k findings: about 2 MB of stylish output, far over a pipe's buffer

  it('a reader that goes away (| head -1): exit 2, nothing on standard error', () => {
    const input = join(tmp.dir, 'many.yaml');
    writeFileSync(input, many);
    const code = join(tmp.dir, 'code');
    const r = spawnSync('sh', ['-c', `{ "${process.execPath}" "${BIN}" check many.yaml 2>stderr.txt; echo $? > code; } | head -1`], { cwd: tmp.dir, encoding: 'utf8', timeout: 60_000 });
    assert.equal(r.status, 0);
    assert.equal(r.stdout, '\n'); // stylish starts with an empty line
    assert.equal(readFileSync(code, 'utf8').trim(), '2');
    assert.equal(readFileSync(join(tmp.dir, 'stderr.txt'), 'utf8'), '');
  });

  it('a full device (> /dev/full): exit 2 with one line', () => {
    const r = spawnSync('sh', ['-c', `"${process.execPath}" "${BIN}" check many.yaml > /dev/full`], { cwd: tmp.dir, encoding: 'utf8', timeout: 60_000 });
    assert.equal(r.status, 2);
    assert.equal(r.stderr, 'meshlint: cannot write to standard output: no space left on device\n');
  });
});

describe('issue 14, item 14: delays beyond the timer range are usage errors', () => {
  it('audit --request-timeout 600h and ports --watch 3000000 exit 2 with the limit', () => {
    const audit = runCli(['audit', '--request-timeout', '600h'], { cwd: tmp.dir });
    assert.equal(audit.code, 2);
    assert.match(audit.stderr, /--request-timeout.*longer than 2147483 seconds \(about 24\.8 days\), the longest timer Node\.js can set/);
    const ports = runCli(['ports', '--watch', '3000000', '--count', '1'], { cwd: tmp.dir });
    assert.equal(ports.code, 2);
    assert.equal(ports.stderr, 'meshlint ports: --watch "3000000": at most 2147483 seconds (about 24.8 days), the longest timer Node.js can set\n');
    // The largest accepted value still parses (the limit is not off by one second).
    assert.equal(runCli(['audit', '--request-timeout', '2147483', '--kubeconfig', join(tmp.dir, 'missing')], { cwd: tmp.dir }).stderr.includes('longest timer'), false);
  });
});

describe('issue 14, item 15: locations are the real line and column', () => {
  it('a NUL byte at line 2001 column 5 is reported there; Go, Java and Python syntax errors at theirs', () => {
    const dir = join(tmp.dir, 'locations');
    mkdirSync(dir);
    writeFileSync(join(dir, 'nul.yaml'), `${Array.from({ length: 2000 }, (_, i) => `k${i}: v`).join('\n')}\nabcd\0: 1\n`);
    writeFileSync(join(dir, 'bad.py'), 'import os\n\ndef f(:\n  pass\n');
    writeFileSync(join(dir, 'bad.go'), 'package main\n\nfunc main() {\n  x := \n}\n}\n');
    writeFileSync(join(dir, 'Bad.java'), 'class A {\n  void f() {\n    int x = ;\n  }\n');
    const r = runCli(['check', dir, '-f', 'json'], { cwd: tmp.dir });
    const at = Object.fromEntries(JSON.parse(r.stdout).findings.map((f: { file: string; line: number; column: number }) => [f.file.split('/').pop(), `${f.line}:${f.column}`]));
    assert.deepEqual(at, { 'nul.yaml': '2001:5', 'bad.py': '3:7', 'bad.go': '4:3', 'Bad.java': '3:11' });
  });
});

describe('issue 14, item 16: SARIF artifact URIs are percent-encoded', () => {
  it('#, ?, %, spaces and colons are encoded; the log validates against the SARIF 2.1.0 schema', () => {
    const dir = join(tmp.dir, 'sarif');
    mkdirSync(dir);
    const names = ['h#ash?q.yaml', 'pct%41.yaml', 'with space.yaml', 'a:b.yaml'];
    // One host each: DestinationRules for one host in one namespace merge, and only the oldest's top-level
    // trafficPolicy applies (istio/istio pilot/pkg/model/destination_rule.go, mergeDestinationRule).
    for (const n of names) writeFileSync(join(dir, n), DR(n.replace(/[^a-z]/g, ''), `${n.replace(/[^a-z]/g, '')}.example.com`));
    const r = runCli(['check', '.', '-f', 'sarif'], { cwd: dir });
    const log = JSON.parse(r.stdout);
    const uris = new Set(log.runs[0].results.map((x: { locations: { physicalLocation: { artifactLocation: { uri: string } } }[] }) => x.locations[0]!.physicalLocation.artifactLocation.uri));
    assert.deepEqual([...uris].sort(), ['a%3Ab.yaml', 'h%23ash%3Fq.yaml', 'pct%2541.yaml', 'with%20space.yaml']);
    for (const uri of uris) assert.equal(decodeURIComponent(uri as string), names.find((n) => decodeURIComponent(uri as string) === n));
    const require = createRequire(import.meta.url);
    const schema = JSON.parse(readFileSync(require.resolve('@microsoft/jest-sarif/package.json').replace(/package\.json$/, 'lib/schemas/sarif-2.1.0-rtm.5.json'), 'utf8'));
    const ajv = new AjvDraft04.default({ strict: false, allErrors: true, unicodeRegExp: false });
    addFormats.default(ajv);
    const validate = ajv.compile(schema);
    assert.ok(validate(log), JSON.stringify(validate.errors?.slice(0, 3)));
    assert.equal(artifactUri('/abs/p q.yaml'), 'file:///abs/p%20q.yaml');
    assert.equal(artifactUri('../up/x.yaml'), '../up/x.yaml');
    assert.equal(artifactUri('back\\slash.yaml'), 'back%5Cslash.yaml');
  });
});

describe('issue 14, items 18 and 19: explicit devices, named skips, one analysis per real file', () => {
  it('check /dev/null is "not a regular file", exit 2', () => {
    const r = runCli(['check', '/dev/null'], { cwd: tmp.dir });
    assert.equal(r.code, 2);
    assert.match(r.stderr, /^meshlint: \/dev\/null: not a regular file \(a device or a socket\)$/m);
  });

  it('dot-directories and build directories are counted and named in the stylish and JSON summaries', () => {
    const dir = join(tmp.dir, 'walk');
    for (const d of ['.hidden', 'build', 'node_modules', 'target', 'ok']) {
      mkdirSync(join(dir, d), { recursive: true });
      writeFileSync(join(dir, d, 'dr.yaml'), DR(d.replace(/\W/g, '')));
    }
    const json = JSON.parse(runCli(['check', 'walk', '-f', 'json'], { cwd: tmp.dir }).stdout);
    assert.deepEqual(json.summary.skippedPaths, [
      { path: 'walk/.hidden', reason: 'dot-directory' },
      { path: 'walk/build', reason: 'dependencies or build output' },
      { path: 'walk/node_modules', reason: 'dependencies or build output' },
      { path: 'walk/target', reason: 'dependencies or build output' },
    ]);
    assert.equal(json.findings.length, 1);
    const stylish = runCli(['check', 'walk'], { cwd: tmp.dir }).stdout;
    assert.match(stylish, /^skipped 1 path \(dot-directory\): walk\/\.hidden$/m);
    assert.match(stylish, /^skipped 3 paths \(dependencies or build output\): walk\/build, walk\/node_modules, walk\/target$/m);
  });

  it('--changed-since names files outside the repository and files git ignores', () => {
    const repo = tempRepo();
    try {
      repo.write('.gitignore', 'generated/\n');
      repo.write('base.yaml', DR('base'));
      repo.git('add', '.');
      repo.git('commit', '-qm', 'base');
      repo.write('generated/dr.yaml', DR('gen'));
      const outside = join(tmp.dir, 'outside.yaml');
      writeFileSync(outside, DR('outside'));
      const r = runCli(['check', '.', 'generated/dr.yaml', outside, '--changed-since', 'main', '-f', 'json'], { cwd: repo.dir, env: { GIT_CONFIG_GLOBAL: '/dev/null', GIT_CONFIG_NOSYSTEM: '1' } });
      const skipped = JSON.parse(r.stdout).summary.skippedPaths;
      assert.deepEqual(skipped, [
        { path: 'generated/dr.yaml', reason: 'ignored by git' },
        { path: outside, reason: 'outside the git repository' },
      ]);
    } finally {
      repo.cleanup();
    }
  });

  it('a.yaml, ./a.yaml, $PWD/a.yaml and a symlink to it are analysed once', () => {
    const dir = join(tmp.dir, 'dedup');
    mkdirSync(dir);
    writeFileSync(join(dir, 'a.yaml'), DR('a'));
    symlinkSync('a.yaml', join(dir, 'link.yaml'));
    const r = runCli(['check', 'a.yaml', './a.yaml', join(dir, 'a.yaml'), 'link.yaml', '-f', 'json'], { cwd: dir });
    const report = JSON.parse(r.stdout);
    assert.equal(report.summary.files, 1);
    assert.equal(report.findings.filter((f: { ruleId: string }) => f.ruleId === 'keepalive-disabled').length, 1);
  });
});

describe('issue 14, item 20: control characters never reach the terminal raw', () => {
  it('a file name with a newline and ESC, and a host with ESC, are escaped in stylish and github output', () => {
    const dir = join(tmp.dir, 'escapes');
    mkdirSync(dir);
    writeFileSync(join(dir, 'bad\nname\u001b[31m.yaml'), DR('x', '"a\\u001b[2Jb"'));
    for (const format of ['stylish', 'github']) {
      const r = runCli(['check', '.', '-f', format], { cwd: dir });
      assert.equal(r.code, 1, r.stderr);
      assert.ok(!r.stdout.includes('\u001b'), `${format}: raw ESC in ${JSON.stringify(r.stdout.slice(0, 300))}`);
      assert.ok(r.stdout.includes(format === 'stylish' ? 'bad\\nname\\e[31m.yaml' : 'bad%0Aname\\e[31m.yaml'), r.stdout.slice(0, 300));
    }
    assert.equal(escapeControl('tab\there\u0007\u009b'), 'tab\\there\\x07\\x9b');
    assert.equal(escapeControl('plain → text'), 'plain → text');
  });
});

describe('issue 14, item 20: a key a merge key brought in is located where it is written', () => {
  it('<<: *anchor, <<: [*a, *b] and <<: {…} resolve to the merged-from key; own keys win over merged ones', () => {
    const text = [
      'base: &base',
      '  idleTimeout: 10s',
      '  maxRequestsPerConnection: 1',
      'other: &other',
      '  maxRetries: 3',
      'one:',
      '  <<: *base',
      '  idleTimeout: 20s',
      'list:',
      '  <<: [*other, *base]',
      'inline:',
      '  <<: {http2MaxRequests: 5}',
      '',
    ].join('\n');
    const positions = parseManifestText(text, 'merge.yaml').documents[0]!.positions;
    const at = (...path: string[]) => {
      const r = positions.resolve(path);
      return `${r.line}:${r.column}`;
    };
    assert.equal(at('one', 'maxRequestsPerConnection'), '3:3'); // merged from &base (was 6:1, the parent key)
    assert.equal(at('one', 'idleTimeout'), '8:3'); // its own key
    assert.equal(at('list', 'maxRetries'), '5:3');
    assert.equal(at('list', 'idleTimeout'), '2:3');
    assert.equal(at('inline', 'http2MaxRequests'), '12:8');
    assert.equal(at('one', 'absent'), '6:1'); // not merged from anywhere: the parent, as before
  });
});
