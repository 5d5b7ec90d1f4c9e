import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, readFileSync, rmSync, symlinkSync, writeFileSync, openSync, ftruncateSync, closeSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { runCli, tempDir } from '../helpers/cli.js';
import { ROOT } from '../helpers/paths.js';
import { tracesOf } from '../helpers/json-report.js';
import { destinationRule } from '../helpers/manifests.js';

const KEEPALIVE_OFF = destinationRule('ext', { host: 'api.example.com' });
const NAMESPACE = 'apiVersion: v1\nkind: Namespace\nmetadata:\n  name: quiet\n';

describe('meshlint check: inputs', () => {
  let dir: string;
  let cleanup: () => void;
  before(() => {
    ({ dir, cleanup } = tempDir());
    mkdirSync(join(dir, 'k8s/nested'), { recursive: true });
    writeFileSync(join(dir, 'k8s/nested/dr.yaml'), KEEPALIVE_OFF);
    writeFileSync(join(dir, 'k8s/ns.yml'), NAMESPACE);
    writeFileSync(join(dir, 'k8s/notes.txt'), 'not a manifest');
    writeFileSync(join(dir, 'k8s/dr.json'), JSON.stringify({ apiVersion: 'networking.istio.io/v1', kind: 'DestinationRule', metadata: { name: 'j', namespace: 'shop' }, spec: { host: 'api.json.example.com', trafficPolicy: { connectionPool: { http: { maxRequestsPerConnection: 1 } } } } }, null, 2));
    mkdirSync(join(dir, 'k8s/node_modules/pkg'), { recursive: true });
    writeFileSync(join(dir, 'k8s/node_modules/pkg/dr.yaml'), KEEPALIVE_OFF);
    writeFileSync(join(dir, 'k8s/.gitignore'), 'ignored/\n');
    mkdirSync(join(dir, 'k8s/ignored'));
    // Another host: two copies of one DestinationRule merge in the model, and only the first one's top level applies.
    writeFileSync(join(dir, 'k8s/ignored/dr.yaml'), KEEPALIVE_OFF.replace('name: ext', 'name: ignored').replace('api.example.com', 'api.ignored.example.com'));
  });
  after(() => cleanup());

  it('recurses directories (.yaml, .yml, .json), skipping node_modules and .gitignore’d paths', () => {
    const r = runCli(['check', 'k8s', '-f', 'json'], { cwd: dir });
    assert.equal(r.code, 1, r.stderr);
    const report = JSON.parse(r.stdout);
    const files = [...new Set(report.findings.map((f: { file: string }) => f.file))].sort();
    assert.deepEqual(files, ['k8s/dr.json', 'k8s/nested/dr.yaml']);
    assert.equal(report.summary.files, 3);
    const json = report.findings.find((f: { file: string; ruleId: string }) => f.file === 'k8s/dr.json' && f.ruleId === 'keepalive-disabled');
    assert.equal(json.line, 13, 'JSON positions point at the field');
  });

  it('expands globs (as given: node_modules skipped, .gitignore not applied to an explicit pattern)', () => {
    const r = runCli(['check', 'k8s/**/*.yaml', '-f', 'json'], { cwd: dir });
    const report = JSON.parse(r.stdout);
    assert.deepEqual([...new Set(report.findings.map((f: { file: string }) => f.file))].sort(), ['k8s/ignored/dr.yaml', 'k8s/nested/dr.yaml']);
  });

  it('reads standard input with -, as kubectl get -o yaml prints a List', () => {
    const list = `apiVersion: v1\nkind: List\nitems:\n${KEEPALIVE_OFF.split('\n').map((l, i) => (l ? (i === 0 ? `- ${l}` : `  ${l}`) : l)).join('\n')}`;
    const r = runCli(['check', '-', '-f', 'json'], { cwd: dir, input: list });
    assert.equal(r.code, 1);
    const f = JSON.parse(r.stdout).findings.find((x: { ruleId: string }) => x.ruleId === 'keepalive-disabled');
    assert.equal(f.file, '<stdin>');
    assert.equal(f.line, 14);
    assert.deepEqual(f.object, { apiVersion: 'networking.istio.io/v1', kind: 'DestinationRule', namespace: 'shop', name: 'ext' });
    assert.equal(f.fieldPath, 'spec.trafficPolicy.connectionPool.http.maxRequestsPerConnection');
  });

  it('stylish groups by file, prints line:col severity message rule-id, and no colour without a TTY', () => {
    const r = runCli(['check', 'k8s/nested/dr.yaml'], { cwd: dir });
    assert.equal(r.code, 1);
    assert.match(r.stdout, /^k8s\/nested\/dr\.yaml$/m);
    assert.match(r.stdout, /^ {2}11:9 +error +maxRequestsPerConnection: 1 .* keepalive-disabled$/m);
    assert.doesNotMatch(r.stdout, /\u001b\[/);
    assert.match(r.stdout, /^1 file, 1 document, 1 object analysed$/m);
    assert.doesNotMatch(r.stdout, /Connection multiplier/, 'no route, no multiplier table');
  });

  it('exit 0 with only warnings; 1 above --max-warnings; --rule changes severity', () => {
    const warnOnly = runCli(['check', 'k8s/nested/dr.yaml', '--rule', 'keepalive-disabled:warn'], { cwd: dir });
    assert.equal(warnOnly.code, 0, warnOnly.stdout);
    const tooMany = runCli(['check', 'k8s/nested/dr.yaml', '--rule', 'keepalive-disabled:warn', '--max-warnings', '0'], { cwd: dir });
    assert.equal(tooMany.code, 1);
    const off = runCli(['check', 'k8s/nested/dr.yaml', '--rule', 'keepalive-disabled:off', '-f', 'json'], { cwd: dir });
    assert.equal(JSON.parse(off.stdout).findings.filter((f: { ruleId: string }) => f.ruleId === 'keepalive-disabled').length, 0);
  });

  it('--output writes the report to a file atomically', () => {
    const r = runCli(['check', 'k8s', '-f', 'sarif', '-o', 'out.sarif'], { cwd: dir });
    assert.equal(r.code, 1);
    assert.equal(r.stdout, '');
    const log = JSON.parse(readFileSync(join(dir, 'out.sarif'), 'utf8'));
    assert.equal(log.version, '2.1.0');
  });

  it('usage errors exit 2 with one line, no stack', () => {
    for (const args of [['check', '--format', 'xml'], ['check', '--rule', 'nope:error'], ['check', '--port-range', '9-2'], ['frobnicate']]) {
      const r = runCli(args, { cwd: dir });
      assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
      assert.doesNotMatch(r.stderr, /\n\s+at /, 'no stack trace');
    }
  });
});

describe('meshlint check: bad input', () => {
  let dir: string;
  let cleanup: () => void;
  before(() => {
    ({ dir, cleanup } = tempDir());
    writeFileSync(join(dir, 'good.yaml'), KEEPALIVE_OFF);
    writeFileSync(join(dir, 'empty.yaml'), '');
    writeFileSync(join(dir, 'binary.yaml'), Buffer.from([0x89, 0x50, 0x4e, 0x47, 0, 0, 0, 0x0d, 1, 2, 3]));
    writeFileSync(join(dir, 'scalar.yaml'), 'just a string\n');
    const bomb = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]'];
    for (let i = 1; i < 9; i++) bomb.push(`${String.fromCharCode(97 + i)}: &${String.fromCharCode(97 + i)} [${Array(9).fill(`*${String.fromCharCode(96 + i)}`).join(',')}]`);
    writeFileSync(join(dir, 'bomb.yaml'), bomb.join('\n') + '\n');
    writeFileSync(join(dir, 'helm.yaml'), 'apiVersion: v1\nkind: Service\nmetadata:\n  name: {{ .Release.Name }}\n{{- if .Values.x }}\nspec: {}\n{{- end }}\n');
    const fd = openSync(join(dir, 'huge.yaml'), 'w');
    ftruncateSync(fd, 50 * 1024 * 1024);
    closeSync(fd);
    symlinkSync('loop', join(dir, 'loop'));
    mkdirSync(join(dir, 'dir.yaml'));
    writeFileSync(join(dir, 'dir.yaml', 'inside.yaml'), NAMESPACE);
  });
  after(() => cleanup());

  it('each bad file gets a one-line finding or error; the good file is still checked; exit 2 for I/O errors', () => {
    const r = runCli(['check', 'good.yaml', 'empty.yaml', 'binary.yaml', 'scalar.yaml', 'bomb.yaml', 'helm.yaml', 'huge.yaml', 'missing.yaml', 'dir.yaml', '-f', 'json', '--max-file-size', '32'], { cwd: dir, timeoutMs: 120_000 });
    assert.equal(r.code, 2, 'a missing path is an I/O error');
    assert.doesNotMatch(r.stderr, /\n\s+at /);
    assert.match(r.stderr, /^meshlint: missing\.yaml: no such file or directory$/m);
    const report = JSON.parse(r.stdout);
    const by = (file: string) => report.findings.filter((f: { file: string }) => f.file === file);
    assert.ok(by('good.yaml').some((f: { ruleId: string }) => f.ruleId === 'keepalive-disabled'), 'good file still analysed');
    assert.equal(by('empty.yaml').length, 0, 'an empty file is not an error');
    assert.match(by('binary.yaml')[0].message, /binary file/);
    assert.match(by('scalar.yaml')[0].message, /not a mapping/);
    assert.match(by('bomb.yaml')[0].message, /alias bomb/);
    const helm = by('helm.yaml')[0];
    assert.equal(helm.ruleId, 'parse-error');
    assert.ok(helm.line >= 4, 'points into the template');
    assert.match(helm.hint, /helm template/);
    assert.match(by('huge.yaml')[0].message, /50\.0 MiB, over the 32\.0 MiB limit/);
    assert.equal(by('dir.yaml/inside.yaml').length, 0, 'a directory named like a file is walked');
    assert.equal(report.summary.objects >= 2, true);
  });

  it('a symlink loop is a clear error, not a hang', () => {
    const r = runCli(['check', 'loop'], { cwd: dir });
    assert.equal(r.code, 2);
    assert.match(r.stderr, /loop: too many levels of symbolic links/);
  });

  it('an unreadable file is an I/O error (skipped as root, who can read anything)', (t) => {
    if (process.getuid?.() === 0) {
      t.skip('running as root: chmod 000 does not stop root from reading');
      return;
    }
    writeFileSync(join(dir, 'secret.yaml'), NAMESPACE);
    chmodSync(join(dir, 'secret.yaml'), 0);
    const r = runCli(['check', 'secret.yaml', 'good.yaml'], { cwd: dir });
    assert.equal(r.code, 2);
    assert.match(r.stderr, /secret\.yaml: permission denied/);
  });
});

