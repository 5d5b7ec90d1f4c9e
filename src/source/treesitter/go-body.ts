/**
 * response-body-not-closed (Go): for each `resp, err := client.Do(req)` (and Get/Post/PostForm) whose result
 * is used as an `*http.Response`, checks that `resp.Body` is closed on every path out of the function, that a
 * deferred close is not inside a loop, and that the body is read before it is closed.
 *
 * net/http: "If the returned error is nil, the Response will contain a non-nil Body which the user is
 * expected to close. If the Body is not both read to EOF and closed, the Client's underlying RoundTripper
 * (typically Transport) may not be able to re-use a persistent TCP connection" (Client.Do docs).
 *
 * The path analysis walks the structured statements after the call: a close (`resp.Body.Close()`,
 * `defer resp.Body.Close()`, a helper given `resp`/`resp.Body`) ends the path; a `return` before it is a
 * leak, except in the `if err != nil { … }` branch right after the call (the response is nil there); falling
 * off the end of the function or of a loop iteration without a close is a leak. A response that is returned,
 * stored, sent or handed to another function is the callee's responsibility and is not reported.
 */
import type { SgNode } from '@ast-grep/napi';
import type { Finding } from '../../types.js';
import type { FileAnalysis, Match } from './analysis.js';
import { findingAt, type RuleSettings } from './report.js';
import { contains, goStatements, position, walkKinds } from './syntax.js';

/**
 * Calls that read a body to EOF. net/http hands the connection back to the pool as soon as the body reaches
 * EOF (the transport's body wrapper signals the read loop on EOF), so a full read releases the connection even
 * before `Close` — on that path it counts like a close.
 */
const FULL_READS = /(^|\.)(ReadAll|Copy|CopyBuffer)$/;

/** Calls that read a body passed to them (and leave closing to the caller). */
const READERS = /(^|\.)(ReadAll|Copy|CopyN|CopyBuffer|LimitReader|TeeReader|ReadFull|MultiReader|NewDecoder|NewReader|NewReaderSize|NewScanner|Parse|NewDocumentFromReader|Unmarshal|Decode|DumpResponse)$/;

type PathResult = { kind: 'open' } | { kind: 'closed' } | { kind: 'leak'; at: SgNode; why: string };
const OPEN: PathResult = { kind: 'open' };
const CLOSED: PathResult = { kind: 'closed' };

const BRANCHING = new Set(['if_statement', 'for_statement', 'expression_switch_statement', 'type_switch_statement', 'select_statement', 'func_literal']);

interface BodyUse {
  /** `Body.Close()` calls, helpers given the body or response, and full reads (`io.ReadAll`, `io.Copy`). */
  closes: SgNode[];
  deferredCloses: SgNode[];
  transferred: boolean;
  read: boolean;
}

