/**
 * `npm run bench:audit`: how long `meshlint audit` takes, and how much memory it needs, on a large mesh served over
 * loopback, against `meshlint check` of the same objects dumped to files.
 *
 *   node dist/scripts/bench-audit.js [--istio 10000] [--workloads 2000] [--namespaces 100] [--runs 3] [--out .bench/bench-audit.json]
 *
 * The mesh is synthetic but shaped like a real one: per namespace, Deployments/StatefulSets/DaemonSets with their
 * Services, and DestinationRules, VirtualServices, ServiceEntries, Sidecars and Gateways in a 35/35/20/5/5 mix, some of
 * them with the settings meshlint reports. It is served by the test suite's fake API server (real HTTPS on 127.0.0.1,
 * `limit`/`continue` pagination), started and stopped here. Each measured run is a fresh `node bin/meshlint.js`
 * process: wall time from spawn to exit, and its peak resident set size (`process.resourceUsage().maxRSS`, read by a
 * preloaded module when it exits). The median of `--runs` runs is reported. Results go to `--out` as JSON and a short
 * table to standard output.
 */
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { startFakeApiServer, type KubeObject } from '../test/helpers/fake-apiserver.js';
import { singleContextKubeconfig } from '../test/helpers/kube.js';

/** Repository root (this file runs from dist/scripts/). */
const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const BIN = path.join(ROOT, 'bin', 'meshlint.js');
const TOKEN = 'bench-token-5d41402abc4b2a76';

interface Options {
  istio: number;
  workloads: number;
  namespaces: number;
  runs: number;
  out: string;
}

function parseArgs(argv: string[]): Options {
  const o: Options = { istio: 10_000, workloads: 2_000, namespaces: 100, runs: 3, out: path.join(ROOT, '.bench', 'bench-audit.json') };
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i];
    const value = argv[++i];
    const n = Number(value);
    if (flag === '--out' && value) o.out = path.resolve(value);
    else if (['--istio', '--workloads', '--namespaces', '--runs'].includes(flag) && Number.isInteger(n) && n > 0) o[flag.slice(2) as 'istio' | 'workloads' | 'namespaces' | 'runs'] = n;
    else throw new Error(`usage: bench-audit [--istio N] [--workloads N] [--namespaces N] [--runs N] [--out FILE] (bad argument ${flag} ${value ?? ''})`);
  }
  return o;
}

/** Splits `total` over `parts` as evenly as possible. */
function share(total: number, parts: number, index: number): number {
  return Math.floor(total / parts) + (index < total % parts ? 1 : 0);
}

