import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { describe, it } from 'node:test';
import { scanJavaScript } from '../../../src/source/eslint/scan.js';

/** `file:line ruleId` of the client findings after scanning `files` together. */
async function hits(files: Record<string, string>): Promise<string[]> {
  const dir = mkdtempSync(join(tmpdir(), 'meshlint-js-xf-'));
  try {
    for (const [rel, text] of Object.entries(files)) {
      mkdirSync(dirname(join(dir, rel)), { recursive: true });
      writeFileSync(join(dir, rel), text);
    }
    const r = await scanJavaScript(Object.keys(files), { cwd: dir });
    assert.deepEqual(r.errors, []);
    return r.findings
      .filter((f) => f.ruleId === 'client-per-request' || f.ruleId === 'db-client-per-request')
      .map((f) => `${f.location.file}:${f.location.line} ${f.ruleId}`)
      .sort();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describe('one hop across files (JavaScript/TypeScript)', () => {
  it('an Express route calls getClient() from ./db, which builds a pg Client per call', async () => {
    const got = await hits({
      'src/db.js': `import pg from 'pg';\nexport function getClient() {\n  return new pg.Client({ host: 'orders-db' });\n}\n`,
      'src/routes.js': `import express from 'express';\nimport { getClient } from './db';\nconst app = express();\napp.get('/o', async (req, res) => {\n  const c = getClient();\n  await c.connect();\n  res.json((await c.query('select 1')).rows);\n  await c.end();\n});\n`,
    });
    // Line 6 is the in-file evidence (connected and ended in the handler); line 5 names the definition in db.js.
    assert.deepEqual(got, ['src/db.js:3 db-client-per-request', 'src/routes.js:5 db-client-per-request', 'src/routes.js:6 db-client-per-request']);
  });

  it('a Next.js API route calls the default export of ../../lib/http, which builds an axios instance with a new agent', async () => {
    const got = await hits({
      'lib/http.ts': `import axios from 'axios';\nimport https from 'https';\nexport default function makeClient() {\n  const client = axios.create({ httpsAgent: new https.Agent({ keepAlive: true }) });\n  return client;\n}\n`,
      'pages/api/rates.ts': `import makeClient from '../../lib/http';\nexport default async function handler(req, res) {\n  const http = makeClient();\n  res.json((await http.get('https://rates.example.com/latest')).data);\n}\n`,
    });
    assert.deepEqual(got, ['lib/http.ts:4 client-per-request', 'pages/api/rates.ts:3 client-per-request']);
  });

  it('near misses: a cached factory, a factory only module level calls, a factory in a package (not relative)', async () => {
    const got = await hits({
      'src/db.js': `import pg from 'pg';\nlet pool;\nexport function getPool() {\n  pool ??= new pg.Pool({ host: 'orders-db' });\n  return pool;\n}\nexport function makeClient() {\n  return new pg.Client({ host: 'orders-db' });\n}\n`,
      'src/routes.js': `import express from 'express';\nimport { getPool, makeClient } from './db';\nimport { newClient } from 'some-package';\nconst app = express();\nconst shared = makeClient();\napp.get('/o', async (req, res) => {\n  const p = getPool();\n  const c = newClient();\n  res.json((await p.query('select 1')).rows);\n});\n`,
    });
    assert.deepEqual(got, []);
  });
});
