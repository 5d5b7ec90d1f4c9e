/**
 * Where code runs, as meshlint's source rules need to know it: once (module level, constructors, `main`),
 * per request (inside a request handler, or inside a same-file function a handler calls: one hop), or per
 * iteration (inside a loop or an iteration callback). This is the one piece of handler/loop detection all
 * the JavaScript/TypeScript rules share.
 *
 * Recognised handler shapes:
 * - route callbacks: `app.get('/x', fn)`, `router.post(['/a'], mw, fn)`, `router.route('/x').get(fn)`,
 *   `fastify.get('/x', opts, fn)`, `app.use(fn)` (Express/Koa middleware), Fastify `addHook('onRequest', fn)`;
 * - route objects: `server.route({ handler })` (Hapi, Fastify; also `options.handler`);
 * - Node servers: `http.createServer(fn)`, `https.createServer(opts, fn)`, `server.on('request', fn)`;
 * - Next.js: default export under `pages/api/`, `export async function GET(request)` route handlers;
 * - serverless: `export const handler = …`, `exports.handler = …`, names ending in `Handler`, wrapped once
 *   (`middy(fn)`); Google Cloud Functions `functions.http('name', fn)`; Workers `export default { fetch }`;
 * - NestJS `@Get()`/`@Post()`… methods; KafkaJS `consumer.run({ eachMessage })`;
 * - any of the above given by name (`app.get('/x', getUser)`) or wrapped once (`app.get('/x', wrap(fn))`).
 */
import type { Scope } from 'eslint';
import type { TSESTree } from '@typescript-eslint/types';
import {
  type FunctionNode,
  type LoopNode,
  type Node,
  contains,
  functionName,
  isFunction,
  isLoop,
  memberName,
  parentOf,
  propertyKeyName,
  unwrap,
  walk,
} from './ast.js';
import { FileModel } from './model.js';

/** A loop (statement or iteration callback) the code runs in. */
export interface LoopInfo {
  /** The loop statement, or the callback function for `.map`/`.forEach`/`setInterval`… */
  node: LoopNode | FunctionNode;
  /** For messages: `for…of loop`, `.map() callback`, `setInterval() callback`. */
  label: string;
  /** Variables that change per iteration (the loop head's bindings, callback parameters, counters). */
  vars: Scope.Variable[];
}

/** The request handler a node runs in. */
export interface HandlerInfo {
  /** The handler function. */
  node: FunctionNode;
  /** For messages, e.g. `route handler app.get('/charge')`, `Lambda handler handler`. */
  label: string;
}

/** How often a piece of code runs, relative to the requests the service serves. */
export interface ExecContext {
  /** The handler the code is (lexically) inside, if any. */
  handler?: HandlerInfo;
  /** Loops between the code and its handler or the top of the file, innermost first. */
  loops: LoopInfo[];
  /** Set when the code is in a function that a handler or loop in the same file calls (one hop). */
  callee?: { name: string; call: TSESTree.CallExpression; context: ExecContext };
}

/** Whether code in this context runs per request or per iteration (as opposed to once). */
export function isRepeated(ctx: ExecContext): boolean {
  return !!ctx.handler || ctx.loops.length > 0 || !!ctx.callee;
}

/** The handler the code runs under, directly or through one same-file call. */
export function handlerOf(ctx: ExecContext): HandlerInfo | undefined {
  return ctx.handler ?? ctx.callee?.context.handler;
}

/** Every loop the code runs in, its own and its caller's. */
export function allLoops(ctx: ExecContext): LoopInfo[] {
  return [...ctx.loops, ...(ctx.callee?.context.loops ?? [])];
}

/** A phrase for messages: `in route handler app.get('/x')`, `in a for…of loop`, `in makeClient(), which is called in …`. */
export function describeContext(ctx: ExecContext): string {
  const own = ctx.loops.length ? `in a ${ctx.loops[0]!.label}` : '';
  if (ctx.handler) return own ? `${own} in ${ctx.handler.label}` : `in ${ctx.handler.label}`;
  if (ctx.callee) {
    const inner = `in ${ctx.callee.name}()`;
    return `${own ? `${own} ` : ''}${inner}, which is called ${describeContext(ctx.callee.context)}`;
  }
  return own || 'once';
}

