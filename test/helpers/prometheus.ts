/**
 * A real Prometheus server for tests (Debian's `prometheus` package, which brings `promtool`): series written as
 * OpenMetrics text are turned into TSDB blocks with `promtool tsdb create-blocks-from openmetrics` in a temporary
 * data directory, and `prometheus` is started on 127.0.0.1 on a free port with a configuration of our own (no
 * scrape jobs; the Debian package's service and default configuration play no part). `close()` stops it and
 * removes the directory.
 */
import { execFile, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import https from 'node:https';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** Whether `prometheus` and `promtool` are installed (tests skip with a reason when not). */
export function havePrometheus(): boolean {
  return ['prometheus', 'promtool'].every((bin) => spawnSync('sh', ['-c', `command -v ${bin}`]).status === 0);
}

/** A counter or gauge series: its labels and a value at each timestamp (Unix seconds). */
export interface Series {
  name: string;
  type: 'counter' | 'gauge';
  labels: Record<string, string>;
  /** [Unix seconds, value], in increasing time order. */
  samples: [number, number][];
}

/** A counter increasing at `rate(t)` per second, sampled every `step` seconds from `start` to `end`. */
export function counterSamples(start: number, end: number, step: number, rate: (t: number) => number): [number, number][] {
  const out: [number, number][] = [];
  let value = 0;
  for (let t = start; t <= end; t += step) {
    out.push([t, Math.round(value * 1000) / 1000]);
    value += rate(t) * step;
  }
  return out;
}

/** A gauge with `value(t)`, sampled every `step` seconds. */
export function gaugeSamples(start: number, end: number, step: number, value: (t: number) => number): [number, number][] {
  const out: [number, number][] = [];
  for (let t = start; t <= end; t += step) out.push([t, value(t)]);
  return out;
}

/** The series as OpenMetrics text (families grouped, `# EOF` last), as `promtool tsdb create-blocks-from openmetrics` reads it. */
export function openMetrics(series: readonly Series[]): string {
  const families = new Map<string, Series[]>();
  for (const s of series) families.set(s.name, [...(families.get(s.name) ?? []), s]);
  const lines: string[] = [];
  for (const [name, list] of families) {
    const family = list[0]!.type === 'counter' ? name.replace(/_total$/, '') : name;
    lines.push(`# TYPE ${family} ${list[0]!.type}`);
    for (const s of list) {
      const labels = Object.entries(s.labels).map(([k, v]) => `${k}=${JSON.stringify(v)}`).join(',');
      for (const [t, v] of s.samples) lines.push(`${name}{${labels}} ${v} ${t}`);
    }
  }
  lines.push('# EOF');
  return lines.join('\n') + '\n';
}

/** A running Prometheus. */
export interface TestPrometheus {
  /** `http://127.0.0.1:PORT` */
  url: string;
  /** Stops the server and removes its data directory. */
  close(): Promise<void>;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

/**
 * Writes `series` into a fresh TSDB and starts Prometheus on it.
 * @param extraArgs more `prometheus` flags, e.g. `--query.timeout=1ms` to make every query time out, or
 *   `--web.config.file=…` for basic auth or TLS.
 * @param tlsCaPem when the web config turns TLS on: the CA that signed the server's certificate (the URL is then https).
 */
export async function startPrometheus(series: readonly Series[], extraArgs: string[] = [], tlsCaPem?: string): Promise<TestPrometheus> {
  const dir = await mkdtemp(path.join(tmpdir(), 'meshlint-prom-'));
  const data = path.join(dir, 'data');
  let child: ChildProcess | undefined;
  try {
    await writeFile(path.join(dir, 'series.om'), openMetrics(series));
    await run('promtool', ['tsdb', 'create-blocks-from', 'openmetrics', path.join(dir, 'series.om'), data], { maxBuffer: 16 * 1024 * 1024 });
    await writeFile(path.join(dir, 'prometheus.yml'), 'global:\n  scrape_interval: 1h\n');
    const port = await freePort();
    const url = `${tlsCaPem ? 'https' : 'http'}://127.0.0.1:${port}`;
    // Ready when /-/ready answers (401 counts: a web config with basic auth guards it too).
    const probe = (): Promise<boolean> =>
      tlsCaPem
        ? new Promise((resolve) => {
            https.get(`${url}/-/ready`, { ca: tlsCaPem }, (res) => {
              res.resume();
              resolve(res.statusCode === 200 || res.statusCode === 401);
            }).on('error', () => resolve(false));
          })
        : fetch(`${url}/-/ready`).then((r) => r.ok || r.status === 401, () => false);
    child = spawn('prometheus', [
      `--config.file=${path.join(dir, 'prometheus.yml')}`,
      `--storage.tsdb.path=${data}`,
      `--web.listen-address=127.0.0.1:${port}`,
      // Blocks hold samples from the test's own clock; keep them whatever their age.
      '--storage.tsdb.retention.time=100y',
      ...extraArgs,
    ], { stdio: ['ignore', 'ignore', 'pipe'] });
    let log = '';
    child.stderr!.on('data', (chunk: Buffer) => {
      log = (log + chunk.toString()).slice(-4000);
    });
    const exited = new Promise<never>((_, reject) => child!.once('exit', (code) => reject(new Error(`prometheus exited with ${code}: ${log}`))));
    const deadline = Date.now() + 30_000;
    for (;;) {
      const ready = await Promise.race([probe(), exited]);
      if (ready) break;
      if (Date.now() > deadline) throw new Error(`prometheus not ready after 30 s: ${log}`);
      await new Promise((r) => setTimeout(r, 200));
    }
    exited.catch(() => undefined);
    const started = child;
    return {
      url,
      async close() {
        if (started.exitCode === null) {
          const gone = new Promise((r) => started.once('exit', r));
          started.kill('SIGTERM');
          await gone;
        }
        await rm(dir, { recursive: true, force: true });
      },
    };
  } catch (error) {
    if (child && child.exitCode === null) child.kill('SIGKILL');
    await rm(dir, { recursive: true, force: true });
    throw error;
  }
}
