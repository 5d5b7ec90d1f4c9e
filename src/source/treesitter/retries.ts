/**
 * app-retries for Go, Python and Java: retry loops around outbound calls and retry libraries. Each yields a
 * {@link RetryFactor} — the tries per logical request (1 + retries) and the calls it applies to — which feeds
 * the application factor of the connection multiplier (docs/model.md, "Legs") through the call sites.
 *
 * A loop is a retry loop when it wraps an outbound call (directly or through a same-file function it calls),
 * exits on success (`return`/`break`), looks like a retry (catches, sleeps or continues; the ast-grep rule), and
 * its URL does not change with the loop variable (that would be pagination or fan-out). Its bound is read from
 * the loop header (`for i := 0; i < n; i++`, `range(n)`, `for (int i = 0; i <= max; i++)`, `while attempt < n`)
 * or from an `if attempt >= n { break }` inside an unbounded loop.
 *
 * A library's tries come from its count option (`$N` of an `override` rule associated with it: inside it, in
 * a value it uses, or in a statement configuring it) or from the library default named in the rule file.
 */
import type { SgNode } from '@ast-grep/napi';
import type { Finding } from '../../types.js';
import { type FileAnalysis, type Match, display, FileAnalysis as FA } from './analysis.js';
import type { Outbound } from './clients.js';
import { findingAt, type RuleSettings } from './report.js';
import { contains, position, walk } from './syntax.js';

/** Tries assumed for a retry whose bound is not static (the same figure the JS/TS scanner uses). */
export const ASSUMED_TRIES_WHEN_UNKNOWN = 2;

/** One retry mechanism and the calls it multiplies. */
export interface RetryFactor {
  /** Node the finding is reported on. */
  node: SgNode;
  /** Tries per logical request (1 + retries); undefined when not static or unbounded. */
  tries?: number;
  unbounded: boolean;
  /** The tries are the library's default (no count option written). */
  defaulted: boolean;
  /** `A retry loop`, `tenacity`, `Spring Retry @Retryable`… */
  how: string;
  /** What is retried, for the message (`client.Do(req)`, `calls in fetch()`). */
  around: string;
  /** Where a default or an unbounded reading comes from. */
  source?: string;
  /** Whether the factor multiplies this outbound call. */
  appliesTo(o: Outbound): boolean;
}

const SLEEP = /(^|\.)(Sleep|sleep)$/;

/** Nodes of the body that are not inside nested closures/functions. */
function ownNodes(fa: FileAnalysis, body: SgNode, visit: (n: SgNode) => void): void {
  walk(body, (d) => {
    if (d !== body && (fa.syntax.isClosure(d) || fa.syntax.isFunction(d))) return false;
    visit(d);
    return true;
  });
}

/** Statements that `break`/`continue` out of: loops, and in Go and Java also switch/select. */
const BREAK_TARGETS = new Set([
  'for_statement', 'while_statement', 'do_statement', 'enhanced_for_statement', 'expression_switch_statement',
  'type_switch_statement', 'select_statement', 'switch_expression', 'switch_statement',
]);

/** Nodes of this loop's own level: not in closures, and not in nested loops or switches (for break/continue). */
function loopLevelNodes(fa: FileAnalysis, body: SgNode, visit: (n: SgNode) => void): void {
  walk(body, (d) => {
    if (d !== body && (fa.syntax.isClosure(d) || fa.syntax.isFunction(d) || BREAK_TARGETS.has(d.kind() as string))) return false;
    visit(d);
    return true;
  });
}

/** The loop ends on success: a `return` anywhere in it, or a `break` of this loop. */
function exitsOnSuccess(fa: FileAnalysis, body: SgNode): boolean {
  let found = false;
  ownNodes(fa, body, (d) => {
    if (d.kind() === 'return_statement') found = true;
  });
  if (!found) {
    loopLevelNodes(fa, body, (d) => {
      if (d.kind() === 'break_statement') found = true;
    });
  }
  return found;
}

/** Outbound calls in `body` directly, and same-file functions called from it that make outbound calls. */
function wrappedCalls(fa: FileAnalysis, body: SgNode, calls: readonly Outbound[]): { direct: Outbound[]; functions: SgNode[] } {
  const direct = calls.filter((o) => contains(body, o.node));
  const functions: SgNode[] = [];
  walk(body, (d) => {
    if (!fa.syntax.callee(d)) return true;
    const enclosing = fa.ctx.enclosingFunction(d);
    const name = fa.syntax.localCallName(d, enclosing ? fa.syntax.receiverName(enclosing) : undefined);
    for (const fn of (name && fa.ctx.functionsByName.get(name)) || []) {
      if (contains(fn, body)) continue;
      if (calls.some((o) => contains(fn, o.node))) functions.push(fn);
    }
    return true;
  });
  return { direct, functions };
}