/** Methods whose callback runs once per element. */
const ITERATION_METHODS = new Set([
  'forEach', 'map', 'flatMap', 'filter', 'reduce', 'reduceRight', 'some', 'every', 'find', 'findIndex', 'findLast', 'findLastIndex',
]);
/** Router methods whose function arguments are request handlers (Express, Koa-router, Fastify, Restify, Hono). */
const ROUTE_METHODS = new Set(['get', 'post', 'put', 'patch', 'delete', 'del', 'head', 'options', 'all', 'any', 'trace']);
/** Fastify hooks that run per request (the others run at start-up or shutdown). */
const FASTIFY_REQUEST_HOOKS = new Set([
  'onRequest', 'preParsing', 'preValidation', 'preHandler', 'preSerialization', 'onSend', 'onResponse', 'onError', 'onTimeout', 'onRequestAbort',
]);
/** Route-object keys whose function runs per request (Hapi `handler`, Fastify route hooks). */
const ROUTE_OBJECT_KEYS = new Set(['handler', ...FASTIFY_REQUEST_HOOKS]);
/** Next.js route handler export names. */
const HTTP_VERB_EXPORTS = new Set(['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD', 'OPTIONS']);
/** NestJS method decorators that make a method a request or message handler. */
const NEST_DECORATORS = new Set(['Get', 'Post', 'Put', 'Patch', 'Delete', 'All', 'Head', 'Options', 'Sse', 'MessagePattern', 'EventPattern']);
/** Events whose listener runs per request. */
const REQUEST_EVENTS = new Set(['request', 'stream', 'checkContinue']);
/** Modules whose `createServer(listener)` takes a per-request listener. */
const SERVER_MODULES = ['http', 'https', 'http2', 'spdy'];

/**
 * The execution context of `node`. With `followCalls` (the default), a function whose same-file callers
 * run per request or per iteration takes its caller's context (one hop only).
 */
export function executionContext(model: FileModel, node: Node, followCalls = true): ExecContext {
  return model.cached(followCalls ? 'ctx+calls' : 'ctx', node, () => computeContext(model, node, followCalls));
}

function computeContext(model: FileModel, node: Node, followCalls: boolean): ExecContext {
  const loops: LoopInfo[] = [];
  let prev: Node = node;
  for (let p = parentOf(node); p; prev = p, p = parentOf(p)) {
    if (isLoop(p) && runsPerIteration(p, prev)) loops.push(loopStatementInfo(model, p));
    if (!isFunction(p)) continue;
    const handler = handlerInfo(model, p);
    if (handler) return { handler, loops };
    const cb = loopCallbackInfo(model, p);
    if (cb) {
      loops.push(cb);
      continue;
    }
    if (isConstructor(p)) return { loops };
    if (followCalls) {
      for (const call of localCallers(model, p)) {
        if (contains(p, call)) continue; // recursion
        const c = executionContext(model, call, false);
        if (isRepeated(c)) return { loops, callee: { name: functionName(p) ?? 'an inner function', call, context: c } };
      }
    }
  }
  return { loops };
}

/** Whether `child` (a direct child of `loop`) is evaluated on every iteration. */
function runsPerIteration(loop: LoopNode, child: Node): boolean {
  if (loop.type === 'ForStatement') return child !== loop.init;
  if (loop.type === 'ForInStatement' || loop.type === 'ForOfStatement') return child === loop.body;
  return true;
}

function isConstructor(fn: FunctionNode): boolean {
  const p = parentOf(fn);
  return p?.type === 'MethodDefinition' && p.kind === 'constructor';
}

const LOOP_LABELS: Record<LoopNode['type'], string> = {
  ForStatement: 'for loop',
  ForInStatement: 'for…in loop',
  ForOfStatement: 'for…of loop',
  WhileStatement: 'while loop',
  DoWhileStatement: 'do…while loop',
};

/** Loop facts for a loop statement (cached). */
export function loopStatementInfo(model: FileModel, loop: LoopNode): LoopInfo {
  return model.cached('loop', loop, () => {
    const vars = new Set<Scope.Variable>();
    const head = loop.type === 'ForStatement' ? loop.init : loop.type === 'ForInStatement' || loop.type === 'ForOfStatement' ? loop.left : null;
    if (head) {
      if (head.type === 'VariableDeclaration') for (const v of model.declaredVariables(head)) vars.add(v);
      else if (head.type === 'Identifier') {
        const v = model.variableOf(head);
        if (v) vars.add(v);
      }
    }
    // Counters and cursors written inside the loop but declared outside it (`while (i < n) { …; i++ }`).
    walk(loop, (n) => {
      let target: Node | undefined;
      if (n.type === 'UpdateExpression') target = n.argument;
      else if (n.type === 'AssignmentExpression') target = n.left;
      if (target?.type === 'Identifier') {
        const v = model.variableOf(target);
        if (v && !v.defs.some((d) => contains(loop, d.node as unknown as Node))) vars.add(v);
      }
    });
    return { node: loop, label: LOOP_LABELS[loop.type], vars: [...vars] };
  });
}

