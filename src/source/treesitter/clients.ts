/**
 * client-per-request, db-client-per-request and keepalive-disabled-client for Go, Python and Java: the
 * context and outbound checks around the `construct` and `keepalive-off` matches of the ast-grep rules, and
 * the outbound call sites (`outbound` matches) they are linked to.
 */
import type { SgNode } from '@ast-grep/napi';
import type { Finding } from '../../types.js';
import { type FileAnalysis, type Match, display, FileAnalysis as FA } from './analysis.js';
import { isRepeated, type ExecContext } from './context.js';
import { type Destination, destinationOf } from './destination.js';
import { findingAt, type RuleSettings } from './report.js';
import { contains, nodesOfKinds, sameNode, walk } from './syntax.js';

/** An outbound call site that survived its checks, with the nodes it is linked to. */
export interface Outbound {
  match: Match;
  /** The call node (for Go `Do(req)` with `req` from `http.NewRequest`, the `Do` call). */
  node: SgNode;
  /** The URL argument (or the URL the request was built with). */
  url?: SgNode;
  /** Receiver and request expressions whose objects the call uses. */
  subjects: SgNode[];
  /** Nodes linked to those objects (their values and the statements configuring them). */
  linked: SgNode[];
}

const TIME_WAIT = 'each closed connection holds an ephemeral port in TIME_WAIT for 60 s';

/** Destination options for {@link destinationOf} in this file. */
export function destinationOpts(fa: FileAnalysis, envHosts: Record<string, string> | undefined): Parameters<typeof destinationOf>[2] {
  return { envHosts, isHandler: (fn) => fa.ctx.isHandler(fn) };
}

/** The argument that says where a construct connects: `$URL`, else the first positional argument, else `host=`/`url=`. */
export function constructTarget(fa: FileAnalysis, m: Match): SgNode | undefined {
  const url = fa.mv(m, 'URL');
  if (url) return url;
  const call = m.node;
  if (!fa.syntax.callee(call)) return undefined;
  const args = fa.syntax.callArguments(call);
  const positional = args.find((a) => a.kind() !== 'keyword_argument');
  if (positional) return positional;
  const kw = args.find((a) => /^(host|url|dsn|address)$/.test(a.field('name')?.text() ?? ''));
  return kw?.field('value') ?? undefined;
}

const PY_OUTBOUND_CALLEES = /(^|\.)(get|post|put|patch|delete|head|options|request|stream|send|fetch|urlopen|Request|Client|AsyncClient|ClientSession|Session)$/;

/** Python: does this `headers=` dict (or a name bound to it) reach an outbound request? */
function pyHeadersOutbound(fa: FileAnalysis, dict: SgNode, depth = 0): boolean {
  if (depth > 2) return false;
  const parent = dict.parent();
  if (!parent) return false;
  const pk = parent.kind() as string;
  if (pk === 'keyword_argument' && parent.field('name')?.text() === 'headers') {
    const call = parent.parent()?.parent();
    const callee = call && fa.syntax.callee(call);
    return !!callee && PY_OUTBOUND_CALLEES.test(callee.text());
  }
  if (pk === 'argument_list') {
    // session.headers.update({...})
    const call = parent.parent();
    const callee = call && fa.syntax.callee(call);
    if (callee?.kind() === 'attribute' && callee.field('attribute')?.text() === 'update') {
      const headers = callee.field('object');
      if (headers?.kind() === 'attribute' && headers.field('attribute')?.text() === 'headers') return pyIsClient(fa, headers.field('object')!);
    }
    return false;
  }
  if (pk === 'dictionary_splat' || pk === 'pair' || pk === 'dictionary') {
    const outer = parent.kind() === 'dictionary' ? parent : parent.parent();
    return outer?.kind() === 'dictionary' ? pyHeadersOutbound(fa, outer, depth + 1) : false;
  }
  if (pk === 'assignment' && parent.field('right') && contains(parent.field('right')!, dict)) {
    const left = parent.field('left');
    if (!left) return false;
    if (left.kind() === 'attribute' && left.field('attribute')?.text() === 'headers') return pyIsClient(fa, left.field('object')!);
    if (left.kind() !== 'identifier' && !(left.kind() === 'attribute' && left.field('object')?.text() === 'self')) return false;
    // Every use of the name: `headers=NAME`, `{**NAME}`, `session.headers.update(NAME)`.
    const name = left.text();
    const escaped = name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    const uses = fa.root.findAll({ rule: { any: [{ kind: 'identifier' }, { kind: 'attribute' }], regex: `^${escaped}$` } });
    return uses.some((d) => !contains(parent, d) && pyHeadersOutbound(fa, d, depth + 1));
  }
  return false;
}