/** The number of times a counted loop runs, from its header; undefined when not static. */
function loopBound(fa: FileAnalysis, loop: SgNode): { tries?: number; unbounded: boolean } {
  const k = loop.kind() as string;
  const cmp = (cond: SgNode | null | undefined, start: number | undefined): number | undefined => {
    if (!cond || (cond.kind() !== 'binary_expression' && cond.kind() !== 'comparison_operator')) return undefined;
    const named = cond.children().filter((c) => c.isNamed());
    const op = cond.children().find((c) => !c.isNamed() && /[<>]=?/.test(c.text()))?.text();
    const [l, r] = [named[0], named[named.length - 1]];
    if (!l || !r || !op) return undefined;
    const from = start ?? 0;
    const inclusive = op.includes('=') ? 1 : 0;
    if (op === '<' || op === '<=') {
      const n = fa.intValue(r);
      return n === undefined ? undefined : n - from + inclusive;
    }
    const left = fa.intValue(l);
    if (left !== undefined) return left - from + inclusive; // `max > i`
    // Count-down: `for retries := 3; retries > 0; retries--`.
    const bound = fa.intValue(r);
    return bound === undefined || start === undefined ? undefined : start - bound + inclusive;
  };
  const initOf = (name: string | undefined, at: SgNode): number | undefined => {
    if (!name) return undefined;
    const b = fa.syntax.resolve(name, at);
    return b?.kind === 'value' ? fa.intValue(b.value) : undefined;
  };
  if (fa.lang === 'go') {
    const rc = loop.children().find((c) => c.kind() === 'range_clause');
    if (rc) {
      const n = rc.field('right') ? fa.intValue(rc.field('right')!) : undefined;
      return n === undefined ? { unbounded: false } : { tries: n, unbounded: false };
    }
    const fc = loop.children().find((c) => c.kind() === 'for_clause');
    if (fc) {
      const init = fc.field('initializer');
      const start = init ? fa.intValue(init.field('right')?.children().find((c) => c.isNamed()) ?? init) : undefined;
      const n = cmp(fc.field('condition'), start);
      return n === undefined ? { unbounded: !fc.field('condition') } : { tries: n, unbounded: false };
    }
    const cond = loop.children().find((c) => c.kind() === 'binary_expression');
    if (cond) {
      const v = cond.field('left');
      const n = cmp(cond, v ? initOf(v.text(), loop) : undefined);
      if (n !== undefined) return { tries: n, unbounded: false };
      return { unbounded: false };
    }
    return bailOut(fa, loop);
  }
  if (fa.lang === 'python') {
    if (k === 'for_statement') {
      const right = loop.field('right');
      const args = right ? fa.syntax.callArguments(right) : [];
      const nums = args.map((a) => fa.intValue(a));
      if (nums.some((x) => x === undefined)) return { unbounded: false };
      if (nums.length === 1) return { tries: nums[0]!, unbounded: false };
      if (nums.length === 2) return { tries: nums[1]! - nums[0]!, unbounded: false };
      if (nums.length === 3 && nums[2]! > 0) return { tries: Math.ceil((nums[1]! - nums[0]!) / nums[2]!), unbounded: false };
      return { unbounded: false };
    }
    const cond = loop.field('condition');
    if (cond?.text() === 'True' || cond?.text() === '1') return bailOut(fa, loop);
    if (cond?.kind() === 'comparison_operator') {
      const l = cond.children().find((c) => c.isNamed());
      const n = cmp(cond, l ? initOf(l.text(), loop) : undefined);
      if (n !== undefined) return { tries: n, unbounded: false };
    }
    return { unbounded: false };
  }
  // Java
  if (k === 'for_statement') {
    const init = loop.field('init');
    let start: number | undefined;
    if (init) walk(init, (d) => {
      if (d.kind() === 'variable_declarator' && d.field('value')) start = fa.intValue(d.field('value')!);
    });
    const cond = loop.field('condition');
    if (!cond) return bailOut(fa, loop);
    const n = cmp(cond, start);
    return n === undefined ? { unbounded: false } : { tries: n, unbounded: false };
  }
  const condParen = loop.field('condition');
  const cond = condParen?.children().find((c) => c.isNamed()) ?? condParen;
  if (cond?.text() === 'true') return bailOut(fa, loop);
  if (cond?.kind() === 'binary_expression') {
    const l = cond.field('left');
    const lname = l?.kind() === 'update_expression' ? l.children().find((c) => c.isNamed())?.text() : l?.text();
    const n = cmp(cond, initOf(lname, loop));
    if (n !== undefined) return { tries: n, unbounded: false };
  }
  return { unbounded: false };
}