/** Whether `fn` is a callback that runs once per element or tick: `.map(fn)`, `setInterval(fn)`, `pMap(xs, fn)`. */
export function loopCallbackInfo(model: FileModel, fn: FunctionNode): LoopInfo | undefined {
  return model.cached('loop-callback', fn, () => {
    const p = parentOf(fn);
    if (p?.type !== 'CallExpression' || !p.arguments.includes(fn as TSESTree.CallExpressionArgument)) return undefined;
    const callee = unwrap(p.callee);
    const idx = p.arguments.indexOf(fn as TSESTree.CallExpressionArgument);
    const params = (): Scope.Variable[] => model.declaredVariables(fn).filter((v) => v.defs.some((d) => d.type === 'Parameter'));
    if (callee.type === 'MemberExpression') {
      const m = memberName(callee);
      if (m && ITERATION_METHODS.has(m) && idx === 0) return { node: fn, label: `.${m}() callback`, vars: params() };
    }
    const v = model.resolve(callee);
    if (FileModel.isGlobal(v, 'Array', ['from']) && idx === 1) return { node: fn, label: 'Array.from() callback', vars: params() };
    if ((FileModel.isGlobal(v, 'setInterval') || FileModel.isModule(v, ['timers', 'timers/promises'], ['setInterval'])) && idx === 0) {
      return { node: fn, label: 'setInterval() callback', vars: [] };
    }
    if (FileModel.isModule(v, 'node-cron', ['schedule']) || FileModel.isModule(v, 'cron', ['schedule'])) return { node: fn, label: 'cron job', vars: [] };
    if (FileModel.isModule(v, ['p-map', 'p-map-series', 'p-each-series'], [])) return { node: fn, label: 'p-map callback', vars: params() };
    if (v?.kind === 'module' && v.module === 'async' && v.path.length === 1 && /* async.each/map… */ ASYNC_ITERATORS.has(v.path[0]!)) {
      return { node: fn, label: `async.${v.path[0]}() callback`, vars: params() };
    }
    return undefined;
  });
}

const ASYNC_ITERATORS = new Set(['each', 'eachLimit', 'eachSeries', 'map', 'mapLimit', 'mapSeries', 'forEach', 'forEachLimit', 'forEachSeries']);

/** If `fn` is a request handler, a label saying which kind; else `undefined` (cached per function). */
export function handlerInfo(model: FileModel, fn: FunctionNode): HandlerInfo | undefined {
  return model.cached('handler', fn, () => {
    const label = handlerLabel(model, fn);
    return label ? { node: fn, label } : undefined;
  });
}

function handlerLabel(model: FileModel, fn: FunctionNode): string | undefined {
  const direct = positionLabel(model, fn, fn, true);
  if (direct) return direct;
  // Given by name: `app.get('/x', getUser)`, `export { handler }`, `exports.handler = handler`.
  for (const v of bindingsOf(model, fn)) {
    for (const ref of v.references) {
      if (ref.init) continue;
      const label = positionLabel(model, ref.identifier as unknown as Node, fn, true);
      if (label) return label;
    }
  }
  return undefined;
}

/** The variables a function is bound to: its declaration name, `const f = fn`, `const f = wrap(fn)`. */
function bindingsOf(model: FileModel, fn: FunctionNode): Scope.Variable[] {
  if (fn.type === 'FunctionDeclaration') {
    return fn.id ? model.declaredVariables(fn).filter((v) => v.name === fn.id!.name) : [];
  }
  let n: Node = fn;
  let p = parentOf(n);
  while (p && isTransparent(p, n)) {
    n = p;
    p = parentOf(p);
  }
  if (p?.type === 'CallExpression' && p.arguments.includes(n as TSESTree.CallExpressionArgument)) {
    n = p; // one wrapper: const handler = middy(fn)
    p = parentOf(p);
  }
  if (p?.type === 'VariableDeclarator' && p.init === n) {
    const v = model.bindingOf(p);
    return v ? [v] : [];
  }
  return [];
}

