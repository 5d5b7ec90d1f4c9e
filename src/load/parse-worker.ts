/**
 * Parse worker (see `parallel.ts`): reads and parses the files of one {@link ParseJob} and posts back one
 * `FileParse` per file, in order, in a single message.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { readAndParse } from './file-parse.js';
import type { ParseJob } from './parallel.js';

const job = workerData as ParseJob;
parentPort?.postMessage(job.files.map((path) => readAndParse(path, job.cwd, job.maxFileBytes)));