/** The synthetic mesh: Namespaces, workloads with Services, and Istio objects (see the file comment). */
function syntheticMesh(o: Pick<Options, 'istio' | 'workloads' | 'namespaces'>): KubeObject[] {
  const objects: KubeObject[] = [];
  let clock = Date.parse('2024-01-01T00:00:00Z');
  const meta = (name: string, namespace?: string) => ({ name, ...(namespace ? { namespace } : {}), creationTimestamp: new Date((clock += 1000)).toISOString().replace('.000Z', 'Z'), uid: `bench-${objects.length}` });
  for (let n = 0; n < o.namespaces; n++) {
    const ns = `team-${String(n).padStart(3, '0')}`;
    objects.push({ apiVersion: 'v1', kind: 'Namespace', metadata: { ...meta(ns), labels: { 'istio-injection': 'enabled' } } });
    const workloads = share(o.workloads, o.namespaces, n);
    for (let w = 0; w < workloads; w++) {
      const name = `svc-${w}`;
      const kind = w % 20 === 19 ? 'DaemonSet' : w % 20 >= 16 ? 'StatefulSet' : 'Deployment';
      const template = { metadata: { labels: { app: name }, annotations: w % 25 === 0 ? { 'traffic.sidecar.istio.io/excludeOutboundPorts': '5432' } : {} }, spec: { containers: [{ name, image: `registry.example/${name}:1.0`, ports: [{ containerPort: 8080 }] }] } };
      objects.push({ apiVersion: 'apps/v1', kind, metadata: meta(name, ns), spec: { ...(kind === 'DaemonSet' ? {} : { replicas: 3 }), selector: { matchLabels: { app: name } }, template } });
      if (kind !== 'DaemonSet') objects.push({ apiVersion: 'v1', kind: 'Service', metadata: meta(name, ns), spec: { selector: { app: name }, ports: [{ name: 'http', port: 8080, targetPort: 8080 }] } });
    }
    const istio = share(o.istio, o.namespaces, n);
    for (let i = 0; i < istio; i++) {
      const slot = i % 100;
      const target = `svc-${i % Math.max(1, workloads)}`;
      if (slot < 35) {
        const pool = i % 10 === 0 ? { http: { maxRequestsPerConnection: 1 } } : { tcp: { maxConnections: 100 }, http: { http1MaxPendingRequests: 100, idleTimeout: i % 13 === 0 ? '5s' : '300s' } };
        objects.push({ apiVersion: 'networking.istio.io/v1', kind: 'DestinationRule', metadata: meta(`dr-${i}`, ns), spec: { host: i % 3 === 0 ? `api-${i}.${ns}.example.com` : target, trafficPolicy: { connectionPool: pool }, subsets: [{ name: 'v1', labels: { version: 'v1' } }] } });
      } else if (slot < 70) {
        const route: Record<string, unknown> = { route: [{ destination: { host: target, subset: 'v1', port: { number: 8080 } } }] };
        if (i % 7 !== 0) route.retries = { attempts: i % 11 === 0 ? 5 : 2, perTryTimeout: '2s', retryOn: 'connect-failure,refused-stream' };
        if (i % 17 === 0) route.mirror = { host: `svc-${(i + 1) % Math.max(1, workloads)}` };
        objects.push({ apiVersion: 'networking.istio.io/v1', kind: 'VirtualService', metadata: meta(`vs-${i}`, ns), spec: { hosts: [target], http: [route] } });
      } else if (slot < 90) {
        const port = i % 2 === 0 ? { number: 443, name: 'tls', protocol: 'TLS' } : { number: 80, name: 'http', protocol: 'HTTP' };
        objects.push({ apiVersion: 'networking.istio.io/v1', kind: 'ServiceEntry', metadata: meta(`se-${i}`, ns), spec: { hosts: [`api-${i}.${ns}.example.com`], location: 'MESH_EXTERNAL', resolution: 'DNS', ports: [port] } });
      } else if (slot < 95) {
        objects.push({ apiVersion: 'networking.istio.io/v1', kind: 'Sidecar', metadata: meta(`sidecar-${i}`, ns), spec: { workloadSelector: { labels: { app: target } }, egress: [{ hosts: ['./*', 'istio-system/*'] }] } });
      } else {
        objects.push({ apiVersion: 'networking.istio.io/v1', kind: 'Gateway', metadata: meta(`gw-${i}`, ns), spec: { selector: { istio: 'ingressgateway' }, servers: [{ port: { number: 80, name: 'http', protocol: 'HTTP' }, hosts: [`${ns}/app-${i}.example.com`] }] } });
      }
    }
  }
  objects.push({ apiVersion: 'v1', kind: 'ConfigMap', metadata: meta('istio', 'istio-system'), data: { mesh: 'defaultHttpRetryPolicy:\n  attempts: 2\n' } });
  return objects;
}

interface RunResult {
  wallMs: number;
  peakRssMiB: number;
  exitCode: number | null;
}

/** Runs the CLI with `args` as a fresh process; wall time and peak RSS (via a preloaded exit hook). */
async function measure(args: string[], env: NodeJS.ProcessEnv, work: string): Promise<RunResult> {
  const rssFile = path.join(work, `rss-${process.hrtime.bigint()}.txt`);
  const started = process.hrtime.bigint();
  const exitCode = await new Promise<number | null>((resolve) => {
    execFile(process.execPath, ['--import', path.join(work, 'rss-hook.mjs'), BIN, ...args], { cwd: work, env: { ...env, MESHLINT_BENCH_RSS_FILE: rssFile }, maxBuffer: 256 * 1024 * 1024 }, (error, _stdout, stderr) => {
      if (error && typeof error.code !== 'number') process.stderr.write(`bench: ${error.message}\n${stderr}`);
      resolve(error ? (typeof error.code === 'number' ? error.code : null) : 0);
    });
  });
  const wallMs = Number(process.hrtime.bigint() - started) / 1e6;
  const peakRssMiB = Number(readFileSync(rssFile, 'utf8')) / 1024; // maxRSS is in KiB
  return { wallMs, peakRssMiB, exitCode };
}

function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}

