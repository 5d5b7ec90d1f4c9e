/**
 * ESLint rule `meshlint/db-client-per-request`: a database or cache client opened inside a request handler
 * or loop — `new pg.Client()`/`new Pool()` from 'pg', node-redis `createClient()`, ioredis `new Redis()`,
 * mysql `createConnection()`, `new MongoClient()`, `new PrismaClient()`. A pool created once and used in the
 * handler (`pool.query()`, `pool.connect()`) is fine.
 */
import type { Rule } from 'eslint';
import { meta as canonical } from '../../../../rules/db-client-per-request.js';
import type { Node } from '../ast.js';
import { classifyCreation, creationContext } from '../clients.js';
import { modelFor } from '../model.js';
import { type MeshlintEslintRule, eslintDocs, optionsSchema, ruleOptions } from '../rule-support.js';
import { describeContext, handlerOf } from '../scope.js';

/** Options of `db-client-per-request`. */
export interface DbClientPerRequestOptions {
  /** Follow calls from a handler or loop into same-file functions (one hop). */
  followLocalCalls: boolean;
  /** Report (as `info`) clients opened per request in a loop over different databases. */
  reportVaryingDestination: boolean;
}

const defaults = canonical.defaultOptions as unknown as DbClientPerRequestOptions;

/** The options schema (also `schemas/rules/db-client-per-request.json`). */
export const schema = optionsSchema('db-client-per-request', 'Options of the db-client-per-request rule.', {
  followLocalCalls: {
    type: 'boolean',
    default: true,
    description: 'Also report clients opened in a same-file function that a request handler or loop calls (one hop).',
  },
  reportVaryingDestination: {
    type: 'boolean',
    default: true,
    description: 'Report, at info severity, clients opened per request in a loop whose database changes every iteration.',
  },
});

const rule: MeshlintEslintRule = {
  meshlint: canonical,
  meta: {
    type: 'problem',
    docs: eslintDocs(canonical),
    schema: [schema],
    defaultOptions: [defaults],
    messages: {
      perRequest:
        '{{what}} is opened {{where}}: every request opens a new database connection (TCP, often TLS and authentication) instead of taking one from a pool, and each closed connection holds an ephemeral port in TIME_WAIT for 60 s.',
      varyingDestination:
        '{{what}} is opened {{where}} for a database that changes every iteration; keep one pool per database instead of one client per iteration.',
    },
  },
  messageSeverity: { varyingDestination: 'info' },
  hints: {
    perRequest: 'create one pool/client at start-up (module level) and use it in handlers (pool.query(), pool.connect() + release())',
    varyingDestination: 'keep a map of pools, one per database, created once',
  },
  create(context: Rule.RuleContext): Rule.RuleListener {
    const opts = ruleOptions(context, defaults);
    const model = modelFor(context);
    const check = (node: Node): void => {
      const c = classifyCreation(model, node);
      if (!c || c.family !== 'db') return;
      const cc = creationContext(model, c, opts.followLocalCalls);
      if (!cc.repeated) return;
      const data = { what: c.display, where: describeContext(cc.context), value: c.display };
      if (cc.varyingDestination) {
        if (!handlerOf(cc.context) || !opts.reportVaryingDestination) return;
        context.report({ node: node as never, messageId: 'varyingDestination', data });
        return;
      }
      context.report({ node: node as never, messageId: 'perRequest', data });
    };
    return {
      NewExpression: (node) => check(node as unknown as Node),
      CallExpression: (node) => check(node as unknown as Node),
    };
  },
};

export default rule;
