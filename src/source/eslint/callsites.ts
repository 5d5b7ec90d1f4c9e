/**
 * Builds {@link AppCallSite}s — the application leg of the connection multiplier — from the same analyses
 * the rules use: one per outbound HTTP call (fetch, undici, axios, got, http/https) and one per database
 * client creation. Exposed as an internal ESLint rule that pushes call sites to a sink, so the scanner gets
 * them from the same single parse and traversal as the findings.
 */
import type { Rule } from 'eslint';
import type { TSESTree } from '@typescript-eslint/types';
import type { AppCallSite, SourceLanguage } from '../types.js';
import { type Node, memberName, objectProperty, parentOf, position } from './ast.js';
import {
  type ClientCreation,
  type Destination,
  type OutboundCall,
  agentCreation,
  agentValues,
  classifyCreation,
  classifyOutbound,
  creationContext,
  destinationOfCall,
  keepAliveSwitches,
  parseEnvHost,
} from './clients.js';
import { type FileModel, modelFor } from './model.js';
import { callSiteTries } from './retries.js';
import { describeContext } from './scope.js';

/** Language of a file by extension (`.ts`, `.tsx`, `.mts`, `.cts` → typescript). */
export function languageOf(filename: string): SourceLanguage {
  const lower = filename.toLowerCase();
  return ['.ts', '.tsx', '.mts', '.cts'].some((e) => lower.endsWith(e)) ? 'typescript' : 'javascript';
}

/** Default ports of database URL schemes. */
const DB_PORTS: Record<string, number> = { postgres: 5432, postgresql: 5432, redis: 6379, rediss: 6379, mysql: 3306, mongodb: 27017, 'mongodb+srv': 27017 };
/** Default ports of database libraries when no URL gives one. */
const LIBRARY_PORTS: Record<string, number> = { pg: 5432, 'pg-pool': 5432, postgres: 5432, redis: 6379, '@redis/client': 6379, ioredis: 6379, mysql: 3306, mysql2: 3306, 'mysql2/promise': 3306, mongodb: 27017 };

/** Destination of a database client: connection URL (`postgres://db:5432/x`) or `{ host, port }` options. */
function dbDestination(model: FileModel, c: ClientCreation): Destination {
  const d: Destination = {};
  const dest = c.destination;
  if (dest) {
    const s = model.staticString(dest);
    if (s?.env) {
      const mapped = model.settings.envHosts?.[s.env];
      return mapped !== undefined ? { ...parseEnvHost(mapped), env: s.env } : { env: s.env };
    }
    if (s) {
      const sep = s.text.indexOf('://');
      if (sep > 0) {
        const scheme = s.text.slice(0, sep).toLowerCase();
        let rest = s.text.slice(sep + 3);
        const slash = firstIndexOf(rest, ['/', '?', '#']);
        const complete = slash >= 0 || s.complete;
        if (slash >= 0) rest = rest.slice(0, slash);
        const at = rest.lastIndexOf('@');
        if (at >= 0) rest = rest.slice(at + 1);
        if (complete && rest) {
          const first = rest.split(',')[0]!;
          const colon = first.lastIndexOf(':');
          d.host = (colon > 0 ? first.slice(0, colon) : first).toLowerCase();
          const port = colon > 0 ? Number(first.slice(colon + 1)) : DB_PORTS[scheme];
          if (port !== undefined && Number.isInteger(port)) d.port = port;
          d.url = s.complete ? s.text : undefined;
          return d;
        }
      } else if (s.complete && s.text && !s.text.includes('/')) {
        d.host = s.text.toLowerCase();
      }
    }
  }
  if (c.options) {
    const portP = objectProperty(c.options, 'port');
    const port = portP ? model.staticNumber(portP.value as Node) : undefined;
    if (port !== undefined) d.port = port;
  }
  if (d.host && d.port === undefined) d.port = LIBRARY_PORTS[c.library];
  return d;
}

function firstIndexOf(s: string, chars: string[]): number {
  let best = -1;
  for (const ch of chars) {
    const i = s.indexOf(ch);
    if (i >= 0 && (best < 0 || i < best)) best = i;
  }
  return best;
}

/** `req.setHeader('Connection', 'close')` on the request object an `http.request()` call returned. */
function setsConnectionClose(model: FileModel, call: TSESTree.CallExpression): boolean {
  let n: Node = call;
  let p = parentOf(n);
  while (p && (p.type === 'AwaitExpression' || p.type === 'TSAsExpression')) {
    n = p;
    p = parentOf(p);
  }
  if (p?.type !== 'VariableDeclarator' || p.id.type !== 'Identifier') return false;
  const v = model.bindingOf(p);
  return !!v?.references.some((ref) => {
    const id = ref.identifier as unknown as Node;
    const m = parentOf(id);
    const c = m && parentOf(m);
    if (m?.type !== 'MemberExpression' || memberName(m) !== 'setHeader' || c?.type !== 'CallExpression') return false;
    const name = model.staticString(c.arguments[0] as Node | undefined);
    if (!name?.complete || name.text.toLowerCase() !== 'connection') return false;
    const val = model.staticString(c.arguments[1] as Node | undefined);
    return !!val?.complete && val.text.toLowerCase() === 'close';
  });
}

