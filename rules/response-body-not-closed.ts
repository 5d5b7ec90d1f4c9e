import type { RuleMeta } from '../src/rules/meta.js';

/**
 * Go: an `*http.Response` whose `Body` is not closed on every path, closed only by a `defer` inside a loop,
 * or closed without being read. net/http returns a connection to the pool only when the body has been read
 * to EOF and closed (`Client.Do` docs); otherwise the next request opens a new connection, and the old one
 * ends in TIME_WAIT (60 s) when it is finally closed. Implementation: `src/source/treesitter/go-body.ts` with
 * the ast-grep rule `rules/ast-grep/go/response-body-not-closed.yml`.
 */
export const meta: RuleMeta = {
  id: 'response-body-not-closed',
  code: 'MSH203',
  family: 'source',
  description: 'A Go HTTP response body is not closed on every path, or closed without being read: the connection cannot be reused',
  defaultSeverity: 'warn',
  docs: 'docs/rules/response-body-not-closed.md',
  inputs: ['go'],
  defaultOptions: { checkDrain: true },
};
