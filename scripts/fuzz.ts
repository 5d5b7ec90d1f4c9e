/**
 * `npm run fuzz` (issue 7): the fuzzing harness of `test/fuzz/harness.ts` for longer, with a random seed
 * (printed first, so a failure can be replayed). Usage: `npm run fuzz -- [--runs N] [--seed S] [--mode M]`, where
 * M is `manifests` (the default: mutated manifests through check()), `outputs` (writeOutputFile at devices, FIFOs,
 * symlinks, read-only files and hostile names) or `apiserver` (readCluster and dumpObjects against a hostile API
 * server on loopback), both from `test/fuzz/hostile.ts`.
 * A failure prints the shrunk counterexample and exits 1; turn it into a case of `test/fuzz/regressions.test.ts`.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { caseInput, fuzzProperty, seedFiles, type FuzzCase } from '../test/fuzz/harness.js';
import { apiServerCaseArbitrary, checkApiServerCase, fuzzRoot, hostileBody, outputTargetProperty, type ApiServerCase } from '../test/fuzz/hostile.js';
import { startFakeApiServer } from '../test/helpers/fake-apiserver.js';
import { TOKEN } from '../test/helpers/kube.js';

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

const runs = Number(arg('--runs') ?? 20_000);
const seed = arg('--seed') !== undefined ? Number(arg('--seed')) : Math.floor(Math.random() * 2 ** 31);
const mode = arg('--mode') ?? 'manifests';
if (mode === 'outputs' || mode === 'apiserver') {
  process.stdout.write(`fuzz: ${mode}, seed ${seed}, ${runs} runs\n`);
  const { root, cleanup } = fuzzRoot();
  let current: ApiServerCase | undefined;
  const server = mode === 'apiserver' ? await startFakeApiServer({ tokens: [TOKEN], hostileList: ({ plural, count }) => (current && plural === current.plural ? hostileBody(current, count) : undefined) }) : undefined;
  try {
    const property = server
      ? fc.asyncProperty(apiServerCaseArbitrary(), async (c) => {
          current = c;
          await checkApiServerCase(c, server, root);
        })
      : outputTargetProperty(root);
    const details = await fc.check(property as fc.IAsyncProperty<[unknown]>, { seed, numRuns: runs, endOnFailure: true });
    if (details.failed) {
      process.stdout.write(`FAILED (seed ${seed}, path ${details.counterexamplePath}): ${JSON.stringify(details.counterexample)}\nerror: ${details.errorInstance instanceof Error ? details.errorInstance.message : String(details.errorInstance)}\n`);
      process.exitCode = 1;
    } else {
      process.stdout.write(`ok: ${details.numRuns} runs, no failure (seed ${seed})\n`);
    }
  } finally {
    cleanup();
    await server?.close();
  }
  process.exit();
}
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
