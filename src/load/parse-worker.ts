/**
 * Parse worker (see `parallel.ts`): reads and parses the files of one {@link ParseJob} and posts them back in
 * order, in chunks of about {@link CHUNK_BYTES} of input, so that neither thread holds much more than one
 * chunk twice; then posts `{ done: true }`.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { readAndParse, type FileParse } from './file-parse.js';
import type { ParseChunk, ParseJob } from './parallel.js';

/** Input bytes per message. */
const CHUNK_BYTES = 2 * 1024 * 1024;

const job = workerData as ParseJob;
let chunk: FileParse[] = [];
let bytes = 0;
const flush = () => {
  if (chunk.length) parentPort?.postMessage({ parses: chunk } satisfies ParseChunk);
  chunk = [];
  bytes = 0;
};
job.files.forEach((path, i) => {
  chunk.push(readAndParse(path, job.cwd, job.maxFileBytes));
  bytes += job.sizes[i] ?? 0;
  if (bytes >= CHUNK_BYTES) flush();
});
flush();
parentPort?.postMessage({ done: true } satisfies ParseChunk);
