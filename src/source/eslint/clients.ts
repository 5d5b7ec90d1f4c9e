/**
 * What a `new …` or a call builds (an HTTP agent, an undici dispatcher, an axios/got instance, a database
 * client) and what an outbound HTTP call looks like (library, URL, options, the client it goes through).
 * Every rule and the call-site collector classify nodes with these functions, so they agree.
 */
import type { Scope } from 'eslint';
import type { TSESTree } from '@typescript-eslint/types';
import {
  type FunctionNode,
  type Node,
  booleanLiteral,
  contains,
  hasSpread,
  isFunction,
  memberName,
  objectProperty,
  objectPropertyCI,
  parentOf,
  propertyKeyName,
  unwrap,
} from './ast.js';
import { FileModel, type StaticString, type Value } from './model.js';
import { type ExecContext, allLoops, dependsOnLoop, executionContext, isClassConstructor, isExportedFunction, isRepeated, localCallers } from './scope.js';

/** Keep-alive state of an HTTP agent as constructed. */
export type KeepAliveState = 'on' | 'off-explicit' | 'off-default' | 'unknown';

/** Something that owns sockets (or a pool of them) and is built by one `new`/call. */
export interface ClientCreation {
  node: TSESTree.NewExpression | TSESTree.CallExpression;
  /** `http` for HTTP agents/clients, `db` for database and cache clients. */
  family: 'http' | 'db';
  /** The package (`http`, `https`, `undici`, `axios`, `got`, `pg`, `redis`, `ioredis`…). */
  library: string;
  /** What was built, for messages: `new https.Agent()`, `axios.create()`, `new Client() from 'pg'`. */
  display: string;
  /** The options object literal, when it can be read. */
  options?: TSESTree.ObjectExpression;
  /** For HTTP agents: whether keep-alive is on. */
  keepAlive: KeepAliveState;
  /** For `axios.create()`/`got.extend()`: agents built inline in its config (`httpsAgent: new https.Agent()`). */
  innerAgents: ClientCreation[];
  /** The expression naming the destination (`new Pool('http://x')`, `{ host }`, `connectionString`), if any. */
  destination?: Node;
}

interface CtorSpec {
  family: 'http' | 'db';
  /** Agents that follow `http.Agent` keep-alive semantics (`keepAlive` default false). */
  nodeAgent?: boolean;
  /** Agents whose keep-alive defaults to on (`agentkeepalive`, undici). */
  keepAliveDefault?: boolean;
  /** Index of the options argument. */
  optionsArg: number;
  /** Index of the destination argument (URL/origin), if any. */
  destArg?: number;
}

/** `new X()` constructors meshlint knows: module → export path (`''` for the module itself) → spec. */
const CONSTRUCTORS: Record<string, Record<string, CtorSpec>> = {
  http: { Agent: { family: 'http', nodeAgent: true, optionsArg: 0 } },
  https: { Agent: { family: 'http', nodeAgent: true, optionsArg: 0 } },
  undici: {
    Client: { family: 'http', keepAliveDefault: true, optionsArg: 1, destArg: 0 },
    Pool: { family: 'http', keepAliveDefault: true, optionsArg: 1, destArg: 0 },
    BalancedPool: { family: 'http', keepAliveDefault: true, optionsArg: 1, destArg: 0 },
    Agent: { family: 'http', keepAliveDefault: true, optionsArg: 0 },
    ProxyAgent: { family: 'http', keepAliveDefault: true, optionsArg: 0 },
    EnvHttpProxyAgent: { family: 'http', keepAliveDefault: true, optionsArg: 0 },
  },
  agentkeepalive: {
    '': { family: 'http', keepAliveDefault: true, optionsArg: 0 },
    HttpsAgent: { family: 'http', keepAliveDefault: true, optionsArg: 0 },
  },
  // Before v6 the class was the module's default export (`import HttpsProxyAgent from 'https-proxy-agent'`).
  'https-proxy-agent': { HttpsProxyAgent: { family: 'http', optionsArg: 1 }, '': { family: 'http', optionsArg: 0 } },
  'http-proxy-agent': { HttpProxyAgent: { family: 'http', optionsArg: 1 }, '': { family: 'http', optionsArg: 0 } },
  hpagent: { HttpsProxyAgent: { family: 'http', optionsArg: 0 }, HttpProxyAgent: { family: 'http', optionsArg: 0 } },
  'proxy-agent': { ProxyAgent: { family: 'http', optionsArg: 0 } },
  '@npmcli/agent': {
    Agent: { family: 'http', keepAliveDefault: true, optionsArg: 0 },
    HttpAgent: { family: 'http', keepAliveDefault: true, optionsArg: 0 },
    HttpsAgent: { family: 'http', keepAliveDefault: true, optionsArg: 0 },
  },
  pg: { Client: { family: 'db', optionsArg: 0, destArg: 0 }, Pool: { family: 'db', optionsArg: 0, destArg: 0 } },
  'pg-pool': { '': { family: 'db', optionsArg: 0, destArg: 0 } },
  ioredis: {
    '': { family: 'db', optionsArg: 0, destArg: 0 },
    Redis: { family: 'db', optionsArg: 0, destArg: 0 },
    Cluster: { family: 'db', optionsArg: 1, destArg: 0 },
  },
  mongodb: { MongoClient: { family: 'db', optionsArg: 1, destArg: 0 } },
  '@prisma/client': { PrismaClient: { family: 'db', optionsArg: 0 } },
};

