/**
 * Application-level retries around outbound calls: hand-written retry loops, recursive retry helpers and
 * retry libraries/options (axios-retry, got `retry`, p-retry, async-retry, fetch-retry). Each gives a
 * number of tries per logical request, the application factor of the connection multiplier (docs/model.md, "Legs").
 */
import type { TSESTree } from '@typescript-eslint/types';
import {
  type FunctionNode,
  type LoopNode,
  type Node,
  contains,
  isFunction,
  isLoop,
  memberName,
  objectProperty,
  parentOf,
  unwrap,
  walk,
} from './ast.js';
import { type ClientCreation, type OutboundCall, GOT_LIKE, classifyCreation, classifyOutbound } from './clients.js';
import { FileModel } from './model.js';
import { loopStatementInfo } from './scope.js';

/**
 * Library defaults, each with its source (ky has got's defaults: `retry.limit` 2 on the same six methods,
 * ky `source/utils/normalize.ts` `defaultRetryOptions`):
 * - axios-retry `retries` default 3 (axios-retry README, "Options": `retries | Number | 3`);
 * - got `retry.limit` default 2 for GET, PUT, HEAD, DELETE, OPTIONS, TRACE (got `documentation/7-retry.md`:
 *   "limit — Type: number, Default: 2"; `methods` default those six);
 * - p-retry `retries` default 10 (p-retry README: "retries — Type: number, Default: 10");
 * - async-retry `retries` default 10 (async-retry README: "retries: The maximum amount of times to retry
 *   the operation. Default is 10");
 * - fetch-retry `retries` default 3 (fetch-retry README: "retries … default 3").
 */
export const RETRY_DEFAULTS = {
  axiosRetry: 3,
  gotLimit: 2,
  pRetry: 10,
  asyncRetry: 10,
  fetchRetry: 3,
} as const;

/** Methods got retries by default (`retry.methods`). */
export const GOT_RETRY_METHODS = new Set(['GET', 'PUT', 'HEAD', 'DELETE', 'OPTIONS', 'TRACE']);

/** One retry construct. */
export interface RetryInfo {
  /** The loop, library call, `retry` option property, or recursive call. */
  node: Node;
  kind: 'loop' | 'recursion' | 'axios-retry' | 'got' | 'got-default' | 'ky' | 'ky-default' | 'p-retry' | 'async-retry' | 'fetch-retry';
  /** Tries per logical request (1 + retries); `undefined` when the bound is not static. */
  tries?: number;
  /** The number comes from the library's default, not the code. */
  defaulted: boolean;
  /** What is retried, for messages: `fetch()`, `axios.get()`… */
  around: string;
}

/** The tries a call site makes when a retry's bound cannot be read: at least one retry. */
export const ASSUMED_TRIES_WHEN_UNKNOWN = 2;

const LIKELY_HTTP_METHODS = new Set(['get', 'post', 'put', 'patch', 'delete', 'request', 'fetch', 'head']);
const LIKELY_HTTP_RECEIVERS = ['http', 'client', 'api', 'axios', 'got', 'ky', 'fetch', 'request', 'rest'];

/** An outbound call, or a call that is very likely one (`this.httpClient.get()`), for retry-loop detection. */
interface RetriedCall {
  call: TSESTree.CallExpression;
  display: string;
  outbound?: OutboundCall;
}

function receiverWord(n: Node): string | undefined {
  const u = unwrap(n);
  if (u.type === 'Identifier') return u.name;
  if (u.type === 'MemberExpression') return memberName(u);
  return undefined;
}

function likelyOutbound(model: FileModel, call: TSESTree.CallExpression): RetriedCall | undefined {
  const outbound = classifyOutbound(model, call);
  if (outbound) return { call, display: outbound.display, outbound };
  const callee = unwrap(call.callee);
  if (callee.type === 'MemberExpression') {
    const m = memberName(callee);
    const recv = receiverWord(callee.object as Node);
    if (m && recv && LIKELY_HTTP_METHODS.has(m) && LIKELY_HTTP_RECEIVERS.some((w) => recv.toLowerCase().includes(w))) {
      return { call, display: `${recv}.${m}()` };
    }
  }
  return undefined;
}

