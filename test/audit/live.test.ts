/**
 * `meshlint audit --prometheus` end to end: the real binary against a real Prometheus (Debian's package, started
 * here on 127.0.0.1 with TSDB blocks built by promtool from the incident's series) and the loopback Kubernetes API
 * server with pods on nodes. Skipped, with the reason, when `prometheus`/`promtool` are not installed.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import Ajv from 'ajv';
import YAML from 'yaml';
import { runCliAsync, type CliRun } from '../helpers/cli.js';
import { startFakeApiServer, type FakeApiServer } from '../helpers/fake-apiserver.js';
import { incidentCluster, incidentSeries, PAYMENTS_HOST } from '../helpers/incident.js';
import { isolatedEnv, singleContextKubeconfig, TOKEN } from '../helpers/kube.js';
import { counterSamples, havePrometheus, startPrometheus, type Series, type TestPrometheus } from '../helpers/prometheus.js';
import { ROOT } from '../helpers/paths.js';

const skip = havePrometheus() ? false : 'prometheus/promtool not installed (apt-get install -y prometheus)';
/** The series end here: a whole minute two minutes ago, so `--at` is deterministic. */
const END = Math.floor(Date.now() / 60_000) * 60 - 120;
const PASSWORD = 'meshlint-prom-pass-5e1f';
/** bcrypt of PASSWORD (cost 4), for Prometheus's web config. */
const PASSWORD_HASH = '$2b$04$tRnIU29wCzbhIFmvAY3XAevsKRIfXnkVyhusNBD1blgNKxMeQYQ7C';

interface NodeRow {
  node: string;
  pods: number;
  ports: number;
  now: { connectionsPerSecond: number; timeWait: number; utilisation: number };
  peak: { connectionsPerSecond: number; timeWait: number; utilisation: number };
  exhaustsInSeconds: number | null;
  measured?: { timeWait?: number; activeOpensPerSecond?: number; conntrackEntries?: number; conntrackLimit?: number };
  gap?: { timeWait?: number; connectionsPerSecond?: number };
  drivers: { workload: string; host: string; pods: string[]; connectionsPerRequest: number; requestsPerSecond: { now: number; peak: number } }[];
}
interface Report {
  findings: { ruleId: string; severity: string; message: string; object?: { kind: string; name: string } }[];
  nodePorts?: { nodes: NodeRow[]; notes: string[]; unmatched: unknown[]; upstreamConnections: unknown; tcpOpened: { workload: string; now: number }[] };
}