/** Python: does `subject` stand for an HTTP client/session built in this file (or one named like it)? */
function pyIsClient(fa: FileAnalysis, subject: SgNode): boolean {
  const reached = fa.reach(subject);
  if (fa.byRole('construct', 'client-per-request').some((c) => !c.rule.metadata['perCall'] && FA.within(reached, c.node))) return true;
  return /(session|client|http)$/i.test(subject.text());
}

// `Chain`/`Interceptor.Chain`: an OkHttp interceptor's chain, whose request() is the outbound request.
const JAVA_OUTBOUND_TYPES = /^(Chain|Interceptor\.Chain|Request\.Builder|HttpGet|HttpPost|HttpPut|HttpDelete|HttpPatch|HttpHead|HttpOptions|HttpUriRequestBase|HttpRequestBase|BasicClassicHttpRequest|BasicHttpRequest|HttpURLConnection|HttpsURLConnection|URLConnection|WebClient|RestClient|HttpUriRequest|ClassicHttpRequest)(<.*>)?$/;
const JAVA_RESPONSE_TYPES = /(ServletResponse|ServerHttpResponse|ResponseEntity|HttpResponse|Response\.ResponseBuilder|ServerResponse|HttpServletResponse|HttpHeaders)/;

/** Java: the declared type of a local variable, parameter or field named `name` visible at `at`. */
function javaDeclaredType(at: SgNode, name: string): string | undefined {
  for (let p = at.parent(); p; p = p.parent()) {
    const k = p.kind() as string;
    if (k === 'method_declaration' || k === 'constructor_declaration' || k === 'lambda_expression') {
      const params = p.field('parameters');
      for (const fp of params?.children() ?? []) {
        if (fp.kind() === 'formal_parameter' && fp.field('name')?.text() === name) return fp.field('type')?.text();
      }
    }
    if (k === 'block' || k === 'class_body' || k === 'method_declaration') {
      let found: string | undefined;
      for (const c of p.children()) {
        const ck = c.kind() as string;
        if (ck !== 'local_variable_declaration' && ck !== 'field_declaration') continue;
        if (c.children().some((d) => d.kind() === 'variable_declarator' && d.field('name')?.text() === name)) found = c.field('type')?.text();
      }
      if (found) return found;
    }
  }
  return undefined;
}

/** Java: is the object a `Connection: close` header is set on an outbound request (not a server response)? */
function javaOutbound(fa: FileAnalysis, r: SgNode, depth = 0): boolean {
  if (depth > 3) return false;
  let root = r;
  while (root.kind() === 'method_invocation' && root.field('object')) {
    // OkHttp interceptor: `chain.request().newBuilder()` rebuilds the outgoing request (Interceptor.Chain.request()).
    const object = root.field('object')!;
    if (root.field('name')?.text() === 'newBuilder' && object.kind() === 'method_invocation' && object.field('name')?.text() === 'request') return true;
    root = object;
  }
  const k = root.kind() as string;
  if (k === 'object_creation_expression') return JAVA_OUTBOUND_TYPES.test(root.field('type')?.text() ?? '');
  if (k === 'method_invocation') {
    // A chain without an object: a static import or a local builder method.
    return false;
  }
  if (k === 'identifier' || k === 'field_access') {
    const name = k === 'field_access' ? (root.field('field')?.text() ?? '') : root.text();
    if (/^(ResponseEntity|ServerResponse|Response|HttpResponse)$/.test(name)) return false;
    if (/^(ClassicRequestBuilder|RequestBuilder|SimpleRequestBuilder)$/.test(name)) return true;
    if (name === 'HttpRequest') return false; // java.net.http: Connection is a restricted header
    const type = javaDeclaredType(root, name);
    if (type) {
      if (JAVA_RESPONSE_TYPES.test(type)) return false;
      if (JAVA_OUTBOUND_TYPES.test(type)) return true;
    }
    for (const v of fa.reach(root).slice(1)) if (javaOutbound(fa, v, depth + 1)) return true;
  }
  return false;
}

