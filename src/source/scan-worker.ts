/**
 * Source scanning worker (see `isolated.ts`): loads one engine of `SCANNERS`, warms it up, posts `ready`, then
 * scans each file path it is sent and posts the result. It runs under the heap cap and the per-file timer the
 * main thread sets, and is terminated when a file exceeds either.
 */
import path from 'node:path';
import { parentPort, workerData } from 'node:worker_threads';
import { SCANNERS, type SourceScanOptions } from './index.js';
import type { ScanWorkerMessage, ScanWorkerStart } from './isolated.js';

const start = workerData as ScanWorkerStart;
const entry = SCANNERS.find((s) => s.engine === start.engine);
if (!entry?.load) throw new Error(`no source scanner named ${start.engine}`);
const scan = await entry.load();
const options = start.options as SourceScanOptions;
// The scanners import their engine (ESLint and its parser, the tree-sitter grammars) on their first call, before
// reading any file: a call with paths that do not exist loads them, so no file's clock pays for it.
const missing = path.join(path.parse(options.cwd).root, 'nonexistent-meshlint-warm-up', String(process.pid));
await scan(start.warmUp.map((ext) => path.join(missing, `warm-up${ext}`)), options);
parentPort!.on('message', (file: string) => {
  void scan([file], options).then((result) => parentPort!.postMessage({ file, result } satisfies ScanWorkerMessage));
});
parentPort!.postMessage({ ready: true } satisfies ScanWorkerMessage);
