/**
 * Destination of an outbound call from its URL argument: a literal (`"http://payments.svc:8080/v1"`), a
 * literal prefix (`fmt.Sprintf("http://payments.svc:8080/%s", id)`, `f"http://payments/{id}"`,
 * `"http://payments" + path`), an environment variable mapped through the `envHosts` option
 * (`os.Getenv("PAYMENTS_URL")`, `os.environ["PAYMENTS_URL"]`, `System.getenv("PAYMENTS_URL")`), or a name
 * bound to one of these in the same function or at file level (up to three hops).
 *
 * `varies` is true when the host is computed per call: interpolated into the authority
 * (`"http://" + host`), or taken from a loop variable or a request handler's parameters. Such call sites (a
 * scanner dialling many hosts) are reported at `info` by client-per-request.
 */
import type { SgNode } from '@ast-grep/napi';
import type { LangSyntax, StringShape } from './syntax.js';
import { nodesOfKinds } from './syntax.js';

/** What is known about where a call goes. */
export interface Destination {
  /** The complete URL literal, when the whole URL is a literal. */
  url?: string;
  /** Lower-case host, no port. */
  host?: string;
  /** Port from the URL, else the scheme's default (80/443); undefined when the scheme is unknown too. */
  port?: number;
  scheme?: 'http' | 'https';
  /** The URL's scheme as written, lower-case, whatever it is (`postgres`, `redis`, `http`). */
  schemeText?: string;
  /** Environment variable the URL came from. */
  env?: string;
  /** The host changes from call to call. */
  varies: boolean;
}

/** Options for {@link destinationOf}. */
export interface DestinationOptions {
  /** Environment variable name → URL or `host[:port]` (the `envHosts` scanner option). */
  envHosts?: Record<string, string>;
  /** Whether a function node is a request handler (its parameters carry request data). */
  isHandler?: (fn: SgNode) => boolean;
}

type UrlSource =
  | { kind: 'literal'; shape: StringShape }
  | { kind: 'env'; name: string; fallback?: StringShape }
  | { kind: 'dynamic' }
  | { kind: 'unknown' };

/** Environment lookups: Go os.Getenv, Python os.environ[…] / os.environ.get / os.getenv, Java System.getenv. */
function envLookup(n: SgNode, syn: LangSyntax): { name: string; fallback?: StringShape } | undefined {
  const k = n.kind() as string;
  if (syn.lang === 'python' && k === 'subscript') {
    const value = n.field('value')?.text();
    const sub = n.field('subscript');
    if ((value === 'os.environ' || value === 'environ') && sub) {
      const name = syn.stringValue(sub);
      if (name) return { name };
    }
    return undefined;
  }
  const callee = syn.callee(n);
  if (!callee) return undefined;
  let fn = callee.text();
  if (syn.lang === 'java' && k === 'method_invocation') fn = `${n.field('object')?.text() ?? ''}.${callee.text()}`;
  const args = syn.callArguments(n);
  const known =
    syn.lang === 'go'
      ? fn === 'os.Getenv'
      : syn.lang === 'python'
        ? fn === 'os.getenv' || fn === 'os.environ.get' || fn === 'environ.get' || fn === 'getenv'
        : fn === 'System.getenv';
  if (!known || !args[0]) return undefined;
  const name = syn.stringValue(args[0]);
  if (!name) return undefined;
  const fb = args[1] ? syn.stringShape(args[1].kind() === 'keyword_argument' ? (args[1].field('value') ?? args[1]) : args[1]) : undefined;
  return { name, fallback: fb };
}

function identifiersIn(n: SgNode): string[] {
  return nodesOfKinds(n, ['identifier']).map((d) => d.text());
}

