/**
 * `meshlint audit` against a hostile API server (issue 14): names that would form paths outside `--dump DIR`,
 * a server that sends a new `continue` token forever or repeats one, and kubeconfig exec plugins that fail. The
 * real binary against a real HTTPS server on loopback (test/helpers/fake-apiserver.ts).
 */
import assert from 'node:assert/strict';
import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import YAML from 'yaml';
import { runCliAsync, tempDir } from '../helpers/cli.js';
import { startFakeApiServer, type FakeApiServer } from '../helpers/fake-apiserver.js';
import { isolatedEnv, singleContextKubeconfig, TOKEN } from '../helpers/kube.js';
import { ROOT } from '../helpers/paths.js';

interface Report {
  findings: unknown[];
  coverage: { kind?: string; status?: string; message: string }[];
  summary: { objects: number };
}

const dr = (namespace: string, name: string) => ({
  apiVersion: 'networking.istio.io/v1', kind: 'DestinationRule',
  metadata: { name, namespace, creationTimestamp: '2024-03-01T08:00:00Z' },
  spec: { host: `${name}.example.com`, trafficPolicy: { connectionPool: { http: { maxRequestsPerConnection: 1 } } } },
});

describe('meshlint audit against a hostile API server', { concurrency: 1 }, () => {
  const { dir, cleanup } = tempDir('meshlint-hostile-');
  const servers: FakeApiServer[] = [];
  const env = isolatedEnv(dir);
  const start = async (options: Parameters<typeof startFakeApiServer>[0]) => {
    const server = await startFakeApiServer({ tokens: [TOKEN], ...options });
    servers.push(server);
    const kc = path.join(dir, `kc-${servers.length}.yaml`);
    writeFileSync(kc, singleContextKubeconfig('hostile', server.url, TOKEN, server.caPem));
    return { server, kc };
  };
  before(() => mkdirSync(path.join(dir, 'home'), { recursive: true }));
  after(async () => {
    await Promise.all(servers.map((s) => s.close()));
    cleanup();
  });

  it('a namespace or name that is not a Kubernetes name never forms a path: the object is skipped with a coverage note, --dump writes only beneath DIR', async () => {
    const victim = path.join(dir, 'audit', 'escaped.destinationrule.yaml');
    mkdirSync(path.dirname(victim), { recursive: true });
    writeFileSync(victim, 'precious\n');
    const hostile = [dr('x/../../../audit/escaped', 'a'), dr('shop', '../../b'), dr('shop', 'c\u001b[2J'), dr('shop', 'good')];
    const { server, kc } = await start({
      hostileList: ({ plural }) => (plural === 'destinationrules' ? { kind: 'DestinationRuleList', apiVersion: 'networking.istio.io/v1', metadata: {}, items: hostile } : undefined),
    });
    const dump = path.join(dir, 'dump', 'a', 'b');
    const out = path.join(dir, 'names.json');
    const r = await runCliAsync(['audit', '--kubeconfig', kc, '-f', 'json', '-o', out, '--dump', dump], { cwd: ROOT, env });
    assert.equal(r.code, 1, r.stderr);
    assert.equal(readFileSync(victim, 'utf8'), 'precious\n', 'the file outside DIR is untouched');
    assert.deepEqual(readdirSync(dump).filter((f) => f.includes('destinationrule')), ['shop.destinationrule.yaml']);
    const dumped = YAML.parseAllDocuments(readFileSync(path.join(dump, 'shop.destinationrule.yaml'), 'utf8')).map((d) => (d.toJS() as { metadata: { name: string } }).metadata.name);
    assert.deepEqual(dumped, ['good']);
    const report = JSON.parse(readFileSync(out, 'utf8')) as Report;
    const note = report.coverage.find((n) => n.kind === 'DestinationRule' && n.status === 'error');
    assert.ok(note, JSON.stringify(report.coverage));
    assert.match(note.message, /^3 DestinationRule objects were skipped: the API server sent a name or namespace that is not a Kubernetes name \(e\.g\. "x\/\.\.\/\.\.\/\.\.\/audit\/escaped\/a"\)/);
    assert.ok(!JSON.stringify(report).includes('\u001b'), 'no terminal escape in the report');
    assert.deepEqual(server.unexpected, []);
  });

  it('--dump never follows a symlink at a dump file name: refused with exit 2, the symlink target untouched', async () => {
    const { kc } = await start({ objects: [dr('shop', 'good')] });
    const dump = path.join(dir, 'dump-link');
    mkdirSync(dump);
    const target = path.join(dir, 'link-target.yaml');
    writeFileSync(target, 'not yours\n');
    symlinkSync(target, path.join(dump, 'shop.destinationrule.yaml'));
    const r = await runCliAsync(['audit', '--kubeconfig', kc, '-f', 'json', '--dump', dump], { cwd: ROOT, env });
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, /shop\.destinationrule\.yaml exists and is not a meshlint dump; not overwriting it/);
    assert.equal(readFileSync(target, 'utf8'), 'not yours\n');
  });

  it('a new continue token forever: stops at --max-list-pages with a truncated coverage note; the objects read are analysed', async () => {
    const { server, kc } = await start({
      hostileList: ({ plural, count }) =>
        plural === 'destinationrules'
          ? { kind: 'DestinationRuleList', apiVersion: 'networking.istio.io/v1', metadata: { continue: `token-${count}` }, items: count <= 2 ? [dr('shop', `dr-${count}`)] : [] }
          : undefined,
    });
    const out = path.join(dir, 'endless.json');
    const started = Date.now();
    const r = await runCliAsync(['audit', '--kubeconfig', kc, '-f', 'json', '-o', out, '--max-list-pages', '40'], { cwd: ROOT, env });
    assert.equal(r.code, 1, r.stderr);
    assert.ok(Date.now() - started < 30_000);
    const lists = server.requests.filter((q) => q.path.endsWith('/destinationrules'));
    assert.equal(lists.length, 40, 'exactly --max-list-pages requests');
    const report = JSON.parse(readFileSync(out, 'utf8')) as Omit<Report, 'findings'> & { findings: { ruleId: string; object?: { name: string } }[] };
    const note = report.coverage.find((n) => n.status === 'truncated');
    assert.ok(note);
    assert.match(note.message, /^listing destinationrules\.networking\.istio\.io cluster-wide was cut short: 40 pages were read \(--max-list-pages\), and the server had more; the 2 objects read are analysed$/);
    assert.deepEqual(report.findings.filter((f) => f.ruleId === 'keepalive-disabled').map((f) => f.object?.name).sort(), ['dr-1', 'dr-2']);
  });

  it('the default page bound holds without flags, and audit.maxListItems in the configuration file bounds the objects', async () => {
    const { server, kc } = await start({
      hostileList: ({ plural, count }) =>
        plural === 'destinationrules'
          ? { kind: 'DestinationRuleList', apiVersion: 'networking.istio.io/v1', metadata: { continue: `t${count}` }, items: [dr('shop', `a-${count}`), dr('shop', `b-${count}`)] }
          : undefined,
    });
    const cwd = path.join(dir, 'with-config');
    mkdirSync(cwd, { recursive: true });
    writeFileSync(path.join(cwd, '.meshlintrc.yaml'), 'audit:\n  maxListItems: 5\n');
    const r = await runCliAsync(['audit', '--kubeconfig', kc, '-f', 'json'], { cwd, env });
    assert.equal(r.code, 1, r.stderr);
    const report = JSON.parse(r.stdout) as Report;
    assert.equal(server.requests.filter((q) => q.path.endsWith('/destinationrules')).length, 3);
    assert.match(report.coverage.find((n) => n.status === 'truncated')!.message, /cut short: 5 DestinationRule objects were read \(--max-list-items\)/);
    assert.equal(report.summary.objects, 5);
  });

  it('one list page of about 1 GB is read only up to --max-list-items and reported as truncated; the other kinds are read', async () => {
    // 5,000,000 DestinationRules of about 220 bytes: the server writes them only as fast as meshlint reads.
    const { server, kc } = await start({
      objects: [{ apiVersion: 'v1', kind: 'Service', metadata: { name: 'web', namespace: 'shop' }, spec: { ports: [{ port: 80, name: 'http' }] } }],
      hugeList: { plural: 'destinationrules', items: 5_000_000, item: (i) => dr('shop', `dr-${i}`) },
    });
    const r = await runCliAsync(['audit', '--kubeconfig', kc, '-f', 'json', '--max-list-items', '1000'], { cwd: ROOT, env, timeoutMs: 120_000 });
    assert.equal(r.code, 1, r.stderr);
    const report = JSON.parse(r.stdout) as Omit<Report, 'findings'> & { findings: { ruleId: string }[] };
    const note = report.coverage.find((n) => n.status === 'truncated');
    assert.ok(note, JSON.stringify(report.coverage));
    assert.match(note.message, /^listing destinationrules\.networking\.istio\.io cluster-wide was cut short: 1,000 DestinationRule objects were read \(--max-list-items\) in the middle of a page, which was read no further, and the server had more; the 1,000 objects read are analysed$/);
    assert.equal(report.findings.filter((f) => f.ruleId === 'keepalive-disabled').length, 1000);
    assert.equal(server.requests.filter((q) => q.path.endsWith('/destinationrules')).length, 1, 'one page, not retried');
    // What was written before meshlint stopped reading: the 1,000 items plus what socket buffers held, far from 1 GB.
    assert.ok(server.hugeListBytesSent < 64 * 1024 * 1024, `${server.hugeListBytesSent} bytes sent`);
    assert.ok(report.summary.objects >= 1001, 'the Service is read too');
  });

  it('a repeated continue token ends the list at once with a truncated note', async () => {
    const { server, kc } = await start({
      hostileList: ({ plural, count }) => (plural === 'services' ? { kind: 'ServiceList', apiVersion: 'v1', metadata: { continue: count % 2 ? 'A' : 'B' }, items: [] } : undefined),
    });
    const r = await runCliAsync(['audit', '--kubeconfig', kc, '-f', 'json'], { cwd: ROOT, env });
    assert.equal(r.code, 0, r.stderr);
    assert.equal(server.requests.filter((q) => q.path === '/api/v1/services').length, 3);
    const report = JSON.parse(r.stdout) as Report;
    assert.match(report.coverage.find((n) => n.status === 'truncated')!.message, /the API server sent a continue token it had sent before/);
  });

  it('usage: --max-list-pages must be a whole number ≥ 1', async () => {
    const r = await runCliAsync(['audit', '--max-list-pages', '0'], { cwd: ROOT, env });
    assert.equal(r.code, 2);
    assert.match(r.stderr, /--max-list-pages.*expected a whole number ≥ 1/);
  });

  describe('a failing kubeconfig exec plugin: its command and exit code, nothing it printed', () => {
    const STDERR_SECRET = 'stderr-refresh-token-9f8e7d6c5b4a';
    const STDOUT_TOKEN = 'bare-token-1a2b3c4d5e6f7a8b9c0d';
    const plugin = (name: string, script: string) => {
      const file = path.join(dir, name);
      writeFileSync(file, `#!/bin/sh\n${script}\n`);
      chmodSync(file, 0o755);
      return file;
    };
    const kubeconfigWithExec = (server: FakeApiServer, command: string) => {
      const file = path.join(dir, `kc-exec-${path.basename(command)}.yaml`);
      writeFileSync(file, YAML.stringify({
        apiVersion: 'v1', kind: 'Config', 'current-context': 'exec',
        clusters: [{ name: 'c', cluster: { server: server.url, 'certificate-authority-data': Buffer.from(server.caPem).toString('base64') } }],
        users: [{ name: 'plugin-user', user: { exec: { apiVersion: 'client.authentication.k8s.io/v1', command, args: ['get-token'], interactiveMode: 'Never' } } }],
        contexts: [{ name: 'exec', context: { cluster: 'c', user: 'plugin-user' } }],
      }));
      return file;
    };
    const cases = [
      { name: 'fails-3.sh', script: `echo "error: ${STDERR_SECRET}" >&2\necho '{"partial": "${STDOUT_TOKEN}"' \nexit 3`, expected: /plugin ".*fails-3\.sh" of user "plugin-user" \(context "exec"\) failed with exit code 3; what it printed is not shown/ },
      { name: 'not-json.sh', script: `echo ${STDOUT_TOKEN}\necho ${STDERR_SECRET} >&2`, expected: /plugin ".*not-json\.sh" .* exited 0 without printing an ExecCredential \(its output is not JSON\)/ },
      { name: 'killed.sh', script: `echo ${STDERR_SECRET} >&2\nkill -9 $$`, expected: /plugin ".*killed\.sh" .* was killed by SIGKILL/ },
      { name: 'missing-plugin', script: null, expected: /plugin ".*missing-plugin" .* could not be started \(ENOENT\)/ },
    ];
    let server: FakeApiServer;
    before(async () => {
      server = await startFakeApiServer({ tokens: [TOKEN] });
      servers.push(server);
    });
    for (const c of cases) {
      it(`${c.name}: exit 2, one line`, async () => {
        const command = c.script === null ? path.join(dir, c.name) : plugin(c.name, c.script);
        assert.equal(existsSync(command), c.script !== null);
        const r = await runCliAsync(['audit', '--kubeconfig', kubeconfigWithExec(server, command), '-f', 'json'], { cwd: ROOT, env });
        assert.equal(r.code, 2, r.stderr);
        assert.equal(r.stdout, '');
        assert.match(r.stderr, c.expected);
        assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
        assert.ok(!r.stderr.includes(STDERR_SECRET) && !r.stderr.includes(STDOUT_TOKEN.slice(0, 10)), r.stderr);
        assert.deepEqual(server.requests.filter((q) => q.auth !== 'none'), [], 'no authenticated request');
      });
    }
  });
});