/** Outbound calls under `root` (not into nested named functions), following one hop into same-file helpers. */
function outboundCallsIn(model: FileModel, root: Node, hop = true): RetriedCall[] {
  const out: RetriedCall[] = [];
  const visit = (n: Node): boolean | void => {
    if (isFunction(n)) {
      // inline callbacks (limiter.schedule(() => fetch(u))) run as part of the iteration
      const p = parentOf(n);
      return p?.type === 'CallExpression' && p.arguments.includes(n as TSESTree.CallExpressionArgument);
    }
    if (n.type !== 'CallExpression') return;
    const found = likelyOutbound(model, n);
    if (found) {
      out.push(found);
      return;
    }
    if (hop) {
      const fn = model.functionOf(n.callee as Node);
      if (fn && !contains(fn, root)) {
        const inner = outboundCallsIn(model, fn.body as Node, false);
        if (inner.length) out.push({ call: n, display: `${inner[0]!.display} (in ${calleeText(n)})` });
      }
    }
  };
  if (visit(root) !== false && !(isFunction(root))) walk(root, visit);
  else if (isFunction(root)) walk(root.body as Node, visit);
  return out;
}

function calleeText(call: TSESTree.CallExpression): string {
  const c = unwrap(call.callee);
  if (c.type === 'Identifier') return `${c.name}()`;
  if (c.type === 'MemberExpression') return `${memberName(c) ?? '…'}()`;
  return 'a helper';
}

/** Whether `stmt` leaves `loop` on some path: `return`, or a `break` that targets `loop`. */
function exitsLoop(block: Node, loop: LoopNode): boolean {
  let exits = false;
  const label = parentOf(loop)?.type === 'LabeledStatement' ? (parentOf(loop) as TSESTree.LabeledStatement).label.name : undefined;
  const check = (n: Node): boolean | void => {
    if (exits || isFunction(n)) return false;
    if (n.type === 'ReturnStatement') exits = true;
    if (n.type === 'BreakStatement') {
      if (n.label) {
        if (n.label.name === label) exits = true;
      } else if (nearestBreakable(n) === loop) exits = true;
    }
  };
  if (check(block) !== false) walk(block, check);
  return exits;
}

function nearestBreakable(n: Node): Node | undefined {
  for (let p = parentOf(n); p; p = parentOf(p)) {
    if (isLoop(p) || p.type === 'SwitchStatement') return p;
    if (isFunction(p)) return undefined;
  }
  return undefined;
}

/** Whether a block always leaves the loop or the function at its top level (`throw`, `return`, `break`). */
function alwaysExits(block: TSESTree.BlockStatement): boolean {
  return block.body.some((s) => s.type === 'ThrowStatement' || s.type === 'ReturnStatement' || s.type === 'BreakStatement');
}

/** The variable an outbound call's result is stored in (`const res = await fetch()`, `res = await fetch()`). */
function resultVariable(model: FileModel, call: Node): TSESTree.Identifier | undefined {
  let n: Node = call;
  let p = parentOf(n);
  while (p && (p.type === 'AwaitExpression' || p.type === 'TSAsExpression' || p.type === 'TSNonNullExpression' || p.type === 'ChainExpression')) {
    n = p;
    p = parentOf(p);
  }
  if (p?.type === 'VariableDeclarator' && p.init === n && p.id.type === 'Identifier') return p.id;
  if (p?.type === 'AssignmentExpression' && p.right === n && p.left.type === 'Identifier') return p.left;
  return undefined;
}

function references(model: FileModel, root: Node | null | undefined, target: TSESTree.Identifier): boolean {
  if (!root) return false;
  const v = model.variableOf(target);
  if (!v) return false;
  let found = false;
  const check = (n: Node): boolean | void => {
    if (found) return false;
    if (n.type === 'Identifier' && model.variableOf(n) === v) found = true;
  };
  if (check(root) !== false) walk(root, check);
  return found;
}