/** Factory calls meshlint knows: module → export path → spec. */
const FACTORIES: Record<string, Record<string, CtorSpec>> = {
  axios: { create: { family: 'http', optionsArg: 0 } },
  got: { extend: { family: 'http', optionsArg: 0 }, create: { family: 'http', optionsArg: 0 } },
  ky: { extend: { family: 'http', optionsArg: 0 }, create: { family: 'http', optionsArg: 0 } },
  redis: { createClient: { family: 'db', optionsArg: 0, destArg: 0 }, createCluster: { family: 'db', optionsArg: 0 } },
  '@redis/client': { createClient: { family: 'db', optionsArg: 0, destArg: 0 }, createCluster: { family: 'db', optionsArg: 0 } },
  mysql: { createConnection: { family: 'db', optionsArg: 0, destArg: 0 }, createPool: { family: 'db', optionsArg: 0, destArg: 0 } },
  mysql2: { createConnection: { family: 'db', optionsArg: 0, destArg: 0 }, createPool: { family: 'db', optionsArg: 0, destArg: 0 } },
  'mysql2/promise': { createConnection: { family: 'db', optionsArg: 0, destArg: 0 }, createPool: { family: 'db', optionsArg: 0, destArg: 0 } },
  mongodb: { 'MongoClient.connect': { family: 'db', optionsArg: 1, destArg: 0 } },
  knex: { '': { family: 'db', optionsArg: 0 } },
  postgres: { '': { family: 'db', optionsArg: 1, destArg: 0 } },
};

function display(v: Extract<Value, { kind: 'module' }>, isNew: boolean): string {
  const base = v.module.split('/').pop()!;
  const shortBase = base.includes('-') ? base : base;
  if (['http', 'https', 'axios', 'got', 'ky', 'undici', 'redis', 'mysql', 'mysql2'].includes(v.module) || v.module === 'mysql2/promise') {
    return `${isNew ? 'new ' : ''}${[shortBase, ...v.path].join('.')}()`;
  }
  const name = v.path.length ? v.path.join('.') : shortBase;
  return `${isNew ? 'new ' : ''}${name}() from '${v.module}'`;
}

/** Classifies a `new`/call node as a client creation, or `undefined` (cached). */
export function classifyCreation(model: FileModel, node: Node): ClientCreation | undefined {
  if (node.type !== 'NewExpression' && node.type !== 'CallExpression') return undefined;
  return model.cached('creation', node, () => computeCreation(model, node));
}

function computeCreation(model: FileModel, node: TSESTree.NewExpression | TSESTree.CallExpression): ClientCreation | undefined {
  const callee = model.resolve(node.callee as Node);
  let spec: CtorSpec | undefined;
  let library: string | undefined;
  let shown: string | undefined;
  if (callee?.kind === 'module') {
    const table = node.type === 'NewExpression' ? CONSTRUCTORS : FACTORIES;
    spec = table[callee.module]?.[callee.path.join('.')];
    library = callee.module;
    shown = display(callee, node.type === 'NewExpression');
  } else if (node.type === 'CallExpression' && node.callee.type === 'MemberExpression' && memberName(node.callee) === 'extend') {
    // gotInstance.extend({...})
    const base = model.resolve(node.callee.object as Node);
    if (base?.kind === 'node') {
      const inner = classifyCreation(model, base.node);
      if (inner && GOT_LIKE.has(inner.library)) {
        spec = FACTORIES[inner.library]!['extend'];
        library = inner.library;
        shown = `${inner.library}.extend()`;
      }
    }
  }
  if (!spec || !library || !shown) return undefined;
  const args = node.arguments as Node[];
  const options = model.objectLiteral(args[spec.optionsArg]);
  const creation: ClientCreation = {
    node,
    family: spec.family,
    library,
    display: shown,
    options,
    keepAlive: 'unknown',
    innerAgents: [],
    destination: destinationExpr(model, spec, args, options),
  };
  if (spec.family === 'http') creation.keepAlive = keepAliveOf(model, spec, args, options);
  if (library === 'axios' || library === 'got') creation.innerAgents = inlineAgents(model, options);
  return creation;
}

function destinationExpr(model: FileModel, spec: CtorSpec, args: Node[], options: TSESTree.ObjectExpression | undefined): Node | undefined {
  if (spec.destArg !== undefined && args[spec.destArg]) {
    const a = args[spec.destArg]!;
    if (!model.objectLiteral(a)) return a;
  }
  if (options) {
    for (const key of ['connectionString', 'url', 'uri', 'origin', 'host', 'hostname', 'baseURL', 'prefixUrl']) {
      const p = objectProperty(options, key);
      if (p) return p.value as Node;
    }
    const socket = model.objectLiteral(objectProperty(options, 'socket')?.value as Node | undefined);
    const host = socket && objectProperty(socket, 'host');
    if (host) return host.value as Node;
    const conn = model.objectLiteral(objectProperty(options, 'connection')?.value as Node | undefined);
    const connHost = conn && (objectProperty(conn, 'connectionString') ?? objectProperty(conn, 'host'));
    if (connHost) return connHost.value as Node;
  }
  return undefined;
}

