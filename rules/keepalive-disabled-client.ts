import type { RuleMeta } from '../src/rules/meta.js';

/**
 * Keep-alive switched off on an application's outbound HTTP client: `keepAlive: false` on an agent, an
 * `http.Agent` left at its default (`keepAlive` false), `agent: false`, a `Connection: close` request header
 * (Go: `DisableKeepAlives: true`). Every request then opens a new connection. Implementations:
 * `src/source/eslint/rules/keepalive-disabled-client.ts` and the ast-grep rules for Go, Python and Java.
 */
export const meta: RuleMeta = {
  id: 'keepalive-disabled-client',
  code: 'MSH202',
  family: 'source',
  description: 'Keep-alive is off on an outbound HTTP client (keepAlive: false, agent: false, Connection: close): every request opens a new connection',
  defaultSeverity: 'warn',
  docs: 'docs/rules/keepalive-disabled-client.md',
  inputs: ['javascript', 'typescript', 'go', 'python', 'java'],
  defaultOptions: { reportImplicitAgentDefault: true },
};