/** How `resp` is used after `from` inside `fn`. */
function usesOf(fn: SgNode, resp: string, from: SgNode): BodyUse {
  const use: BodyUse = { closes: [], deferredCloses: [], transferred: false, read: false };
  const start = from.range().end.index;
  walkKinds(fn, ['identifier'], (d) => {
    if (d.text() !== resp || d.range().start.index < start) return true;
    const p = d.parent();
    if (!p) return true;
    // Used inside a goroutine or callback (not a deferred closure): its lifetime is not this function's.
    const closure = d.ancestors().find((a) => a.kind() === 'func_literal' && contains(fn, a) && key(a) !== key(fn));
    if (closure && closure.parent()?.parent()?.kind() !== 'defer_statement' && !contains(closure, from)) {
      use.transferred = true;
      return true;
    }
    const pk = p.kind() as string;
    if (pk === 'selector_expression' && p.field('operand') && contains(p.field('operand')!, d)) {
      if (p.field('field')?.text() !== 'Body') return true; // resp.StatusCode, resp.Header…
      const p2 = p.parent();
      const p2k = p2?.kind() as string | undefined;
      if (p2k === 'selector_expression' && p2!.field('field')?.text() === 'Close' && p2!.parent()?.kind() === 'call_expression') {
        const call = p2!.parent()!;
        if (call.ancestors().some((a) => a.kind() === 'defer_statement' && contains(fn, a))) use.deferredCloses.push(call);
        else use.closes.push(call);
      } else if (p2k === 'selector_expression' && p2!.field('field')?.text() === 'Read') {
        use.read = true;
      } else if (p2k === 'argument_list') {
        const callee = p2!.parent()?.field('function')?.text() ?? '';
        use.read = true;
        if (FULL_READS.test(callee) && !p2!.parent()!.ancestors().some((a) => a.kind() === 'defer_statement' && contains(fn, a))) {
          use.closes.push(p2!.parent()!);
        } else if (!READERS.test(callee)) {
          // A helper given the body (drainAndClose(resp.Body)) closes it; deferred or not, it ends the path.
          const call = p2!.parent()!;
          if (call.ancestors().some((a) => a.kind() === 'defer_statement' && contains(fn, a))) use.deferredCloses.push(call);
          else use.closes.push(call);
        }
      } else if (p2k === 'expression_list' || p2k === 'keyed_element' || p2k === 'literal_element' || p2k === 'return_statement') {
        use.transferred = true;
      }
      return true;
    }
    if (pk === 'argument_list') {
      // The whole response handed to a helper (decode(resp), closeResponse(resp)); logging it is not.
      const call = p.parent()!;
      if (/^(fmt|log|slog|logger|t|b)\./.test(call.field('function')?.text() ?? '')) return true;
      if (call.ancestors().some((a) => a.kind() === 'defer_statement' && contains(fn, a))) use.deferredCloses.push(call);
      else use.closes.push(call);
      use.read = true;
      return true;
    }
    if (pk === 'expression_list') {
      const gp = p.parent();
      const gk = gp?.kind() as string | undefined;
      if (gk === 'return_statement') use.transferred = true;
      else if ((gk === 'assignment_statement' || gk === 'short_var_declaration') && gp!.field('right') && contains(gp!.field('right')!, d)) use.transferred = true;
      return true;
    }
    if (pk === 'return_statement' || pk === 'keyed_element' || pk === 'literal_element' || pk === 'send_statement' || (pk === 'unary_expression' && p.text().startsWith('&'))) {
      use.transferred = true;
    }
    return true;
  });
  return use;
}

/**
 * The kinds of the nodes in `closes` (calls: `resp.Body.Close()`, helpers, full reads); a node of another kind
 * with the same range is one of their ancestors or descendants, so the walks below look at calls only.
 */
const CLOSE_KINDS = ['call_expression'];
const CLOSE_WALK = [...BRANCHING, ...CLOSE_KINDS];

/** Does `st` close the body on every path through it (a close not nested in a branch)? */
function closesUnconditionally(st: SgNode, closes: ReadonlySet<string>): boolean {
  let found = false;
  const isDefer = st.kind() === 'defer_statement';
  if (BRANCHING.has(st.kind() as string) || /switch_statement$|^select_statement$/.test(st.kind() as string)) {
    // Only the header of a branching statement runs on every path: `if err := resp.Body.Close(); …`.
    const init = st.field('initializer');
    if (init) walkKinds(init, CLOSE_KINDS, (x) => {
      if (closes.has(key(x))) found = true;
    });
    return found;
  }
  walkKinds(st, CLOSE_WALK, (d, k, isTop) => {
    if (found) return false;
    if (!isTop && BRANCHING.has(k) && !(isDefer && k === 'func_literal')) {
      // An if's initializer runs unconditionally: `if err := resp.Body.Close(); err != nil {}`.
      if (k === 'if_statement') {
        const init = d.field('initializer');
        if (init) walkKinds(init, CLOSE_KINDS, (x) => {
          if (closes.has(key(x))) found = true;
        });
      }
      return false;
    }
    if (closes.has(key(d))) found = true;
    return true;
  });
  return found;
}