function urlSource(n: SgNode, syn: LangSyntax, opts: DestinationOptions, depth: number): UrlSource {
  if (depth > 3) return { kind: 'unknown' };
  const env = envLookup(n, syn);
  if (env) return { kind: 'env', ...env };
  const k = n.kind() as string;
  if (k === 'parenthesized_expression') {
    const inner = n.children().find((c) => c.isNamed());
    return inner ? urlSource(inner, syn, opts, depth) : { kind: 'unknown' };
  }
  const shape = syn.stringShape(n);
  if (shape && (shape.prefix !== '' || shape.complete)) return { kind: 'literal', shape };
  // Concatenation whose left side is not a literal: follow the left side (`base + "/x"`).
  if ((k === 'binary_expression' || k === 'binary_operator') && n.field('left')) {
    return urlSource(n.field('left')!, syn, opts, depth + 1);
  }
  // Format strings starting with a placeholder: follow the first argument (`fmt.Sprintf("%s/x", base)`).
  if (shape && shape.prefix === '' && !shape.complete) {
    const first = firstFormatArgument(n, syn);
    if (first) return urlSource(first, syn, opts, depth + 1);
  }
  if (k === 'identifier' || (syn.lang === 'python' && k === 'attribute') || (syn.lang === 'java' && k === 'field_access')) {
    const name = n.text();
    const b = syn.resolve(name, n) ?? resolveMember(n, syn);
    if (!b) return { kind: 'unknown' };
    if (b.kind === 'loop-variable') return { kind: 'dynamic' };
    if (b.kind === 'parameter') return opts.isHandler?.(b.fn) ? { kind: 'dynamic' } : { kind: 'unknown' };
    const src = urlSource(b.value, syn, opts, depth + 1);
    if (src.kind === 'unknown' && dependsOnRequestOrLoop(b.value, syn, opts)) return { kind: 'dynamic' };
    return src;
  }
  return { kind: 'unknown' };
}

/** Class node kinds whose assignments `resolveMember` reads, per language (Go has none). */
const CLASS_KINDS: Readonly<Record<LangSyntax['lang'], readonly string[]>> = { go: [], python: ['class_definition'], java: ['class_body'] };

/**
 * The innermost class (Python `class_definition`, Java `class_body`) around `n`: of the file's classes (listed
 * once per file with one `findAll`), the smallest whose range holds `n` — a node's only containing nodes are its
 * ancestors, so this is the nearest such ancestor.
 */
function enclosingClass(n: SgNode, syn: LangSyntax): SgNode | undefined {
  const kinds = CLASS_KINDS[syn.lang];
  if (kinds.length === 0) return undefined;
  let classes = syn.memo?.get('classes') as { node: SgNode; start: number; end: number }[] | undefined;
  if (!classes) {
    classes = nodesOfKinds(n.getRoot().root(), kinds).map((node) => {
      const r = node.range();
      return { node, start: r.start.index, end: r.end.index };
    });
    syn.memo?.set('classes', classes);
  }
  if (classes.length === 0) return undefined;
  const r = n.range();
  let best: { node: SgNode; start: number; end: number } | undefined;
  for (const c of classes) {
    if (c.start <= r.start.index && r.end.index <= c.end && (!best || c.end - c.start < best.end - best.start)) best = c;
  }
  return best?.node;
}

/**
 * Python `self.x` / Java `this.x` (or a bare field name `x` in Java): the value of an assignment anywhere in the
 * enclosing class, typically the constructor. Undefined outside a class or when no assignment is found.
 */
export function resolveMember(n: SgNode, syn: LangSyntax): { kind: 'value'; value: SgNode; declaration: SgNode } | undefined {
  const text = n.text();
  const member = syn.lang === 'python' ? (text.startsWith('self.') ? text : undefined) : text.startsWith('this.') ? text : `this.${text}`;
  if (!member) return undefined;
  const cls = enclosingClass(n, syn);
  if (!cls) return undefined;
  // One walk per class: every `self.x = …` / `this.x = …` / `x = …` assignment, first one per target.
  const r = cls.range();
  const key = `members:${r.start.index}:${r.end.index}`;
  let members = syn.memo?.get(key) as Map<string, { kind: 'value'; value: SgNode; declaration: SgNode }> | undefined;
  if (!members) {
    members = new Map();
    const found = members;
    for (const d of nodesOfKinds(cls, [syn.lang === 'python' ? 'assignment' : 'assignment_expression'])) {
      const l = d.field('left');
      const rv = d.field('right');
      if (l && rv) {
        const lt = l.text();
        const target = syn.lang === 'java' && !lt.startsWith('this.') ? `this.${lt}` : lt;
        if (!found.has(target)) found.set(target, { kind: 'value', value: rv, declaration: d });
      }
    }
    syn.memo?.set(key, members);
  }
  return members.get(member);
}