/** TypeScript wrappers and `await` that do not change which function a position holds. */
function isTransparent(parent: Node, child: Node): boolean {
  switch (parent.type) {
    case 'TSAsExpression':
    case 'TSSatisfiesExpression':
    case 'TSNonNullExpression':
    case 'TSTypeAssertion':
      return parent.expression === child;
    default:
      return false;
  }
}

/**
 * If the expression `n` (the handler function itself, a reference to it, or a wrapper call around it)
 * sits where a framework will call it per request, a label for messages.
 */
function positionLabel(model: FileModel, n: Node, fn: FunctionNode, allowWrapper: boolean): string | undefined {
  let p = parentOf(n);
  while (p && isTransparent(p, n)) {
    n = p;
    p = parentOf(p);
  }
  if (!p) return undefined;
  if (p.type === 'CallExpression' && p.callee !== n && p.arguments.includes(n as TSESTree.CallExpressionArgument)) {
    const label = callArgumentLabel(model, p, n);
    if (label) return label;
    if (allowWrapper && !loopCallbackLike(model, p)) return positionLabel(model, p, fn, false);
    return undefined;
  }
  if (p.type === 'Property' && p.value === n) return propertyLabel(model, p, fn);
  if (p.type === 'MethodDefinition' && p.value === n) return decoratorLabel(p);
  return exportLabel(model, n, p, fn);
}

function loopCallbackLike(model: FileModel, call: TSESTree.CallExpression): boolean {
  const callee = unwrap(call.callee);
  if (callee.type === 'MemberExpression') {
    const m = memberName(callee);
    if (m && (ITERATION_METHODS.has(m) || m === 'then' || m === 'catch' || m === 'finally')) return true;
  }
  return FileModel.isGlobal(model.resolve(callee), 'setInterval') || FileModel.isGlobal(model.resolve(callee), 'setTimeout');
}

/** A readable name for a receiver: `app`, `router`, `this.app`, `…`. */
function receiverName(obj: Node): string {
  const o = unwrap(obj);
  if (o.type === 'Identifier') return o.name;
  if (o.type === 'ThisExpression') return 'this';
  if (o.type === 'MemberExpression') {
    const m = memberName(o);
    return m ? `${receiverName(o.object)}.${m}` : '…';
  }
  if (o.type === 'CallExpression') {
    const c = unwrap(o.callee);
    if (c.type === 'MemberExpression') return `${receiverName(c.object)}.${memberName(c) ?? '…'}(…)`;
    if (c.type === 'Identifier') return `${c.name}(…)`;
  }
  return '…';
}

/** A path-like first argument of a route method: `'/x'`, `` `/x/${id}` ``, `/re/`, `['/a', '/b']`, a const holding one. */
function pathLike(model: FileModel, arg: Node | undefined): string | undefined {
  if (!arg) return undefined;
  const a = unwrap(arg);
  if (a.type === 'Literal' && 'regex' in a && a.regex) return `/${a.regex.pattern}/`;
  if (a.type === 'ArrayExpression') {
    const first = a.elements[0];
    return first && first.type !== 'SpreadElement' ? pathLike(model, first) : undefined;
  }
  const s = model.staticString(a);
  if (s && (s.text.startsWith('/') || s.text === '*' || (s.complete && s.text === ''))) return s.text;
  return undefined;
}