/** `res.ok`, `res.status < 500`, `res.status === 200`, `res.statusCode !== 503`: a test that is true on success. */
function isSuccessCheck(test: Node): boolean {
  const t = unwrap(test);
  if (t.type === 'MemberExpression') return memberName(t) === 'ok';
  if (t.type === 'LogicalExpression' && t.operator === '&&') return isSuccessCheck(t.left as Node) || isSuccessCheck(t.right as Node);
  if (t.type === 'BinaryExpression') {
    const left = unwrap(t.left as Node);
    const right = unwrap(t.right as Node);
    const statusSide = left.type === 'MemberExpression' && ['status', 'statusCode'].includes(memberName(left) ?? '');
    const n = right.type === 'Literal' && typeof right.value === 'number' ? right.value : undefined;
    if (!statusSide || n === undefined) return false;
    if (t.operator === '<' || t.operator === '<=') return n <= 500;
    if (t.operator === '===' || t.operator === '==') return n >= 200 && n < 400;
    if (t.operator === '!==' || t.operator === '!=') return n >= 429;
  }
  return false;
}

function containsContinueFor(block: Node, loop: LoopNode): boolean {
  let found = false;
  const check = (n: Node): boolean | void => {
    if (found || isFunction(n)) return false;
    if (n.type === 'ContinueStatement' && !n.label && nearestLoop(n) === loop) found = true;
  };
  if (check(block) !== false) walk(block, check);
  return found;
}

function nearestLoop(n: Node): Node | undefined {
  for (let p = parentOf(n); p; p = parentOf(p)) {
    if (isLoop(p)) return p;
    if (isFunction(p)) return undefined;
  }
  return undefined;
}

/** Variables assigned in a block (`done = true`), for flag-controlled retry loops. */
function assignsVariableIn(model: FileModel, block: Node, test: Node | null | undefined): boolean {
  if (!test) return false;
  let found = false;
  walk(block, (n) => {
    if (found || isFunction(n)) return false;
    if (n.type === 'AssignmentExpression' && n.left.type === 'Identifier' && references(model, test, n.left)) found = true;
  });
  return found;
}

function loopTest(loop: LoopNode): Node | null | undefined {
  return loop.type === 'ForStatement' || loop.type === 'WhileStatement' || loop.type === 'DoWhileStatement' ? (loop.test as Node | null) : undefined;
}

/** Why a loop around `c` is a retry loop, or `undefined` when it is not one. */
function retryShape(model: FileModel, loop: LoopNode, c: RetriedCall): boolean {
  const test = loopTest(loop);
  // (a) try { …call…; return/break } catch { not always exiting }
  for (let p = parentOf(c.call); p && p !== loop; p = parentOf(p)) {
    if (p.type === 'TryStatement' && p.handler && contains(p.block, c.call)) {
      const exits = exitsLoop(p.block, loop) || assignsVariableIn(model, p.block, test);
      if (exits && !alwaysExits(p.handler.body)) return true;
    }
  }
  // (b) const res = await call(); if (!res.ok) continue; / if (res.ok) return res;  / while (!res.ok)
  const result = resultVariable(model, c.call);
  if (result) {
    if (test && references(model, test, result)) return true;
    let shaped = false;
    walk(loop.body as Node, (n) => {
      if (shaped || isFunction(n)) return false;
      if (n.type === 'IfStatement' && n.range[0] > c.call.range[1] && references(model, n.test as Node, result)) {
        if (containsContinueFor(n.consequent as Node, loop)) shaped = true;
        else if (isSuccessCheck(n.test as Node) && exitsLoop(n.consequent as Node, loop)) shaped = true;
      }
    });
    if (shaped) return true;
  }
  return false;
}

/** Retry facts for a loop: `undefined` when the loop does not retry an outbound call (cached). */
export function analyzeRetryLoop(model: FileModel, loop: LoopNode): (RetryInfo & { calls: TSESTree.CallExpression[] }) | undefined {
  return model.cached('retry-loop', loop, () => {
    const calls = outboundCallsIn(model, loop.body as Node);
    const retried = calls.filter((c) => retryShape(model, loop, c));
    if (!retried.length) return undefined;
    const tries = loopTries(model, loop);
    return { node: loop, kind: 'loop' as const, tries, defaulted: false, around: retried[0]!.display, calls: retried.map((c) => c.call) };
  });
}

interface Counter {
  variable: ReturnType<FileModel['variableOf']>;
  initial?: number;
}

