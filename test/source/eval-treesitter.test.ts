import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { evaluate, formatTable, parseExpectations } from '../../src/source/eval.js';
import { ROOT } from '../helpers/paths.js';

const LANGS = { go: ['.go', '//'], python: ['.py', '#'], java: ['.java', '//'] } as const;

describe('labelled corpus: Go, Python, Java (fixtures/source/<language>/)', () => {
  for (const [lang, [ext, marker]] of Object.entries(LANGS)) {
    it(`${lang}: at least 15 must-fire and 15 must-not-fire files`, () => {
      const dir = join(ROOT, 'fixtures', 'source', lang);
      const files = readdirSync(dir).filter((f) => f.endsWith(ext));
      const labelled = files.filter((f) => parseExpectations(f, readFileSync(join(dir, f), 'utf8'), marker).length > 0);
      assert.ok(labelled.length >= 15, `${labelled.length} must-fire files`);
      assert.ok(files.length - labelled.length >= 15, `${files.length - labelled.length} must-not-fire files`);
    });
  }

  it('every rule reaches precision 0.9 and recall 0.85 per language', async () => {
    const result = await evaluate(Object.keys(LANGS));
    assert.deepEqual(result.errors, [], 'every corpus file parses');
    const table = formatTable(result);
    for (const lang of Object.keys(LANGS)) {
      const rules = new Set(result.scores.filter((s) => s.language === lang).map((s) => s.ruleId));
      for (const id of ['client-per-request', 'keepalive-disabled-client', 'db-client-per-request', 'app-retries']) {
        assert.ok(rules.has(id), `${lang} corpus exercises ${id}\n${table}`);
      }
    }
    for (const id of ['response-body-not-closed', 'idle-pool-too-small']) assert.ok(result.scores.some((s) => s.language === 'go' && s.ruleId === id), `go corpus exercises ${id}`);
    assert.ok(result.scores.some((s) => s.language === 'python' && s.ruleId === 'idle-pool-too-small'), 'python corpus exercises idle-pool-too-small');
    for (const s of result.scores) {
      assert.ok(s.precision >= 0.9, `${s.language} ${s.ruleId} precision ${s.precision.toFixed(2)} (FP: ${s.misses.falsePositives.join(', ')})\n${table}`);
      assert.ok(s.recall >= 0.85, `${s.language} ${s.ruleId} recall ${s.recall.toFixed(2)} (FN: ${s.misses.falseNegatives.join(', ')})\n${table}`);
    }
  });
});