function keepAliveOf(model: FileModel, spec: CtorSpec, args: Node[], options: TSESTree.ObjectExpression | undefined): KeepAliveState {
  const optArg = args[spec.optionsArg];
  if (options) {
    const p = objectProperty(options, 'keepAlive');
    if (p) {
      const b = booleanLiteral(p.value as Node);
      if (b === true) return 'on';
      if (b === false) return 'off-explicit';
      return 'unknown';
    }
    if (hasSpread(options)) return 'unknown';
    return spec.keepAliveDefault ? 'on' : spec.nodeAgent ? 'off-default' : 'unknown';
  }
  if (!optArg) return spec.keepAliveDefault ? 'on' : spec.nodeAgent ? 'off-default' : 'unknown';
  return spec.keepAliveDefault ? 'on' : 'unknown';
}

/** Agent option names in request/instance configs (node `agent`, axios `httpAgent`/`httpsAgent`, undici `dispatcher`). */
export const AGENT_KEYS = ['agent', 'httpAgent', 'httpsAgent', 'dispatcher'];

/** `new …Agent()` values written inline in an axios/got config (`httpsAgent: new https.Agent()`, `agent: { https: new … }`). */
function inlineAgents(model: FileModel, options: TSESTree.ObjectExpression | undefined): ClientCreation[] {
  const out: ClientCreation[] = [];
  if (!options) return out;
  const consider = (value: Node): void => {
    const v = unwrap(value);
    if (v.type === 'NewExpression') {
      const c = classifyCreation(model, v);
      if (c?.family === 'http') out.push(c);
    } else if (v.type === 'ObjectExpression') {
      for (const p of v.properties) if (p.type === 'Property') consider(p.value as Node);
    }
  };
  for (const key of AGENT_KEYS) {
    const p = objectProperty(options, key);
    if (p) consider(p.value as Node);
  }
  return out;
}

/**
 * If a creation node is an agent written inline in the config of an `axios.create()`/`got.extend()` call,
 * that outer creation (reports are made on the outer call, once).
 */
export function enclosingFactory(model: FileModel, node: Node): ClientCreation | undefined {
  for (let p = parentOf(node); p; p = parentOf(p)) {
    if (p.type === 'NewExpression' || p.type === 'CallExpression') {
      const c = classifyCreation(model, p);
      return c && c.innerAgents.some((a) => a.node === node) ? c : undefined;
    }
    if (isFunction(p)) return undefined;
  }
  return undefined;
}

/**
 * Whether a creation's result is kept for reuse rather than rebuilt each time: assigned to a property or
 * an outer variable (`this.agent = new Agent()`, `pool ??= new Pool()`), stored in a map
 * (`clients.set(host, new Client(host))`), or built only on a cache miss (`cache.get(k) ?? new Pool()`).
 */
export function isCachedCreation(model: FileModel, node: Node): boolean {
  return model.cached('cached', node, () => {
    const fn = enclosingFunctionOf(node);
    return flowsIntoCache(model, node, fn, 0);
  });
}

function enclosingFunctionOf(node: Node): Node | undefined {
  for (let p = parentOf(node); p; p = parentOf(p)) if (isFunction(p)) return p;
  return undefined;
}

function isOuterVariable(model: FileModel, id: TSESTree.Identifier, fn: Node | undefined): boolean {
  const v = model.variableOf(id);
  if (!v) return true; // implicit global
  const def = v.defs[0]!.node as unknown as Node;
  if (!fn) return true; // module level already
  return !(fn.range[0] <= def.range[0] && def.range[1] <= fn.range[1]);
}

function flowsIntoCache(model: FileModel, node: Node, fn: Node | undefined, depth: number): boolean {
  let n: Node = node;
  let p = parentOf(n);
  while (p) {
    if (
      p.type === 'TSAsExpression' || p.type === 'TSSatisfiesExpression' || p.type === 'TSNonNullExpression' ||
      p.type === 'AwaitExpression' || (p.type === 'ConditionalExpression' && p.test !== n)
    ) {
      n = p;
      p = parentOf(p);
      continue;
    }
    break;
  }
  if (!p) return false;
  if (p.type === 'LogicalExpression' && p.right === n && (p.operator === '??' || p.operator === '||')) return true;
  if (p.type === 'AssignmentExpression' && p.right === n) {
    if (p.operator === '??=' || p.operator === '||=') return true;
    const left = unwrap(p.left as Node);
    if (left.type === 'MemberExpression') return true;
    if (left.type === 'Identifier') {
      if (isOuterVariable(model, left, fn)) return true;
      // `let pool = cache.get(k); if (!pool) { pool = new Pool(); cache.set(k, pool); }`
      const v = model.variableOf(left);
      return !!v && depth < 2 && variableFlowsIntoCache(model, v, fn, depth);
    }
    return false;
  }
  if (p.type === 'CallExpression' && p.arguments.includes(n as TSESTree.CallExpressionArgument)) {
    const callee = unwrap(p.callee);
    return callee.type === 'MemberExpression' && memberName(callee) === 'set';
  }
  if (p.type === 'PropertyDefinition') return true;
  if (p.type === 'VariableDeclarator' && p.init === n && p.id.type === 'Identifier' && depth < 2) {
    const v = model.bindingOf(p);
    return !!v && variableFlowsIntoCache(model, v, fn, depth);
  }
  return false;
}

