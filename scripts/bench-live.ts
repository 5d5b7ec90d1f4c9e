/**
 * `npm run bench:live`: what `--prometheus` adds to `meshlint audit` on a 2,000-pod, 200-node cluster, all on
 * loopback: the test suite's fake API server (HTTPS, pagination) with the pods and nodes, and a real Prometheus
 * (Debian's package) over a TSDB built by promtool from an hour of series (one request counter per workload and
 * destination, node-exporter's four series per node). Each run is a fresh `node bin/meshlint.js`; the median of
 * `--runs` runs of each is reported, and written to `--out` as JSON.
 *
 *   node dist/scripts/bench-live.js [--pods 2000] [--nodes 200] [--runs 3] [--out .bench/bench-live.json]
 */
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { startFakeApiServer, type KubeObject } from '../test/helpers/fake-apiserver.js';
import { node, pod } from '../test/helpers/incident.js';
import { singleContextKubeconfig } from '../test/helpers/kube.js';
import { counterSamples, gaugeSamples, havePrometheus, startPrometheus, type Series } from '../test/helpers/prometheus.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const BIN = path.join(ROOT, 'bin', 'meshlint.js');
const TOKEN = 'bench-token-live-8c1d2e3f4a5b';
const PODS_PER_WORKLOAD = 10;

interface Options {
  pods: number;
  nodes: number;
  runs: number;
  out: string;
}

function parseArgs(argv: string[]): Options {
  const o: Options = { pods: 2000, nodes: 200, runs: 3, out: path.join(ROOT, '.bench', 'bench-live.json') };
  for (let i = 0; i < argv.length; i += 2) {
    const [flag, value] = [argv[i], argv[i + 1]];
    const n = Number(value);
    if (flag === '--out' && value) o.out = path.resolve(value);
    else if (['--pods', '--nodes', '--runs'].includes(flag ?? '') && Number.isInteger(n) && n > 0) o[flag!.slice(2) as 'pods' | 'nodes' | 'runs'] = n;
    else throw new Error(`usage: bench-live [--pods N] [--nodes N] [--runs N] [--out FILE] (bad argument ${flag} ${value ?? ''})`);
  }
  return o;
}

/** Namespaces of 10 workloads each; every workload calls its own external host with keep-alive off (M = 3). */
function cluster(o: Options): { objects: KubeObject[]; series: (end: number) => Series[] } {
  const objects: KubeObject[] = [];
  const workloads = Math.ceil(o.pods / PODS_PER_WORKLOAD);
  const ts = '2026-01-01T00:00:00Z';
  const names: { ns: string; workload: string; host: string }[] = [];
  for (let w = 0; w < workloads; w++) {
    const ns = `team-${String(Math.floor(w / 10)).padStart(3, '0')}`;
    const workload = `svc-${w}`;
    const host = `api-${w}.partner.example.com`;
    names.push({ ns, workload, host });
    if (w % 10 === 0) objects.push({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns, labels: { 'istio-injection': 'enabled' }, creationTimestamp: ts } });
    objects.push({ apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: workload, namespace: ns, creationTimestamp: ts }, spec: { selector: { matchLabels: { app: workload } }, template: { metadata: { labels: { app: workload } }, spec: { containers: [{ name: workload, image: 'x' }] } } } });
    objects.push({ apiVersion: 'networking.istio.io/v1', kind: 'ServiceEntry', metadata: { name: workload, namespace: ns, creationTimestamp: ts }, spec: { hosts: [host], location: 'MESH_EXTERNAL', resolution: 'DNS', ports: [{ number: 80, name: 'http', protocol: 'HTTP' }] } });
    objects.push({ apiVersion: 'networking.istio.io/v1', kind: 'DestinationRule', metadata: { name: workload, namespace: ns, creationTimestamp: ts }, spec: { host, trafficPolicy: { connectionPool: { http: { maxRequestsPerConnection: w % 3 === 0 ? 1 : 0 } } } } });
    for (let p = 0; p < PODS_PER_WORKLOAD && w * PODS_PER_WORKLOAD + p < o.pods; p++) {
      const made = pod(`${workload}-7d9f8-${p}`, workload, `node-${(w * 7 + p * 13) % o.nodes}`, ns);
      objects.push(made);
    }
  }
  for (let n = 0; n < o.nodes; n++) objects.push(node(`node-${n}`, `10.1.${Math.floor(n / 250)}.${n % 250}`));
  const series = (end: number): Series[] => {
    const start = end - 3600;
    const out: Series[] = [];
    names.forEach(({ ns, workload, host }, w) => {
      out.push({ name: 'istio_requests_total', type: 'counter', labels: { reporter: 'source', source_workload: workload, source_workload_namespace: ns, destination_service: host }, samples: counterSamples(start, end, 60, () => 5 + (w % 17)) });
    });
    for (let n = 0; n < o.nodes; n++) {
      const labels = { instance: `node-${n}`, job: 'node-exporter' };
      out.push({ name: 'node_sockstat_TCP_tw', type: 'gauge', labels, samples: gaugeSamples(start, end, 60, () => 1000 + n) });
      out.push({ name: 'node_netstat_Tcp_ActiveOpens', type: 'counter', labels, samples: counterSamples(start, end, 60, () => 20) });
      out.push({ name: 'node_nf_conntrack_entries', type: 'gauge', labels, samples: gaugeSamples(start, end, 60, () => 3000) });
      out.push({ name: 'node_nf_conntrack_entries_limit', type: 'gauge', labels, samples: gaugeSamples(start, end, 60, () => 131072) });
    }
    return out;
  };
  return { objects, series };
}

