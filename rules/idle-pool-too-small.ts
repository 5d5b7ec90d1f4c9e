import type { RuleMeta } from '../src/rules/meta.js';

/**
 * A connection pool shared by concurrent callers that keeps fewer idle connections per host than they use:
 * Go `http.Transport` with `MaxIdleConnsPerHost` unset (net/http `DefaultMaxIdleConnsPerHost` = 2), requests
 * sessions and urllib3 pools (10 and 1 per host by default) under more threads. Connections beyond the idle
 * limit are closed by the client after each request, so the client side holds their TIME_WAIT (60 s).
 * Implementation: `src/source/treesitter/pools.ts` with the ast-grep rules
 * `rules/ast-grep/{go,python}/idle-pool-too-small.yml`.
 */
export const meta: RuleMeta = {
  id: 'idle-pool-too-small',
  code: 'MSH204',
  family: 'source',
  description: 'A shared HTTP connection pool keeps fewer idle connections per host than its concurrent callers use: the excess is closed and reopened',
  defaultSeverity: 'warn',
  docs: 'docs/rules/idle-pool-too-small.md',
  inputs: ['go', 'python'],
  defaultOptions: { assumeConcurrent: false },
};
