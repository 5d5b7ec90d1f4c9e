/**
 * Execution context: does a piece of code run per request, per loop iteration, once, or is it unknown?
 *
 * "Per request" (client-per-request, db-client-per-request) means the code is inside
 * - a request handler, as recognised by the `role: handler` rules in `rules/ast-grep/<lang>/context.yml`
 *   (net/http, gin, echo, fiber, gRPC methods; Flask, FastAPI, Django, aiohttp; Spring, Servlet, JAX-RS …),
 *   closures inside it included (goroutines, callbacks, lambdas);
 * - a function of the same file that a handler calls directly (one hop: `f()`, `s.f()`, `self.f()`, `this.f()`);
 * - a loop body (for/while/comprehension). Inside code that runs once (`role: run-once`: init, main,
 *   constructors, lifespan/startup hooks, `@Bean`, `@PostConstruct`, `@lru_cache` getters) and at
 *   module/package/class level, only unbounded loops (`for {}`, `while …`) count: a `for … range`/`for … in`
 *   over configuration at start-up builds one client per item, once;
 * - a function of the same file called from inside such a loop (one hop).
 *
 * Code at package/module/class level and in run-once functions is `once`; anything else is `unknown` (a plain
 * function nobody in the file calls from a handler or loop: how often it runs is not known, nothing fires).
 */
import type { SgNode } from '@ast-grep/napi';
import { contains, nodeKey, nodesOfKinds, scopeKinds, walkKinds, type LangSyntax, type ScopeKinds } from './syntax.js';

/** How often code runs. */
export type ExecKind = 'per-request' | 'per-iteration' | 'once' | 'unknown';

/** The context of one node, with a human-readable reason for messages (`in handler getUser`). */
export interface ExecContext {
  kind: ExecKind;
  reason: string;
}

/** A function marked by a context rule, with the rule's evidence. */
export interface MarkedFunction {
  node: SgNode;
  evidence: string;
  /**
   * Run-once marks only: the function runs once whoever calls it (a cached getter, a bean factory, a lifespan
   * hook), so a call from a handler does not make it per request. Name-based marks (Go `NewX`) are not strong:
   * a handler that calls `NewClient()` builds a client per request.
   */
  strong?: boolean;
}

/** Inputs to {@link FileContext}: the matches of the `context` rules, already mapped to function nodes. */
export interface ContextMarks {
  handlers: MarkedFunction[];
  runOnce: MarkedFunction[];
  /** Nodes showing the file runs code concurrently (goroutines, thread pools, servers). */
  concurrency: SgNode[];
}

/** Per-file context oracle. Build once per file, then ask {@link FileContext.classify} for any node. */
export class FileContext {
  private readonly handlers = new Map<string, string>();
  private readonly runOnce = new Map<string, string>();
  private readonly strongOnce = new Set<string>();
  private readonly handlerCallees = new Map<string, string>();
  private readonly loopCallees = new Map<string, string>();
  /** Named functions of the file by name (Go methods by method name). */
  readonly functionsByName: Map<string, SgNode[]>;
  /** Whether the file handles requests or starts goroutines/threads (idle-pool-too-small). */
  readonly concurrent: boolean;
  readonly hasHandlers: boolean;
  /** The kinds the scope predicates can accept: ancestors' kinds are read once and predicates asked only there. */
  private readonly kinds: ScopeKinds;

  constructor(
    readonly root: SgNode,
    readonly syntax: LangSyntax,
    marks: ContextMarks,
  ) {
    this.kinds = scopeKinds(syntax.lang);
    this.functionsByName = functionIndex(root, syntax);
    for (const h of marks.handlers) this.handlers.set(nodeKey(h.node), `${h.evidence}${this.nameSuffix(h.node)}`);
    for (const r of marks.runOnce) {
      this.runOnce.set(nodeKey(r.node), r.evidence);
      if (r.strong) this.strongOnce.add(nodeKey(r.node));
    }
    this.hasHandlers = marks.handlers.length > 0;
    this.concurrent = this.hasHandlers || marks.concurrency.length > 0;

    // One hop from handlers.
    for (const h of marks.handlers) {
      for (const callee of this.localCallees(h.node)) {
        const k = nodeKey(callee);
        if (!this.handlers.has(k) && !this.handlerCallees.has(k)) {
          this.handlerCallees.set(k, `in ${this.describe(callee)}, called by handler${this.nameSuffix(h.node)}`);
        }
      }
    }
    // One hop from loop bodies that run per iteration.
    for (const n of nodesOfKinds(root, syntax.kinds.loops)) {
      const body = syntax.loopBody(n);
      if (!body) continue;
      for (const c of nodesOfKinds(body, syntax.kinds.calls)) {
        const base = this.classify(c, false);
        if (base.kind !== 'per-iteration') continue;
        const enclosing = this.enclosingFunction(c);
        const receiver = enclosing ? syntax.receiverName(enclosing) : undefined;
        const name = syntax.localCallName(c, receiver);
        for (const fn of (name && this.functionsByName.get(name)) || []) {
          const k = nodeKey(fn);
          if (contains(fn, c) || this.loopCallees.has(k)) continue;
          this.loopCallees.set(k, `in ${this.describe(fn)}, called in a loop${enclosing ? ` in ${this.describe(enclosing)}` : ''}`);
        }
      }
    }
  }

