/**
 * ESLint rule `meshlint/app-retries` (informational): application-level retries around outbound calls —
 * retry loops (`for`/`while` that retries `fetch`/axios/`http.request` on failure), recursive retry helpers,
 * axios-retry, got's and ky's `retry` option (and their default of 2 retries on GET/PUT/HEAD/DELETE/OPTIONS/TRACE),
 * p-retry, async-retry, fetch-retry. The message gives the tries per request (1 + retries), the
 * application factor of the connection multiplier.
 */
import type { Rule } from 'eslint';
import type { TSESTree } from '@typescript-eslint/types';
import { meta as canonical } from '../../../../rules/app-retries.js';
import type { LoopNode, Node } from '../ast.js';
import { modelFor } from '../model.js';
import { analyzeRetryLoop, ASSUMED_TRIES_WHEN_UNKNOWN, type RetryInfo, recursiveRetry, retryLibraryCall } from '../retries.js';
import { type MeshlintEslintRule, eslintDocs, optionsSchema, ruleOptions } from '../rule-support.js';
import { loopStatementInfo } from '../scope.js';

/** Options of `app-retries`. */
export interface AppRetriesOptions {
  /** Report library defaults that retry without any retry option in the code (got retries GET twice). */
  reportLibraryDefaults: boolean;
}

const defaults = canonical.defaultOptions as unknown as AppRetriesOptions;

/** The options schema (also `schemas/rules/app-retries.json`). */
export const schema = optionsSchema('app-retries', 'Options of the app-retries rule.', {
  reportLibraryDefaults: {
    type: 'boolean',
    default: true,
    description: 'Report calls that a library retries by default with no retry option written (got: retry.limit 2 on GET/PUT/HEAD/DELETE/OPTIONS/TRACE).',
  },
});

const LIBRARY_NAMES: Record<RetryInfo['kind'], string> = {
  loop: 'retry loop',
  recursion: 'recursive retry',
  'axios-retry': 'axios-retry',
  got: "got's retry option",
  'got-default': 'got',
  ky: "ky's retry option",
  'ky-default': 'ky',
  'p-retry': 'p-retry',
  'async-retry': 'async-retry',
  'fetch-retry': 'fetch-retry',
};

const rule: MeshlintEslintRule = {
  meshlint: canonical,
  meta: {
    type: 'suggestion',
    docs: eslintDocs(canonical),
    schema: [schema],
    defaultOptions: [defaults],
    messages: {
      retries:
        '{{how}} retries {{around}}: up to {{tries}} tries per request{{dflt}}; each try can open a new connection, and the sidecar’s retries multiply on top.',
      retriesUnknown:
        '{{how}} retries {{around}}; its bound is not static (counted as at least {{tries}} tries per request); each try can open a new connection, and the sidecar’s retries multiply on top.',
      gotDefault:
        '{{around}} is retried by {{library}} by default: up to {{tries}} tries per request (retry.limit defaults to 2 for GET, PUT, HEAD, DELETE, OPTIONS and TRACE).',
    },
  },
  messageSeverity: {},
  hints: {
    retries: 'retry in one place only (app or mesh), with a small bound and backoff; count the tries in the connection multiplier',
    retriesUnknown: 'make the retry bound a constant so the multiplier can be computed',
    gotDefault: 'set retry: { limit: 0 } if the mesh already retries, or keep it and count it in the multiplier',
  },
  create(context: Rule.RuleContext): Rule.RuleListener {
    const opts = ruleOptions(context, defaults);
    const model = modelFor(context);
    const report = (r: RetryInfo, how: string): void => {
      if (r.kind === 'got-default' || r.kind === 'ky-default') {
        context.report({ node: r.node as never, messageId: 'gotDefault', data: { library: LIBRARY_NAMES[r.kind], around: r.around, tries: String(r.tries), value: String(r.tries) } });
        return;
      }
      const known = r.tries !== undefined;
      context.report({
        node: r.node as never,
        messageId: known ? 'retries' : 'retriesUnknown',
        data: {
          how,
          around: r.around,
          tries: String(r.tries ?? ASSUMED_TRIES_WHEN_UNKNOWN),
          dflt: r.defaulted ? ' (the library default)' : '',
          value: known ? String(r.tries) : 'unknown',
        },
      });
    };
    const onLoop = (node: Node): void => {
      const r = analyzeRetryLoop(model, node as LoopNode);
      if (r) report(r, `A ${loopStatementInfo(model, node as LoopNode).label}`);
    };
    return {
      ForStatement: (n) => onLoop(n as unknown as Node),
      ForOfStatement: (n) => onLoop(n as unknown as Node),
      ForInStatement: (n) => onLoop(n as unknown as Node),
      WhileStatement: (n) => onLoop(n as unknown as Node),
      DoWhileStatement: (n) => onLoop(n as unknown as Node),
      CallExpression: (n) => {
        const call = n as unknown as TSESTree.CallExpression;
        const lib = retryLibraryCall(model, call, opts.reportLibraryDefaults);
        if (lib) report(lib, LIBRARY_NAMES[lib.kind]);
        const rec = recursiveRetry(model, call);
        if (rec) report(rec, 'A recursive call');
      },
    };
  },
};

export default rule;