function callArgumentLabel(model: FileModel, call: TSESTree.CallExpression, arg: Node): string | undefined {
  const callee = unwrap(call.callee);
  const args = call.arguments as Node[];
  if (callee.type === 'MemberExpression') {
    const m = memberName(callee);
    if (!m) return undefined;
    const recv = receiverName(callee.object);
    if (ROUTE_METHODS.has(m)) {
      const path = args[0] !== arg ? pathLike(model, args[0]) : undefined;
      if (path !== undefined) return `route handler ${recv}.${m}('${path}')`;
      const obj = unwrap(callee.object);
      if (obj.type === 'CallExpression') {
        const oc = unwrap(obj.callee);
        if (oc.type === 'MemberExpression' && memberName(oc) === 'route') {
          return `route handler ${receiverName(oc.object)}.route('${pathLike(model, obj.arguments[0] as Node) ?? '…'}').${m}()`;
        }
      }
      return undefined;
    }
    if (m === 'use') return `middleware ${recv}.use()`;
    if (m === 'addHook') {
      const hook = model.staticString(args[0]);
      if (hook?.complete && FASTIFY_REQUEST_HOOKS.has(hook.text)) return `'${hook.text}' hook ${recv}.addHook()`;
      return undefined;
    }
    if (m === 'on' || m === 'addListener' || m === 'prependListener') {
      const ev = model.staticString(args[0]);
      if (ev?.complete && REQUEST_EVENTS.has(ev.text) && args[0] !== arg) return `'${ev.text}' listener ${recv}.${m}()`;
      return undefined;
    }
  }
  const v = model.resolve(callee);
  if (v?.kind === 'module' && SERVER_MODULES.includes(v.module) && v.path.length === 1 && (v.path[0] === 'createServer' || v.path[0] === 'createSecureServer')) {
    return `request listener of ${v.module}.${v.path[0]}()`;
  }
  if (FileModel.isModule(v, '@google-cloud/functions-framework', ['http']) || FileModel.isModule(v, '@google-cloud/functions-framework', ['cloudEvent'])) {
    return 'Cloud Functions handler';
  }
  return undefined;
}

/** `{ handler: fn }` in `server.route({…})`, `{ eachMessage: fn }` in `consumer.run({…})`, Workers `export default { fetch }`. */
function propertyLabel(model: FileModel, prop: TSESTree.Property, fn: FunctionNode): string | undefined {
  const key = propertyKeyName(prop.key, prop.computed);
  if (!key) return undefined;
  let obj = parentOf(prop);
  if (obj?.type !== 'ObjectExpression') return undefined;
  if (ROUTE_OBJECT_KEYS.has(key)) {
    // Hapi: { method, path, options: { handler } }
    let holder: Node | undefined = parentOf(obj);
    if (holder?.type === 'Property') {
      const hk = propertyKeyName(holder.key, holder.computed);
      if (hk === 'options' || hk === 'config') {
        obj = parentOf(holder);
        holder = obj ? parentOf(obj) : undefined;
      }
    }
    if (holder?.type === 'ArrayExpression') holder = parentOf(holder);
    if (holder?.type === 'CallExpression') {
      const callee = unwrap(holder.callee);
      if (callee.type === 'MemberExpression' && memberName(callee) === 'route') return `route ${key} ${receiverName(callee.object)}.route()`;
      if (callee.type === 'MemberExpression' && memberName(callee) && ROUTE_METHODS.has(memberName(callee)!) && pathLike(model, holder.arguments[0] as Node)) {
        return `route ${key} ${receiverName(callee.object)}.${memberName(callee)}('${pathLike(model, holder.arguments[0] as Node)}')`;
      }
    }
  }
  if (!obj) return undefined;
  if (key === 'eachMessage' || key === 'eachBatch') {
    const holder = parentOf(obj);
    if (holder?.type === 'CallExpression') {
      const callee = unwrap(holder.callee);
      if (callee.type === 'MemberExpression' && memberName(callee) === 'run') return `Kafka consumer ${key}`;
    }
  }
  if (key === 'fetch' && parentOf(obj)?.type === 'ExportDefaultDeclaration') return 'Workers fetch handler';
  // module.exports = { handler: fn }
  return exportLabel(model, prop.value as Node, prop, fn);
}

function decoratorLabel(method: TSESTree.MethodDefinition): string | undefined {
  for (const d of method.decorators ?? []) {
    const e = unwrap(d.expression);
    const name = e.type === 'CallExpression' ? (unwrap(e.callee).type === 'Identifier' ? (unwrap(e.callee) as TSESTree.Identifier).name : undefined) : undefined;
    if (name && NEST_DECORATORS.has(name)) return `NestJS @${name}() handler ${propertyKeyName(method.key, method.computed) ?? ''}`.trimEnd();
  }
  return undefined;
}

/** Labels for exported names that a platform calls per request. */
function exportNameLabel(name: string, fn?: FunctionNode): string | undefined {
  if (HTTP_VERB_EXPORTS.has(name)) return `Next.js route handler ${name}`;
  if (name === 'handler' || name.endsWith('Handler')) return `serverless handler ${name}`;
  if (fn && connectSignature(fn)) return `exported request handler ${name}(req, res)`;
  return undefined;
}

/**
 * The Connect/Express handler signature `(req, res)` or `(req, res, next)` (also `request`, `response`): an
 * exported function of that shape is a route handler or middleware registered in another file, called once per
 * request.
 */
