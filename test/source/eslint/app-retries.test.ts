import rule from '../../../src/source/eslint/rules/app-retries.js';
import { tester } from './tester.js';

tester().run('app-retries', rule, {
  valid: [
    { name: 'got with retry limit 0', code: `import got from 'got';\nexport const get = () => got('https://a.example.com', { retry: { limit: 0 } });` },
    { name: 'near miss: pagination loop (not a retry)', code: `export async function all(url) {\n  const out = [];\n  let next = url;\n  while (next) {\n    const res = await fetch(next);\n    const body = await res.json();\n    out.push(...body.items);\n    next = body.next;\n  }\n  return out;\n}` },
    { name: 'near miss: fan-out over many URLs', code: `export async function ping(urls) { for (const u of urls) { await fetch(u); } }` },
    { name: 'near miss: axios without axios-retry', code: `import axios from 'axios';\nexport const c = axios.create({ baseURL: 'https://a.example.com' });` },
    { name: 'near miss: got POST is not retried by default', code: `import got from 'got';\nexport const post = (b) => got.post('https://a.example.com/x', { json: b });` },
    { name: 'near miss: retry.limit on a got POST (POST is not in the default retry.methods)', code: `import got from 'got';\nexport const post = (b) => got.post('https://a.example.com/x', { json: b, retry: { limit: 3 } });` },
  ],
  invalid: [
    {
      name: 'axios-retry with retries: 3 → 4 tries',
      code: `import axios from 'axios';\nimport axiosRetry from 'axios-retry';\nconst c = axios.create();\naxiosRetry(c, { retries: 3 });`,
      errors: [{ messageId: 'retries', line: 4 }],
    },
    {
      name: 'retry loop around fetch with a constant bound',
      code: `export async function call(url) {\n  for (let attempt = 0; attempt < 3; attempt++) {\n    try {\n      const res = await fetch(url);\n      if (res.ok) return res;\n    } catch (e) {}\n  }\n  throw new Error('failed');\n}`,
      errors: [{ messageId: 'retries', line: 2 }],
    },
    {
      name: 'got POST with retry.methods listing POST',
      code: `import got from 'got';\nexport const post = (b) => got.post('https://a.example.com/x', { json: b, retry: { limit: 3, methods: ['POST'] } });`,
      errors: [{ messageId: 'retries', line: 2 }],
    },
    {
      name: 'got retry option',
      code: `import got from 'got';\nexport const gh = got.extend({ prefixUrl: 'https://api.github.com', retry: { limit: 5 } });`,
      errors: [{ messageId: 'retries', line: 2 }],
    },
    {
      name: 'got GET retried by the library default (2 retries)',
      code: `import got from 'got';\nexport const s = () => got('https://status.example.com/api');`,
      errors: [{ messageId: 'gotDefault', line: 2 }],
    },
    {
      name: 'p-retry without retries uses its default (10)',
      code: `import pRetry from 'p-retry';\nexport const run = () => pRetry(() => fetch('https://a.example.com'));`,
      errors: [{ messageId: 'retries', line: 2 }],
    },
  ],
});

tester().run('app-retries (ky)', rule, {
  valid: [
    { name: 'near miss: ky POST is not retried by default', code: `import ky from 'ky';\nexport const post = (b) => ky.post('https://a.example.com/x', { json: b });` },
    { name: 'near miss: ky with retry: 0', code: `import ky from 'ky';\nexport const get = () => ky('https://a.example.com', { retry: 0 });` },
  ],
  invalid: [
    { name: 'ky GET retried by default', code: `import ky from 'ky';\nexport const get = () => ky.get('https://a.example.com');`, errors: [{ messageId: 'gotDefault', line: 2 }] },
    { name: 'ky.create() with retry limit', code: `import ky from 'ky';\nexport const api = ky.create({ prefixUrl: 'https://a.example.com', retry: { limit: 3 } });`, errors: [{ messageId: 'retries', line: 2 }] },
  ],
});