/** Whether a local variable holding a creation is later stored for reuse (assigned on, or passed to `.set()`). */
function variableFlowsIntoCache(model: FileModel, v: Scope.Variable, fn: Node | undefined, depth: number): boolean {
  return v.references.some((ref) => {
    if (ref.init || ref.isWrite()) return false;
    const id = ref.identifier as unknown as Node;
    const rp = parentOf(id);
    if (!rp) return false;
    if (rp.type === 'AssignmentExpression' && rp.right === id) return flowsIntoCache(model, id, fn, depth + 1);
    if (rp.type === 'CallExpression' && rp.arguments.includes(id as TSESTree.CallExpressionArgument)) return flowsIntoCache(model, id, fn, depth + 1);
    return false;
  });
}

/** A creation together with where it runs. */
export interface CreationContext {
  creation: ClientCreation;
  context: ExecContext;
  /** Runs per request or per iteration and is not cached. */
  repeated: boolean;
  /** The destination changes with the loop variable (a scanner visiting many hosts). */
  varyingDestination: boolean;
}

/** Where a creation runs and whether that makes it a per-request creation (cached). */
export function creationContext(model: FileModel, creation: ClientCreation, followCalls = true): CreationContext {
  return model.cached(followCalls ? 'creation-ctx+calls' : 'creation-ctx', creation.node, () => {
    const context = executionContext(model, creation.node, followCalls);
    const repeated = isRepeated(context) && !isCachedCreation(model, creation.node);
    const loops = allLoops(context);
    let varying = false;
    if (repeated && loops.length) {
      varying = !destinationOfString(model, creation.destination).host && dependsOnLoop(model, creation.destination, loops);
      if (!varying) varying = usedForVaryingDestination(model, creation, loops);
    }
    return { creation, context, repeated, varyingDestination: varying };
  });
}

/** Whether the created agent/client is used for calls whose URL depends on the loop variable. */
function usedForVaryingDestination(model: FileModel, creation: ClientCreation, loops: ReturnType<typeof allLoops>): boolean {
  const p = parentOf(creation.node);
  if (p?.type !== 'VariableDeclarator' || p.id.type !== 'Identifier') {
    // inline: fetch(url, { dispatcher: new Agent() }) / http.get(url, { agent: new Agent() })
    const call = callUsingInline(model, creation.node);
    return call ? destinationVaries(model, call, loops) : false;
  }
  const v = model.bindingOf(p);
  if (!v) return false;
  for (const ref of v.references) {
    if (ref.init) continue;
    const id = ref.identifier as unknown as Node;
    const call = callUsingInline(model, id);
    if (call && destinationVaries(model, call, loops)) return true;
  }
  return false;
}

/** Option keys that name a call's destination. */
const DESTINATION_KEYS = ['host', 'hostname', 'url', 'baseURL', 'prefixUrl', 'origin'];

/**
 * Whether the destination host of a call changes with the loops' per-iteration variables: its URL or a
 * destination option depends on them and no static host can be read (`'https://api.example.com/items/' + id`
 * keeps one host; `` `https://${host}/health` `` does not).
 */
export function destinationVaries(model: FileModel, call: OutboundCall, loops: ReturnType<typeof allLoops>): boolean {
  if (destinationOfCall(model, call).host) return false;
  if (dependsOnLoop(model, call.url, loops)) return true;
  if (!call.options) return false;
  return DESTINATION_KEYS.some((key) => {
    const p = objectProperty(call.options!, key);
    return !!p && dependsOnLoop(model, p.value as Node, loops);
  });
}

/** Option keys that hand an agent or dispatcher to a request (`{ agent }`, axios `httpsAgent`, undici `dispatcher`). */
const AGENT_OPTION_KEYS = new Set(['agent', 'httpAgent', 'httpsAgent', 'dispatcher']);

/**
 * An HTTP agent or client built in an ordinary function F, used there for its request(s) and dropped: F is
 * exported (other modules call it per request, any number of times) or called from another function, and the
 * creation is passed inline to an outbound call in F (`fetch(url, { agent: new https.Agent() })`), bound to a
 * local that an outbound call in F uses and that does not leave F, or set as the agent of an options object F
 * then passes to an outbound call (`options.agent = new HttpsProxyAgent(p); return fetch(url, options)`).
 * Every call of F then builds a new pool. Returns F, or undefined (module level, constructors, functions only
 * called at module level, clients kept for reuse).
 */