function connectSignature(fn: FunctionNode): boolean {
  const names = fn.params.map((p) => (p.type === 'Identifier' ? p.name : ''));
  if (names.length < 2 || names.length > 3) return false;
  return /^req(uest)?$/.test(names[0]!) && /^res(ponse)?$/.test(names[1]!) && (names.length === 2 || names[2] === 'next');
}

/** Whether the file is a Next.js/Vercel API route file (`pages/api/**`, `api/**`). */
function isApiRouteFile(filename: string): { pagesApi: boolean; api: boolean } {
  const segs = filename.split(/[\\/]/);
  segs.pop();
  let pagesApi = false;
  for (let i = 1; i < segs.length; i++) if (segs[i] === 'api' && segs[i - 1] === 'pages') pagesApi = true;
  return { pagesApi, api: segs.includes('api') };
}

function firstParamLooksLikeRequest(fn: FunctionNode): boolean {
  const p = fn.params[0];
  const name = p?.type === 'Identifier' ? p.name : p?.type === 'AssignmentPattern' && p.left.type === 'Identifier' ? p.left.name : undefined;
  return name === 'req' || name === 'request';
}

/** `module.exports`, `exports` (and `module.exports.x`, `exports.x`): the export target name, `''` for the whole. */
function commonJsExportName(left: Node): string | undefined {
  const l = unwrap(left);
  if (l.type === 'MemberExpression') {
    const obj = unwrap(l.object);
    const name = memberName(l);
    if (obj.type === 'Identifier' && obj.name === 'module' && name === 'exports') return '';
    if (obj.type === 'Identifier' && obj.name === 'exports' && name) return name;
    if (obj.type === 'MemberExpression' && unwrap(obj.object).type === 'Identifier' && (unwrap(obj.object) as TSESTree.Identifier).name === 'module' && memberName(obj) === 'exports' && name) return name;
  }
  return undefined;
}

function exportLabel(model: FileModel, n: Node, p: Node, fn: FunctionNode): string | undefined {
  const file = isApiRouteFile(model.filename);
  const defaultExportLabel = (): string | undefined =>
    file.pagesApi || (file.api && firstParamLooksLikeRequest(fn)) ? 'Next.js API route (default export)' : connectSignature(fn) ? 'exported request handler (req, res)' : undefined;
  switch (p.type) {
    case 'ExportDefaultDeclaration':
      return defaultExportLabel();
    case 'ExportNamedDeclaration':
      return n.type === 'FunctionDeclaration' && n.id ? exportNameLabel(n.id.name, fn) : undefined;
    case 'ExportSpecifier': {
      const exported = p.exported.type === 'Identifier' ? p.exported.name : String(p.exported.value);
      return exported === 'default' ? defaultExportLabel() : exportNameLabel(exported, fn);
    }
    case 'VariableDeclarator': {
      if (p.init !== n || p.id.type !== 'Identifier') return undefined;
      const decl = parentOf(p);
      return decl && parentOf(decl)?.type === 'ExportNamedDeclaration' ? exportNameLabel(p.id.name, fn) : undefined;
    }
    case 'AssignmentExpression': {
      if (p.right !== n) return undefined;
      const name = commonJsExportName(p.left as Node);
      if (name === undefined) return undefined;
      return name === '' ? defaultExportLabel() : exportNameLabel(name, fn);
    }
    case 'Property': {
      const key = propertyKeyName(p.key, p.computed);
      const obj = parentOf(p);
      const holder = obj ? parentOf(obj) : undefined;
      if (!key || holder?.type !== 'AssignmentExpression' || holder.right !== obj) return undefined;
      return commonJsExportName(holder.left as Node) === '' ? exportNameLabel(key, fn) : undefined;
    }
    default:
      return undefined;
  }
}

/**
 * Whether a function is exported from its module (so other modules call it, any number of times):
 * `export function f`, `export const f = …`, `export default …`, `export { f }`, `module.exports = f`,
 * `module.exports = { f }`, `exports.f = f`.
 */
export function isExportedFunction(model: FileModel, fn: FunctionNode): boolean {
  return model.cached('exported-fn', fn, () => {
    const positions: Node[] = [fn];
    for (const v of bindingsOf(model, fn)) for (const ref of v.references) if (!ref.init) positions.push(ref.identifier as unknown as Node);
    return positions.some((n) => exportedPosition(n));
  });
}

