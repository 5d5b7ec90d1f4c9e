/**
 * `npm run fuzz` (issue 7): the fuzzing harness of `test/fuzz/harness.ts` for longer, with a random seed
 * (printed first, so a failure can be replayed). Usage: `npm run fuzz -- [--runs N] [--seed S]`.
 * A failure prints the shrunk counterexample and exits 1; turn it into a case of `test/fuzz/regressions.test.ts`.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { caseInput, fuzzProperty, seedFiles, type FuzzCase } from '../test/fuzz/harness.js';

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

const runs = Number(arg('--runs') ?? 20_000);
const seed = arg('--seed') !== undefined ? Number(arg('--seed')) : Math.floor(Math.random() * 2 ** 31);
const { seeds, corpus } = seedFiles();
process.stdout.write(`fuzz: seed ${seed}, ${runs} runs, ${seeds.length} seed manifests${corpus ? ' (fixtures + shared Istio corpus)' : ' (fixtures only)'}\n`);
const started = Date.now();
// The parse cache oracle writes its entries here; removed when the run ends.
const cacheDir = mkdtempSync(join(tmpdir(), 'meshlint-fuzz-cache-'));
let details: fc.RunDetails<[FuzzCase]>;
try {
  details = await fc.check(fuzzProperty(seeds, { cacheDir }), { seed, numRuns: runs, endOnFailure: true });
} finally {
  rmSync(cacheDir, { recursive: true, force: true });
}
if (details.failed) {
  const [c] = details.counterexample ?? [];
  process.stdout.write(`FAILED after ${details.numRuns} runs (seed ${seed}, path ${details.counterexamplePath})\n`);
  process.stdout.write(`counterexample: ${JSON.stringify(c)}\n`);
  if (c) {
    const input = caseInput(c, seeds);
    process.stdout.write(`input: ${input.length} bytes; first 4 KiB (base64): ${input.subarray(0, 4096).toString('base64')}\n`);
  }
  process.stdout.write(`error: ${details.errorInstance instanceof Error ? details.errorInstance.message : String(details.errorInstance)}\n`);
  process.exitCode = 1;
} else {
  process.stdout.write(`ok: ${details.numRuns} runs in ${((Date.now() - started) / 1000).toFixed(1)} s, no failure (seed ${seed})\n`);
}