/** An unbounded loop: look for `if attempt >= n { return/break/raise }` inside it. */
function bailOut(fa: FileAnalysis, loop: SgNode): { tries?: number; unbounded: boolean } {
  let tries: number | undefined;
  const body = fa.syntax.loopBody(loop) ?? loop;
  ownNodes(fa, body, (d) => {
    if (tries !== undefined || d.kind() !== 'if_statement') return;
    const condRaw = d.field('condition');
    const cond = condRaw?.kind() === 'parenthesized_expression' ? condRaw.children().find((c) => c.isNamed()) : condRaw;
    if (!cond) return;
    const named = cond.children().filter((c) => c.isNamed());
    const op = cond.children().find((c) => !c.isNamed() && /^(>=|>|==)$/.test(c.text()))?.text();
    const r = named[named.length - 1];
    const n = r ? fa.intValue(r) : undefined;
    if (!op || n === undefined) return;
    let exits = false;
    walk(d.field('consequence') ?? d, (x) => {
      if (/^(return_statement|break_statement|raise_statement|throw_statement)$/.test(x.kind() as string)) exits = true;
    });
    if (exits) tries = op === '>' ? n + 1 : n;
  });
  return tries === undefined ? { unbounded: true } : { tries, unbounded: false };
}

/** The URL of `o` uses one of `vars` (a page number, an item): fan-out or pagination, not a retry. */
function urlUsesLoopVariable(o: Outbound, vars: readonly string[]): boolean {
  if (!o.url || vars.length === 0) return false;
  let uses = false;
  walk(o.url, (d) => {
    if (d.kind() === 'identifier' && vars.includes(d.text())) uses = true;
  });
  return uses;
}

/** Retry loops of the file that pass the checks. */
function loopFactors(fa: FileAnalysis, calls: readonly Outbound[]): RetryFactor[] {
  const out: RetryFactor[] = [];
  for (const m of fa.byRole('retry-loop')) {
    const loop = m.node;
    const body = fa.syntax.loopBody(loop);
    if (!body) continue;
    // Go `for _, x := range items`: only a count (range 3, range maxTries) is a retry loop.
    if (fa.lang === 'go') {
      const rc = loop.children().find((c) => c.kind() === 'range_clause');
      if (rc && (!rc.field('right') || fa.intValue(rc.field('right')!) === undefined)) continue;
    }
    const { direct, functions } = wrappedCalls(fa, body, calls);
    if (direct.length === 0 && functions.length === 0) continue;
    if (!exitsOnSuccess(fa, body)) continue;
    const vars = fa.syntax.loopVariables(loop);
    if (direct.some((o) => urlUsesLoopVariable(o, vars))) continue;
    if (fa.lang !== 'python' && !hasRetryShape(fa, body)) continue;
    const bound = loopBound(fa, loop);
    if (bound.tries !== undefined && bound.tries <= 1) continue;
    const around = direct[0] ? display(direct[0].node) : `${fa.syntax.functionName(functions[0]!) ?? 'a function'}()`;
    const loopLabel = loop.kind() === 'while_statement' ? 'while loop' : loop.kind() === 'do_statement' ? 'do/while loop' : 'for loop';
    out.push({
      node: loop,
      tries: bound.tries,
      unbounded: bound.unbounded,
      defaulted: false,
      how: `A retry ${loopLabel}`,
      around,
      source: bound.unbounded ? 'no attempt limit in the loop' : undefined,
      appliesTo: (o) => contains(body, o.node) || functions.some((fn) => contains(fn, o.node)),
    });
  }
  return out;
}

/** Go/Java loops: the rule matched a sleep, catch or continue somewhere in the body; make sure it is this loop's. */
function hasRetryShape(fa: FileAnalysis, body: SgNode): boolean {
  let shaped = false;
  loopLevelNodes(fa, body, (d) => {
    if (d.kind() === 'continue_statement') shaped = true;
  });
  ownNodes(fa, body, (d) => {
    const k = d.kind() as string;
    if (k === 'catch_clause') shaped = true;
    const callee = fa.syntax.callee(d);
    if (callee && SLEEP.test(fa.lang === 'java' ? `${d.field('object')?.text() ?? ''}.${callee.text()}` : callee.text())) shaped = true;
    if (fa.lang === 'go' && k === 'unary_expression' && d.text().startsWith('<-time.After')) shaped = true;
  });
  return shaped;
}

