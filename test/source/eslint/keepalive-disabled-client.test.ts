import rule from '../../../src/source/eslint/rules/keepalive-disabled-client.js';
import { tester } from './tester.js';

tester().run('keepalive-disabled-client', rule, {
  valid: [
    { name: 'agent with keepAlive: true', code: `import https from 'https';\nexport const agent = new https.Agent({ keepAlive: true });` },
    { name: 'near miss: Connection: close on a server response', code: `const http = require('http');\nhttp.createServer((req, res) => { res.setHeader('Connection', 'close'); res.writeHead(200, { Connection: 'close' }); res.end(); }).listen(1);` },
    { name: 'near miss: Connection: keep-alive on a request', code: `export const r = () => fetch('http://a.example.com', { headers: { Connection: 'keep-alive' } });` },
    { name: 'near miss: undici Agent keeps connections alive by default', code: `import { Agent } from 'undici';\nexport const dispatcher = new Agent({ connections: 10 });` },
    { name: 'near miss: Next.js httpAgentOptions.keepAlive: true', filename: 'next.config.js', code: `module.exports = { httpAgentOptions: { keepAlive: true } };` },
    { name: 'near miss: httpAgentOptions.keepAlive: false outside a Next.js config file', filename: 'settings.js', code: `export const o = { httpAgentOptions: { keepAlive: false } };` },
    { name: 'near miss: keepAlive from configuration is not known statically', code: `import https from 'https';\nexport const agent = new https.Agent({ keepAlive: process.env.KEEPALIVE === '1' });` },
  ],
  invalid: [
    {
      name: 'Next.js httpAgentOptions.keepAlive: false turns keep-alive off for server-side fetch',
      filename: 'next.config.mjs',
      code: `const nextConfig = {\n  reactStrictMode: false,\n  httpAgentOptions: {\n    keepAlive: false,\n  },\n};\nexport default nextConfig;`,
      errors: [{ messageId: 'nextHttpAgentKeepAliveFalse', line: 4 }],
    },
    {
      name: 'keepAlive: false on an agent',
      code: `import http from 'http';\nexport const agent = new http.Agent({ keepAlive: false, maxSockets: 10 });`,
      errors: [{ messageId: 'agentKeepAliveFalse', line: 2, column: 39 }],
    },
    {
      name: 'new https.Agent() left at its default (keepAlive false)',
      code: `import https from 'https';\nexport const agent = new https.Agent({ rejectUnauthorized: false });`,
      errors: [{ messageId: 'agentKeepAliveDefault', line: 2 }],
    },
    {
      name: 'agent: false in http.request options',
      code: `import http from 'http';\nexport function get() { return http.request({ host: 'a.example.com', path: '/', agent: false }); }`,
      errors: [{ messageId: 'agentFalse', line: 2 }],
    },
    {
      name: 'Connection: close header on an outbound fetch',
      code: `export async function ping() { return fetch('http://status.example.com/ping', { headers: { Connection: 'close' } }); }`,
      errors: [{ messageId: 'connectionClose', line: 1 }],
    },
    {
      name: 'axios defaults with Connection: close',
      code: `import axios from 'axios';\naxios.defaults.headers.common['Connection'] = 'close';`,
      errors: [{ messageId: 'connectionClose', line: 2 }],
    },
    {
      name: 'setHeader(Connection, close) on the ClientRequest',
      code: `import http from 'http';\nexport function call() {\n  const req = http.request('http://a.example.com/x');\n  req.setHeader('Connection', 'close');\n  req.end();\n}`,
      errors: [{ messageId: 'connectionClose', line: 4 }],
    },
  ],
});
