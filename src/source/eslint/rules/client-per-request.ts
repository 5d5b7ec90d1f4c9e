/**
 * ESLint rule `meshlint/client-per-request`: an HTTP agent, undici dispatcher, or an axios/got instance with
 * its own agent, built inside a request handler or loop (or in a same-file function a handler calls), or built,
 * used for a request and dropped in an ordinary exported function (every call builds a new pool).
 * `fetch()` and `http.get(url)` through the global agent/dispatcher are pooled and are not reported.
 */
import type { Rule } from 'eslint';
import { meta as canonical } from '../../../../rules/client-per-request.js';
import { type Node, functionName } from '../ast.js';
import { type ClientCreation, GOT_LIKE, builtAndDroppedIn, classifyCreation, creationContext, enclosingFactory } from '../clients.js';
import { modelFor } from '../model.js';
import { type MeshlintEslintRule, eslintDocs, optionsSchema, ruleOptions } from '../rule-support.js';
import { describeContext, handlerOf } from '../scope.js';

/** Options of `client-per-request`. */
export interface ClientPerRequestOptions {
  /** Follow calls from a handler or loop into same-file functions (one hop). */
  followLocalCalls: boolean;
  /** Report (as `info`) clients built per request for a destination that changes every iteration. */
  reportVaryingDestination: boolean;
}

const defaults = canonical.defaultOptions as unknown as ClientPerRequestOptions;

/** The options schema (also `schemas/rules/client-per-request.json`). */
export const schema = optionsSchema('client-per-request', 'Options of the client-per-request rule.', {
  followLocalCalls: {
    type: 'boolean',
    default: true,
    description: 'Also report clients built in a same-file function that a request handler or loop calls (one hop).',
  },
  reportVaryingDestination: {
    type: 'boolean',
    default: true,
    description:
      'Report, at info severity, clients built per request in a loop whose destination changes every iteration (a scanner over many hosts).',
  },
});

/** What the creation is, for the message (`axios.create() with a new https.Agent`). */
export function creationLabel(c: ClientCreation): string {
  if (c.innerAgents.length) return `${c.display} with ${c.innerAgents.map((a) => a.display).join(' and ')}`;
  return c.display;
}

/** Whether keep-alive is off on the agent(s) built (an `http.Agent` with no `keepAlive: true`). */
function keepAliveOff(c: ClientCreation): boolean {
  return [c, ...c.innerAgents].some((a) => a.keepAlive === 'off-default' || a.keepAlive === 'off-explicit');
}

const rule: MeshlintEslintRule = {
  meshlint: canonical,
  meta: {
    type: 'problem',
    docs: eslintDocs(canonical),
    schema: [schema],
    defaultOptions: [defaults],
    messages: {
      perRequest:
        '{{what}} is created {{where}}: every request opens new connections instead of reusing pooled ones, and each closed connection holds an ephemeral port in TIME_WAIT for 60 s.',
      perRequestNoKeepAlive:
        '{{what}} is created {{where}}, and its keepAlive is false (the http.Agent default): every request opens and closes a new connection, each holding an ephemeral port in TIME_WAIT for 60 s.',
      varyingDestination:
        '{{what}} is created {{where}} for a destination that changes every iteration: connections cannot be shared across destinations, but a shared agent would still reuse them for repeated hosts.',
    },
  },
  messageSeverity: { varyingDestination: 'info' },
  hints: {
    perRequest: 'create the agent/client once at module level (or in a constructor) and reuse it in every request',
    perRequestNoKeepAlive: 'create one agent at module level with { keepAlive: true } and reuse it',
    varyingDestination: 'keep one agent (it pools per host) instead of one per destination',
  },
  create(context: Rule.RuleContext): Rule.RuleListener {
    const opts = ruleOptions(context, defaults);
    const model = modelFor(context);
    const check = (node: Node): void => {
      const c = classifyCreation(model, node);
      if (!c || c.family !== 'http') return;
      // axios.create()/got.extend() without their own agent use the global (keep-alive) agent.
      if ((c.library === 'axios' || GOT_LIKE.has(c.library)) && c.innerAgents.length === 0) return;
      // An agent written inline in axios.create({ httpsAgent: new … }) is reported on the outer call.
      if (enclosingFactory(model, node)) return;
      const cc = creationContext(model, c, opts.followLocalCalls);
      if (!cc.repeated) {
        const fn = builtAndDroppedIn(model, c);
        if (!fn) return;
        const name = functionName(fn);
        const where = `in ${name ? `${name}()` : 'an exported function'}, which builds it, uses it for its request and drops it on every call`;
        context.report({ node: node as never, messageId: keepAliveOff(c) ? 'perRequestNoKeepAlive' : 'perRequest', data: { what: creationLabel(c), where, value: c.display } });
        return;
      }
      const data = { what: creationLabel(c), where: describeContext(cc.context), value: c.display };
      if (cc.varyingDestination) {
        if (!handlerOf(cc.context) || !opts.reportVaryingDestination) return;
        context.report({ node: node as never, messageId: 'varyingDestination', data });
        return;
      }
      context.report({ node: node as never, messageId: keepAliveOff(c) ? 'perRequestNoKeepAlive' : 'perRequest', data });
    };
    return {
      NewExpression: (node) => check(node as unknown as Node),
      CallExpression: (node) => check(node as unknown as Node),
    };
  },
};

export default rule;