/** Go: is `$R` in `$R.Close = true` / `$R.Header.Set("Connection", "close")` an outbound request? */
function goOutbound(fa: FileAnalysis, r: SgNode): boolean {
  if (r.kind() !== 'identifier') return false;
  const b = fa.syntax.resolve(r.text(), r);
  if (!b) return false;
  // The incoming request of a handler is not outbound; a RoundTripper's or a helper's request parameter is.
  if (b.kind === 'parameter') return !fa.ctx.isHandler(b.fn);
  return b.kind === 'value';
}

/** Whether a keep-alive switch applies to an outbound request (the rule's `metadata.check`). */
function keepAliveApplies(fa: FileAnalysis, m: Match): boolean {
  const check = m.rule.metadata['check'];
  if (!check) return true;
  if (check === 'outbound-headers') {
    const dict = m.node.parent();
    return dict?.kind() === 'dictionary' && pyHeadersOutbound(fa, dict);
  }
  if (check === 'outbound-client') {
    const s = fa.mv(m, 'S');
    return !!s && pyIsClient(fa, s);
  }
  if (check === 'outbound') {
    const r = fa.mv(m, 'R');
    if (!r) return false;
    return fa.lang === 'go' ? goOutbound(fa, r) : javaOutbound(fa, r);
  }
  return false;
}

/** keep-alive switches that apply (checks passed), computed once per file. */
export function keepAliveSwitches(fa: FileAnalysis): Match[] {
  return fa.byRole('keepalive-off').filter((m) => keepAliveApplies(fa, m));
}

/** Findings of keepalive-disabled-client. */
export function keepAliveFindings(fa: FileAnalysis, switches: readonly Match[], settings: RuleSettings): Finding[] {
  const id = 'keepalive-disabled-client';
  if (!settings.enabled(id)) return [];
  return switches.map((m) => {
    const evidence = m.rule.metadata.evidence ?? 'keep-alive disabled';
    const at = m.rule.metadata['at'] === 'name' ? (m.node.field('name') ?? m.node) : m.node;
    return findingAt(
      fa.file,
      at,
      id,
      `${evidence}: every request through this client opens a new connection instead of reusing one, and ${TIME_WAIT}`,
      { hint: (m.rule.metadata['hint'] as string | undefined) ?? 'remove the switch and let the client keep connections alive (one shared client, pooled connections)', value: evidence },
    );
  });
}