function key(n: SgNode): string {
  const r = n.range();
  return `${r.start.index}:${r.end.index}`;
}

/**
 * `if err != nil { … }` / `if err == nil { … }` on the error of the call: the response is nil on the error
 * branch. Returns which branch is the error path, or undefined when `st` is not such a check.
 */
function errorCheck(st: SgNode, err: string | undefined): 'consequence' | 'alternative' | undefined {
  if (!err || err === '_' || st.kind() !== 'if_statement' || st.field('initializer')) return undefined;
  const cond = st.field('condition');
  if (!cond || cond.kind() !== 'binary_expression' || cond.field('left')?.text() !== err || cond.field('right')?.text() !== 'nil') return undefined;
  const op = cond.children().find((c) => !c.isNamed())?.text();
  return op === '!=' ? 'consequence' : op === '==' ? 'alternative' : undefined;
}

/** Does `st` assign a new value to `name` (so a later `if name != nil` is about something else)? */
function assigns(st: SgNode, name: string | undefined): boolean {
  if (!name) return false;
  let found = false;
  walkKinds(st, ['func_literal', 'short_var_declaration', 'assignment_statement'], (d, k) => {
    if (found || k === 'func_literal') return false;
    if (k === 'short_var_declaration' || k === 'assignment_statement') {
      if (d.field('left')?.children().some((c) => c.text() === name)) found = true;
    }
    return true;
  });
  return found;
}

function terminates(st: SgNode): boolean {
  if (st.kind() !== 'expression_statement') return false;
  const call = st.children().find((c) => c.kind() === 'call_expression');
  const f = call?.field('function')?.text() ?? '';
  return /^(panic|log\.Fatal\w*|log\.Panic\w*|os\.Exit|t\.Fatal\w*|b\.Fatal\w*)$/.test(f);
}

class PathAnalysis {
  constructor(
    private readonly closes: ReadonlySet<string>,
    private readonly err: string | undefined,
    /** The response variable outlives the loop it is assigned in (`res, err = …` to a variable declared outside). */
    private readonly escapesLoop: boolean,
  ) {}

  /**
   * Analyses `stmts` in order; `loopDepth` counts loops/switches entered (their break/continue stay inside).
   * `errLive`: the call's error variable still holds the call's error, so `if err != nil` is its error path.
   */
  list(stmts: SgNode[], loopDepth: number, errLive: boolean): PathResult {
    let live = errLive;
    for (const st of stmts) {
      const r = this.stmt(st, loopDepth, live);
      if (r.kind !== 'open') return r;
      if (live && assigns(st, this.err)) live = false;
    }
    return OPEN;
  }

  private cases(st: SgNode, loopDepth: number): PathResult {
    let allClosed = true;
    let hasDefault = false;
    for (const c of st.children()) {
      const ck = c.kind() as string;
      if (!/case$/.test(ck)) continue;
      if (ck === 'default_case') hasDefault = true;
      const r = this.list(goStatements(c), loopDepth + 1, false);
      if (r.kind === 'leak') return r;
      if (r.kind !== 'closed') allClosed = false;
    }
    return allClosed && hasDefault ? CLOSED : OPEN;
  }