function runOnce(args: string[], env: NodeJS.ProcessEnv): Promise<{ wallMs: number; code: number | null }> {
  const started = process.hrtime.bigint();
  return new Promise((resolve) => {
    execFile(process.execPath, [BIN, ...args], { env, maxBuffer: 256 * 1024 * 1024, timeout: 600_000 }, (error) => {
      resolve({ wallMs: Number(process.hrtime.bigint() - started) / 1e6, code: error ? ((error as { code?: number }).code ?? null) : 0 });
    });
  });
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

async function main(argv: string[]): Promise<number> {
  if (!havePrometheus()) {
    process.stderr.write('bench-live: prometheus/promtool not installed (apt-get install -y prometheus); skipped\n');
    return 0;
  }
  const o = parseArgs(argv);
  const work = mkdtempSync(path.join(os.tmpdir(), 'meshlint-bench-live-'));
  const end = Math.floor(Date.now() / 60_000) * 60 - 60;
  const { objects, series } = cluster(o);
  const api = await startFakeApiServer({ objects, tokens: [TOKEN] });
  const prom = await startPrometheus(series(end));
  try {
    writeFileSync(path.join(work, 'kubeconfig'), singleContextKubeconfig('bench', api.url, TOKEN, api.caPem));
    const env = { ...process.env, HOME: work, KUBECONFIG: undefined, NO_COLOR: '1' };
    const base = ['audit', '--kubeconfig', path.join(work, 'kubeconfig'), '-f', 'json', '-o', path.join(work, 'report.json')];
    const withLive = [...base, '--prometheus', prom.url, '--at', String(end), '--range', '2h'];
    await runOnce(withLive, env); // warm-up: page cache, Prometheus's first queries
    const without: number[] = [];
    const live: number[] = [];
    for (let i = 0; i < o.runs; i++) {
      without.push((await runOnce(base, env)).wallMs);
      const r = await runOnce(withLive, env);
      if (r.code === 2) throw new Error('audit --prometheus failed (exit 2)');
      live.push(r.wallMs);
    }
    const result = { input: { pods: o.pods, nodes: o.nodes, objects: objects.length }, withoutPrometheusMs: Math.round(median(without)), withPrometheusMs: Math.round(median(live)), runs: { without, live } };
    mkdirSync(path.dirname(o.out), { recursive: true });
    writeFileSync(o.out, JSON.stringify(result, null, 2) + '\n');
    process.stdout.write(`audit of ${o.pods} pods on ${o.nodes} nodes (${objects.length} objects): ${result.withoutPrometheusMs} ms without --prometheus, ${result.withPrometheusMs} ms with it (+${result.withPrometheusMs - result.withoutPrometheusMs} ms), median of ${o.runs}\n`);
    return 0;
  } finally {
    await prom.close();
    await api.close();
    rmSync(work, { recursive: true, force: true });
  }
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`bench-live: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  },
);