/** The function a decorator or annotation applies to. */
function decoratedFunction(n: SgNode): SgNode | undefined {
  if (n.kind() === 'decorator') return n.parent()?.field('definition') ?? undefined;
  const mods = n.parent();
  if (mods?.kind() === 'modifiers') return mods.parent() ?? undefined;
  return undefined;
}

/**
 * Is the retried function opaque — no body (an interface or abstract method: the implementation makes the call),
 * or a body whose only calls are calls of its own parameters (`func()`) and exception
 * constructions? Then the retried call is not visible, but the decorator still multiplies it.
 */
function opaqueFunction(fa: FileAnalysis, fn: SgNode): boolean {
  const body = fn.field('body');
  if (!body) return true;
  const params = new Set(fa.syntax.parameterNames(fn));
  let visible = false;
  walk(body, (d) => {
    if (visible) return false;
    const callee = fa.syntax.callee(d);
    if (!callee) return true;
    if (d.kind() === 'object_creation_expression' && /(Exception|Error)$/.test(d.field('type')?.text() ?? '')) return true;
    // Only a parameter called as a function (`func()`) hides the call; `conn.execute()` is a visible call.
    if (!params.has(callee.text())) visible = true;
    return !visible;
  });
  return !visible;
}

/** Overrides (`$N` count options) of the anchor's library that configure this anchor. */
function overridesFor(fa: FileAnalysis, anchor: Match, overrides: readonly Match[]): Match[] {
  const group = anchor.rule.metadata['group'];
  const same = overrides.filter((o) => o.rule.metadata['group'] === group);
  if (same.length === 0) return [];
  const reached = fa.reach(anchor.node);
  const sites = fa.configuringSites(anchor.node);
  return same.filter((o) => FA.within(reached, o.node) || FA.within(sites, o.node) || fa.reach(o.node).slice(1).some((v) => contains(v, anchor.node)));
}

function triesFrom(n: number, counts: unknown, zeroMeans: unknown): { tries?: number; unbounded: boolean } {
  if (n === 0 && zeroMeans === 'unbounded') return { unbounded: true };
  return { tries: counts === 'retries' ? n + 1 : n, unbounded: false };
}

/** Retry libraries of the file. */
function libraryFactors(fa: FileAnalysis, calls: readonly Outbound[]): RetryFactor[] {
  const lib = fa.byRole('retry-library');
  const overrides = lib.filter((m) => m.rule.metadata['override']);
  const out: RetryFactor[] = [];
  for (const a of lib) {
    const md = a.rule.metadata;
    if (md['override']) continue;
    let tries: number | undefined;
    let unbounded = false;
    let defaulted = false;
    const own = fa.mv(a, 'N');
    const ownN = own ? fa.intValue(own) : undefined;
    // `requireN`: the count is the point of the match; when it is not static the bound is unknown, unless it
    // names another retry configuration (max_retries=retry_strategy), which is reported on its own.
    if (md['requireN'] && !own) continue;
    if (md['requireN'] && own && ownN === undefined && fa.reach(own).slice(1).some((v) => lib.some((o) => o !== a && !o.rule.metadata['override'] && contains(v, o.node)))) continue;
    if (ownN !== undefined) ({ tries, unbounded } = triesFrom(ownN, md['counts'], md['zeroMeans']));
    else if (md['requireN']) tries = undefined;
    else {
      const found = overridesFor(fa, a, overrides)
        .map((o) => {
          const nn = fa.mv(o, 'N');
          const v = nn ? fa.intValue(nn) : undefined;
          return v === undefined ? undefined : triesFrom(v, o.rule.metadata['counts'], o.rule.metadata['zeroMeans']);
        })
        .filter((x): x is { tries?: number; unbounded: boolean } => !!x);
      if (found.length) ({ tries, unbounded } = found[found.length - 1]!);
      else if (overridesFor(fa, a, overrides).length) tries = undefined; // a count that is not static
      else if (md['default'] !== undefined) {
        ({ tries } = triesFrom(Number(md['default']), md['counts'], undefined));
        defaulted = true;
      } else if (md['unbounded']) unbounded = true;
    }
    if (tries !== undefined && tries <= 1) continue;
    const scope = md['scope'];
    const how = String(md['library'] ?? 'A retry library');
    let appliesTo: (o: Outbound) => boolean;
    let around: string;
    if (scope === 'function' || scope === 'node') {
      // Only retries that wrap an outbound call (directly or through a same-file function) count.
      const targets = scope === 'function' ? [decoratedFunction(a.node)].filter((x): x is SgNode => !!x) : fa.reach(a.node);
      const wrapped = targets.map((t) => wrappedCalls(fa, t, calls));
      const functions = wrapped.flatMap((w) => w.functions);
      const direct = wrapped.flatMap((w) => w.direct);
      const fn = targets[0];
      if (direct.length === 0 && functions.length === 0 && !(scope === 'function' && fn && opaqueFunction(fa, fn))) continue;
      appliesTo = (o) => FA.within(targets, o.node) || functions.some((f) => contains(f, o.node));
      around =
        scope === 'function' && fn
          ? `the calls in ${fa.syntax.functionName(fn) ?? 'this function'}()`
          : direct[0]
            ? display(direct[0].node)
            : `${fa.syntax.functionName(functions[0]!) ?? 'a function'}()`;
    } else {
      appliesTo = (o) => clientScoped(fa, o, a.node);
      around = 'requests through this client';
    }
    out.push({ node: a.node, tries, unbounded, defaulted, how, around, source: (md['defaultSource'] as string | undefined) ?? undefined, appliesTo });
  }
  return out;
}

