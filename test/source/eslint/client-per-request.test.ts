import rule from '../../../src/source/eslint/rules/client-per-request.js';
import { tester } from './tester.js';

tester().run('client-per-request', rule, {
  valid: [
    { name: 'agent built once at module level', code: `import https from 'node:https';\nimport express from 'express';\nconst agent = new https.Agent({ keepAlive: true });\nconst app = express();\napp.get('/x', async (req, res) => { await fetch('https://a.example.com', { agent }); res.end(); });` },
    { name: 'global fetch in a handler (the global dispatcher pools)', code: `import express from 'express';\nconst app = express();\napp.get('/x', async (req, res) => { res.json(await (await fetch('https://a.example.com/v1')).json()); });` },
    { name: 'near miss: agent built in a constructor', code: `import https from 'https';\nexport class Api { constructor() { this.agent = new https.Agent({ keepAlive: true }); } async get() { return fetch('https://a.example.com', { agent: this.agent }); } }` },
    { name: 'near miss: axios.create() without an agent of its own uses the global agent', code: `import axios from 'axios';\nimport express from 'express';\nconst app = express();\napp.get('/x', async (req, res) => { const c = axios.create({ baseURL: 'https://a.example.com' }); res.json((await c.get('/v1')).data); });` },
    { name: 'near miss: pool cached in a Map on first use', code: `import { Pool } from 'undici';\nimport express from 'express';\nconst pools = new Map();\nfunction poolFor(origin) { let p = pools.get(origin); if (!p) { p = new Pool(origin); pools.set(origin, p); } return p; }\nconst app = express();\napp.get('/x', async (req, res) => { await poolFor('https://a.example.com').request({ path: '/' }); res.end(); });` },
    { name: 'near miss: lazily initialised module-level agent (??=)', code: `import https from 'https';\nimport express from 'express';\nlet agent;\nconst app = express();\napp.get('/x', async (req, res) => { agent ??= new https.Agent({ keepAlive: true }); res.end(); });` },
    { name: 'near miss: an exported factory returns the agent it builds (the caller keeps it)', code: `import https from 'https';\nexport function makeAgent() { const agent = new https.Agent({ keepAlive: true }); return agent; }` },
    { name: 'near miss: a setup function called once at module level builds the agent', code: `import https from 'https';\nimport fetch from 'node-fetch';\nfunction warmUp() { const agent = new https.Agent({ keepAlive: true }); return fetch('https://a.example.com/health', { agent }); }\nwarmUp();` },
    { name: 'near miss: an exported helper that keeps the agent on a module variable', code: `import https from 'https';\nimport fetch from 'node-fetch';\nlet shared;\nexport async function get(url) { shared = shared || new https.Agent({ keepAlive: true }); return fetch(url, { agent: shared }); }` },
  ],
  invalid: [
    {
      name: 'an exported fetch helper builds an https.Agent for every call',
      code: `import https from 'https';\nimport fetch from 'node-fetch';\nexport async function getJson(url) {\n  const agent = new https.Agent({ keepAlive: true });\n  return (await fetch(url, { agent })).json();\n}`,
      errors: [{ messageId: 'perRequest', line: 4 }],
    },
    {
      name: 'an exported helper sets a new proxy agent on the options it passes to fetch',
      code: `import nodeFetch from 'node-fetch';\nimport HttpsProxyAgent from 'https-proxy-agent';\nexport default (url, options = {}) => {\n  if (process.env.HTTP_PROXY) options.agent = new HttpsProxyAgent(process.env.HTTP_PROXY);\n  return nodeFetch(url, options);\n};`,
      errors: [{ messageId: 'perRequest', line: 4 }],
    },
    {
      name: 'new https.Agent() in an Express route',
      code: `import https from 'https';\nimport express from 'express';\nconst app = express();\napp.post('/charge', async (req, res) => {\n  const agent = new https.Agent({ keepAlive: true });\n  await fetch('https://pay.example.com', { agent });\n  res.end();\n});`,
      errors: [{ messageId: 'perRequest', line: 5, column: 17 }],
    },
    {
      name: 'plain new http.Agent() per request: keep-alive off too',
      code: `const http = require('http');\nhttp.createServer((req, res) => {\n  http.get('http://inventory:8080/stock', { agent: new http.Agent() }, (r) => r.pipe(res));\n}).listen(8080);`,
      errors: [{ messageId: 'perRequestNoKeepAlive', line: 3 }],
    },
    {
      name: 'undici Pool per Lambda invocation',
      code: `import { Pool } from 'undici';\nexport const handler = async (event) => {\n  const pool = new Pool('https://api.example.com');\n  const { body } = await pool.request({ path: '/v1', method: 'GET' });\n  return { statusCode: 200, body: await body.text() };\n};`,
      errors: [{ messageId: 'perRequest', line: 3 }],
    },
    {
      name: 'one hop: helper called by a handler builds the agent',
      code: `import https from 'https';\nimport express from 'express';\nfunction client() { return new https.Agent({ keepAlive: true }); }\nconst app = express();\napp.get('/x', async (req, res) => { await fetch('https://a.example.com', { agent: client() }); res.end(); });`,
      errors: [{ messageId: 'perRequest', line: 3 }],
    },
    {
      name: 'agent per iteration of a loop over one destination',
      code: `import https from 'https';\nexport async function poll(ids) {\n  for (const id of ids) {\n    const agent = new https.Agent({ keepAlive: true });\n    await fetch('https://api.example.com/items/' + id, { agent });\n  }\n}`,
      errors: [{ messageId: 'perRequest', line: 4 }],
    },
    {
      name: 'a scanner dialling a different host per iteration is info only',
      code: `import https from 'https';\nimport express from 'express';\nconst app = express();\napp.get('/scan', async (req, res) => {\n  for (const host of req.body.hosts) {\n    const agent = new https.Agent({ keepAlive: true });\n    await fetch('https://' + host + '/health', { agent });\n  }\n  res.end();\n});`,
      errors: [{ messageId: 'varyingDestination', line: 6 }],
    },
  ],
});