/** Iterations of a counted loop: `for (let i = 0; i < 3; i++)`, `while (attempt++ < max)`, `while (true) { if (++n > 3) throw }`. */
export function loopTries(model: FileModel, loop: LoopNode): number | undefined {
  if (loop.type === 'ForOfStatement') {
    const arr = model.resolve(loop.right as Node);
    if (arr?.kind === 'node' && arr.node.type === 'ArrayExpression') return arr.node.elements.length || undefined;
    return undefined;
  }
  if (loop.type === 'ForInStatement') return undefined;
  const info = loopStatementInfo(model, loop);
  const counters = new Set(info.vars);
  const initialOf = (id: TSESTree.Identifier): number | undefined => {
    if (loop.type === 'ForStatement' && loop.init) {
      if (loop.init.type === 'VariableDeclaration') {
        for (const d of loop.init.declarations) if (d.id.type === 'Identifier' && d.id.name === id.name) return model.staticNumber(d.init as Node | null);
      } else if (loop.init.type === 'AssignmentExpression' && loop.init.left.type === 'Identifier' && loop.init.left.name === id.name) {
        return model.staticNumber(loop.init.right as Node);
      }
    }
    const v = model.variableOf(id);
    const def = v?.defs[0];
    if (def?.type === 'Variable') return model.staticNumber((def.node as unknown as TSESTree.VariableDeclarator).init as Node | null);
    if (def?.type === 'Parameter') {
      const r = model.resolve(id);
      return r?.kind === 'param' ? model.staticNumber(r.defaultValue) : undefined;
    }
    return undefined;
  };
  const direction = (id: TSESTree.Identifier): number => {
    let dir = 0;
    const v = model.variableOf(id);
    walk(loop, (n) => {
      if (isFunction(n)) return false;
      if (n.type === 'UpdateExpression' && n.argument.type === 'Identifier' && model.variableOf(n.argument) === v) dir = n.operator === '++' ? 1 : -1;
      if (n.type === 'AssignmentExpression' && n.left.type === 'Identifier' && model.variableOf(n.left) === v) {
        if (n.operator === '+=') dir = 1;
        if (n.operator === '-=') dir = -1;
        if (n.operator === '=' && n.right.type === 'BinaryExpression' && unwrap(n.right.left as Node).type === 'Identifier') dir = n.right.operator === '+' ? 1 : n.right.operator === '-' ? -1 : dir;
      }
    });
    return dir;
  };
  const fromComparison = (cmp: Node, exitWhenTrue: boolean): number | undefined => {
    const c = unwrap(cmp);
    if (c.type === 'LogicalExpression') {
      if ((c.operator === '&&' && !exitWhenTrue) || (c.operator === '||' && exitWhenTrue)) {
        return fromComparison(c.left as Node, exitWhenTrue) ?? fromComparison(c.right as Node, exitWhenTrue);
      }
      return undefined;
    }
    if (c.type !== 'BinaryExpression') return undefined;
    let op = c.operator as string;
    let left = unwrap(c.left as Node);
    let right = unwrap(c.right as Node);
    if (right.type === 'Identifier' || right.type === 'UpdateExpression') {
      if (!(left.type === 'Identifier' && counters.has(model.variableOf(left)!))) {
        [left, right] = [right, left];
        op = ({ '<': '>', '<=': '>=', '>': '<', '>=': '<=' } as Record<string, string>)[op] ?? op;
      }
    }
    let pre = 0;
    let post = 0;
    let counterId: TSESTree.Identifier | undefined;
    if (left.type === 'UpdateExpression' && left.argument.type === 'Identifier') {
      counterId = left.argument;
      const d = left.operator === '++' ? 1 : -1;
      if (left.prefix) pre = d;
      else post = d;
    } else if (left.type === 'Identifier') counterId = left;
    if (!counterId) return undefined;
    const counter: Counter = { variable: model.variableOf(counterId), initial: initialOf(counterId) };
    if (!counter.variable || counter.initial === undefined) return undefined;
    const bound = model.staticNumber(right);
    if (bound === undefined) return undefined;
    const dir = pre || post || direction(counterId);
    if (!dir) return undefined;
    if (exitWhenTrue) op = ({ '<': '>=', '<=': '>', '>': '<=', '>=': '<', '===': '!==', '==': '!=' } as Record<string, string>)[op] ?? op;
    const start = counter.initial + pre;
    let n: number | undefined;
    if (dir > 0) {
      if (op === '<' || op === '!==' || op === '!=') n = bound - start;
      else if (op === '<=') n = bound - start + 1;
    } else {
      if (op === '>' || op === '!==' || op === '!=') n = start - bound;
      else if (op === '>=') n = start - bound + 1;
    }
    return n !== undefined && n > 0 ? n : undefined;
  };
  const test = loopTest(loop);
  const fromTest = test ? fromComparison(test, false) : undefined;
  if (fromTest !== undefined) return loop.type === 'DoWhileStatement' ? Math.max(fromTest, 1) : fromTest;
  // while (true) { … if (attempt >= MAX) throw … }
  let fromGuard: number | undefined;
  walk(loop.body as Node, (n) => {
    if (fromGuard !== undefined || isFunction(n)) return false;
    if (n.type === 'IfStatement') {
      const cons = n.consequent;
      const exits = cons.type === 'ThrowStatement' || cons.type === 'ReturnStatement' || cons.type === 'BreakStatement' || (cons.type === 'BlockStatement' && alwaysExits(cons));
      if (exits) fromGuard = fromComparison(n.test as Node, true);
    }
  });
  return fromGuard;
}

