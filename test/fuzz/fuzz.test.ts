import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { runCli, tempDir } from '../helpers/cli.js';
import { ROOT } from '../helpers/paths.js';
import { caseArbitrary, caseInput, checkInput, exitCodeOf, fuzzProperty, seedFiles } from './harness.js';
import { startFakeApiServer } from '../helpers/fake-apiserver.js';
import { TOKEN } from '../helpers/kube.js';
import { apiServerCaseArbitrary, checkApiServerCase, fuzzRoot, hostileBody, outputTargetProperty, type ApiServerCase } from './hostile.js';

/** Fixed seed and size of the run in the test suite; `npm run fuzz` runs longer with a random seed. */
const SEED = 7_2026;
const RUNS = 2500;

describe('fuzz: mutated real manifests through check()', () => {
  const { seeds, corpus } = seedFiles();

  it(`${RUNS} mutated inputs (seed ${SEED}): no crash, located findings, parse/schema/cache oracles, exit 0/1/2, reporters render`, async (t) => {
    if (!corpus) t.diagnostic('shared Istio corpus absent (CI): mutating the fixtures only');
    assert.ok(seeds.length >= 3, 'seed manifests found');
    const { dir, cleanup } = tempDir('meshlint-fuzz-cache-');
    try {
      await fc.assert(fuzzProperty(seeds, { cacheDir: dir }), { seed: SEED, numRuns: RUNS, endOnFailure: true });
    } finally {
      cleanup();
    }
  });

  it('a few mutated inputs through the real CLI: exit code as in-process, JSON on stdout, no stack trace', async () => {
    const cases = fc.sample(caseArbitrary(seeds.length), { seed: SEED, numRuns: 8 });
    for (const c of cases) {
      const input = caseInput(c, seeds);
      const expected = exitCodeOf(await checkInput(input));
      const r = runCli(['check', '-', '-f', 'json'], { cwd: ROOT, input });
      assert.equal(r.code, expected, `${JSON.stringify(c)}: ${r.stderr}`);
      assert.doesNotMatch(r.stderr, /\n\s+at /, 'no stack trace');
      JSON.parse(r.stdout);
    }
  });

  it('the harness itself catches a broken invariant (a finding outside the text would fail)', async () => {
    // Sanity check of the oracle: unparsable input must yield a parse-error finding, which checkInput verifies.
    const result = await checkInput(Buffer.from('a: [1, 2\n'));
    assert.ok(result.findings.some((f) => f.ruleId === 'parse-error'));
    // And a mutation really changes the input.
    const input = caseInput({ seed: 0, mutations: [{ kind: 'truncate', at: 0.5 }] }, seeds);
    assert.ok(input.length < Buffer.byteLength(seeds[0]!.text));
  });
});

describe('fuzz: output targets and a hostile API server (issue 14)', () => {
  it('300 output targets (devices, FIFOs, symlinks, read-only files, directories, hostile names): written into or refused, never replaced', () => {
    const { root, cleanup } = fuzzRoot();
    try {
      fc.assert(outputTargetProperty(root), { seed: SEED, numRuns: 300, endOnFailure: true });
    } finally {
      cleanup();
    }
  });

  it('25 hostile API server answers (crafted names, junk items, endless and repeated continue tokens, big pages): bounded, names checked, dump beneath its directory', async () => {
    let current: ApiServerCase | undefined;
    const server = await startFakeApiServer({ tokens: [TOKEN], hostileList: ({ plural, count }) => (current && plural === current.plural ? hostileBody(current, count) : undefined) });
    const { root, cleanup } = fuzzRoot();
    try {
      await fc.assert(
        fc.asyncProperty(apiServerCaseArbitrary(), async (c) => {
          current = c;
          await checkApiServerCase(c, server, root);
        }),
        { seed: SEED, numRuns: 25, endOnFailure: true },
      );
    } finally {
      cleanup();
      await server.close();
    }
  });
});
