import type { RuleMeta } from '../src/rules/meta.js';

/**
 * An HTTP client, agent, transport or session built per request or per loop iteration: every request
 * opens new connections instead of reusing pooled ones, and each closed connection holds an ephemeral
 * port in TIME_WAIT for 60 s. Implementations: `src/source/eslint/rules/client-per-request.ts`
 * (JavaScript/TypeScript) and the ast-grep rules for Go, Python and Java.
 */
export const meta: RuleMeta = {
  id: 'client-per-request',
  code: 'MSH201',
  family: 'source',
  description: 'An HTTP client, agent or connection pool is built inside a request handler or loop: every request opens new connections',
  defaultSeverity: 'warn',
  docs: 'docs/rules/client-per-request.md',
  inputs: ['javascript', 'typescript', 'go', 'python', 'java'],
  defaultOptions: { followLocalCalls: true, reportVaryingDestination: true },
};