  stmt(st: SgNode, loopDepth: number, errLive: boolean): PathResult {
    if (closesUnconditionally(st, this.closes)) return CLOSED;
    if (terminates(st)) return CLOSED;
    switch (st.kind() as string) {
      case 'return_statement':
        return { kind: 'leak', at: st, why: `on the path that returns at line ${position(st).line}` };
      case 'break_statement':
        // `res, err = …` on a variable declared outside the loop: break hands the response to the code after it.
        if (loopDepth === 0 && this.escapesLoop) return CLOSED;
        return loopDepth === 0 ? { kind: 'leak', at: st, why: `on the path that leaves the loop iteration at line ${position(st).line}` } : OPEN;
      case 'continue_statement':
        return loopDepth === 0 ? { kind: 'leak', at: st, why: `on the path that leaves the loop iteration at line ${position(st).line}` } : OPEN;
      case 'block':
        return this.list(goStatements(st), loopDepth, errLive);
      case 'labeled_statement': {
        const inner = st.children().filter((c) => c.isNamed() && c.kind() !== 'label_name');
        return this.list(inner, loopDepth, false);
      }
      case 'if_statement': {
        const errorPath = errLive ? errorCheck(st, this.err) : undefined;
        if (errorPath === 'consequence') {
          const alt = st.field('alternative');
          return alt ? (alt.kind() === 'block' ? this.list(goStatements(alt), loopDepth, false) : this.stmt(alt, loopDepth, false)) : OPEN;
        }
        if (errorPath === 'alternative') {
          // `if err == nil { … }`: only the consequence has a response; the rest of the function sees both paths.
          const rc = this.list(goStatements(st.field('consequence')), loopDepth, false);
          return rc.kind === 'open' ? OPEN : rc;
        }
        const rc = this.list(goStatements(st.field('consequence')), loopDepth, false);
        if (rc.kind === 'leak') return rc;
        const alt = st.field('alternative');
        const ra = alt ? (alt.kind() === 'block' ? this.list(goStatements(alt), loopDepth, false) : this.stmt(alt, loopDepth, false)) : OPEN;
        if (ra.kind === 'leak') return ra;
        return rc.kind === 'closed' && ra.kind === 'closed' ? CLOSED : OPEN;
      }
      case 'for_statement': {
        const r = this.list(goStatements(st.field('body')), loopDepth + 1, false);
        return r.kind === 'leak' ? r : OPEN;
      }
      case 'expression_switch_statement':
      case 'type_switch_statement':
      case 'select_statement':
        return this.cases(st, loopDepth);
      default:
        return OPEN;
    }
  }
}

function isHeadRequest(fa: FileAnalysis, m: Match): boolean {
  const method = fa.mv(m, 'M')?.text();
  if (method === 'Head') return true;
  if (method !== 'Do') return false;
  const call = m.node.find({ rule: { kind: 'call_expression' } });
  const req = call ? fa.syntax.callArguments(call)[0] : undefined;
  if (!req) return false;
  for (const v of fa.reach(req)) {
    let head = false;
    walkKinds(v, ['call_expression'], (d) => {
      if (/NewRequest(WithContext)?$/.test(d.field('function')?.text() ?? '')) {
        const args = fa.syntax.callArguments(d);
        const methodArg = /WithContext$/.test(d.field('function')!.text()) ? args[1] : args[0];
        const t = methodArg?.text() ?? '';
        if (t === '"HEAD"' || t === 'http.MethodHead') head = true;
      }
      return !head;
    });
    if (head) return true;
  }
  return false;
}