describe('meshlint check: the shipped fixtures', () => {
  it('the failing api-gateway namespace: keep-alive off, aggressive retries, mirror; M = 6 on the SNAT leg, ~78 req/s', () => {
    const r = runCli(['check', 'fixtures/api-gateway', '-f', 'json', '--rps', '50'], { cwd: ROOT });
    assert.equal(r.code, 1);
    const report = JSON.parse(r.stdout);
    const rules = new Set(report.findings.map((f: { ruleId: string }) => f.ruleId));
    for (const id of ['keepalive-disabled', 'retries-aggressive', 'mirror-amplification', 'connection-pool-missing', 'retries-implicit-default', 'connection-limit-unbounded']) assert.ok(rules.has(id), id);
    const pay = report.routes.find((x: { host: string }) => x.host === 'api.payments-provider.com');
    assert.equal(pay.budgetConnections, 6);
    assert.equal(pay.total, 7, '6 on the SNAT leg + 1 for the 100% mirror to a keep-alive-off shadow');
    assert.equal(Math.floor(pay.exhaustionRps), Math.floor(28232 / 360));
    assert.equal(pay.portsHeld, 50 * 6 * 60);
    const trace = tracesOf(report, pay.legs[1].trace).map((t) => `${t.text}@${t.file}:${t.line}`);
    assert.ok(trace.includes('retries.attempts: 5@fixtures/api-gateway/egress.yaml:54'), trace.join());
    assert.ok(trace.includes('maxRequestsPerConnection: 1 (keep-alive off)@fixtures/api-gateway/egress.yaml:30'), trace.join());
  });

  it('the healthy namespace has no findings and exit code 0', () => {
    const r = runCli(['check', 'fixtures/healthy', '-f', 'json'], { cwd: ROOT });
    assert.equal(r.code, 0, r.stdout);
    assert.deepEqual(JSON.parse(r.stdout).findings, []);
  });

  it('explain shows every leg with file:line, and --port-range / --time-wait change the arithmetic', () => {
    const r = runCli(['explain', 'fixtures/api-gateway', '--port-range', '1024-65535', '--time-wait', '30'], { cwd: ROOT });
    assert.match(r.stdout, /leg sidecar → api\.payments-provider\.com:80: 6 tries × 1 new conns\/try = 6 \[SNAT: node ports\]/);
    assert.match(r.stdout, /retries\.attempts: 5 {2}\(fixtures\/api-gateway\/egress\.yaml:54:9\)/);
    assert.match(r.stdout, /exhausts at 358 req\/s = 64,512 \/ \(6 × 30 s\)/);
  });
});