describe('audit --prometheus (real Prometheus, loopback API server)', { skip }, () => {
  let api: FakeApiServer;
  let prom: TestPrometheus;
  let dir: string;
  let env: Record<string, string | undefined>;
  const audit = (args: string[]): Promise<CliRun> => runCliAsync(['audit', '--kubeconfig', path.join(dir, 'kubeconfig'), ...args], { env, cwd: dir, timeoutMs: 120_000 });

  before(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'meshlint-live-'));
    env = isolatedEnv(dir);
    api = await startFakeApiServer({ objects: incidentCluster(), tokens: [TOKEN] });
    writeFileSync(path.join(dir, 'kubeconfig'), singleContextKubeconfig('shop', api.url, TOKEN, api.caPem));
    prom = await startPrometheus(incidentSeries(END));
  });
  after(async () => {
    await prom?.close();
    await api?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('names the node that goes bad, its pods and route, predicted beside measured', async () => {
    const r = await audit(['--prometheus', prom.url, '--at', String(END), '--range', '3h', '-f', 'json']);
    assert.equal(r.code, 1, r.stderr); // node-a is an error at the peak
    const report = JSON.parse(r.stdout) as Report;
    const validate = new Ajv.default({ strict: false, allErrors: true }).compile(JSON.parse(readFileSync(path.join(ROOT, 'schemas/report.schema.json'), 'utf8')));
    assert.ok(validate(report), JSON.stringify(validate.errors));
    const nodes = report.nodePorts!.nodes;
    assert.deepEqual(nodes.map((n) => n.node), ['node-a', 'node-b', 'node-c']);
    const a = nodes[0]!;
    assert.equal(a.ports, 28232);
    // 3 of checkout's 4 pods: 3/4 × 220 req/s × M 3 = 495 connections/s at the peak, 29,700 ports held.
    assert.ok(Math.abs(a.peak.connectionsPerSecond - 495) < 5, `peak ${a.peak.connectionsPerSecond}`);
    assert.ok(a.peak.utilisation > 1 && a.peak.utilisation < 1.06, `utilisation ${a.peak.utilisation}`);
    assert.ok(Math.abs(a.now.connectionsPerSecond - 270) < 3, `now ${a.now.connectionsPerSecond}`);
    assert.ok(a.exhaustsInSeconds !== null && a.exhaustsInSeconds > 40 && a.exhaustsInSeconds < 60, `exhausts in ${a.exhaustsInSeconds}`);
    assert.equal(a.drivers.length, 1);
    assert.equal(a.drivers[0]!.host, PAYMENTS_HOST);
    assert.equal(a.drivers[0]!.connectionsPerRequest, 3);
    assert.deepEqual([...a.drivers[0]!.pods].sort(), ['checkout-7d9f8-a1', 'checkout-7d9f8-a2', 'checkout-7d9f8-a3']);
    assert.ok(Math.abs(a.measured!.timeWait! - 16200) < 2, `measured ${a.measured!.timeWait}`);
    assert.ok(Math.abs(a.gap!.timeWait!) < 200, `gap ${a.gap!.timeWait}`);
    assert.equal(a.measured!.conntrackLimit, 131072);
    // node-b: one checkout pod (55 req/s × 3 at the peak) and a catalog pod whose in-mesh calls use the pod's ports.
    const b = nodes[1]!;
    assert.ok(Math.abs(b.peak.connectionsPerSecond - 165) < 2, `node-b ${b.peak.connectionsPerSecond}`);
    assert.equal(b.exhaustsInSeconds, null);
    // node-c is joined by its InternalIP in instance="10.0.0.3:9100".
    assert.equal(nodes[2]!.measured?.timeWait, 120);
    assert.equal(nodes[2]!.peak.connectionsPerSecond, 0);

    const nodeFindings = report.findings.filter((f) => f.ruleId === 'node-port-budget');
    assert.deepEqual(nodeFindings.map((f) => [f.severity, f.object?.name]), [['error', 'node-a']]);
    assert.match(nodeFindings[0]!.message, /checkout → api\.payments\.example\.com \(3 pods, M = 3/);
    assert.ok(report.findings.some((f) => f.ruleId === 'keepalive-disabled'), 'the static findings are still there');
    const notes = report.nodePorts!.notes.join('\n');
    assert.match(notes, /envoy_cluster_upstream_cx_total is not exported/);
    assert.match(notes, /source_workload="unknown"/);
    assert.ok(report.nodePorts!.tcpOpened.some((t) => t.workload === 'checkout' && Math.abs(t.now - 360) < 4));
    assert.deepEqual(api.unexpected, []);
    assert.ok(api.requests.some((q) => q.path === '/api/v1/pods') && api.requests.some((q) => q.path === '/api/v1/nodes'));
  });

  it('warns from 80 % of the range and shows the node section in stylish output', async () => {
    const r = await audit(['--prometheus', prom.url, '--at', String(END), '--range', '3h', '--port-range', '32768-65535']);
    // 32,768 ports: node-a's 29,700 at the peak is 90.6 % — a warning, not an error.
    assert.equal(r.code, 1, r.stderr); // keepalive-disabled is an error whatever the live part says
    assert.match(r.stdout, /node-port-budget/);
    assert.match(r.stdout, /warning.*node node-a: at the peak rate/);
    assert.match(r.stdout, /Nodes by ephemeral-port use/);
    assert.match(r.stdout, /node-a\s+4?3? ?pods?/);
  });

  it('never sends a node budget without --prometheus (no pods or nodes read)', async () => {
    const before = api.requests.length;
    const r = await audit(['-f', 'json']);
    const report = JSON.parse(r.stdout) as Report;
    assert.equal(report.nodePorts, undefined);
    assert.ok(!api.requests.slice(before).some((q) => q.path === '/api/v1/pods' || q.path === '/api/v1/nodes'));
  });

  it('check --prometheus: each route takes the peak rate Prometheus recorded for its namespace and host', async () => {
    const manifests = path.join(dir, 'manifests');
    const { mkdirSync } = await import('node:fs');
    mkdirSync(manifests, { recursive: true });
    writeFileSync(path.join(manifests, 'shop.yaml'), incidentCluster().filter((o) => o.kind !== 'Pod' && o.kind !== 'Node').map((o) => YAML.stringify(o)).join('---\n'));
    const r = await runCliAsync(['check', manifests, '--prometheus', prom.url, '--at', String(END), '--range', '3h', '--rps', '1', '-f', 'json'], { env, cwd: dir });
    assert.equal(r.code, 1, r.stderr);
    const routes = (JSON.parse(r.stdout) as { routes: { host: string; rps: number | null; portsHeld: number | null }[] }).routes;
    const payments = routes.find((x) => x.host === PAYMENTS_HOST)!;
    assert.ok(Math.abs(payments.rps! - 220) < 1, `rps ${payments.rps}`);
    assert.ok(Math.abs(payments.portsHeld! - 220 * 3 * 60) < 200, `portsHeld ${payments.portsHeld}`);
  });

  it('Prometheus unreachable: one line, the static analysis still reported, exit 2', async () => {
    const closed = http.createServer();
    await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((r) => closed.close(r));
    const r = await audit(['--prometheus', `http://127.0.0.1:${port}`, '-f', 'json']);
    assert.equal(r.code, 2);
    assert.match(r.stderr, new RegExp(`meshlint: prometheus: cannot reach Prometheus at http://127\\.0\\.0\\.1:${port}: ECONNREFUSED; the static analysis is reported without live rates`));
    assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
    const report = JSON.parse(r.stdout) as Report;
    assert.ok(report.findings.some((f) => f.ruleId === 'keepalive-disabled'));
    assert.equal(report.nodePorts, undefined);
  });

  it('401 from Prometheus with basic auth: one line, the password never printed', async () => {
    const web = path.join(dir, 'web.yml');
    writeFileSync(web, `basic_auth_users:\n  meshlint: ${PASSWORD_HASH}\n`);
    const secured = await startPrometheus(incidentSeries(END), [`--web.config.file=${web}`]);
    try {
      writeFileSync(path.join(dir, 'wrong'), 'not-the-password-1234\n');
      const bad = await audit(['--prometheus', secured.url, '--prometheus-username', 'meshlint', '--prometheus-password-file', path.join(dir, 'wrong'), '-f', 'json']);
      assert.equal(bad.code, 2);
      assert.match(bad.stderr, /rejected the credentials \(HTTP 401\)/);
      assert.ok(!(bad.stdout + bad.stderr).includes('not-the-password-1234'));
      writeFileSync(path.join(dir, 'right'), `${PASSWORD}\n`);
      const good = await audit(['--prometheus', secured.url, '--prometheus-username', 'meshlint', '--prometheus-password-file', path.join(dir, 'right'), '--at', String(END), '--range', '3h', '-f', 'json']);
      assert.equal(good.code, 1, good.stderr);
      assert.equal((JSON.parse(good.stdout) as Report).nodePorts!.nodes[0]!.node, 'node-a');
      assert.ok(!(good.stdout + good.stderr).includes(PASSWORD));
      // The same from the configuration file's prometheus block (the password file relative to it).
      writeFileSync(path.join(dir, 'live.meshlintrc.yaml'), YAML.stringify({ prometheus: { url: secured.url, username: 'meshlint', passwordFile: 'right', range: '3h' } }));
      const configured = await audit(['--config', path.join(dir, 'live.meshlintrc.yaml'), '--at', String(END), '-f', 'json']);
      assert.equal(configured.code, 1, configured.stderr);
      assert.equal((JSON.parse(configured.stdout) as Report & { nodePorts: { range: string } }).nodePorts.range, '3h');
      const printed = await audit(['--config', path.join(dir, 'live.meshlintrc.yaml'), '--print-config']);
      assert.ok(!printed.stdout.includes(PASSWORD));
    } finally {
      await secured.close();
    }
  });

  it('TLS: the CA file verifies Prometheus; without it, one line naming the TLS failure', async () => {
    const web = path.join(dir, 'web-tls.yml');
    writeFileSync(web, `tls_server_config:\n  cert_file: ${path.join(api.dir, 'server.crt')}\n  key_file: ${path.join(api.dir, 'server.key')}\n`);
    const tls = await startPrometheus(incidentSeries(END), [`--web.config.file=${web}`], api.caPem);
    try {
      assert.match(tls.url, /^https:/);
      const verified = await audit(['--prometheus', tls.url, '--prometheus-ca-file', api.caFile, '--at', String(END), '--range', '3h', '-f', 'json']);
      assert.equal(verified.code, 1, verified.stderr);
      assert.equal((JSON.parse(verified.stdout) as Report).nodePorts!.nodes[0]!.node, 'node-a');
      const unverified = await audit(['--prometheus', tls.url, '-f', 'json']);
      assert.equal(unverified.code, 2);
      assert.match(unverified.stderr, /TLS failed \((UNABLE_TO_VERIFY_LEAF_SIGNATURE|SELF_SIGNED_CERT_IN_CHAIN|UNABLE_TO_GET_ISSUER_CERT_LOCALLY)\); pass --prometheus-ca-file/);
      const skipped = await audit(['--prometheus', tls.url, '--prometheus-insecure-skip-verify', '--at', String(END), '--range', '3h', '-f', 'json']);
      assert.equal(skipped.code, 1, skipped.stderr);
    } finally {
      await tls.close();
    }
  });

  it('403 from an auth proxy in front of Prometheus: one line, the bearer token never printed', async () => {
    const token = 'prom-bearer-token-9a8b7c6d5e';
    const proxy = http.createServer((req, res) => {
      res.writeHead(req.headers.authorization === `Bearer ${token}` ? 403 : 401, { 'content-type': 'text/plain' }).end(`denied for ${req.headers.authorization}`);
    });
    await new Promise<void>((r) => proxy.listen(0, '127.0.0.1', r));
    try {
      writeFileSync(path.join(dir, 'token'), `${token}\n`);
      const r = await audit(['--prometheus', `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`, '--prometheus-bearer-token-file', path.join(dir, 'token'), '-f', 'json']);
      assert.equal(r.code, 2);
      assert.match(r.stderr, /refused the query \(HTTP 403\)/);
      assert.ok(!(r.stdout + r.stderr).includes(token));
    } finally {
      await new Promise((r) => proxy.close(r));
    }
  });

  it('a query that times out in Prometheus: one line naming the timeout', async () => {
    // 1 ms is the smallest timeout Prometheus takes; over the small incident data alone a query can finish within
    // it on a quiet machine. 400 more request series (two hours at 30 s steps: ~96,000 samples) make every query
    // the audit sends read far more than 1 ms of data.
    const padding: Series[] = Array.from({ length: 400 }, (_, i) => ({
      name: 'istio_requests_total',
      type: 'counter' as const,
      labels: { reporter: 'source', source_workload: `filler-${i}`, source_workload_namespace: 'filler', destination_service: `svc-${i}.filler.svc.cluster.local`, response_code: '200' },
      samples: counterSamples(END - 2 * 3600, END, 30, () => 1),
    }));
    const slow = await startPrometheus([...incidentSeries(END), ...padding], ['--query.timeout=1ms']);
    try {
      const r = await audit(['--prometheus', slow.url, '--at', String(END), '-f', 'json']);
      assert.equal(r.code, 2);
      assert.match(r.stderr, /timed out evaluating a query/);
      assert.ok((JSON.parse(r.stdout) as Report).findings.length > 0);
    } finally {
      await slow.close();
    }
  });

  it('metrics absent (no Istio metrics, no node-exporter): notes, no node finding, exit code from the static findings', async () => {
    const empty = await startPrometheus([{ name: 'up', type: 'gauge', labels: { job: 'x' }, samples: [[END - 60, 1], [END, 1]] }]);
    try {
      const r = await audit(['--prometheus', empty.url, '--at', String(END), '-f', 'json']);
      assert.equal(r.code, 1, r.stderr);
      const report = JSON.parse(r.stdout) as Report;
      const notes = report.nodePorts!.notes.join('\n');
      assert.match(notes, /istio_requests_total: no series/);
      assert.match(notes, /node-exporter not installed or not scraped/);
      assert.ok(!report.findings.some((f) => f.ruleId === 'node-port-budget'));
      assert.ok(report.nodePorts!.nodes.every((n) => n.peak.connectionsPerSecond === 0 && n.measured === undefined));
    } finally {
      await empty.close();
    }
  });
});
