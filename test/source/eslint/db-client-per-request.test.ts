import rule from '../../../src/source/eslint/rules/db-client-per-request.js';
import { tester } from './tester.js';

tester().run('db-client-per-request', rule, {
  valid: [
    { name: 'pg Pool created once, used in the handler', code: `import { Pool } from 'pg';\nimport express from 'express';\nconst pool = new Pool({ connectionString: process.env.DATABASE_URL });\nconst app = express();\napp.get('/u/:id', async (req, res) => { res.json((await pool.query('select 1')).rows); });` },
    { name: 'near miss: pool.connect() per request takes a pooled connection', code: `import pg from 'pg';\nimport express from 'express';\nconst pool = new pg.Pool();\nconst app = express();\napp.get('/x', async (req, res) => { const c = await pool.connect(); try { await c.query('select 1'); } finally { c.release(); } res.end(); });` },
    { name: 'near miss: redis client created at start-up inside main()', code: `import { createClient } from 'redis';\nasync function main() { const redis = createClient({ url: 'redis://cache:6379' }); await redis.connect(); }\nmain();` },
    { name: 'near miss: singleton getter caches the client', code: `import Redis from 'ioredis';\nimport express from 'express';\nlet client;\nfunction redis() { if (!client) client = new Redis('redis://cache:6379'); return client; }\nconst app = express();\napp.get('/x', async (req, res) => { res.send(await redis().get('k')); });` },
    { name: 'near miss: a client borrowed from a pool is released, not connected and ended', code: `import { getPool } from './db';\nexport const handler = async () => {\n  const client = await getPool().connect();\n  try { return await client.query('select 1'); } finally { client.release(); }\n};` },
    { name: 'near miss: connect() in a handler, end() only at shutdown in another function', code: `import { client } from './db';\nimport express from 'express';\nconst app = express();\napp.get('/x', async (req, res) => { await client.connect(); res.end(); });\nprocess.on('SIGTERM', () => client.end());` },
    { name: 'near miss: a pooled client released plainly in an exported middleware goes back to the pool', code: `const { Pool } = require('pg');\nconst pool = new Pool();\nmodule.exports = { db: async (req, res, next) => {\n  const client = await pool.connect();\n  req.db = client;\n  res.on('finish', () => client.release());\n  next();\n} };` },
    { name: 'near miss: release(err) on the error path only destroys a broken client', code: `const { Pool } = require('pg');\nconst pool = new Pool();\nmodule.exports = { db: async (req, res, next) => {\n  const client = await pool.connect();\n  try { await client.query('select 1'); client.release(); } catch (err) { client.release(err); }\n  next();\n} };` },
    { name: 'near miss: a module-level MongoClient connected once at load and used by the route', code: `import { MongoClient } from 'mongodb';\nimport express from 'express';\nconst client = new MongoClient('mongodb://db:27017');\nawait client.connect();\nconst app = express();\napp.get('/x', async (req, res) => { res.json(await client.db('a').collection('b').findOne()); });` },
  ],
  invalid: [
    {
      name: 'a pg pooled client released with release(true) in an exported middleware: destroyed every request',
      code: `const { Pool } = require('pg');\nconst POOL = new Pool({ max: 1 });\nmodule.exports = {\n  dbConnect: async (req, res, next) => {\n    const client = await POOL.connect();\n    req.db_client = client;\n    res.on('finish', () => { req.db_client.release(true); });\n    next();\n  },\n};`,
      errors: [{ messageId: 'perRequest', line: 7 }],
    },
    {
      name: 'a module-level MongoClient connected and closed in every request',
      code: `import { MongoClient } from 'mongodb';\nimport express from 'express';\nconst client = new MongoClient('mongodb://db:27017');\nconst app = express();\napp.get('/ping', async (req, res) => {\n  try {\n    await client.connect();\n    res.json(await client.db('admin').command({ ping: 1 }));\n  } finally {\n    await client.close();\n  }\n});`,
      errors: [{ messageId: 'perRequest', line: 7 }],
    },
    {
      name: 'a MongoClient held on the app object, connected and closed in each request',
      code: `module.exports = (app) => {\n  app.get('/m', (req, res) => {\n    async function run() {\n      try {\n        await app.DBClient.connect();\n        res.send('ok');\n      } finally {\n        await app.DBClient.close();\n      }\n    }\n    run();\n  });\n};`,
      errors: [{ messageId: 'perRequest', line: 5 }],
    },
    {
      name: 'a client from another module, connected and ended in a Lambda handler',
      code: `const { connectToDatabase } = require('/opt/nodejs/common');\nexports.handler = async () => {\n  const client = await connectToDatabase();\n  await client.connect();\n  try { return (await client.query('SELECT 1')).rows; } finally { await client.end(); }\n};`,
      errors: [{ messageId: 'perRequest', line: 4 }],
    },
    {
      name: 'new pg.Client() per request',
      code: `import pg from 'pg';\nimport express from 'express';\nconst app = express();\napp.get('/orders', async (req, res) => {\n  const client = new pg.Client({ host: 'orders-db', port: 5432 });\n  await client.connect();\n  res.json((await client.query('select 1')).rows);\n  await client.end();\n});`,
      errors: [{ messageId: 'perRequest', line: 5, column: 18 }],
    },
    {
      name: 'redis createClient() per Lambda invocation',
      code: `import { createClient } from 'redis';\nexport const handler = async () => {\n  const redis = createClient({ url: process.env.REDIS_URL });\n  await redis.connect();\n  return redis.get('k');\n};`,
      errors: [{ messageId: 'perRequest', line: 3 }],
    },
    {
      name: 'ioredis in a Fastify route, through a helper (one hop)',
      code: `import Redis from 'ioredis';\nimport Fastify from 'fastify';\nconst app = Fastify();\nfunction cache() { return new Redis(6379, 'cache'); }\napp.get('/x', async () => cache().get('k'));`,
      errors: [{ messageId: 'perRequest', line: 4 }],
    },
  ],
});