describe('meshlint check: file-system edge cases (real files)', () => {
  let dir: string;
  let cleanup: () => void;
  const DR = (name: string, host: string) => KEEPALIVE_OFF.replace('name: ext', `name: ${name}`).replace('api.example.com', host);
  before(() => {
    ({ dir, cleanup } = tempDir());
  });
  after(() => {
    // GNU rm removes trees deeper than PATH_MAX (Node's rmSync cannot).
    spawnSync('rm', ['-rf', dir]);
    cleanup();
  });

  it('a symlinked directory that loops back is walked once, not forever', () => {
    mkdirSync(join(dir, 'loop/sub'), { recursive: true });
    writeFileSync(join(dir, 'loop/sub/dr.yaml'), KEEPALIVE_OFF);
    symlinkSync('..', join(dir, 'loop/sub/up'));
    const r = runCli(['check', 'loop', '-f', 'json'], { cwd: dir, timeoutMs: 30_000 });
    assert.equal(r.code, 1, r.stderr);
    const report = JSON.parse(r.stdout);
    assert.equal(report.summary.files, 1, 'the file is read once');
    assert.equal(report.findings.filter((f: { ruleId: string }) => f.ruleId === 'keepalive-disabled').length, 1);
  });

  it('a file that cannot be opened (a Unix socket named .yaml) is a one-line I/O error; the rest is checked', async () => {
    mkdirSync(join(dir, 'sock'));
    writeFileSync(join(dir, 'sock/good.yaml'), KEEPALIVE_OFF);
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(join(dir, 'sock/api.yaml'), resolve));
    try {
      const r = runCli(['check', 'sock/api.yaml', 'sock/good.yaml', '-f', 'json'], { cwd: dir });
      assert.equal(r.code, 2);
      assert.match(r.stderr, /^meshlint: sock\/api\.yaml: not a regular file \(a device or a socket\)$/m);
      assert.doesNotMatch(r.stderr, /\n\s+at /);
      assert.ok(JSON.parse(r.stdout).findings.some((f: { file: string }) => f.file === 'sock/good.yaml'));
      // Walking the directory skips the socket (only regular files are read).
      const walked = runCli(['check', 'sock', '-f', 'json'], { cwd: dir });
      assert.equal(walked.code, 1, walked.stderr);
      assert.equal(JSON.parse(walked.stdout).summary.files, 1);
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });

  it('a directory named like a manifest inside a walked tree is descended into, not read as a file', () => {
    mkdirSync(join(dir, 'tree/x.yaml'), { recursive: true });
    writeFileSync(join(dir, 'tree/x.yaml/inner.yml'), DR('inner', 'inner.example.com'));
    writeFileSync(join(dir, 'tree/y.yaml'), DR('outer', 'outer.example.com'));
    const r = runCli(['check', 'tree', '-f', 'json'], { cwd: dir });
    assert.equal(r.code, 1, r.stderr);
    assert.equal(r.stderr, '');
    const files = new Set(JSON.parse(r.stdout).findings.map((f: { file: string }) => f.file));
    assert.deepEqual([...files].sort(), ['tree/x.yaml/inner.yml', 'tree/y.yaml']);
  });

  it('a path longer than PATH_MAX is a clear error, a 255-byte file name works, the rest is checked', () => {
    mkdirSync(join(dir, 'long'));
    const name = `${'n'.repeat(250)}.yaml`;
    writeFileSync(join(dir, 'long', name), DR('longname', 'long.example.com'));
    // 20 nested directories of 240 characters: about 4,800 bytes, past Linux's PATH_MAX of 4,096.
    const segment = 'd'.repeat(240);
    const script = `const fs = require('node:fs'); process.chdir('long'); for (let i = 0; i < 20; i++) { fs.mkdirSync('${segment}'); process.chdir('${segment}'); } fs.writeFileSync('deep.yaml', process.argv[1]);`;
    const made = spawnSync(process.execPath, ['-e', script, DR('deep', 'deep.example.com')], { cwd: dir });
    assert.equal(made.status, 0, String(made.stderr));
    const r = runCli(['check', 'long', '-f', 'json'], { cwd: dir });
    assert.equal(r.code, 2, 'a path that cannot be read is an I/O error');
    assert.match(r.stderr, /: file name too long$/m);
    assert.doesNotMatch(r.stderr, /\n\s+at /);
    assert.equal(r.stderr.trim().split('\n').length, 1, 'one line');
    const report = JSON.parse(r.stdout);
    assert.ok(report.findings.some((f: { file: string }) => f.file === join('long', name)), 'the 255-byte name is checked');
  });

  it('a file whose content arrives while it is read (a FIFO fed in two parts) is read to the end', async () => {
    const fifo = join(dir, 'fifo.yaml');
    assert.equal(spawnSync('mkfifo', [fifo]).status, 0);
    writeFileSync(join(dir, 'part1.yaml'), `${DR('first', 'first.example.com')}---\n`);
    writeFileSync(join(dir, 'part2.yaml'), DR('second', 'second.example.com'));
    const writer = spawn('sh', ['-c', '{ cat part1.yaml; sleep 0.3; cat part2.yaml; } > fifo.yaml'], { cwd: dir, stdio: 'ignore' });
    const done = new Promise((resolve) => writer.on('exit', resolve));
    const r = runCli(['check', 'fifo.yaml', '-f', 'json'], { cwd: dir, timeoutMs: 30_000 });
    await done;
    assert.equal(r.code, 1, r.stderr);
    const names = JSON.parse(r.stdout).findings.filter((f: { ruleId: string }) => f.ruleId === 'keepalive-disabled').map((f: { object: { name: string } }) => f.object.name);
    assert.deepEqual(names.sort(), ['first', 'second'], 'both parts, not just what had arrived when the file was opened');
  });

  it('a file that vanished (a dangling symlink in a walked tree) is a clear error; the rest is checked', () => {
    mkdirSync(join(dir, 'gone'));
    writeFileSync(join(dir, 'gone/here.yaml'), DR('here', 'here.example.com'));
    writeFileSync(join(dir, 'gone/later.yaml'), DR('later', 'later.example.com'));
    symlinkSync('later.yaml', join(dir, 'gone/link.yaml'));
    rmSync(join(dir, 'gone/later.yaml'));
    const r = runCli(['check', 'gone', '-f', 'json'], { cwd: dir });
    assert.equal(r.code, 2);
    assert.match(r.stderr, /^meshlint: gone\/link\.yaml: no such file or directory$/m);
    assert.ok(JSON.parse(r.stdout).findings.some((f: { file: string }) => f.file === 'gone/here.yaml'));
  });
});