/** The call site for one outbound HTTP call. */
export function outboundCallSite(model: FileModel, o: OutboundCall): AppCallSite {
  const evidence: string[] = [o.display];
  let clientPerRequest = false;
  let keepAliveOff = false;
  // The instance the call goes through.
  if (o.client) {
    const cc = creationContext(model, o.client);
    const ownsSockets = o.client.library === 'undici' || o.client.innerAgents.length > 0;
    if (cc.repeated && ownsSockets) {
      clientPerRequest = true;
      evidence.push(`${o.client.display} built ${describeContext(cc.context)} (line ${o.client.node.loc.start.line})`);
    }
    for (const a of o.client.innerAgents) if (a.keepAlive === 'off-default' || a.keepAlive === 'off-explicit') keepAliveOff = true;
    const sw = keepAliveSwitches(model, o.client.options);
    if (sw.length) {
      keepAliveOff = true;
      evidence.push(`${sw.map((s) => s.detail).join(', ')} on ${o.client.display}`);
    }
  }
  // Agents/dispatchers given with the request.
  for (const value of [...agentValues(model, o.options)]) {
    const a = agentCreation(model, value);
    if (!a) continue;
    const cc = creationContext(model, a);
    if (cc.repeated) {
      clientPerRequest = true;
      evidence.push(`${a.display} built ${describeContext(cc.context)} (line ${a.node.loc.start.line})`);
    }
    if (a.keepAlive === 'off-default' || a.keepAlive === 'off-explicit') {
      keepAliveOff = true;
      evidence.push(`${a.display} with keepAlive ${a.keepAlive === 'off-explicit' ? 'false' : 'left at its default (false)'}`);
    }
  }
  const sw = keepAliveSwitches(model, o.options);
  if (sw.length) {
    keepAliveOff = true;
    evidence.push(sw.map((s) => s.detail).join(', '));
  }
  if (setsConnectionClose(model, o.node)) {
    keepAliveOff = true;
    evidence.push('Connection: close set on the request');
  }
  const { tries, evidence: tryEvidence } = callSiteTries(model, o);
  for (const e of tryEvidence) evidence.push(e);
  const dest = destinationOfCall(model, o);
  return site(model, o.node, dest, { clientPerRequest, keepAliveOff, appTries: tries, evidence: evidence.join('; ') });
}

/** The call site for one database client creation. */
export function dbCallSite(model: FileModel, c: ClientCreation): AppCallSite {
  const cc = creationContext(model, c);
  const evidence = cc.repeated ? `${c.display} opened ${describeContext(cc.context)}` : `${c.display} (created once)`;
  return site(model, c.node, dbDestination(model, c), { clientPerRequest: cc.repeated, keepAliveOff: false, appTries: 1, evidence });
}

function site(
  model: FileModel,
  node: Node,
  dest: Destination,
  facts: Pick<AppCallSite, 'clientPerRequest' | 'keepAliveOff' | 'appTries' | 'evidence'>,
): AppCallSite {
  const pos = position(node);
  const out: AppCallSite = { file: model.filename, line: pos.line, column: pos.column, language: languageOf(model.filename), ...facts };
  if (dest.url) out.url = dest.url;
  if (dest.host) out.host = dest.host;
  if (dest.port !== undefined) out.port = dest.port;
  if (dest.scheme) out.scheme = dest.scheme;
  if (dest.env) out.env = dest.env;
  if (!dest.host && dest.env) out.evidence += `; destination from $${dest.env} (not in envHosts)`;
  else if (dest.env) out.evidence += `; destination from $${dest.env}`;
  return out;
}

/**
 * An ESLint rule that reports nothing and hands every call site of the file to `sink`. Used by the scanner
 * next to the meshlint rules, in the same lint pass.
 */
export function callSiteCollector(sink: (site: AppCallSite) => void): Rule.RuleModule {
  return {
    meta: { type: 'suggestion', docs: { description: 'Collects outbound call sites for meshlint (internal).' }, schema: [] },
    create(context) {
      const model = modelFor(context);
      const onNode = (n: Node): void => {
        if (n.type === 'CallExpression') {
          const o = classifyOutbound(model, n);
          if (o) {
            sink(outboundCallSite(model, o));
            return;
          }
        }
        const c = classifyCreation(model, n);
        if (c?.family === 'db') sink(dbCallSite(model, c));
      };
      return {
        CallExpression: (n) => onNode(n as unknown as Node),
        NewExpression: (n) => onNode(n as unknown as Node),
      };
    },
  };
}