function firstFormatArgument(n: SgNode, syn: LangSyntax): SgNode | undefined {
  const k = n.kind() as string;
  if (syn.lang === 'python' && k === 'string') {
    const interp = n.children().find((c) => c.kind() === 'interpolation');
    return interp?.children().find((c) => c.isNamed()) ?? undefined;
  }
  if (syn.callee(n)) {
    const args = syn.callArguments(n);
    return args[1];
  }
  if (k === 'binary_operator') return n.field('right') ?? undefined;
  return undefined;
}

/** Does the expression use a loop variable of an enclosing loop or a handler's parameter? */
function dependsOnRequestOrLoop(value: SgNode, syn: LangSyntax, opts: DestinationOptions): boolean {
  for (const id of identifiersIn(value)) {
    if (id === 'ctx' || id === 'context' || id === 'self' || id === 'this') continue;
    const b = syn.resolve(id, value);
    if (!b) continue;
    if (b.kind === 'loop-variable') return true;
    if (b.kind === 'parameter' && opts.isHandler?.(b.fn)) return true;
  }
  return false;
}

const DEFAULT_PORTS: Record<string, number> = { http: 80, https: 443 };

/** Host, port and scheme from a (possibly partial) URL text. */
function fromUrlText(text: string, complete: boolean): Destination {
  const i = text.indexOf('://');
  if (i < 0) return { varies: false };
  const schemeText = text.slice(0, i).toLowerCase();
  const scheme = schemeText === 'http' || schemeText === 'https' ? schemeText : undefined;
  const rest = text.slice(i + 3);
  let end = rest.length;
  for (const t of ['/', '?', '#']) {
    const j = rest.indexOf(t);
    if (j >= 0 && j < end) end = j;
  }
  const authorityComplete = complete || end < rest.length;
  let authority = rest.slice(0, end);
  const at = authority.lastIndexOf('@');
  if (at >= 0) authority = authority.slice(at + 1);
  let host: string;
  let portText: string | undefined;
  if (authority.startsWith('[')) {
    const close = authority.indexOf(']');
    host = authority.slice(0, close + 1);
    portText = authority.slice(close + 1).startsWith(':') ? authority.slice(close + 2) : undefined;
  } else {
    const c = authority.indexOf(':');
    host = c >= 0 ? authority.slice(0, c) : authority;
    portText = c >= 0 ? authority.slice(c + 1) : undefined;
  }
  const d: Destination = { varies: false, schemeText };
  if (scheme) d.scheme = scheme;
  if (!authorityComplete && portText === undefined) {
    // The host itself is still being written: interpolated per call.
    d.varies = true;
    return d;
  }
  if (host) d.host = host.toLowerCase();
  if (portText !== undefined && authorityComplete && /^\d+$/.test(portText)) d.port = Number(portText);
  else if (portText === undefined && scheme) d.port = DEFAULT_PORTS[scheme];
  if (complete) d.url = text;
  return d;
}

/** Parses an `envHosts` value: a URL (`http://payments:8080`) or `host[:port]`. */
function fromEnvValue(value: string): Destination {
  if (value.includes('://')) return fromUrlText(value, true);
  const c = value.lastIndexOf(':');
  const host = (c >= 0 ? value.slice(0, c) : value).toLowerCase();
  const port = c >= 0 && /^\d+$/.test(value.slice(c + 1)) ? Number(value.slice(c + 1)) : undefined;
  return port === undefined ? { host, varies: false } : { host, port, varies: false };
}

/** Where the call whose URL argument is `urlArg` goes. */
export function destinationOf(urlArg: SgNode, syn: LangSyntax, opts: DestinationOptions = {}): Destination {
  const src = urlSource(urlArg, syn, opts, 0);
  switch (src.kind) {
    case 'literal':
      return fromUrlText(src.shape.prefix, src.shape.complete);
    case 'env': {
      const mapped = opts.envHosts?.[src.name];
      const d = mapped !== undefined ? fromEnvValue(mapped) : src.fallback ? fromUrlText(src.fallback.prefix, src.fallback.complete) : { varies: false };
      delete d.url;
      return { ...d, env: src.name, varies: false };
    }
    case 'dynamic':
      return { varies: true };
    default:
      return { varies: false };
  }
}