/** Retry-library facts for a call (`axiosRetry(…)`, `pRetry(…)`, `retry(…)`, `fetchRetry(…)`, got `retry` options) (cached). */
export function retryLibraryCall(model: FileModel, call: TSESTree.CallExpression, reportDefaults = true): RetryInfo | undefined {
  return model.cached(reportDefaults ? 'retry-lib' : 'retry-lib-nodefault', call, () => {
    const v = model.resolve(call.callee as Node);
    const args = call.arguments as Node[];
    const fromOption = (options: Node | undefined, key: string, dflt: number): { retries: number; defaulted: boolean } => {
      const o = model.objectLiteral(options);
      const p = o && objectProperty(o, key);
      const n = p ? model.staticNumber(p.value as Node) : undefined;
      return n === undefined ? { retries: dflt, defaulted: !p } : { retries: n, defaulted: false };
    };
    const lib = (module: string, kind: RetryInfo['kind'], dflt: number, around: () => string): RetryInfo | undefined => {
      if (!FileModel.isModule(v, module, [])) return undefined;
      const r = fromOption(args[1], 'retries', dflt);
      if (r.retries <= 0) return undefined;
      const p = r.defaulted || model.objectLiteral(args[1]) ? undefined : args[1];
      return { node: call, kind, tries: p ? undefined : r.retries + 1, defaulted: r.defaulted, around: around() };
    };
    const wrapped = (): string => {
      const fn = model.functionOf(args[0]);
      const inner = fn ? outboundCallsIn(model, fn.body as Node) : [];
      return inner[0]?.display ?? 'the wrapped function';
    };
    const axiosTarget = (): string => {
      const t = args[0] ? unwrap(args[0]) : undefined;
      return t?.type === 'Identifier' ? `${t.name} requests` : 'axios requests';
    };
    const found =
      lib('axios-retry', 'axios-retry', RETRY_DEFAULTS.axiosRetry, axiosTarget) ??
      lib('p-retry', 'p-retry', RETRY_DEFAULTS.pRetry, wrapped) ??
      lib('async-retry', 'async-retry', RETRY_DEFAULTS.asyncRetry, wrapped) ??
      lib('fetch-retry', 'fetch-retry', RETRY_DEFAULTS.fetchRetry, () => 'fetch()');
    if (found) return found;
    // got: retry option on a call or on got.extend()/got.create()
    const outbound = classifyOutbound(model, call);
    const creation = classifyCreation(model, call);
    const gotLike = outbound && GOT_LIKE.has(outbound.library) ? outbound.library : creation && GOT_LIKE.has(creation.library) ? creation.library : undefined;
    if (gotLike) {
      const kind = gotLike === 'ky' ? 'ky' : 'got';
      const options = outbound?.options ?? creation?.options;
      const g = gotRetry(model, options);
      // On a call, the retry applies only to a method got retries (default: not POST/PATCH) unless `methods` is written.
      const callRetried = !outbound || retryMethodsGiven(model, options) || GOT_RETRY_METHODS.has(outbound.method ?? 'GET');
      if (g) return g.tries > 1 && callRetried ? { node: g.node, kind, tries: g.tries, defaulted: g.defaulted, around: outbound?.display ?? `${gotLike}.extend() requests` } : undefined;
      if (outbound && reportDefaults && !outbound.client?.options?.properties.some((p) => p.type === 'Property' && memberKey(p) === 'retry') && GOT_RETRY_METHODS.has(outbound.method ?? 'GET') && !clientHasRetry(model, outbound.client)) {
        return { node: call, kind: `${kind}-default`, tries: RETRY_DEFAULTS.gotLimit + 1, defaulted: true, around: outbound.display };
      }
    }
    return undefined;
  });
}