async function main(argv: string[]): Promise<number> {
  const o = parseArgs(argv);
  const objects = syntheticMesh(o);
  const counts: Record<string, number> = {};
  for (const obj of objects) counts[obj.kind] = (counts[obj.kind] ?? 0) + 1;
  const work = mkdtempSync(path.join(os.tmpdir(), 'meshlint-bench-audit-'));
  const server = await startFakeApiServer({ objects, tokens: [TOKEN] });
  try {
    writeFileSync(path.join(work, 'rss-hook.mjs'), "import { writeFileSync } from 'node:fs';\nprocess.on('exit', () => writeFileSync(process.env.MESHLINT_BENCH_RSS_FILE, String(process.resourceUsage().maxRSS)));\n");
    const kc = path.join(work, 'kubeconfig');
    writeFileSync(kc, singleContextKubeconfig('bench', server.url, TOKEN, server.caPem));
    const home = path.join(work, 'home');
    mkdirSync(home);
    const env: NodeJS.ProcessEnv = { PATH: process.env.PATH, HOME: home, NO_COLOR: '1' };
    const dump = path.join(work, 'dump');

    // Not measured: one audit that writes the dump `check` then reads (and warms the file system cache).
    const dumped = await measure(['audit', '--kubeconfig', kc, '-f', 'json', '-o', path.join(work, 'dump-run.json'), '--dump', dump], env, work);
    if (dumped.exitCode === 2 || dumped.exitCode === null) throw new Error('the audit that writes the dump failed');
    const requestsPerAudit = server.requests.length;
    const connectionsPerAudit = server.connections;
    const auditFindings = (JSON.parse(readFileSync(path.join(work, 'dump-run.json'), 'utf8')) as { findings: Array<{ ruleId: string }> }).findings;
    const findingsPerAudit = auditFindings.length;
    const findingsByRule: Record<string, number> = {};
    for (const f of auditFindings) findingsByRule[f.ruleId] = (findingsByRule[f.ruleId] ?? 0) + 1;

    const audit: RunResult[] = [];
    const check: RunResult[] = [];
    for (let i = 0; i < o.runs; i++) {
      audit.push(await measure(['audit', '--kubeconfig', kc, '-f', 'json', '-o', path.join(work, `audit-${i}.json`)], env, work));
      check.push(await measure(['check', dump, '-f', 'json', '-o', path.join(work, `check-${i}.json`)], env, work));
    }
    const checkFindings = (JSON.parse(readFileSync(path.join(work, 'check-0.json'), 'utf8')) as { findings: unknown[] }).findings.length;
    const summary = (runs: RunResult[]) => ({ wallMs: Math.round(median(runs.map((r) => r.wallMs))), peakRssMiB: Math.round(median(runs.map((r) => r.peakRssMiB))), runs });
    const result = {
      benchmark: 'meshlint audit vs check',
      date: new Date().toISOString(),
      environment: { node: process.version, platform: `${os.platform()} ${os.release()}`, arch: os.arch(), cpus: os.cpus().length, cpuModel: os.cpus()[0]?.model ?? 'unknown', memoryGiB: Math.round(os.totalmem() / 2 ** 30) },
      input: { objects: objects.length, istioObjects: o.istio, workloads: o.workloads, namespaces: o.namespaces, byKind: counts, dumpFiles: readdirSync(dump).length },
      audit: { ...summary(audit), requests: requestsPerAudit, tlsConnections: connectionsPerAudit, findings: findingsPerAudit, findingsByRule },
      check: { ...summary(check), findings: checkFindings },
    };
    mkdirSync(path.dirname(o.out), { recursive: true });
    writeFileSync(o.out, JSON.stringify(result, null, 2) + '\n');

    const rows = [
      ['', 'wall time (median)', 'peak RSS (median)', 'findings'],
      [`audit (${objects.length.toLocaleString('en-US')} objects over HTTPS, ${requestsPerAudit} requests, ${connectionsPerAudit} connections)`, `${result.audit.wallMs.toLocaleString('en-US')} ms`, `${result.audit.peakRssMiB} MiB`, String(findingsPerAudit)],
      [`check (the same objects, ${result.input.dumpFiles} dump files)`, `${result.check.wallMs.toLocaleString('en-US')} ms`, `${result.check.peakRssMiB} MiB`, String(checkFindings)],
    ];
    const widths = rows[0].map((_, i) => rows.reduce((w, r) => Math.max(w, r[i].length), 0));
    for (const r of rows) process.stdout.write(r.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ') + '\n');
    process.stdout.write(`${o.runs} runs each, node ${process.version}, ${os.cpus().length} CPUs; results in ${path.relative(process.cwd(), o.out) || o.out}\n`);
    if (findingsPerAudit !== checkFindings) {
      process.stderr.write(`bench: audit found ${findingsPerAudit} findings, check of the dump ${checkFindings}: they should be equal\n`);
      return 1;
    }
    return 0;
  } finally {
    await server.close();
    rmSync(work, { recursive: true, force: true });
  }
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(`bench-audit: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exitCode = 2;
  },
);
