import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { scanJavaScript } from '../../../src/source/eslint/scan.js';

/** Scans one file written into a fresh directory. */
async function scanOne(name: string, text: string): Promise<Awaited<ReturnType<typeof scanJavaScript>>> {
  const dir = mkdtempSync(join(tmpdir(), 'meshlint-js-'));
  try {
    writeFileSync(join(dir, name), text);
    return await scanJavaScript([name], { cwd: dir });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describe('JS/TS scanner: a file that ends inside an open block', () => {
  it('reports the parse problem as partial and still analyses the file', async () => {
    const r = await scanOne(
      'index.js',
      `const { Client } = require('pg');\nexports.handler = async () => {\n  const client = new Client();\n  await client.connect();\n  try {\n    return (await client.query('SELECT 1')).rows;\n  } finally {\n    await client.end();\n  }\n`,
    );
    assert.equal(r.errors.length, 1);
    assert.equal(r.errors[0]!.partial, true);
    assert.match(r.errors[0]!.message, /index\.js:\d+:\d+: .*'\}' expected.*analysed/);
    assert.deepEqual(r.findings.map((f) => `${f.location.line} ${f.ruleId}`), ['3 db-client-per-request']);
    assert.equal(r.filesScanned, 1);
  });

  it('near miss: a syntax error in the middle of the file is not guessed at (no findings, one error)', async () => {
    const r = await scanOne('app.js', `const { Client } = require('pg');\nexports.handler = async () => {\n  const client = new Client(;\n  await client.connect();\n};\n`);
    assert.equal(r.errors.length, 1);
    assert.notEqual(r.errors[0]!.partial, true);
    assert.deepEqual(r.findings, []);
    assert.equal(r.filesScanned, 0);
  });
});
