/**
 * `meshlint audit` over several clusters (`--context a --context b`, `--all-contexts`): the real binary against four
 * loopback API servers: two that answer, one where nothing listens (connection refused) and one that answers too
 * slowly for `--request-timeout`.
 */
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { ValidateFunction } from 'ajv';
import { runCliAsync, type CliRun } from '../helpers/cli.js';
import { startFakeApiServer, type FakeApiServer, type KubeObject } from '../helpers/fake-apiserver.js';
import { assertNoSecrets, closedPort, isolatedEnv, kubeconfig, reportValidator, sarifValidator, TOKEN } from '../helpers/kube.js';
import { ROOT } from '../helpers/paths.js';
import { dumpDirName } from '../../src/audit/run.js';

/** Namespace `shop` and a DestinationRule for `payments` in it, with keep-alive off when `keepAliveOff`. */
function shop(keepAliveOff: boolean): KubeObject[] {
  return [
    { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'shop', labels: { 'istio-injection': 'enabled' } } },
    { apiVersion: 'v1', kind: 'Service', metadata: { name: 'payments', namespace: 'shop' }, spec: { ports: [{ name: 'http', port: 80 }] } },
    {
      apiVersion: 'networking.istio.io/v1', kind: 'DestinationRule', metadata: { name: 'payments', namespace: 'shop', creationTimestamp: '2024-03-01T08:00:00Z' },
      spec: { host: 'payments.shop.svc.cluster.local', trafficPolicy: { connectionPool: { tcp: { maxConnections: 100 }, http: keepAliveOff ? { maxRequestsPerConnection: 1 } : { http2MaxRequests: 100 } } } },
    },
  ];
}

interface Report {
  findings: Array<{ ruleId: string; severity: string; file: string; hint?: string; cluster?: string }>;
  errors: Array<{ subject: string; message: string }>;
  cluster?: unknown;
  clusters?: Array<{ context: string; server?: string; objects: number; error?: string; istioVersion: string | null }>;
}