export function builtAndDroppedIn(model: FileModel, creation: ClientCreation): FunctionNode | undefined {
  const fn = enclosingFunctionOf(creation.node) as FunctionNode | undefined;
  if (!fn || isClassConstructor(fn)) return undefined;
  if (!isExportedFunction(model, fn) && !localCallers(model, fn).some((call) => enclosingFunctionOf(call as unknown as Node) !== undefined)) return undefined;
  const inFn = (call: OutboundCall | undefined): boolean => !!call && contains(fn, call.node as unknown as Node);
  let n: Node = creation.node;
  let p = parentOf(n);
  while (p && (p.type === 'AwaitExpression' || p.type === 'TSAsExpression' || p.type === 'TSNonNullExpression' || (p.type === 'ConditionalExpression' && p.test !== n))) {
    n = p;
    p = parentOf(p);
  }
  if (p?.type === 'AssignmentExpression' && p.right === n && p.operator === '=') {
    // options.agent = new Agent(); fetch(url, options)
    const left = unwrap(p.left as Node);
    if (left.type !== 'MemberExpression' || !AGENT_OPTION_KEYS.has(memberName(left) ?? '')) return undefined;
    const holder = unwrap(left.object as Node);
    if (holder.type !== 'Identifier') return undefined;
    const v = model.variableOf(holder);
    const def = v?.defs[0]?.node as unknown as Node | undefined;
    if (!v || !def || !contains(fn, def)) return undefined;
    const used = v.references.some((ref) => {
      const id = ref.identifier as unknown as Node;
      const call = parentOf(id);
      return call?.type === 'CallExpression' && call.arguments.includes(id as TSESTree.CallExpressionArgument) && inFn(classifyOutbound(model, call));
    });
    return used ? fn : undefined;
  }
  if (isCachedCreation(model, creation.node)) return undefined;
  if (inFn(callUsingInline(model, creation.node))) return fn;
  if (p?.type !== 'VariableDeclarator' || p.init !== n || p.id.type !== 'Identifier') return undefined;
  const v = model.bindingOf(p);
  if (!v) return undefined;
  let used = false;
  for (const ref of v.references) {
    if (ref.init) continue;
    const id = ref.identifier as unknown as Node;
    const rp = parentOf(id);
    // Returned or yielded: the caller keeps it (a factory).
    if (rp?.type === 'ReturnStatement' || rp?.type === 'YieldExpression' || (rp?.type === 'ArrowFunctionExpression' && rp.body === id)) return undefined;
    if (inFn(callUsingInline(model, id))) used = true;
  }
  return used ? fn : undefined;
}

/** The outbound call a value is passed to as `agent`/`dispatcher`/…, or as the receiver of. */
function callUsingInline(model: FileModel, n: Node): OutboundCall | undefined {
  let p = parentOf(n);
  if (p?.type === 'MemberExpression' && p.object === n) {
    const call = parentOf(p);
    return call?.type === 'CallExpression' ? classifyOutbound(model, call) : undefined;
  }
  for (let depth = 0; p && depth < 4; depth++, n = p, p = parentOf(p)) {
    if (p.type === 'CallExpression') return classifyOutbound(model, p);
  }
  return undefined;
}

// ---------------------------------------------------------------------------------------------------------
// Outbound calls

/** One outbound HTTP request in the code. */
export interface OutboundCall {
  node: TSESTree.CallExpression;
  /** `fetch`, `undici`, `axios`, `got`, `http`, `https`. */
  library: string;
  /** For messages: `fetch()`, `axios.get()`, `https.request()`, `client.request()`. */
  display: string;
  /** Upper-case HTTP method when known. */
  method?: string;
  /** The URL argument. */
  url?: Node;
  /** The request options / config object literal. */
  options?: TSESTree.ObjectExpression;
  /** The instance the call goes through (`axios.create()`, `got.extend()`, `new undici.Pool()`), when resolved. */
  client?: ClientCreation;
}

/** Packages whose default export (or `fetch` export) is a WHATWG-style `fetch(url, init)`. */
const FETCH_MODULES = new Set(['node-fetch', 'cross-fetch', 'isomorphic-fetch', 'isomorphic-unfetch', 'make-fetch-happen', 'minipass-fetch', 'node-fetch-native', 'undici']);
const AXIOS_URL_METHODS = new Set(['get', 'delete', 'head', 'options']);
const AXIOS_DATA_METHODS = new Set(['post', 'put', 'patch', 'postForm', 'putForm', 'patchForm']);
const GOT_METHODS = new Set(['get', 'post', 'put', 'patch', 'delete', 'head', 'stream']);
const UNDICI_DISPATCH_METHODS = new Set(['request', 'stream', 'pipeline', 'dispatch', 'connect', 'upgrade']);

/** Whether a value is a fetch function (global, a fetch package, `fetch.defaults()`, `fetchRetry(fetch)`). */
function isFetchValue(model: FileModel, v: Value | undefined, depth = 0): boolean {
  if (!v || depth > 3) return false;
  if (FileModel.isGlobal(v, 'fetch')) return true;
  if (v.kind === 'module' && FETCH_MODULES.has(v.module)) {
    if (v.module === 'undici') return v.path.length === 1 && v.path[0] === 'fetch';
    return v.path.length === 0 || (v.path.length === 1 && v.path[0] === 'fetch');
  }
  if (v.kind === 'node' && v.node.type === 'CallExpression') {
    const c = unwrap(v.node.callee);
    // make-fetch-happen: fetch.defaults({...}); fetch-retry: fetchRetry(fetch, opts)
    if (c.type === 'MemberExpression' && memberName(c) === 'defaults') return isFetchValue(model, model.resolve(c.object as Node), depth + 1);
    if (FileModel.isModule(model.resolve(c), 'fetch-retry', [])) return true;
  }
  return false;
}

/** Classifies a call as an outbound HTTP request, or `undefined` (cached). */
export function classifyOutbound(model: FileModel, node: Node): OutboundCall | undefined {
  if (node.type !== 'CallExpression') return undefined;
  return model.cached('outbound', node, () => computeOutbound(model, node));
}