  private nameSuffix(fn: SgNode): string {
    const name = this.syntax.functionName(fn);
    return name ? ` ${name}` : '';
  }

  private describe(fn: SgNode): string {
    const name = this.syntax.functionName(fn);
    return name ? `${name}()` : 'a function';
  }

  /** Same-file functions called directly from `fn`'s body (closures included, nested named functions not). */
  localCallees(fn: SgNode): SgNode[] {
    const receiver = this.syntax.receiverName(fn);
    const out = new Map<string, SgNode>();
    walkKinds(fn, this.syntax.kinds.functions.concat(this.syntax.kinds.calls), (n, k, isTop) => {
      if (!isTop && this.kinds.functions.has(k) && this.syntax.isFunction(n)) return false;
      if (!this.kinds.calls.has(k) || !this.syntax.callee(n)) return true;
      const name = this.syntax.localCallName(n, receiver);
      for (const target of (name && this.functionsByName.get(name)) || []) {
        if (target !== fn && !contains(target, n)) out.set(nodeKey(target), target);
      }
      return true;
    });
    return [...out.values()];
  }

  /** Innermost named function around `n` (closures skipped), or undefined at file level. */
  enclosingFunction(n: SgNode): SgNode | undefined {
    for (const p of n.ancestors()) if (this.kinds.functions.has(p.kind() as string) && this.syntax.isFunction(p)) return p;
    return undefined;
  }

  /**
   * The unit call sites and constructions are linked within: the innermost handler closure or named function
   * around `n`; the root at file level.
   */
  scopeOf(n: SgNode): SgNode {
    for (let p = n.parent(); p; p = p.parent()) {
      if (this.syntax.isFunction(p)) return p;
      if (this.syntax.isClosure(p) && this.handlers.has(nodeKey(p))) return p;
    }
    return this.root;
  }

  /** Is `fn` a handler (directly marked)? */
  isHandler(fn: SgNode): boolean {
    return this.handlers.has(nodeKey(fn));
  }

  /**
   * Is `fn` marked run-once only by its name (Go `NewX`/`newX`), so that a caller decides how often it runs?
   */
  isWeakRunOnce(fn: SgNode): boolean {
    const k = nodeKey(fn);
    return this.runOnce.has(k) && !this.strongOnce.has(k);
  }

  /** Is `fn` marked run-once? */
  isRunOnce(fn: SgNode): boolean {
    return this.runOnce.has(nodeKey(fn));
  }

  /**
   * How often `node` runs. `useCallees: false` ignores the one-hop propagation (used while computing it).
   */
  classify(node: SgNode, useCallees = true): ExecContext {
    const syn = this.syntax;
    const loops: SgNode[] = [];
    let prev = node;
    for (const p of node.ancestors()) {
      const kind = p.kind() as string;
      if (this.kinds.loops.has(kind) && syn.isLoop(p)) {
        const body = syn.loopBody(p);
        if (body && contains(body, prev)) loops.push(p);
      }
      const mayBeFn = this.kinds.functions.has(kind);
      const isFn = mayBeFn && syn.isFunction(p);
      const isClosure = mayBeFn && !isFn && syn.isClosure(p);
      if (isFn || isClosure) {
        const k = nodeKey(p);
        const handler = this.handlers.get(k);
        if (handler) return { kind: 'per-request', reason: `in ${handler}` };
        const once = this.runOnce.get(k);
        const viaHandler = useCallees && !this.strongOnce.has(k) ? this.handlerCallees.get(k) : undefined;
        if (viaHandler) return { kind: 'per-request', reason: viaHandler };
        if (once) {
          const unbounded = loops.find((l) => syn.isUnboundedLoop(l));
          return unbounded
            ? { kind: 'per-iteration', reason: `in an unbounded loop in ${this.describe(p)}` }
            : { kind: 'once', reason: `in ${once} ${this.describe(p)}` };
        }
        if (isClosure) {
          prev = p;
          continue;
        }
        if (loops.length) return { kind: 'per-iteration', reason: `in a loop in ${this.describe(p)}` };
        const viaLoop = useCallees ? this.loopCallees.get(k) : undefined;
        if (viaLoop) return { kind: 'per-iteration', reason: viaLoop };
        return { kind: 'unknown', reason: `in ${this.describe(p)}` };
      }
      if (this.kinds.classes.has(kind) && syn.isClassScope(p)) return { kind: 'once', reason: 'at class level' };
      prev = p;
    }
    const unbounded = loops.find((l) => syn.isUnboundedLoop(l));
    return unbounded
      ? { kind: 'per-iteration', reason: 'in an unbounded loop at file level' }
      : { kind: 'once', reason: 'at file level' };
  }
}

/** Named functions of a file by name (Go methods by method name; Python/Java methods by method name). */
export function functionIndex(root: SgNode, syntax: LangSyntax): Map<string, SgNode[]> {
  const out = new Map<string, SgNode[]>();
  for (const n of nodesOfKinds(root, syntax.kinds.functions)) {
    if (!syntax.isFunction(n)) continue;
    const name = syntax.functionName(n);
    if (!name) continue;
    const list = out.get(name) ?? [];
    list.push(n);
    out.set(name, list);
  }
  return out;
}

/** True for the contexts in which building a client opens new connections per request or iteration. */
export function isRepeated(ctx: ExecContext): boolean {
  return ctx.kind === 'per-request' || ctx.kind === 'per-iteration';
}