/** Outbound matches that pass their checks, with the Go `NewRequest` + `Do` pair merged into one call. */
export function outboundCalls(fa: FileAnalysis): Outbound[] {
  const raw = fa.byRole('outbound');
  const out: Outbound[] = [];
  const consumedRequests = new Set<SgNode>();
  const requestUrl = (req: SgNode): SgNode | undefined => {
    for (const v of fa.reach(req)) {
      // Go http.NewRequest(method, url, body) / Java builders .uri(...) .url(...) / new HttpGet(url)
      const newReq = raw.find((o) => o.rule.id === 'go-outbound-new-request' && contains(v, o.node));
      if (newReq) {
        consumedRequests.add(newReq.node);
        return fa.mv(newReq, 'URL');
      }
      let found: SgNode | undefined;
      walk(v, (d) => {
        if (found) return false;
        if (fa.syntax.isClosure(d)) return false;
        const k = d.kind() as string;
        if (k === 'method_invocation' && /^(uri|url)$/.test(d.field('name')?.text() ?? '')) found = fa.syntax.callArguments(d)[0];
        else if (k === 'object_creation_expression' && /^Http(Get|Post|Put|Delete|Patch|Head|Options)$/.test(d.field('type')?.text() ?? '')) found = fa.syntax.callArguments(d)[0];
        return true;
      });
      if (found) return found;
    }
    return undefined;
  };
  for (const m of raw) {
    if (m.rule.id === 'go-outbound-new-request') continue; // added below unless a Do() consumed it
    const check = m.rule.metadata['check'];
    const c = fa.mv(m, 'C') ?? fa.mv(m, 'S');
    const req = fa.mv(m, 'REQ');
    if (check === 'client-receiver' || check === 'request-or-client') {
      const names = new RegExp((m.rule.metadata['receiverNames'] as string | undefined) ?? '$^', 'i');
      // Named like a client, or reaching an HTTP client built in this file (not a database client: redis.get()).
      const clientOk = !!c && (names.test(c.text()) || fa.byRole('construct', 'client-per-request').some((k) => !k.rule.metadata['perCall'] && FA.within(fa.reach(c), k.node)));
      const reqOk = check === 'request-or-client' && !!req && !!requestUrl(req);
      if (!clientOk && !reqOk) continue;
    }
    const subjects = [c, req].filter((x): x is SgNode => !!x);
    const url = fa.mv(m, 'URL') ?? (req ? requestUrl(req) : undefined);
    out.push({ match: m, node: m.node, url, subjects, linked: fa.linkedNodes(subjects) });
  }
  for (const m of raw) {
    if (m.rule.id !== 'go-outbound-new-request' || consumedRequests.has(m.node)) continue;
    out.push({ match: m, node: m.node, url: fa.mv(m, 'URL'), subjects: [], linked: [] });
  }
  return out;
}

/** Where the call goes. */
export function callDestination(fa: FileAnalysis, url: SgNode | undefined, envHosts: Record<string, string> | undefined): Destination {
  return url ? destinationOf(url, fa.syntax, destinationOpts(fa, envHosts)) : { varies: false };
}

/** The outbound calls that go through the object a construct builds (or the construct itself, per call). */
function callsThrough(construct: Match, calls: readonly Outbound[]): Outbound[] {
  return calls.filter((o) => contains(construct.node, o.node) || FA.within(o.linked, construct.node));
}

/** Is this construct's destination different on every run (a loop over hosts, a host from the request)? */
function varyingDestination(fa: FileAnalysis, m: Match, calls: readonly Outbound[], envHosts: Record<string, string> | undefined): boolean {
  const target = m.rule.metadata['perCall'] || m.rule.metadata.meshlint === 'db-client-per-request' ? constructTarget(fa, m) : undefined;
  if (target) return destinationOf(target, fa.syntax, destinationOpts(fa, envHosts)).varies;
  const through = callsThrough(m, calls).filter((o) => contains(fa.ctx.scopeOf(m.node), o.node));
  return through.length > 0 && through.every((o) => callDestination(fa, o.url, envHosts).varies);
}

function describeWhere(ctx: ExecContext): string {
  return ctx.reason;
}

const RETURN_KINDS = new Set(['return_statement', 'yield', 'yield_statement']);
/** Declarations that make a name local to the function (Go `:=`/`var`, Python `=`/`with … as`, Java locals). */
const LOCAL_DECLARATIONS = new Set(['short_var_declaration', 'var_spec', 'assignment', 'as_pattern', 'local_variable_declaration', 'variable_declarator']);
const ASSIGNMENTS = new Set(['assignment_statement', 'assignment', 'assignment_expression']);
const CALL_KINDS = new Set(['call_expression', 'call', 'method_invocation', 'object_creation_expression']);
const COMPOSITES = new Set(['keyed_element', 'literal_element', 'pair', 'keyword_argument', 'composite_literal', 'element_value_pair']);