function exportedPosition(n: Node): boolean {
  let p = parentOf(n);
  while (p && isTransparent(p, n)) {
    n = p;
    p = parentOf(p);
  }
  if (!p) return false;
  switch (p.type) {
    case 'ExportDefaultDeclaration':
    case 'ExportSpecifier':
      return true;
    case 'ExportNamedDeclaration':
      return n.type === 'FunctionDeclaration';
    case 'VariableDeclarator': {
      const decl = p.init === n ? parentOf(p) : undefined;
      return !!decl && parentOf(decl)?.type === 'ExportNamedDeclaration';
    }
    case 'AssignmentExpression':
      return p.right === n && commonJsExportName(p.left as Node) !== undefined;
    case 'Property': {
      const obj = parentOf(p);
      const holder = obj ? parentOf(obj) : undefined;
      return p.value === n && holder?.type === 'AssignmentExpression' && holder.right === obj && commonJsExportName(holder.left as Node) === '';
    }
    default:
      return false;
  }
}

/** Whether a function is a class constructor. */
export function isClassConstructor(fn: FunctionNode): boolean {
  return isConstructor(fn);
}

/**
 * Same-file calls of a function: by its name (`function f`, `const f = () => …`), or, for class and
 * object-literal methods, `this.m()` inside the class and `x.m()` where `x` is `new C()` / the object.
 */
export function localCallers(model: FileModel, fn: FunctionNode): TSESTree.CallExpression[] {
  return model.cached('callers', fn, () => {
    const calls: TSESTree.CallExpression[] = [];
    for (const v of bindingsOf(model, fn)) {
      for (const ref of v.references) {
        let id: Node = ref.identifier as unknown as Node;
        let p = parentOf(id);
        while (p && isTransparent(p, id)) {
          id = p;
          p = parentOf(p);
        }
        if (p?.type === 'CallExpression' && p.callee === id) calls.push(p);
      }
    }
    const p = parentOf(fn);
    if ((p?.type === 'MethodDefinition' && p.kind === 'method') || (p?.type === 'Property' && p.value === fn)) {
      const m = propertyKeyName(p.key, p.computed);
      const owner = p.type === 'MethodDefinition' ? parentOf(parentOf(p)!) : parentOf(p);
      if (m && owner) {
        for (const call of model.methodCalls(m)) {
          const callee = unwrap(call.callee) as TSESTree.MemberExpression;
          const recv = unwrap(callee.object);
          if (recv.type === 'ThisExpression') {
            if (contains(owner, call)) calls.push(call);
            continue;
          }
          const rv = model.resolve(recv);
          if (rv?.kind !== 'node') continue;
          if (rv.node === owner) calls.push(call);
          else if (rv.node.type === 'NewExpression') {
            const cv = model.resolve(rv.node.callee as Node);
            if (cv?.kind === 'node' && cv.node === owner) calls.push(call);
          }
        }
      }
    }
    return calls;
  });
}

/**
 * Whether `expr` changes with the loops' per-iteration variables (`hosts[i]`, `` `http://${host}` ``,
 * a `const` declared in the loop from one of them). Used to tell a scanner that visits many destinations
 * from a loop that keeps calling one.
 */
export function dependsOnLoop(model: FileModel, expr: Node | null | undefined, loops: readonly LoopInfo[], depth = 0): boolean {
  if (!expr || loops.length === 0 || depth > 5) return false;
  const vars = new Set(loops.flatMap((l) => l.vars));
  let found = false;
  const check = (n: Node): boolean => {
    if (found) return false;
    if (n.type === 'MemberExpression' && !n.computed) {
      if (check(n.object as Node)) walk(n.object as Node, check);
      return false;
    }
    if (n.type === 'Property' && !n.computed) {
      if (check(n.value as Node)) walk(n.value as Node, check);
      return false;
    }
    if (n.type === 'Identifier') {
      const v = model.variableOf(n);
      if (!v) return true;
      if (vars.has(v)) {
        found = true;
        return false;
      }
      const def = v.defs[0];
      if (def?.type === 'Variable' && loops.some((l) => contains(l.node, def.node as unknown as Node))) {
        const init = (def.node as unknown as TSESTree.VariableDeclarator).init;
        if (init && init !== expr && dependsOnLoop(model, init as Node, loops, depth + 1)) found = true;
      }
      return false;
    }
    return true;
  };
  if (check(expr)) walk(expr, check);
  return found;
}
