/**
 * Per-file time and memory limits for source scanning (issue 14, item 10). Neither ESLint's `Linter#verify` nor
 * a tree-sitter query can be interrupted from the thread that runs it, so files at or above
 * {@link SourceIsolation.minBytes} are scanned on a `worker_threads` Worker (`scan-worker.ts`) with a heap cap
 * (`resourceLimits.maxOldGenerationSizeMb`) and a wall-clock timer per file. When the timer fires the worker is
 * terminated; when the heap cap is hit Node.js ends the worker with `ERR_WORKER_OUT_OF_MEMORY`. Either way the
 * file becomes an `errors` entry that says why (a `parse-error` finding, like a file over `--max-source-size`),
 * and a fresh worker scans the files after it.
 *
 * Smaller files stay on the main thread, where a run over hand-written code (files far below 128 KiB) starts no
 * worker at all: a worker costs a thread start and a second load of the engine (importing ESLint and its parser took
 * 1.0–1.3 s of CPU on the shared 2-core machine) whenever small files are scanned too. A file below the threshold cannot run long: the
 * JS/TS scanner's cost is linear, about 10 s of CPU and 640 MiB per MiB of dense code, so 128 KiB is about 1.3 s.
 * On the worker the same scan costs about 9 MiB and 0.05 s more (`npm run bench`, section "limits").
 */
import { statSync } from 'node:fs';
import path from 'node:path';
import { Worker } from 'node:worker_threads';
import type { SourceScanResult } from './types.js';

/**
 * Default wall-clock limit per isolated source file, seconds: a 1 MiB file of dense JS (the default
 * `--max-source-size`) needs about 13 s of CPU (docs/robustness.md); on a machine shared with other work a
 * thread gets a fraction of a core (at load 20 on 2 cores, 1 MiB took over 60 s), so the limit leaves 10× room.
 */
export const DEFAULT_SOURCE_TIMEOUT_SECONDS = 120;
/** Default heap cap of the scanning worker, MiB: scanning 1 MiB of dense JS (the default `--max-source-size`) peaks at about 640 MiB of process memory (docs/robustness.md), so the cap leaves twice that. */
export const DEFAULT_SOURCE_MAX_HEAP_MIB = 1536;
/** Default size from which a file is scanned on a worker, bytes (128 KiB; see the module comment). */
export const DEFAULT_ISOLATE_MIN_BYTES = 128 * 1024;

/** How files are isolated while scanned. */
export interface SourceIsolation {
  /** Wall-clock limit per file, seconds (`--source-timeout`, `source.timeoutSeconds`). */
  timeoutSeconds: number;
  /** Heap cap of the worker, MiB (`--source-max-heap`, `source.maxHeapMiB`). */
  maxHeapMiB: number;
  /** Files of at least this many bytes are scanned on the worker; 0 sends every file there. */
  minBytes: number;
}

/** What the main thread sends the worker: once at start (`workerData`), then one file per message. */
export interface ScanWorkerStart {
  /** Engine name of an entry of `SCANNERS` (`eslint`, `tree-sitter`). */
  engine: string;
  /** Options of the scan (`SourceScanOptions`), structured-cloned. */
  options: unknown;
  /** Extensions present among the files (with the dot): the worker loads their engines before the first file's clock starts. */
  warmUp: string[];
}

/** What the worker posts: `ready` once its engine is loaded, then one result per file it was sent. */
export type ScanWorkerMessage = { ready: true } | { file: string; result: SourceScanResult };

/** Adds `result`'s findings, call sites, counts, errors and skipped files to `out` (a loop: results can be large). */
export function appendScanResult(out: SourceScanResult, result: SourceScanResult): void {
  for (const f of result.findings) out.findings.push(f);
  for (const s of result.callSites) out.callSites.push(s);
  out.filesScanned += result.filesScanned;
  for (const e of result.errors) out.errors.push(e);
  for (const s of result.skipped ?? []) (out.skipped ??= []).push(s);
}

/** Size of a file in bytes, or 0 when it cannot be stat'ed (the scanner reports why when it reads it). */
export function sourceFileBytes(file: string, cwd: string): number {
  try {
    return statSync(path.resolve(cwd, file)).size;
  } catch {
    return 0;
  }
}

/**
 * Scans `files` one at a time on a worker running `engine`, each file within `limits.timeoutSeconds` of wall
 * clock and the worker within `limits.maxHeapMiB` of heap. A file that runs out of either is an `errors` entry
 * (`file: took longer than 120 s (raise it with --source-timeout)`); the worker is then replaced and the next file goes on. Never throws: a worker that
 * cannot start or fails for another reason makes its current file an `errors` entry with the reason.
 */
export async function scanIsolated(engine: string, files: readonly string[], options: { cwd: string } & Record<string, unknown>, limits: SourceIsolation): Promise<SourceScanResult> {
  const out: SourceScanResult = { findings: [], callSites: [], filesScanned: 0, errors: [] };
  const warmUp = [...new Set(files.map((f) => path.extname(f).toLowerCase()))];
  let next = 0;
  while (next < files.length) {
    next = await runWorker({ engine, options, warmUp }, files, next, limits, out);
  }
  return out;
}

/** Runs one worker from `files[start]` until the files end or one fails it; returns the index of the next file to scan. */
function runWorker(start: ScanWorkerStart, files: readonly string[], first: number, limits: SourceIsolation, out: SourceScanResult): Promise<number> {
  return new Promise((resolve) => {
    let current = first;
    let timer: NodeJS.Timeout | undefined;
    let done = false;
    let worker: Worker;
    const finish = (next: number) => {
      if (done) return;
      done = true;
      if (timer) clearTimeout(timer);
      // terminate() stops JavaScript at once; a native call in progress (a tree-sitter parse) ends first, so the
      // thread must not keep the process alive meanwhile.
      worker.unref();
      void worker.terminate().catch(() => undefined);
      resolve(next);
    };
    const fail = (reason: string) => {
      if (done) return;
      const file = files[current]!;
      out.errors.push({ file, message: `${file}: ${reason}` });
      finish(current + 1);
    };
    const send = () => {
      if (current >= files.length) return finish(current);
      timer = setTimeout(() => fail(`took longer than ${limits.timeoutSeconds} s (raise it with --source-timeout)`), limits.timeoutSeconds * 1000);
      worker.postMessage(files[current]);
    };
    try {
      worker = new Worker(new URL('./scan-worker.js', import.meta.url), {
        workerData: start,
        resourceLimits: { maxOldGenerationSizeMb: limits.maxHeapMiB },
        stdout: true,
        stderr: true,
      });
    } catch (e) {
      const file = files[current]!;
      out.errors.push({ file, message: `${file}: cannot start a scanning worker: ${(e as Error).message}` });
      resolve(current + 1);
      return;
    }
    // Nothing a scanner prints belongs in meshlint's output.
    worker.stdout.resume();
    worker.stderr.resume();
    worker.on('message', (message: ScanWorkerMessage) => {
      if (done) return;
      if ('ready' in message) return send();
      if (timer) clearTimeout(timer);
      appendScanResult(out, message.result);
      current++;
      send();
    });
    worker.once('error', (e: Error & { code?: string }) => {
      if (e.code === 'ERR_WORKER_OUT_OF_MEMORY') fail(`needed more than the ${limits.maxHeapMiB} MiB heap (raise it with --source-max-heap)`);
      else fail(`the scanning worker failed: ${e.message.split('\n')[0]}`);
    });
    worker.once('exit', (code) => fail(`the scanning worker exited with code ${code}`));
  });
}