/**
 * Does the object named `name` (bound by `declaration` in `fn`) leave `fn`: returned or yielded, stored in a
 * field, a global or a composite value, or handed to another call as an argument? Uses as the receiver of a
 * call (`client.Do(req)`, `session.get(url)`) and in `outbound` do not count.
 */
function escapes(fa: FileAnalysis, name: string, fn: SgNode, declaration: SgNode, outbound: SgNode): boolean {
  if (fa.lang === 'python' && fn.findAll({ rule: { kind: 'global_statement', regex: `\\b${name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\b` } }).length) return true;
  let escaped = false;
  walk(fn, (n) => {
    if (escaped) return false;
    if (n !== fn && fa.syntax.isFunction(n)) return false;
    if (n.kind() !== 'identifier' || n.text() !== name || (contains(declaration, n) && !ASSIGNMENTS.has(declaration.kind() as string))) return true;
    let prev = n;
    for (let p = n.parent(); p && p !== fn; prev = p, p = p.parent()) {
      const k = p.kind() as string;
      if (RETURN_KINDS.has(k)) escaped = true;
      else if (ASSIGNMENTS.has(k)) {
        const left = p.field('left');
        const right = p.field('right');
        if (right && contains(right, prev) && left && !['identifier', 'expression_list', 'pattern_list'].includes(left.kind() as string)) escaped = true;
      } else if (COMPOSITES.has(k) && p !== prev) escaped = true;
      else if (CALL_KINDS.has(k)) {
        const args = fa.syntax.callArguments(p);
        if (args.some((a) => contains(a, n)) && !sameNode(p, outbound) && !contains(p, outbound)) escaped = true;
        break;
      }
      if (escaped || fa.syntax.isClosure(p)) break;
    }
    return !escaped;
  });
  return escaped;
}

/** Is `fn` private to its file/class/package (Go lower-case, Java not public/protected, Python `_name`)? */
function isPrivate(fa: FileAnalysis, fn: SgNode): boolean {
  const name = fa.syntax.functionName(fn) ?? '';
  if (fa.lang === 'go') return /^[a-z_]/.test(name);
  if (fa.lang === 'python') return name.startsWith('_');
  const modifiers = fn.children().find((c) => c.kind() === 'modifiers')?.text() ?? '';
  return !/\b(public|protected)\b/.test(modifiers);
}

/**
 * Provably once: `fn` is private and every call of it in the file runs once (from main, init, a run-once mark or
 * file level, outside loops) — a one-shot CLI's `fetch()` called from `main`.
 */
function calledOnlyOnce(fa: FileAnalysis, fn: SgNode): boolean {
  const name = fa.syntax.functionName(fn);
  if (!name || !isPrivate(fa, fn)) return false;
  const sites = nodesOfKinds(fa.root, fa.syntax.kinds.calls).filter((c) => {
    if (contains(fn, c)) return false;
    const enclosing = fa.ctx.enclosingFunction(c);
    return fa.syntax.localCallName(c, enclosing ? fa.syntax.receiverName(enclosing) : undefined) === name;
  });
  return sites.length > 0 && sites.every((c) => fa.ctx.classify(c).kind === 'once');
}

/**
 * A client built and dropped on every call of an ordinary function: an outbound call in function F goes through
 * an object F obtains itself (the construct inline, a local bound to it, or a local bound to a call of a
 * same-file function that builds it) and F does not hand the object on. Every call of F then opens new
 * connections. Returns F, or undefined (also for code that runs once: main, init, run-once marks, file level).
 */