function memberKey(p: TSESTree.Property): string | undefined {
  return p.key.type === 'Identifier' && !p.computed ? p.key.name : p.key.type === 'Literal' ? String(p.key.value) : undefined;
}

function clientHasRetry(model: FileModel, client: ClientCreation | undefined): boolean {
  return !!client && !!gotRetry(model, client.options);
}

/** Whether `retry: { methods: […] }` is written (then the code chose the methods; meshlint does not check them). */
function retryMethodsGiven(model: FileModel, options: TSESTree.ObjectExpression | undefined): boolean {
  const p = options && objectProperty(options, 'retry');
  const o = p && model.objectLiteral(p.value as Node);
  return !!o && !!objectProperty(o, 'methods');
}

/** got's `retry: N` / `retry: { limit: N }` in options: tries and the property node. */
function gotRetry(model: FileModel, options: TSESTree.ObjectExpression | undefined): { node: Node; tries: number; defaulted: boolean } | undefined {
  const p = options && objectProperty(options, 'retry');
  if (!p) return undefined;
  const n = model.staticNumber(p.value as Node);
  if (n !== undefined) return { node: p, tries: n + 1, defaulted: false };
  const o = model.objectLiteral(p.value as Node);
  if (o) {
    const limit = objectProperty(o, 'limit');
    if (!limit) return { node: p, tries: RETRY_DEFAULTS.gotLimit + 1, defaulted: true };
    const l = model.staticNumber(limit.value as Node);
    return l !== undefined ? { node: limit, tries: l + 1, defaulted: false } : { node: limit, tries: ASSUMED_TRIES_WHEN_UNKNOWN, defaulted: false };
  }
  return undefined;
}

/**
 * A recursive retry: a function that calls itself from a `catch` block around an outbound call
 * (`catch (e) { if (n > 0) return get(url, n - 1); throw e }`). `undefined` when `call` is not one.
 */
export function recursiveRetry(model: FileModel, call: TSESTree.CallExpression): RetryInfo | undefined {
  return model.cached('retry-recursion', call, () => {
    const fn = model.functionOf(call.callee as Node);
    if (!fn || !contains(fn, call)) return undefined;
    let inCatch = false;
    for (let p = parentOf(call); p && p !== fn; p = parentOf(p)) if (p.type === 'CatchClause') inCatch = true;
    if (!inCatch) return undefined;
    const calls = outboundCallsIn(model, fn.body as Node, false).filter((c) => !contains(findCatch(call)!, c.call));
    if (!calls.length) return undefined;
    // retries counted down through a parameter with a default: get(url, retries = 3) → get(url, retries - 1)
    let tries: number | undefined;
    for (const a of call.arguments as Node[]) {
      const u = unwrap(a);
      if (u.type === 'BinaryExpression' && u.operator === '-' && unwrap(u.left as Node).type === 'Identifier') {
        const r = model.resolve(u.left as Node);
        if (r?.kind === 'param' && r.fn === fn) {
          const d = model.staticNumber(r.defaultValue);
          if (d !== undefined) tries = d + 1;
        }
      }
    }
    return { node: call, kind: 'recursion' as const, tries, defaulted: false, around: calls[0]!.display };
  });
}

function findCatch(n: Node): Node | undefined {
  for (let p = parentOf(n); p; p = parentOf(p)) if (p.type === 'CatchClause') return p;
  return undefined;
}

/** Every call in the file whose callee is one of the retry libraries (built once per file). */
function retryLibraryCalls(model: FileModel): TSESTree.CallExpression[] {
  return model.cached('retry-lib-index', model.program, () => {
    const out: TSESTree.CallExpression[] = [];
    walk(model.program, (n) => {
      if (n.type === 'CallExpression') {
        const v = model.resolve(n.callee as Node);
        if (v?.kind === 'module' && ['axios-retry', 'p-retry', 'async-retry'].includes(v.module) && v.path.length === 0) out.push(n);
      }
    });
    return out;
  });
}

