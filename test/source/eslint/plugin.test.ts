import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ESLint } from 'eslint';
import plugin, { rules } from '../../../src/source/eslint/plugin.js';
import { ruleMeta } from '../../../src/rules/registry.js';
import { tempDir } from '../../helpers/cli.js';
import { ROOT } from '../../helpers/paths.js';

const HANDLER_JS = `const express = require('express');
const https = require('https');
const app = express();
app.get('/pay', async (req, res) => {
  const agent = new https.Agent({ keepAlive: true });
  await fetch('https://pay.example.com/v1', { agent });
  res.end();
});
app.get('/refund', async (req, res) => {
  // eslint-disable-next-line meshlint/client-per-request -- reviewed: one refund a day
  const agent = new https.Agent({ keepAlive: true });
  await fetch('https://pay.example.com/v1/refund', { agent });
  res.end();
});
`;
const HANDLER_TS = `import { Pool } from 'pg';
import express, { type Request, type Response } from 'express';
const app = express();
app.get('/orders', async (req: Request, res: Response) => {
  const pool = new Pool({ host: 'orders-db' }) as Pool;
  res.json((await pool.query('select 1')).rows);
});
`;

describe('meshlint as an ESLint plugin in a user flat config', () => {
  let dir: string;
  let cleanup: () => void;
  before(() => {
    ({ dir, cleanup } = tempDir('meshlint-plugin-'));
    // The project depends on meshlint and typescript-eslint's parser, as a user's would.
    mkdirSync(join(dir, 'node_modules', '@typescript-eslint'), { recursive: true });
    symlinkSync(ROOT, join(dir, 'node_modules', 'meshlint'), 'dir');
    symlinkSync(join(ROOT, 'node_modules', '@typescript-eslint', 'parser'), join(dir, 'node_modules', '@typescript-eslint', 'parser'), 'dir');
    writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'user-app', type: 'module', private: true }));
    writeFileSync(
      join(dir, 'eslint.config.js'),
      `import meshlint from 'meshlint/eslint-plugin';
import tsParser from '@typescript-eslint/parser';
export default [
  { files: ['**/*.ts'], languageOptions: { parser: tsParser } },
  { files: ['**/*.js'], languageOptions: { sourceType: 'commonjs' } },
  meshlint.configs.recommended,
];
`,
    );
    writeFileSync(join(dir, 'server.js'), HANDLER_JS);
    writeFileSync(join(dir, 'orders.ts'), HANDLER_TS);
  });
  after(() => cleanup());

  it('reports meshlint rules through ESLint, honouring the user’s disable comment', async () => {
    const eslint = new ESLint({ cwd: dir });
    const results = await eslint.lintFiles(['server.js', 'orders.ts']);
    const byFile = Object.fromEntries(results.map((r) => [r.filePath.slice(dir.length + 1), r.messages.map((m) => `${m.line}:${m.column} ${m.ruleId} ${m.severity}`)]));
    assert.deepEqual(byFile, {
      'orders.ts': ['5:16 meshlint/db-client-per-request 1'],
      'server.js': ['5:17 meshlint/client-per-request 1'],
    });
    const pay = results.find((r) => r.filePath.endsWith('server.js'))!;
    assert.equal(pay.suppressedMessages.length, 1, 'the eslint-disable-next-line comment suppressed the /refund finding');
  });

  it('resolves as the package export meshlint/eslint-plugin with meta, rules and configs.recommended', async () => {
    const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8'));
    assert.ok(pkg.exports['./eslint-plugin'], 'package.json exports ./eslint-plugin');
    const imported = (await import(join(dir, 'node_modules', 'meshlint', pkg.exports['./eslint-plugin'].default))).default;
    assert.equal(imported.meta.name, 'meshlint');
    assert.equal(imported.meta.version, pkg.version);
    assert.deepEqual(Object.keys(imported.configs.recommended.rules).sort(), Object.keys(rules).map((id) => `meshlint/${id}`).sort());
  });

  it('carries the canonical metadata; each rule’s options schema equals schemas/rules/<id>.json', () => {
    for (const [id, rule] of Object.entries(rules)) {
      assert.deepEqual(rule.meshlint, ruleMeta(id), `${id} metadata is the registry's`);
      assert.equal(plugin.configs.recommended.rules![`meshlint/${id}`], rule.meshlint.defaultSeverity === 'error' ? 'error' : 'warn');
      const file = JSON.parse(readFileSync(join(ROOT, 'schemas', 'rules', `${id}.json`), 'utf8'));
      const { $schema, $id, ...schema } = file;
      assert.equal($schema, 'http://json-schema.org/draft-07/schema#');
      assert.equal($id, `https://meshlint.dev/schemas/rules/${id}.json`);
      assert.deepEqual(schema, (rule.meta!.schema as object[])[0], `${id} schema`);
      assert.deepEqual(rule.meta!.defaultOptions, [rule.meshlint.defaultOptions]);
    }
  });
});
