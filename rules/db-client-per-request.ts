import type { RuleMeta } from '../src/rules/meta.js';

/**
 * A database or cache client (SQL, Redis, MongoDB) opened per request or per loop iteration instead of
 * once at start-up: every request opens a new TCP (often TLS) connection. Implementations:
 * `src/source/eslint/rules/db-client-per-request.ts` and the ast-grep rules for Go, Python and Java.
 */
export const meta: RuleMeta = {
  id: 'db-client-per-request',
  code: 'MSH205',
  family: 'source',
  description: 'A database or Redis client is opened inside a request handler or loop: every request opens a new connection',
  defaultSeverity: 'warn',
  docs: 'docs/rules/db-client-per-request.md',
  inputs: ['javascript', 'typescript', 'go', 'python', 'java'],
  defaultOptions: { followLocalCalls: true, reportVaryingDestination: true },
};