/** The tries one outbound call makes per logical request, multiplying every retry around it. */
export function callSiteTries(model: FileModel, outbound: OutboundCall): { tries: number; evidence: string[] } {
  let tries = 1;
  const evidence: string[] = [];
  const apply = (r: RetryInfo, what: string): void => {
    const t = r.tries ?? ASSUMED_TRIES_WHEN_UNKNOWN;
    tries *= t;
    evidence.push(r.tries === undefined ? `${what} (bound not static, counted as ${t} tries)` : `${what}: ${t} tries${r.defaulted ? ' (library default)' : ''}`);
  };
  const call = outbound.node;
  // Loops and recursion around the call.
  for (let p = parentOf(call); p; p = parentOf(p)) {
    if (isLoop(p)) {
      const r = analyzeRetryLoop(model, p);
      if (r && r.calls.some((c) => c === call || contains(c, call))) apply(r, `retry ${loopStatementInfo(model, p).label} at line ${p.loc.start.line}`);
    }
    if (isFunction(p)) {
      const wrapper = retryWrapperOf(model, p);
      if (wrapper) apply(wrapper, `${wrapper.kind} at line ${wrapper.node.loc.start.line}`);
      const rec = recursionIn(model, p);
      if (rec) apply(rec, `recursive retry at line ${rec.node.loc.start.line}`);
    }
  }
  // Calls of a local helper from a retry loop are covered by that loop only when the loop is in this file;
  // the helper's own call sites are counted where they are.
  if (outbound.library === 'axios') {
    for (const rc of retryLibraryCalls(model)) {
      const r = retryLibraryCall(model, rc);
      if (r?.kind !== 'axios-retry') continue;
      const target = model.resolve(rc.arguments[0] as Node | undefined);
      const appliesToDefault = FileModel.isModule(target, 'axios', []) && !outbound.client;
      const appliesToInstance = target?.kind === 'node' && outbound.client?.node === target.node;
      if (appliesToDefault || appliesToInstance) apply(r, `axios-retry at line ${rc.loc.start.line}`);
    }
  }
  if (GOT_LIKE.has(outbound.library)) {
    const lib = outbound.library;
    const r = retryLibraryCall(model, call);
    if (r) apply(r, r.kind.endsWith('-default') ? `${lib} default retry` : `${lib} retry option at line ${r.node.loc.start.line}`);
    else if (outbound.client) {
      const g = gotRetry(model, outbound.client.options);
      // The instance's retry applies to this call only for a method it retries (default: not POST/PATCH).
      const retried = g && (retryMethodsGiven(model, outbound.client.options) || GOT_RETRY_METHODS.has(outbound.method ?? 'GET'));
      if (g && retried && g.tries > 1) apply({ node: g.node, kind: lib === 'ky' ? 'ky' : 'got', tries: g.tries, defaulted: g.defaulted, around: outbound.display }, `${lib}.extend() retry at line ${g.node.loc.start.line}`);
    }
  }
  if (outbound.library === 'fetch') {
    const v = model.resolve(outbound.node.callee as Node);
    if (v?.kind === 'node' && v.node.type === 'CallExpression') {
      const r = retryLibraryCall(model, v.node);
      if (r?.kind === 'fetch-retry') apply(r, `fetch-retry at line ${v.node.loc.start.line}`);
    }
  }
  return { tries, evidence };
}

/** If `fn` is the function given to p-retry/async-retry (inline or by name), that retry. */
function retryWrapperOf(model: FileModel, fn: FunctionNode): RetryInfo | undefined {
  for (const rc of retryLibraryCalls(model)) {
    const r = retryLibraryCall(model, rc);
    if (!r || (r.kind !== 'p-retry' && r.kind !== 'async-retry')) continue;
    if (model.functionOf(rc.arguments[0] as Node | undefined) === fn) return r;
  }
  return undefined;
}

/** The recursive retry call inside `fn`, if it has one. */
function recursionIn(model: FileModel, fn: FunctionNode): RetryInfo | undefined {
  return model.cached('recursion-in', fn, () => {
    let found: RetryInfo | undefined;
    walk(fn.body as Node, (n) => {
      if (found) return false;
      if (n.type === 'CallExpression') {
        const r = recursiveRetry(model, n);
        if (r && model.functionOf(n.callee as Node) === fn) found = r;
      }
    });
    return found;
  });
}
