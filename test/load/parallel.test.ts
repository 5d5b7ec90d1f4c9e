import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { writeMesh } from '../../scripts/bench/mesh-generator.js';
import { loadInputs, loadInputsParallel, type Loaded } from '../../src/load/index.js';
import { parseWorkerCount } from '../../src/load/parallel.js';
import { tempDir } from '../helpers/cli.js';

/** What must be identical between a single-threaded and a parallel load. */
function summary(l: Loaded) {
  return {
    objects: l.objects.map((o) => ({ ref: o.ref, order: o.order, file: o.origin.file, doc: o.origin.docIndex, raw: o.raw, at: o.origin.positions?.resolve(['spec', 'http', 0, 'retries', 'attempts']) })),
    findings: l.findings,
    errors: l.errors,
    stats: l.stats,
    notMappings: l.notMappings.map((n) => ({ file: n.origin.file, got: n.got, at: n.origin.positions?.resolve([]) })),
  };
}

describe('parallel parsing (worker threads)', () => {
  let dir: string;
  let cleanup: () => void;
  const saved = process.env.MESHLINT_PARSE_WORKERS;
  before(() => {
    ({ dir, cleanup } = tempDir());
    writeMesh(dir, { objects: 1500, seed: 11 });
    // Bad files spread over the tree: a parse error, a non-mapping document, a binary file.
    writeFileSync(join(dir, 'team-000', 'zz-broken.yaml'), 'apiVersion: v1\nkind: Service\nmetadata: {name: [unclosed\n');
    writeFileSync(join(dir, 'team-001', 'zz-scalar.yaml'), 'just text\n');
    writeFileSync(join(dir, 'team-002', 'zz-binary.yaml'), Buffer.from([1, 0, 2, 0]));
  });
  after(() => {
    if (saved === undefined) delete process.env.MESHLINT_PARSE_WORKERS;
    else process.env.MESHLINT_PARSE_WORKERS = saved;
    cleanup();
  });

  it('gives the same objects, order, positions, findings and counts as a single-threaded load', async () => {
    const options = { paths: [dir], cwd: dir, defaultNamespace: 'default', parseErrorSeverity: 'error' as const };
    const single = loadInputs(options);
    for (const workers of ['1', '2', '3']) {
      process.env.MESHLINT_PARSE_WORKERS = workers;
      const parallel = await loadInputsParallel(options);
      assert.deepEqual(summary(parallel), summary(single), `${workers} workers`);
    }
    assert.ok(single.objects.length >= 1500);
    assert.equal(single.findings.filter((f) => f.ruleId === 'parse-error').length, 2, 'the broken and the binary file');
  });

  it('uses workers only when MESHLINT_PARSE_WORKERS asks for them (off by default: they did not pay on 2 cores)', () => {
    assert.equal(parseWorkerCount(1000, {}), 0);
    assert.equal(parseWorkerCount(1000, { MESHLINT_PARSE_WORKERS: '0' }), 0);
    assert.equal(parseWorkerCount(1000, { MESHLINT_PARSE_WORKERS: '2' }), 2);
    assert.equal(parseWorkerCount(2, { MESHLINT_PARSE_WORKERS: '8' }), 1, 'never more workers than files beyond the first');
    assert.equal(parseWorkerCount(1, { MESHLINT_PARSE_WORKERS: '2' }), 0);
    assert.equal(parseWorkerCount(1000, { MESHLINT_PARSE_WORKERS: 'lots' }), 0);
  });
});