export function builtAndDropped(fa: FileAnalysis, m: Match, calls: readonly Outbound[]): SgNode | undefined {
  for (const o of callsThrough(m, calls)) {
    const fn = fa.ctx.enclosingFunction(o.node);
    if (!fn || fa.ctx.classify(o.node).kind === 'once' || calledOnlyOnce(fa, fn)) continue;
    const subject = o.subjects[0];
    if (!subject) continue;
    if (contains(subject, m.node) && contains(fn, m.node)) return fn;
    if (subject.kind() !== 'identifier') continue;
    const b = fa.syntax.resolve(subject.text(), subject);
    if (b?.kind !== 'value' || !contains(fn, b.declaration)) continue;
    const decl = b.declaration.kind() === 'variable_declarator' ? (b.declaration.parent() ?? b.declaration) : b.declaration;
    if (!LOCAL_DECLARATIONS.has(decl.kind() as string) && !LOCAL_DECLARATIONS.has(b.declaration.kind() as string)) continue;
    // Go `x = newClient()` may assign a package variable: only `:=` and `var` inside F make it local.
    if (fa.lang === 'go' && b.declaration.kind() === 'assignment_statement') continue;
    if (fa.lang === 'python' && b.declaration.kind() === 'assignment' && b.declaration.field('left')?.kind() !== 'identifier') continue;
    if (!fa.reach(b.value).some((v) => contains(v, m.node))) continue;
    if (escapes(fa, subject.text(), fn, b.declaration, o.node)) continue;
    return fn;
  }
  return droppedAtWithExit(fa, m);
}

/**
 * Python: an HTTP client bound by `with C() as x:` / `async with C() as x:` in an ordinary function F and handed
 * to another call inside the block (`html = await fetch(session, url)`). Leaving the block closes the client
 * (requests, httpx and aiohttp sessions close their pools in `__exit__`/`__aexit__`), so whatever the callee does
 * with it, every call of F builds a new pool and drops it. Not when the block yields (a lifespan or dependency
 * generator is classified by its own rules), when F runs once, or when `x` leaves F (returned, stored). Database
 * connections are left out: psycopg2's and sqlite3's `with conn:` ends a transaction, not the connection.
 */
function droppedAtWithExit(fa: FileAnalysis, m: Match): SgNode | undefined {
  if (fa.lang !== 'python' || m.rule.metadata.meshlint !== 'client-per-request' || m.rule.metadata['perCall']) return undefined;
  const bound = m.node.parent();
  if (bound?.kind() !== 'as_pattern' || bound.parent()?.kind() !== 'with_item') return undefined;
  const name = bound.children().find((c) => c.kind() === 'as_pattern_target')?.text();
  const statement = bound.ancestors().find((a) => a.kind() === 'with_statement');
  const body = statement?.field('body');
  const fn = fa.ctx.enclosingFunction(m.node);
  if (!name || !/^[A-Za-z_]\w*$/.test(name) || !body || !fn || fa.ctx.classify(m.node).kind === 'once' || calledOnlyOnce(fa, fn)) return undefined;
  let handedOn = false;
  let leaves = false;
  walk(body, (n) => {
    if (leaves) return false;
    if (fa.syntax.isFunction(n)) return false;
    const k = n.kind() as string;
    if (k === 'yield') leaves = true;
    if (k !== 'identifier' || n.text() !== name) return true;
    let prev = n;
    for (let p = n.parent(); p && p !== body; prev = p, p = p.parent()) {
      const pk = p.kind() as string;
      const keywordArgument = pk === 'keyword_argument' && p.parent()?.kind() === 'argument_list';
      if (RETURN_KINDS.has(pk) || (COMPOSITES.has(pk) && p !== prev && !keywordArgument)) leaves = true;
      else if (ASSIGNMENTS.has(pk)) {
        const left = p.field('left');
        if (left && !contains(left, n) && left.kind() !== 'identifier') leaves = true;
      } else if (CALL_KINDS.has(pk)) {
        if (fa.syntax.callArguments(p).some((a) => contains(a, n))) handedOn = true;
        break;
      }
      if (leaves) break;
    }
    return !leaves;
  });
  return handedOn && !leaves ? fn : undefined;
}

