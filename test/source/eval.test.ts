import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, it } from 'node:test';
import { evaluate, formatTable } from '../../src/source/eval.js';
import { ROOT } from '../helpers/paths.js';

/** Thresholds of issue 3: the suite fails below them. */
const MIN_PRECISION = 0.9;
const MIN_RECALL = 0.85;
/** The JavaScript/TypeScript rules; each must be exercised by the corpus. */
const JS_RULES = ['app-retries', 'client-per-request', 'db-client-per-request', 'keepalive-disabled-client'];

function corpusFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) return corpusFiles(p);
    return /\.(c|m)?(j|t)sx?$/.test(name) ? [p] : [];
  });
}

describe('labelled JS/TS corpus (fixtures/source/javascript)', () => {
  const dir = join(ROOT, 'fixtures', 'source', 'javascript');

  it('has at least 15 must-fire and 15 must-not-fire files', () => {
    const files = corpusFiles(dir);
    const labelled = files.filter((f) => readFileSync(f, 'utf8').includes('// expect:'));
    assert.ok(labelled.length >= 15, `${labelled.length} must-fire files`);
    assert.ok(files.length - labelled.length >= 15, `${files.length - labelled.length} must-not-fire files: ${files.map((f) => relative(dir, f)).join(', ')}`);
  });

  it(`scores precision ≥ ${MIN_PRECISION} and recall ≥ ${MIN_RECALL} for every rule`, async () => {
    const result = await evaluate(['javascript'], { root: ROOT });
    assert.deepEqual(result.errors, [], 'every corpus file parses');
    assert.equal(result.filesScanned['javascript'], corpusFiles(dir).length);
    const table = formatTable(result);
    assert.deepEqual(result.scores.map((s) => s.ruleId).sort(), JS_RULES, table);
    for (const s of result.scores) {
      const why = `${s.ruleId}: FP ${s.misses.falsePositives.join(' ')} FN ${s.misses.falseNegatives.join(' ')}\n${table}`;
      assert.ok(s.truePositives >= 5, `${s.ruleId} has at least 5 labelled findings\n${table}`);
      assert.ok(s.precision >= MIN_PRECISION, `precision ${why}`);
      assert.ok(s.recall >= MIN_RECALL, `recall ${why}`);
    }
  });
});
