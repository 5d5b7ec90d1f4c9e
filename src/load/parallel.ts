/**
 * Parallel parsing of large inputs (issue 7, "two cores"): the files are cut into contiguous runs by size;
 * worker threads (`parse-worker.ts`) read and parse some runs while the main thread parses the first one, and
 * the results come back by structured clone, in chunks of about 2 MiB of input (a file's documents and its
 * position store travel in one message, so shared YAML anchors stay shared). Results are in discovery order,
 * identical to a single-threaded parse.
 *
 * When it pays: not on the 2-core machines measured so far. A worker costs about 40 ms to start, and moving its
 * documents to the main thread (structured clone) costs the main thread about a quarter of what parsing them
 * would; with two cores the worker competes with the main thread and the garbage collector for the second
 * core, and `npm run bench` measured 0.88–0.91× at 10,000 objects and 0.81–1.01× at 100,000 in three runs (25–30 % more CPU).
 * So workers are off unless asked for: `MESHLINT_PARSE_WORKERS=N` starts N of them (for machines with cores
 * to spare; measure with `npm run bench`). A worker that fails to start or dies leaves its files to the main
 * thread: the result is the same.
 */
import { statSync } from 'node:fs';
import { isAbsolute, join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { readAndParse, type FileParse } from './file-parse.js';
import { PositionIndex } from './positions.js';

/** Most parse workers started, whatever `MESHLINT_PARSE_WORKERS` asks for. */
export const MAX_PARSE_WORKERS = 16;
/** Share of the bytes the main thread parses, relative to one worker's share (it starts at once, but must also receive the workers' results). */
const MAIN_SHARE = 1.15;

/** What the main thread sends a parse worker. */
export interface ParseJob {
  files: string[];
  /** Size of each file, bytes (for chunking). */
  sizes: number[];
  cwd: string;
  maxFileBytes: number;
}

/** What a parse worker posts: parses of the next files, in order, then `done`. */
export type ParseChunk = { parses: FileParse[]; done?: undefined } | { done: true; parses?: undefined };

/**
 * Number of parse workers to start: `MESHLINT_PARSE_WORKERS` (a whole number, at most {@link MAX_PARSE_WORKERS}),
 * 0 when it is unset or not a whole number. Inputs with a single file (or standard input) are parsed on the
 * main thread whatever it says.
 */
export function parseWorkerCount(files: number, env: NodeJS.ProcessEnv = process.env): number {
  const n = Number(env.MESHLINT_PARSE_WORKERS ?? '0');
  if (!Number.isInteger(n) || n <= 0 || files < 2) return 0;
  return Math.min(n, MAX_PARSE_WORKERS, files - 1);
}

/**
 * Reads and parses `paths` (discovery order; `-` is standard input), on worker threads as well as this one
 * when `MESHLINT_PARSE_WORKERS` asks for them ({@link parseWorkerCount}). Never throws for bad input; returns one {@link FileParse} per path, in order.
 */
export async function parseInParallel(paths: readonly string[], cwd: string, maxFileBytes: number, stdin?: () => Buffer): Promise<FileParse[]> {
  const workers = paths.includes('-') ? 0 : parseWorkerCount(paths.length);
  if (workers === 0) return paths.map((p) => readAndParse(p, cwd, maxFileBytes, stdin));
  const sizes = paths.map((p) => sizeOf(isAbsolute(p) ? p : join(cwd, p)));
  const total = sizes.reduce((a, b) => a + b, 0);

  // Contiguous runs by size: the main thread's run first.
  const unit = total / (MAIN_SHARE + workers);
  const runs: { files: string[]; sizes: number[] }[] = [{ files: [], sizes: [] }];
  let limit = unit * MAIN_SHARE;
  let acc = 0;
  paths.forEach((p, i) => {
    if (acc >= limit && runs.length <= workers) {
      runs.push({ files: [], sizes: [] });
      limit += unit;
    }
    runs[runs.length - 1]!.files.push(p);
    runs[runs.length - 1]!.sizes.push(sizes[i]!);
    acc += sizes[i]!;
  });
  const [mine, ...theirs] = runs;
  const pending = theirs.map((run) => startWorker({ ...run, cwd, maxFileBytes }));
  const out: FileParse[] = mine!.files.map((p) => readAndParse(p, cwd, maxFileBytes, stdin));
  for (let k = 0; k < theirs.length; k++) {
    const result = await pending[k]!;
    // A worker that failed part-way: its remaining files are parsed here.
    const files = theirs[k]!.files;
    for (const p of result) out.push(p);
    for (let i = result.length; i < files.length; i++) out.push(readAndParse(files[i]!, cwd, maxFileBytes, stdin));
  }
  return out;
}

function sizeOf(path: string): number {
  try {
    return statSync(path).size;
  } catch {
    return 0; // reported when it is read
  }
}

/** Runs one job on a new worker; resolves with the parses it delivered, in order (all of them unless it failed). */
function startWorker(job: ParseJob): Promise<FileParse[]> {
  return new Promise((resolve) => {
    const parses: FileParse[] = [];
    let worker: Worker;
    try {
      worker = new Worker(new URL('./parse-worker.js', import.meta.url), { workerData: job });
    } catch {
      resolve(parses);
      return;
    }
    let settled = false;
    const settle = () => {
      if (settled) return;
      settled = true;
      resolve(parses);
      void worker.terminate();
    };
    worker.on('message', (message: ParseChunk) => {
      if (message.done) settle();
      else for (const p of revive(message.parses)) parses.push(p);
    });
    worker.once('error', settle);
    worker.once('exit', settle);
  });
}

/** Restores the classes structured clone dropped (position indexes and their stores). */
function revive(parses: FileParse[]): FileParse[] {
  for (const p of parses) for (const d of p.parsed?.documents ?? []) PositionIndex.revive(d.positions);
  return parses;
}