const LAZY_CONDITIONS = new Set(['if_statement', 'conditional_expression', 'ternary_expression', 'if_clause']);
// What may sit between the construct and the assignment: await, parentheses, Go's &T{…} and an outer literal (&http.Client{Transport: &http.Transport{…}}).
const WRAPPERS = new Set(['await', 'parenthesized_expression', 'expression_list', 'unary_expression', 'keyed_element', 'literal_element', 'literal_value', 'composite_literal']);

/**
 * A lazy singleton: the construct is stored, under a condition, where it outlives the call — a global or
 * package variable, an attribute or field (`local.s = requests.Session()` on a `threading.local`, `Holder.s`,
 * `this.client`), a map slot — as in `if not hasattr(local, "s"): local.s = requests.Session()` or
 * `if client == nil { client = &http.Client{…} }`. Built on the first call only, it is reused afterwards,
 * whoever calls the getter (issue 17: memoized getters and thread-local caches run once).
 */
function lazilyKept(fa: FileAnalysis, m: Match): boolean {
  const fn = fa.ctx.enclosingFunction(m.node);
  if (!fn) return false;
  let value = m.node;
  let assign = value.parent();
  while (assign && WRAPPERS.has(assign.kind() as string)) {
    value = assign;
    assign = assign.parent();
  }
  if (!assign || !ASSIGNMENTS.has(assign.kind() as string)) return false;
  const right = assign.field('right');
  let left = assign.field('left');
  if (!right || !left || !contains(right, m.node)) return false;
  if (left.kind() === 'expression_list') left = left.child(0) ?? left;
  // The innermost condition around the assignment must test the target (`if client is None`, `if not
  // hasattr(local, "s")`, `if c == nil`), not something else of the request.
  let base = left;
  while (base.kind() !== 'identifier' && base.kind() !== 'this' && base.child(0)) base = base.child(0)!;
  const baseName = base.text();
  const condition = assign.ancestors().find((a) => LAZY_CONDITIONS.has(a.kind() as string) && contains(fn, a));
  if (!condition || !new RegExp(`\\b${baseName.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\b`).test(condition.field('condition')?.text() ?? condition.text())) return false;
  const lk = left.kind() as string;
  if (['attribute', 'subscript', 'selector_expression', 'index_expression', 'field_access', 'array_access'].includes(lk)) {
    // Stored on an object of the call itself (`opts.transport = …` on a local) does not outlive it.
    const b = base.kind() === 'identifier' ? fa.syntax.resolve(baseName, base) : undefined;
    return !(b?.kind === 'value' && contains(fn, b.declaration));
  }
  if (lk !== 'identifier') return false;
  const name = left.text();
  if (fa.lang === 'python') return fn.findAll({ rule: { any: [{ kind: 'global_statement' }, { kind: 'nonlocal_statement' }], has: { kind: 'identifier', regex: `^${name}$` } } }).length > 0;
  // Go: a package variable unless `:=` or `var` declares the name inside the function (`x = …` is not a declaration).
  if (fa.lang === 'go') {
    const local = fn.findAll({ rule: { any: [{ kind: 'short_var_declaration' }, { kind: 'var_spec' }, { kind: 'parameter_declaration' }], has: { kind: 'identifier', regex: `^${name}$`, stopBy: 'end' } } });
    return local.length === 0;
  }
  // Java: an identifier declared outside the method (a field).
  const b = fa.syntax.resolve(name, left);
  return b?.kind === 'value' && !contains(fn, b.declaration);
}