describe('meshlint audit over several clusters', { concurrency: 2 }, () => {
  let east: FakeApiServer; // keep-alive off: a keepalive-disabled error
  let west: FakeApiServer; // the same DestinationRule, pooled: clean
  let slow: FakeApiServer; // its Deployment and DestinationRule lists take 150 s
  let refusedPort: number;
  let dir: string;
  let home: string;
  let kc: string;
  let twoOnly: string;
  let validateReport: ValidateFunction;
  let validateSarif: ValidateFunction;
  const outputs: string[] = [];
  const run = async (args: string[]): Promise<CliRun & { ms: number }> => {
    const started = Date.now();
    const r = await runCliAsync(args, { cwd: ROOT, env: isolatedEnv(home), timeoutMs: 140_000 });
    outputs.push(r.stdout, r.stderr);
    return { ...r, ms: Date.now() - started };
  };

  before(async () => {
    validateReport = reportValidator();
    validateSarif = sarifValidator();
    [east, west, slow, refusedPort] = await Promise.all([
      startFakeApiServer({ objects: shop(true), tokens: [TOKEN] }),
      startFakeApiServer({ objects: shop(false), tokens: [TOKEN] }),
      startFakeApiServer({ objects: shop(true), tokens: [TOKEN], slow: [{ path: /\/(deployments|destinationrules)$/, ms: 150_000 }] }),
      closedPort(),
    ]);
    dir = mkdtempSync(path.join(tmpdir(), 'meshlint-audit-clusters-'));
    home = path.join(dir, 'home');
    mkdirSync(home);
    const clusters = [
      { name: 'east', server: east.url, ca: east.caPem },
      { name: 'west', server: west.url, ca: west.caPem },
      { name: 'slow', server: slow.url, ca: slow.caPem },
      { name: 'gone', server: `https://127.0.0.1:${refusedPort}`, ca: east.caPem },
    ];
    kc = path.join(dir, 'kubeconfig');
    writeFileSync(kc, kubeconfig({ clusters, users: [{ name: 'tok', token: TOKEN }], contexts: clusters.map((c) => ({ name: c.name, cluster: c.name, user: 'tok' })), current: 'east' }));
    twoOnly = path.join(dir, 'two');
    writeFileSync(twoOnly, kubeconfig({ clusters: clusters.slice(0, 2), users: [{ name: 'tok', token: TOKEN }], contexts: clusters.slice(0, 2).map((c) => ({ name: c.name, cluster: c.name, user: 'tok' })), current: 'west' }));
  });

  after(async () => {
    assertNoSecrets(outputs.join('\n'), [east, west, slow]);
    await Promise.all([east?.close(), west?.close(), slow?.close()]);
    rmSync(dir, { recursive: true, force: true });
  });

  it('audits each cluster, reports findings per cluster, and reports the refused and the slow cluster with exit 2', async () => {
    const r = await run(['audit', '--kubeconfig', kc, '--context', 'east', '--context', 'west', '--context', 'gone', '--context', 'slow', '--request-timeout', '2s', '-f', 'json']);
    assert.equal(r.code, 2, r.stderr);
    // Bounded by --request-timeout: the slow cluster does not hold the run for its 150 s (the margin is for a busy machine).
    assert.ok(r.ms < 75_000, `${r.ms} ms`);
    const report = JSON.parse(r.stdout) as Report;
    assert.ok(validateReport(report), JSON.stringify(validateReport.errors?.slice(0, 5), null, 2));
    assert.equal(report.cluster, undefined);
    assert.deepEqual(report.clusters!.map((c) => [c.context, c.objects > 0, c.error !== undefined]), [
      ['east', true, false],
      ['west', true, false],
      ['gone', false, true],
      ['slow', false, true],
    ]);
    assert.equal(report.clusters![0].server, east.url);
    assert.match(report.clusters!.find((c) => c.context === 'gone')!.error!, /refused|ECONNREFUSED|cannot reach|connect/i);
    assert.match(report.clusters!.find((c) => c.context === 'slow')!.error!, /time/i);
    assert.deepEqual(report.errors.map((e) => e.subject).sort(), ['context gone', 'context slow']);
    assert.match(r.stderr, /meshlint: context gone: /);

    const keepalive = report.findings.filter((f) => f.ruleId === 'keepalive-disabled');
    assert.deepEqual(keepalive.map((f) => f.cluster), ['east'], 'the same DestinationRule is pooled in west');
    for (const f of report.findings) {
      assert.ok(f.cluster === 'east' || f.cluster === 'west', JSON.stringify(f));
      assert.ok(f.file.startsWith(`cluster://${f.cluster}/`), f.file);
      assert.match(f.hint ?? '', new RegExp(`--context ${f.cluster}\\)?$`));
    }
  });

  it('stylish: a coverage line per cluster, the unaudited one in it', async () => {
    const r = await run(['audit', '--kubeconfig', kc, '--context', 'east', '--context', 'gone', '--context', 'west']);
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stdout, /^context east: 3 objects analysed, read from https:\/\/127\.0\.0\.1:\d+, 1 coverage note$/m);
    assert.match(r.stdout, /^context west: 3 objects analysed, read from /m);
    assert.match(r.stdout, /^context gone: not audited: cannot reach the API server at https:\/\/127\.0\.0\.1:\d+: connect ECONNREFUSED/m);
    // Each cluster's coverage notes (here: no mesh ConfigMap) say which cluster they are about.
    assert.match(r.stdout, /^coverage: context west: ConfigMap istio-system\/istio does not exist/m);
    assert.match(r.stdout, /6 objects analysed from 2 clusters of 3, all namespaces/);
    assert.match(r.stdout, /^cluster:\/\/east\/DestinationRule\/shop\/payments$/m);
  });

  it('--all-contexts audits every context of the kubeconfig: one SARIF run, each result naming its cluster; exit 1 on an error finding', async () => {
    const r = await run(['audit', '--kubeconfig', twoOnly, '--all-contexts', '-f', 'sarif']);
    assert.equal(r.code, 1, r.stderr);
    const sarif = JSON.parse(r.stdout) as { runs: Array<{ results: Array<{ ruleId: string; properties?: { cluster?: string } }>; properties?: { clusters?: Array<{ context: string }> } }> };
    assert.ok(validateSarif(sarif), JSON.stringify(validateSarif.errors?.slice(0, 5), null, 2));
    assert.equal(sarif.runs.length, 1);
    assert.deepEqual(sarif.runs[0].properties?.clusters?.map((c) => c.context), ['east', 'west']);
    assert.ok(sarif.runs[0].results.length > 0);
    for (const result of sarif.runs[0].results) assert.ok(['east', 'west'].includes(result.properties?.cluster ?? ''), JSON.stringify(result));
    assert.ok(sarif.runs[0].results.some((x) => x.ruleId === 'keepalive-disabled' && x.properties?.cluster === 'east'));
  });

  it('the GitHub and JUnit formats name the cluster of each finding; --dump writes one directory per context', async () => {
    const dump = path.join(dir, 'dump');
    const [gh, junit] = await Promise.all([
      run(['audit', '--kubeconfig', twoOnly, '--context', 'east', '--context', 'west', '-f', 'github', '--dump', dump]),
      run(['audit', '--kubeconfig', twoOnly, '--context', 'east', '--context', 'west', '-f', 'junit']),
    ]);
    assert.equal(gh.code, 1, gh.stderr);
    assert.match(gh.stdout, /^::error title=meshlint keepalive-disabled[^\n]*%0Acluster east/m);
    assert.match(junit.stdout, /cluster: east/);
    assert.deepEqual(readdirSync(dump).sort(), ['east', 'west']);
    assert.ok(readdirSync(path.join(dump, 'east')).includes('shop.destinationrule.yaml'));
  });

  it('one --context is the single-cluster audit (cluster, not clusters); --context with --all-contexts is a usage error', async () => {
    const one = await run(['audit', '--kubeconfig', kc, '--context', 'west', '-f', 'json']);
    assert.equal(one.code, 0, one.stderr);
    const report = JSON.parse(one.stdout) as Report;
    assert.equal(report.clusters, undefined);
    assert.deepEqual((report.cluster as { context: string }).context, 'west');
    assert.ok(report.findings.every((f) => f.cluster === 'west'));
    const both = await run(['audit', '--kubeconfig', kc, '--context', 'west', '--all-contexts']);
    assert.equal(both.code, 2);
    assert.match(both.stderr, /cannot be used with/);
  });
});

describe('dumpDirName: the directory of a context under --dump DIR', () => {
  it('keeps plain names, percent-encodes separators, and never names . or ..', () => {
    assert.equal(dumpDirName('prod-eu'), 'prod-eu');
    assert.equal(dumpDirName('arn:aws:eks:eu-west-1:123:cluster/prod'), 'arn%3Aaws%3Aeks%3Aeu-west-1%3A123%3Acluster%2Fprod');
    assert.equal(dumpDirName('..'), '%2E%2E');
    assert.equal(dumpDirName('.'), '%2E');
    assert.equal(dumpDirName('../x'), '..%2Fx', 'one name: the slash is encoded');
    assert.equal(dumpDirName('...'), '...', 'not a special name');
  });
});