function computeOutbound(model: FileModel, node: TSESTree.CallExpression): OutboundCall | undefined {
  const args = node.arguments as Node[];
  const calleeNode = unwrap(node.callee);
  const v = model.resolve(calleeNode);
  const urlAndOptions = (i: number): { url?: Node; options?: TSESTree.ObjectExpression } => {
    const first = args[i];
    const asObject = model.objectLiteral(first);
    if (asObject) return { options: asObject };
    return { url: first, options: model.objectLiteral(args[i + 1]) };
  };
  if (isFetchValue(model, v)) {
    const options = model.objectLiteral(args[1]);
    return { node, library: 'fetch', display: 'fetch()', url: args[0], options, method: methodOption(model, options) ?? 'GET' };
  }
  if (v?.kind === 'module') {
    const path = v.path;
    if (v.module === 'undici' && path.length === 1 && ['request', 'stream', 'pipeline'].includes(path[0]!)) {
      const options = model.objectLiteral(args[1]);
      return { node, library: 'undici', display: `undici.${path[0]}()`, url: args[0], options, method: methodOption(model, options) ?? 'GET' };
    }
    if (v.module === 'axios') return axiosCall(model, node, path, undefined);
    if (GOT_LIKE.has(v.module)) return gotCall(model, node, path, undefined, v.module);
    if ((v.module === 'http' || v.module === 'https') && path.length === 1 && (path[0] === 'request' || path[0] === 'get')) {
      const { url, options } = urlAndOptions(0);
      const method = path[0] === 'get' ? 'GET' : methodOption(model, options) ?? 'GET';
      return { node, library: v.module, display: `${v.module}.${path[0]}()`, url, options, method };
    }
    return undefined;
  }
  // Calls through an instance: client.get(), pool.request(), instance(url).
  if (v?.kind === 'node') {
    const inst = classifyCreation(model, v.node);
    if (inst?.library === 'axios') return axiosCall(model, node, [], inst);
    if (inst && GOT_LIKE.has(inst.library)) return gotCall(model, node, [], inst, inst.library);
  }
  if (calleeNode.type === 'MemberExpression') {
    const m = memberName(calleeNode);
    const recv = model.resolve(calleeNode.object as Node);
    if (!m || recv?.kind !== 'node') return undefined;
    const inst = classifyCreation(model, recv.node);
    if (!inst) return undefined;
    if (inst.library === 'axios') return axiosCall(model, node, [m], inst);
    if (GOT_LIKE.has(inst.library)) return gotCall(model, node, [m], inst, inst.library);
    if (inst.library === 'undici' && UNDICI_DISPATCH_METHODS.has(m)) {
      const options = model.objectLiteral(args[0]);
      return { node, library: 'undici', display: `${receiverText(calleeNode.object as Node)}.${m}()`, options, client: inst, method: methodOption(model, options) ?? 'GET' };
    }
  }
  return undefined;
}

function receiverText(n: Node): string {
  const u = unwrap(n);
  if (u.type === 'Identifier') return u.name;
  if (u.type === 'MemberExpression') return `${receiverText(u.object as Node)}.${memberName(u) ?? '…'}`;
  if (u.type === 'ThisExpression') return 'this';
  return 'client';
}

function methodOption(model: FileModel, options: TSESTree.ObjectExpression | undefined): string | undefined {
  const p = options && objectProperty(options, 'method');
  const s = p && model.staticString(p.value as Node);
  return s?.complete ? s.text.toUpperCase() : undefined;
}

function axiosCall(model: FileModel, node: TSESTree.CallExpression, path: string[], client: ClientCreation | undefined): OutboundCall | undefined {
  const args = node.arguments as Node[];
  const base = client ? 'client' : 'axios';
  const shownBase = client ? receiverText(unwrap(node.callee).type === 'MemberExpression' ? ((unwrap(node.callee) as TSESTree.MemberExpression).object as Node) : node.callee as Node) : base;
  if (path.length === 0 || (path.length === 1 && path[0] === 'request')) {
    const cfg = model.objectLiteral(args[0]);
    if (cfg) {
      const url = objectProperty(cfg, 'url')?.value as Node | undefined;
      return { node, library: 'axios', display: `${shownBase}${path.length ? '.request' : ''}()`, url, options: cfg, client, method: methodOption(model, cfg) ?? 'GET' };
    }
    if (path.length === 1) return undefined;
    const options = model.objectLiteral(args[1]);
    return { node, library: 'axios', display: `${shownBase}()`, url: args[0], options, client, method: methodOption(model, options) ?? 'GET' };
  }
  if (path.length !== 1) return undefined;
  const m = path[0]!;
  if (AXIOS_URL_METHODS.has(m)) {
    return { node, library: 'axios', display: `${shownBase}.${m}()`, url: args[0], options: model.objectLiteral(args[1]), client, method: m.toUpperCase() };
  }
  if (AXIOS_DATA_METHODS.has(m)) {
    return { node, library: 'axios', display: `${shownBase}.${m}()`, url: args[0], options: model.objectLiteral(args[2]), client, method: m.replace('Form', '').toUpperCase() };
  }
  return undefined;
}

/** got and ky: `lib(url, options)`, `lib.get(url, options)`, `lib({ url, … })`, instances from `.extend()`/`.create()`; `retry: N | { limit }` with a default of 2 retries. */
export const GOT_LIKE: ReadonlySet<string> = new Set(['got', 'ky']);

