/**
 * ESLint rule `meshlint/keepalive-disabled-client`: keep-alive switched off on an outbound HTTP client.
 * Reports `keepAlive: false` on an agent, an `http.Agent`/`https.Agent` built with keepAlive left at its
 * default (false), `agent: false` (also axios `httpAgent`/`httpsAgent: false`) in request or instance options,
 * and a `Connection: close` header on an outbound request (fetch/axios/got/http.request options, axios
 * defaults, `clientRequest.setHeader`). A `Connection: close` on a server response is not outbound and is not
 * reported.
 */
import type { Rule } from 'eslint';
import type { TSESTree } from '@typescript-eslint/types';
import { meta as canonical } from '../../../../rules/keepalive-disabled-client.js';
import { type Node, memberName, objectProperty, propertyKeyName, unwrap } from '../ast.js';
import { type KeepAliveOff, GOT_LIKE, classifyCreation, classifyOutbound, creationContext, destinationVaries, enclosingFactory, keepAliveSwitches } from '../clients.js';
import { FileModel, modelFor } from '../model.js';
import { type MeshlintEslintRule, eslintDocs, optionsSchema, ruleOptions } from '../rule-support.js';
import { allLoops, executionContext } from '../scope.js';

/** Options of `keepalive-disabled-client`. */
export interface KeepaliveDisabledClientOptions {
  /** Report `new http.Agent()`/`new https.Agent()` whose keepAlive is left at its default, false. */
  reportImplicitAgentDefault: boolean;
}

const defaults = canonical.defaultOptions as unknown as KeepaliveDisabledClientOptions;