/** Findings of response-body-not-closed for one Go file. */
export function responseBodyFindings(fa: FileAnalysis, settings: RuleSettings): Finding[] {
  const id = 'response-body-not-closed';
  if (fa.lang !== 'go' || !settings.enabled(id)) return [];
  const out: Finding[] = [];
  for (const m of fa.byRole('response', id)) {
    const respNode = fa.mv(m, 'RESP');
    if (!respNode) continue;
    const resp = respNode.text();
    const err = fa.mv(m, 'ERR')?.text();
    const fn = fa.enclosingCode(m.node);
    if (!fn) continue;
    const use = usesOf(fn, resp, m.node);
    if (use.transferred) continue;
    // A HEAD response has no body: the transport reuses the connection without waiting for Close.
    if (isHeadRequest(fa, m)) continue;
    const callText = m.node.find({ rule: { kind: 'call_expression' } })?.text().replace(/\s+/g, ' ') ?? '';
    const call = callText.length > 48 ? `${callText.slice(0, callText.indexOf('(') + 1)}…)` : callText;
    const report = (msg: string, hint: string, value: string): void => {
      out.push(findingAt(fa.file, m.node, id, msg, { hint, value }));
    };

    // A deferred close inside a loop that also makes the call runs only when the function returns.
    const loopOf = (d: SgNode): SgNode | undefined => d.ancestors().find((a) => a.kind() === 'for_statement' && contains(fn, a) && contains(a, m.node) && !contains(a, fn));
    const loopDefer = use.deferredCloses.find((d) => loopOf(d) && !d.ancestors().some((a) => a.kind() === 'func_literal' && contains(fn, a) && contains(a, m.node)));
    // A full read in the same iteration releases the connection before the next one: no churn.
    const drainedInLoop = loopDefer && use.closes.some((c) => contains(loopOf(loopDefer)!, c));
    if (loopDefer && !drainedInLoop) {
      report(
        `The body of ${resp} (from ${call}) is closed by a defer inside a loop: deferred calls run only when the function returns, so every iteration's connection stays busy and the next one opens a new connection`,
        'close the body at the end of each iteration (or move the loop body into its own function with the defer)',
        'defer in loop',
      );
      continue;
    }
    const closeKeys = new Set([...use.closes, ...use.deferredCloses].map(key));
    let result: PathResult;
    if (closeKeys.size === 0) {
      result = { kind: 'leak', at: m.node, why: 'anywhere' };
    } else {
      const escapes = m.node.kind() === 'assignment_statement';
      result = analyzeFrom(m.node, fn, new PathAnalysis(closeKeys, err, escapes));
    }
    if (result.kind === 'leak') {
      const where = result.why === 'anywhere' ? '' : ` ${result.why}`;
      report(
        `The body of ${resp} (from ${call}) is not closed${where}: the connection cannot go back to the pool, so the next request opens a new one (and this one stays open until the server times it out)`,
        `defer ${resp}.Body.Close() right after checking the error`,
        result.why === 'anywhere' ? 'never closed' : 'not closed on every path',
      );
      continue;
    }
    if (settings.option<boolean>(id, 'checkDrain') !== false && !use.read) {
      report(
        `The body of ${resp} (from ${call}) is closed without being read: net/http reuses a connection only when its body was read to EOF, so the next request opens a new connection and this one ends in TIME_WAIT (60 s)`,
        `drain it before closing: io.Copy(io.Discard, ${resp}.Body)`,
        'closed without draining',
      );
    }
  }
  return out;
}

/** Runs the path analysis from the statement after `assign` to the end of `fn` (or of the loop iteration). */
function analyzeFrom(assign: SgNode, fn: SgNode, pa: PathAnalysis): PathResult {
  let st: SgNode = assign;
  // `if resp, err := c.Do(req); err == nil { … }`: the response lives in the if; not analysed.
  if (st.parent()?.kind() !== 'statement_list') return CLOSED;
  let errLive = true;
  for (;;) {
    const list = st.parent()!;
    const siblings = list.children().filter((c) => c.isNamed() && c.kind() !== 'comment');
    const rest = siblings.slice(siblings.findIndex((s) => key(s) === key(st)) + 1);
    const r = pa.list(rest, 0, errLive);
    if (r.kind !== 'open') return r;
    errLive = false;
    // Climb out of the block to the statement that holds it.
    const block = list.parent();
    const holder = block?.kind() === 'block' ? block.parent() : block; // cases hold statement_list directly
    if (!holder || key(holder) === key(fn) || holder.kind() === 'func_literal' || holder.kind() === 'function_declaration' || holder.kind() === 'method_declaration') {
      const end = fn.field('body') ?? fn;
      return { kind: 'leak', at: end, why: 'when the function returns' };
    }
    if (holder.kind() === 'for_statement') return { kind: 'leak', at: holder, why: 'before the next loop iteration' };
    let next: SgNode | null = holder;
    // An else-if chain: climb to the outermost if.
    while (next && next.parent()?.kind() === 'if_statement') next = next.parent();
    // Case clauses: climb to the switch/select statement.
    if (next && /case$/.test(next.kind() as string)) next = next.parent();
    if (!next || next.parent()?.kind() !== 'statement_list') return OPEN;
    st = next;
  }
}