function gotCall(model: FileModel, node: TSESTree.CallExpression, path: string[], client: ClientCreation | undefined, library: string): OutboundCall | undefined {
  const args = node.arguments as Node[];
  const shownBase = client ? receiverText(unwrap(node.callee).type === 'MemberExpression' ? ((unwrap(node.callee) as TSESTree.MemberExpression).object as Node) : node.callee as Node) : library;
  const first = model.objectLiteral(args[0]);
  const url = first ? (objectProperty(first, 'url')?.value as Node | undefined) : args[0];
  const options = first ?? model.objectLiteral(args[1]);
  if (path.length === 0) return { node, library, display: `${shownBase}()`, url, options, client, method: methodOption(model, options) ?? 'GET' };
  if (path.length === 1 && GOT_METHODS.has(path[0]!)) {
    const m = path[0]!;
    return { node, library, display: `${shownBase}.${m}()`, url, options, client, method: m === 'stream' ? methodOption(model, options) ?? 'GET' : m.toUpperCase() };
  }
  return undefined;
}

// ---------------------------------------------------------------------------------------------------------
// Keep-alive switches in request options

/** A place where keep-alive is switched off for a request or an instance. */
export interface KeepAliveOff {
  /** The node to report (`agent: false`, the `Connection: 'close'` header, `keepAlive: false`). */
  node: Node;
  kind: 'agent-false' | 'connection-close' | 'agent-keepalive-false' | 'agent-keepalive-default';
  /** For messages: `agent: false`, `Connection: close`. */
  detail: string;
}

/** `Connection: close` in a headers object literal (or `new Headers({...})`), if present. */
export function connectionCloseHeader(model: FileModel, headers: Node | undefined): Node | undefined {
  if (!headers) return undefined;
  let h = unwrap(headers);
  if (h.type === 'NewExpression' && FileModel.isGlobal(model.resolve(h.callee as Node), 'Headers')) h = (h.arguments[0] as Node | undefined) ?? h;
  const obj = model.objectLiteral(h);
  if (!obj) return undefined;
  const p = objectPropertyCI(obj, 'connection');
  const s = p && model.staticString(p.value as Node);
  return s?.complete && s.text.trim().toLowerCase() === 'close' ? p : undefined;
}

/**
 * Keep-alive switches in a request options or instance config object: `agent: false` (also
 * `httpAgent`/`httpsAgent`), `headers: { Connection: 'close' }`.
 */
export function keepAliveSwitches(model: FileModel, options: TSESTree.ObjectExpression | undefined): KeepAliveOff[] {
  const out: KeepAliveOff[] = [];
  if (!options) return out;
  for (const key of AGENT_KEYS) {
    const p = objectProperty(options, key);
    if (p && booleanLiteral(p.value as Node) === false) out.push({ node: p, kind: 'agent-false', detail: `${key}: false` });
  }
  const headers = objectProperty(options, 'headers');
  const close = connectionCloseHeader(model, headers?.value as Node | undefined);
  if (close) out.push({ node: close, kind: 'connection-close', detail: 'Connection: close header' });
  // axios: { headers: { common: { Connection: 'close' } } } in instance defaults
  const hObj = model.objectLiteral(headers?.value as Node | undefined);
  const common = hObj && objectProperty(hObj, 'common');
  const closeCommon = connectionCloseHeader(model, common?.value as Node | undefined);
  if (closeCommon) out.push({ node: closeCommon, kind: 'connection-close', detail: 'Connection: close header' });
  return out;
}

/** The agent/dispatcher values given in request options (`agent`, `httpsAgent`, `dispatcher`, got's `agent: { https }`). */
export function agentValues(model: FileModel, options: TSESTree.ObjectExpression | undefined): Node[] {
  const out: Node[] = [];
  if (!options) return out;
  for (const key of AGENT_KEYS) {
    const p = objectProperty(options, key);
    if (!p) continue;
    const inner = model.objectLiteral(p.value as Node);
    if (inner && unwrap(p.value as Node).type === 'ObjectExpression') {
      for (const q of inner.properties) if (q.type === 'Property') out.push(q.value as Node);
    } else out.push(p.value as Node);
  }
  return out;
}

/** The creation an agent value denotes (`new https.Agent()` inline, or a variable holding one). */
export function agentCreation(model: FileModel, value: Node): ClientCreation | undefined {
  const v = model.resolve(value);
  return v?.kind === 'node' ? classifyCreation(model, v.node) : undefined;
}

// ---------------------------------------------------------------------------------------------------------
// Destinations

/** A destination read from a URL literal, options or a configured environment variable. */
export interface Destination {
  url?: string;
  host?: string;
  port?: number;
  scheme?: 'http' | 'https';
  /** The environment variable the destination came from. */
  env?: string;
}