/** Findings of client-per-request and db-client-per-request. */
export function constructFindings(fa: FileAnalysis, calls: readonly Outbound[], settings: RuleSettings, envHosts: Record<string, string> | undefined): Finding[] {
  const out: Finding[] = [];
  for (const m of fa.byRole('construct')) {
    const id = m.rule.metadata.meshlint;
    if (!settings.enabled(id)) continue;
    let ctx = fa.ctx.classify(m.node, settings.option<boolean>(id, 'followLocalCalls') !== false);
    if (isRepeated(ctx) && lazilyKept(fa, m)) continue;
    if (!isRepeated(ctx)) {
      const home = fa.ctx.enclosingFunction(m.node);
      const ordinary = ctx.kind === 'unknown' || (ctx.kind === 'once' && !!home && fa.ctx.isWeakRunOnce(home) && fa.ctx.enclosingFunction(home) === undefined);
      const fn = ordinary && !m.rule.metadata['perCall'] ? builtAndDropped(fa, m, calls) : undefined;
      if (!fn) continue;
      const name = fa.syntax.functionName(fn);
      ctx = { kind: 'per-request', reason: `in ${name ? `${name}()` : 'a function'}, which builds it, uses it for its requests and drops it on every call` };
    }
    const what = display(m.node);
    const evidence = m.rule.metadata.evidence ?? '';
    const where = describeWhere(ctx);
    if (varyingDestination(fa, m, calls, envHosts)) {
      if (settings.option<boolean>(id, 'reportVaryingDestination') === false) continue;
      out.push(
        findingAt(fa.file, m.node, id, `${what} (${evidence}) is created ${where} for a destination that changes every time: connections to different hosts cannot be shared anyway, but one shared client would still reuse them for repeated hosts`, {
          severity: 'info',
          hint: 'keep one shared client (it pools per host) instead of one per destination',
          value: what,
        }),
      );
      continue;
    }
    if (m.rule.metadata['sharedConnections']) {
      out.push(
        findingAt(fa.file, m.node, id, `${what} is created ${where}: ${evidence}, so this costs objects rather than connections — but a RestTemplate given a pooled request factory here would open a new pool per request`, {
          severity: 'info',
          hint: 'inject one RestTemplate bean (built once with RestTemplateBuilder) and reuse it',
          value: what,
        }),
      );
      continue;
    }
    if (id === 'db-client-per-request') {
      out.push(
        findingAt(fa.file, m.node, id, `${what} (${evidence}) is opened ${where}: every request opens a new database connection (TCP, often TLS and authentication) instead of taking one from a pool, and ${TIME_WAIT}`, {
          hint: 'create one pool/client at start-up (module level, constructor, main or a bean) and borrow connections from it in the handler',
          value: what,
        }),
      );
      continue;
    }
    const perCall = !!m.rule.metadata['perCall'];
    const message = perCall
      ? `${what} is called ${where}: ${evidence}, so every request opens a new connection instead of reusing a pooled one, and ${TIME_WAIT}`
      : `${what} (${evidence}) is created ${where}: every request opens new connections instead of reusing pooled ones, and ${TIME_WAIT}`;
    out.push(
      findingAt(fa.file, m.node, id, message, {
        hint: perCall
          ? 'send the request through one shared session/client created at start-up (requests.Session(), httpx.Client())'
          : 'create the client once (package/module level, constructor, main, lifespan or a bean) and reuse it in every request',
        value: what,
      }),
    );
  }
  return out;
}

/** Constructs (http family) whose use makes every try of `o` a new connection, with their evidence. */
export function perRequestClients(fa: FileAnalysis, o: Outbound): string[] {
  const out: string[] = [];
  for (const m of fa.byRole('construct', 'client-per-request')) {
    if (m.rule.metadata['sharedConnections']) continue;
    const linked = sameNode(m.node, o.node) || FA.within(o.linked, m.node) || (!!m.rule.metadata['perCall'] && contains(m.node, o.node));
    if (!linked) continue;
    if (m.rule.metadata['perCall']) {
      out.push(`${display(m.node)}: ${m.rule.metadata.evidence}`);
      continue;
    }
    const ctx = fa.ctx.classify(m.node);
    if (isRepeated(ctx)) out.push(`${display(m.node)} built ${ctx.reason} (line ${m.node.range().start.line + 1})`);
  }
  return out;
}