/** The options schema (also `schemas/rules/keepalive-disabled-client.json`). */
export const schema = optionsSchema('keepalive-disabled-client', 'Options of the keepalive-disabled-client rule.', {
  reportImplicitAgentDefault: {
    type: 'boolean',
    default: true,
    description: "Report new http.Agent()/https.Agent() built without keepAlive: true (Node's default for a new Agent is keepAlive: false).",
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
      agentKeepAliveFalse:
        '{{what}} has keepAlive: false: every request through it opens a new connection, whose ephemeral port then sits in TIME_WAIT for 60 s.',
      agentKeepAliveDefault:
        "{{what}} is built without keepAlive: true, and a new Agent's keepAlive defaults to false: every request through it opens a new connection, whose port then sits in TIME_WAIT for 60 s.",
      agentFalse:
        '{{detail}} on {{what}}: the request gets a fresh agent with keep-alive off, so every request opens a new connection whose port sits in TIME_WAIT for 60 s.',
      connectionClose:
        'Connection: close header on {{what}}: the connection is closed after each response, so every request opens a new one whose port sits in TIME_WAIT for 60 s.',
      varyingDestination:
        '{{detail}} on {{what}}, whose destination changes every iteration: connections to different hosts could not be reused anyway.',
      nextHttpAgentKeepAliveFalse:
        'httpAgentOptions.keepAlive: false in the Next.js configuration: every server-side fetch() opens a new connection, whose ephemeral port then sits in TIME_WAIT for 60 s.',
    },
  },
  messageSeverity: { varyingDestination: 'info' },
  hints: {
    agentKeepAliveFalse: 'use { keepAlive: true } (and maxSockets/maxFreeSockets to bound the pool)',
    agentKeepAliveDefault: 'pass { keepAlive: true } when building the agent',
    agentFalse: 'remove agent: false (the global agent keeps connections alive in Node ≥ 19) or pass a shared keep-alive agent',
    connectionClose: 'remove the Connection: close header; let the client pool the connection',
    varyingDestination: 'fine for one request per host; for repeated hosts use a shared keep-alive agent',
    nextHttpAgentKeepAliveFalse: 'remove httpAgentOptions.keepAlive: false (Next.js keeps server-side fetch connections alive by default)',
  },
  create(context: Rule.RuleContext): Rule.RuleListener {
    const opts = ruleOptions(context, defaults);
    const model = modelFor(context);
    const reported = new Set<Node>();
    const report = (node: Node, messageId: string, data: Record<string, string>): void => {
      if (reported.has(node)) return;
      reported.add(node);
      context.report({ node: node as never, messageId, data });
    };
    const reportSwitches = (switches: KeepAliveOff[], what: string, varying: boolean): void => {
      for (const s of switches) {
        const messageId = varying ? 'varyingDestination' : s.kind === 'agent-false' ? 'agentFalse' : 'connectionClose';
        report(s.node, messageId, { what, detail: s.detail, value: s.detail });
      }
    };

    const onNewOrCall = (node: Node): void => {
      const c = classifyCreation(model, node);
      if (c?.family === 'http') {
        if (c.keepAlive === 'off-explicit' && c.options) {
          const p = objectProperty(c.options, 'keepAlive');
          report((p ?? node) as Node, 'agentKeepAliveFalse', { what: c.display, value: 'keepAlive: false' });
        } else if (c.keepAlive === 'off-default' && opts.reportImplicitAgentDefault) {
          // Built per request, client-per-request reports it (its message says keep-alive is off).
          const outer = enclosingFactory(model, node) ?? c;
          if (!creationContext(model, outer).repeated) report(node, 'agentKeepAliveDefault', { what: c.display, value: 'keepAlive default false' });
        }
        if (c.library === 'axios' || GOT_LIKE.has(c.library)) reportSwitches(keepAliveSwitches(model, c.options), c.display, false);
      }
      if (node.type !== 'CallExpression') return;
      const o = classifyOutbound(model, node);
      if (o) {
        const switches = keepAliveSwitches(model, o.options);
        if (!switches.length) return;
        const loops = allLoops(executionContext(model, node));
        const varying = loops.length > 0 && destinationVaries(model, o, loops);
        reportSwitches(switches, o.display, varying);
        return;
      }
      // req = http.request(…); req.setHeader('Connection', 'close')
      const callee = unwrap(node.callee as Node);
      if (callee.type === 'MemberExpression' && memberName(callee) === 'setHeader' && isConnectionClose(model, node.arguments[0] as Node, node.arguments[1] as Node)) {
        const recv = model.resolve(callee.object as Node);
        const req = recv?.kind === 'node' ? classifyOutbound(model, recv.node) : undefined;
        if (req) report(node, 'connectionClose', { what: req.display, value: 'Connection: close header' });
      }
    };

    // Next.js: `httpAgentOptions: { keepAlive: false }` in next.config.{js,mjs,cjs,ts} turns keep-alive off for
    // every server-side fetch() (Next.js docs, next.config.js httpAgentOptions).
    const isNextConfig = /(^|[\\/])next\.config\.[cm]?[jt]s$/.test(context.filename);
    return {
      Property: (node) => {
        if (!isNextConfig) return;
        const p = node as unknown as TSESTree.Property;
        if (propertyKeyName(p.key, p.computed) !== 'keepAlive' || !(p.value.type === 'Literal' && p.value.value === false)) return;
        const parent = (p as unknown as { parent?: TSESTree.Node }).parent;
        const holder = parent && (parent as unknown as { parent?: TSESTree.Node }).parent;
        if (holder?.type !== 'Property' || propertyKeyName(holder.key, holder.computed) !== 'httpAgentOptions') return;
        report(p as unknown as Node, 'nextHttpAgentKeepAliveFalse', { value: 'httpAgentOptions.keepAlive: false' });
      },
      NewExpression: (node) => onNewOrCall(node as unknown as Node),
      CallExpression: (node) => onNewOrCall(node as unknown as Node),
      // axios.defaults.headers.common.Connection = 'close' / instance.defaults.headers['Connection'] = 'close'
      AssignmentExpression: (node) => {
        const n = node as unknown as TSESTree.AssignmentExpression;
        if (n.operator !== '=' || n.left.type !== 'MemberExpression') return;
        const key = propertyKeyName(n.left.property, n.left.computed);
        if (key?.toLowerCase() !== 'connection' || !isCloseValue(model, n.right as Node)) return;
        const path: string[] = [];
        let obj: Node = unwrap(n.left.object as Node);
        while (obj.type === 'MemberExpression') {
          path.unshift(memberName(obj) ?? '');
          obj = unwrap(obj.object as Node);
        }
        if (path[0] !== 'defaults' || path[1] !== 'headers') return;
        const root = model.resolve(obj);
        const isAxios = FileModel.isModule(root, 'axios', []) || (root?.kind === 'node' && classifyCreation(model, root.node)?.library === 'axios');
        if (isAxios) report(n as unknown as Node, 'connectionClose', { what: 'axios defaults', value: 'Connection: close header' });
      },
    };
  },
};

function isCloseValue(model: FileModel, n: Node | undefined): boolean {
  const s = model.staticString(n);
  return !!s?.complete && s.text.trim().toLowerCase() === 'close';
}

function isConnectionClose(model: FileModel, name: Node | undefined, value: Node | undefined): boolean {
  const s = model.staticString(name);
  return !!s?.complete && s.text.toLowerCase() === 'connection' && isCloseValue(model, value);
}

export default rule;
