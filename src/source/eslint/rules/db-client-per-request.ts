/**
 * ESLint rule `meshlint/db-client-per-request`: a database or cache client opened inside a request handler
 * or loop — `new pg.Client()`/`new Pool()` from 'pg', node-redis `createClient()`, ioredis `new Redis()`,
 * mysql `createConnection()`, `new MongoClient()`, `new PrismaClient()`; a client connected and closed in the
 * handler; a node-postgres pooled client released with `release(true)` (destroyed) in the handler. A pool created
 * once and used in the handler (`pool.query()`, `pool.connect()` + `release()`) is fine.
 */
import type { Rule } from 'eslint';
import { meta as canonical } from '../../../../rules/db-client-per-request.js';
import type { TSESTree } from '@typescript-eslint/types';
import { type Node, enclosingFunction, memberName, unwrap, walk } from '../ast.js';
import { classifyCreation, creationContext } from '../clients.js';
import { type FileModel, modelFor, normalizeModule } from '../model.js';
import { type MeshlintEslintRule, eslintDocs, optionsSchema, ruleOptions } from '../rule-support.js';
import { describeContext, executionContext, handlerOf, isRepeated } from '../scope.js';

/** Methods that close a database client's connection (pg/mysql `end()`/`destroy()`, MongoClient `close()`). */
const DISCONNECT_METHODS = new Set(['end', 'destroy', 'close', 'quit', 'disconnect']);

/**
 * `client.connect()` in a handler on a client the same function also ends (`client.end()`): whatever built the
 * client (a helper in another module, a Lambda layer, the module itself once at load), each request connects and
 * disconnects — a new database connection per request. A client borrowed from a pool is released (`release()`), not connected and ended.
 */
function connectThenEnd(model: FileModel, call: TSESTree.CallExpression): string | undefined {
  const callee = unwrap(call.callee as unknown as Node);
  if (callee.type !== 'MemberExpression' || memberName(callee) !== 'connect') return undefined;
  const fn = enclosingFunction(call as unknown as Node);
  if (!fn) return undefined;
  const object = callee.object as Node;
  if (object.type === 'Identifier') {
    const v = model.variableOf(object);
    if (!v) return undefined;
    // A client this file builds per request (`new Client()` in the handler) is reported where it is built; one
    // built once (module level) but connected and closed in the handler is reported here.
    for (const d of v.defs) {
      let init = d.node.type === 'VariableDeclarator' ? (d.node.init as Node | null) : null;
      if (init?.type === 'AwaitExpression') init = init.argument;
      const creation = init ? classifyCreation(model, init) : undefined;
      if (creation && creationContext(model, creation).repeated) return undefined;
    }
    const ended = v.references.some((ref) => {
      const id = ref.identifier as unknown as Node;
      const member = id.parent;
      if (member?.type !== 'MemberExpression' || member.object !== id || !DISCONNECT_METHODS.has(memberName(member) ?? '')) return false;
      return member.parent?.type === 'CallExpression' && enclosingFunction(member) === fn;
    });
    return ended ? `${object.name}.connect()` : undefined;
  }
  // A client held on an object (`app.DBClient.connect()` … `app.DBClient.close()`): the same member path.
  const path = memberPath(object);
  if (!path) return undefined;
  let ended = false;
  walk(fn, (n) => {
    if (ended) return false;
    if (n.type !== 'CallExpression') return true;
    const c = unwrap(n.callee as unknown as Node);
    if (c.type === 'MemberExpression' && DISCONNECT_METHODS.has(memberName(c) ?? '') && memberPath(c.object as Node) === path) ended = true;
    return !ended;
  });
  return ended ? `${path}.connect()` : undefined;
}

/** Modules whose pooled clients take `release(true)` to destroy the connection (node-postgres, pg-pool). */
const PG_MODULES = new Set(['pg', 'pg-pool']);

/** Does the file import or require node-postgres? */
function usesPg(model: FileModel): boolean {
  return model.cached('uses-pg', model.program, () => {
    let found = false;
    walk(model.program as unknown as Node, (n) => {
      if (found) return false;
      if (n.type === 'ImportDeclaration' && PG_MODULES.has(normalizeModule(String(n.source.value)))) found = true;
      else if (n.type === 'CallExpression' && PG_MODULES.has(model.requiredModule(n) ?? '')) found = true;
      return !found;
    });
    return found;
  });
}

/**
 * `client.release(true)` on a node-postgres pooled client: a truthy argument makes the pool destroy the client
 * instead of keeping it ("client.release(true) will instruct the pool to disconnect and destroy this client",
 * node-postgres docs, Pooling › releasing clients), so a handler that releases this way opens a new PostgreSQL
 * connection on every request. `release()` and `release(err)` (a failed client, only on the error path) are fine.
 */
function destroyedOnRelease(model: FileModel, call: TSESTree.CallExpression): string | undefined {
  const callee = unwrap(call.callee as unknown as Node);
  if (callee.type !== 'MemberExpression' || memberName(callee) !== 'release' || call.arguments.length !== 1) return undefined;
  const arg = call.arguments[0]!;
  if (arg.type !== 'Literal' || arg.value !== true || !usesPg(model)) return undefined;
  return `${memberPath(callee.object as Node) ?? 'client'}.release(true)`;
}

/** `a.b.c` for a member chain of plain names, or undefined. */
function memberPath(n: Node): string | undefined {
  if (n.type === 'Identifier') return n.name;
  if (n.type === 'ThisExpression') return 'this';
  if (n.type !== 'MemberExpression' || n.computed || n.property.type !== 'Identifier') return undefined;
  const head = memberPath(n.object as Node);
  return head ? `${head}.${n.property.name}` : undefined;
}

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
      if (node.type === 'CallExpression') {
        const destroyed = destroyedOnRelease(model, node);
        if (destroyed) {
          const ctx = executionContext(model, node, opts.followLocalCalls);
          if (isRepeated(ctx)) {
            context.report({ node: node as never, messageId: 'perRequest', data: { what: `${destroyed} (the pool destroys the connection instead of keeping it)`, where: describeContext(ctx), value: destroyed } });
            return;
          }
        }
        const what = connectThenEnd(model, node);
        if (what) {
          const ctx = executionContext(model, node, opts.followLocalCalls);
          if (isRepeated(ctx)) {
            context.report({ node: node as never, messageId: 'perRequest', data: { what: `${what} (connected and ended in the same function)`, where: describeContext(ctx), value: what } });
            return;
          }
        }
      }
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