/** Parses a URL prefix as written: `https://api.example.com:8443/v1` → scheme/host/port. Only complete hosts are returned. */
export function parseUrlPrefix(s: StaticString): Destination {
  const out: Destination = {};
  const text = s.text;
  let rest: string;
  if (text.toLowerCase().startsWith('http://')) {
    out.scheme = 'http';
    rest = text.slice(7);
  } else if (text.toLowerCase().startsWith('https://')) {
    out.scheme = 'https';
    rest = text.slice(8);
  } else return out;
  let end = rest.length;
  for (const ch of ['/', '?', '#']) {
    const i = rest.indexOf(ch);
    if (i >= 0 && i < end) end = i;
  }
  const hostComplete = end < rest.length || s.complete;
  let authority = rest.slice(0, end);
  const at = authority.lastIndexOf('@');
  if (at >= 0) authority = authority.slice(at + 1);
  if (!hostComplete || authority === '') return out;
  let host = authority;
  let port: number | undefined;
  const bracket = authority.startsWith('[') ? authority.indexOf(']') : -1;
  const colon = authority.lastIndexOf(':');
  if (colon > bracket && colon >= 0) {
    host = authority.slice(0, colon);
    const p = Number(authority.slice(colon + 1));
    if (Number.isInteger(p) && p > 0 && p < 65536) port = p;
  }
  out.host = host.toLowerCase();
  out.port = port ?? (out.scheme === 'https' ? 443 : 80);
  out.url = s.complete ? text : `${out.scheme}://${authority}`;
  if (s.complete) out.url = text;
  return out;
}

/** Reads an env-var mapping value: `host`, `host:port`, or a URL. */
export function parseEnvHost(value: string): Destination {
  if (value.includes('://')) return parseUrlPrefix({ text: value, complete: true });
  const colon = value.lastIndexOf(':');
  if (colon > 0 && !value.includes(']', colon)) {
    const port = Number(value.slice(colon + 1));
    if (Number.isInteger(port)) return { host: value.slice(0, colon).toLowerCase(), port };
  }
  return { host: value.toLowerCase() };
}

/** The destination a string expression names, including `process.env.X` mapped through `settings.meshlint.envHosts`. */
export function destinationOfString(model: FileModel, expr: Node | undefined): Destination {
  if (!expr) return {};
  const e = unwrap(expr);
  // new URL(path, base)
  if (e.type === 'NewExpression' && FileModel.isGlobal(model.resolve(e.callee as Node), 'URL')) {
    const base = e.arguments[1] as Node | undefined;
    return base ? destinationOfString(model, base) : destinationOfString(model, e.arguments[0] as Node | undefined);
  }
  const s = model.staticString(e);
  if (!s) return {};
  if (s.env) {
    const mapped = model.settings.envHosts?.[s.env];
    if (mapped !== undefined) {
      const { url: _url, ...rest } = parseEnvHost(mapped);
      return { ...rest, env: s.env };
    }
    const fallback = s.text ? parseUrlPrefix({ text: s.text, complete: s.complete }) : {};
    return { ...fallback, env: s.env };
  }
  return parseUrlPrefix(s);
}

/** The destination of an outbound call: URL argument, `{ host, port, protocol }` options, axios `baseURL`, got `prefixUrl`, undici origin. */
export function destinationOfCall(model: FileModel, call: OutboundCall): Destination {
  let d = destinationOfString(model, call.url);
  if (!d.host && call.options) {
    const base = objectProperty(call.options, 'baseURL') ?? objectProperty(call.options, 'prefixUrl');
    if (base) d = { ...destinationOfString(model, base.value as Node), ...(d.env ? { env: d.env } : {}) };
  }
  if (!d.host && call.client) {
    if (call.client.destination) d = destinationOfString(model, call.client.destination);
  }
  if (!d.host && call.options && (call.library === 'http' || call.library === 'https')) {
    const hostP = objectProperty(call.options, 'hostname') ?? objectProperty(call.options, 'host');
    const host = hostP && model.staticString(hostP.value as Node);
    const env = hostP && model.envVar(hostP.value as Node);
    const protoP = objectProperty(call.options, 'protocol');
    const proto = protoP && model.staticString(protoP.value as Node);
    const scheme: 'http' | 'https' = proto?.complete ? (proto.text.startsWith('https') ? 'https' : 'http') : (call.library as 'http' | 'https');
    const portP = objectProperty(call.options, 'port');
    const port = portP ? model.staticNumber(portP.value as Node) ?? numberFromString(model, portP.value as Node) : undefined;
    if (host?.complete && host.text) {
      d = { host: host.text.toLowerCase(), scheme, port: port ?? (scheme === 'https' ? 443 : 80) };
    } else if (env) {
      const mapped = model.settings.envHosts?.[env];
      d = mapped !== undefined ? { ...parseEnvHost(mapped), env, scheme } : { env, scheme };
      if (port !== undefined) d.port = port;
    }
  }
  if (d.host && d.port === undefined && d.scheme) d.port = d.scheme === 'https' ? 443 : 80;
  return d;
}

function numberFromString(model: FileModel, n: Node): number | undefined {
  const s = model.staticString(n);
  if (!s?.complete) return undefined;
  const v = Number(s.text);
  return Number.isInteger(v) ? v : undefined;
}

/** `process.env.X` names used for a destination, whether or not they are mapped. */
export function destinationKey(d: Destination): string | undefined {
  return d.host ? `${d.host}:${d.port ?? ''}` : d.env ? `env:${d.env}` : undefined;
}

/** Whether the property `key` inside an object is one of the agent keys. */
export function isAgentKey(prop: TSESTree.Property): boolean {
  const k = propertyKeyName(prop.key, prop.computed);
  return !!k && AGENT_KEYS.includes(k);
}