/** A client-scoped retry configuration applies to a call that goes through it or runs inside its executor. */
function clientScoped(fa: FileAnalysis, o: Outbound, anchor: SgNode): boolean {
  if (FA.within(o.linked, anchor)) return true;
  for (const site of o.linked) if (fa.reach(site).some((v) => contains(v, anchor))) return true;
  // retryTemplate.execute(ctx -> call()), Retry.decorateSupplier(retry, () -> call()), retry.Do(func() …)
  for (const p of o.node.ancestors()) {
    if (fa.syntax.isFunction(p)) break;
    if (!fa.syntax.callee(p)) continue;
    const parts = [p.field('object') ?? p.field('function'), ...fa.syntax.callArguments(p).filter((x) => !contains(x, o.node))].filter((x): x is SgNode => !!x);
    if (parts.some((x) => fa.reach(x).some((v) => contains(v, anchor)))) return true;
  }
  return false;
}

/** Every retry factor of the file (loops and libraries). */
export function retryFactors(fa: FileAnalysis, calls: readonly Outbound[]): RetryFactor[] {
  return [...loopFactors(fa, calls), ...libraryFactors(fa, calls)];
}

/** Findings of app-retries. */
export function retryFindings(fa: FileAnalysis, factors: readonly RetryFactor[], settings: RuleSettings): Finding[] {
  const id = 'app-retries';
  if (!settings.enabled(id)) return [];
  const reportDefaults = settings.option<boolean>(id, 'reportLibraryDefaults') !== false;
  const out: Finding[] = [];
  for (const f of factors) {
    if (f.defaulted && !reportDefaults) continue;
    const tail = 'each try can open a new connection, and the sidecar’s retries multiply on top';
    const message =
      f.tries !== undefined
        ? `${f.how} retries ${f.around}: up to ${f.tries} tries per request${f.defaulted ? ` (the library default: ${f.source})` : ''}; ${tail}`
        : `${f.how} retries ${f.around} ${f.unbounded ? `with no attempt limit (${f.source ?? 'unbounded'})` : 'with a bound that is not static'}; counted as at least ${ASSUMED_TRIES_WHEN_UNKNOWN} tries per request; ${tail}`;
    out.push(
      findingAt(fa.file, f.node, id, message, {
        hint: f.tries !== undefined ? 'retry in one place only (application or mesh), with a small bound and backoff; count the tries in the connection multiplier' : 'give the retry a constant attempt limit so the multiplier can be computed',
        value: f.tries !== undefined ? String(f.tries) : 'unknown',
      }),
    );
  }
  return out;
}

/** Tries of the application for one call, with the evidence: the product of the factors that apply. */
export function callTries(o: Outbound, factors: readonly RetryFactor[]): { tries: number; evidence: string[] } {
  let tries = 1;
  const evidence: string[] = [];
  for (const f of factors) {
    if (!f.appliesTo(o)) continue;
    const t = f.tries ?? ASSUMED_TRIES_WHEN_UNKNOWN;
    tries *= t;
    evidence.push(`${f.how} (line ${position(f.node).line}): ${f.tries ?? `at least ${ASSUMED_TRIES_WHEN_UNKNOWN}`} tries`);
  }
  return { tries, evidence };
}
