/**
 * Runs one fixture of `test/fixtures/<folder>/` through the real `check` pipeline (as standard input) and the
 * stylish reporter, and returns the result with the multiplier table's rows as `client → destination | legs | M | …`.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { check, type CheckOptions } from '../../src/pipeline.js';
import { stylish } from '../../src/report/stylish.js';
import { ROOT } from './paths.js';

/** The fixture's check result, its table rows and the `explain` text. Fails the test when the run reports errors. */
export async function runFixture(folder: string, fixture: string, options: Partial<CheckOptions> = {}) {
  const yaml = readFileSync(join(ROOT, 'test', 'fixtures', folder, fixture), 'utf8');
  const result = await check({ paths: ['-'], cwd: ROOT, defaultNamespace: 'default', stdin: () => Buffer.from(yaml), ...options });
  assert.deepEqual(result.errors, []);
  const lines = stylish(result, { color: false, explain: false, version: 'test' }).split('\n');
  const start = lines.findIndex((l) => l.startsWith('client → destination'));
  const rows = start < 0 ? [] : lines.slice(start + 1).filter((l) => l.includes(' → ') && !l.startsWith('ports =')).map((l) => l.replace(/\s{2,}/g, ' | ').trim());
  const explained = stylish(result, { color: false, explain: true, version: 'test' });
  return { result, rows, explained };
}
