/**
 * Per-language syntax knowledge the scanner's code needs beyond what the ast-grep rules express: where
 * functions and loops are, what a string literal's value is, how a name is bound. Everything works on the
 * tree-sitter trees of tree-sitter-go 0.25, tree-sitter-python and tree-sitter-java as shipped in
 * `@ast-grep/lang-*`.
 */
import type { SgNode } from '@ast-grep/napi';
import type { TsLanguage } from './languages.js';

/** Keys already computed, by node object: the analyses key the same objects (values, bindings) many times. */
const NODE_KEYS = new WeakMap<SgNode, string>();

/** A stable key for a node within one tree: kind and byte range (trees are never edited, so it never changes). */
export function nodeKey(n: SgNode): string {
  let key = NODE_KEYS.get(n);
  if (key === undefined) {
    const r = n.range();
    key = `${n.kind()}:${r.start.index}:${r.end.index}`;
    NODE_KEYS.set(n, key);
  }
  return key;
}

/** True when `inner` lies within `outer` (byte ranges; equal ranges count). */
export function contains(outer: SgNode, inner: SgNode): boolean {
  const o = outer.range();
  const i = inner.range();
  return o.start.index <= i.start.index && i.end.index <= o.end.index;
}

/** Same node (same kind and range). */
export function sameNode(a: SgNode | null | undefined, b: SgNode | null | undefined): boolean {
  return !!a && !!b && nodeKey(a) === nodeKey(b);
}

/**
 * 1-based line and column of a node's start. @ast-grep/napi reports 0-based columns (and byte `index`) in
 * UTF-16 code units of the JavaScript string it parsed (checked with astral characters), which is the unit
 * `Finding` locations use.
 */
export function position(n: SgNode): { line: number; column: number } {
  const s = n.range().start;
  return { line: s.line + 1, column: s.column + 1 };
}

/** Depth-first pre-order walk of `n` and its descendants; return false from `visit` to skip a subtree. */
export function walk(n: SgNode, visit: (node: SgNode) => boolean | void): void {
  if (visit(n) === false) return;
  for (const c of n.children()) walk(c, visit);
}

/** What a {@link walkKinds} visitor returns: false skips the node's subtree, `'stop'` ends the walk. */
export type WalkStep = boolean | void | 'stop';

/** A node of a {@link kindEntries} list, with what the walk reads of it. */
export interface KindEntry {
  node: SgNode;
  kind: string;
  start: number;
  end: number;
  /** True for the node the list was made from. */
  isTop: boolean;
}

/**
 * `n` and its descendants of `kinds` in pre-order, each with its kind and byte range: one `findAll` by kind (one
 * call into the engine) plus one `kind()` and `range()` per listed node. A caller that walks the same subtree
 * many times keeps the list and hands it to {@link walkKinds}.
 */
export function kindEntries(n: SgNode, kinds: readonly string[]): KindEntry[] {
  const top = n.range();
  const topKind = n.kind() as string;
  return nodesOfKinds(n, kinds).map((node, i) => {
    const r = node.range();
    const kind = node.kind() as string;
    const start = r.start.index;
    const end = r.end.index;
    return { node, kind, start, end, isTop: i === 0 && start === top.start.index && end === top.end.index && kind === topKind };
  });
}

/**
 * {@link walk} restricted to the nodes of `kinds`: visits `n` and its descendants of those kinds in pre-order,
 * skipping the subtree of a node the visitor returns false for, as `walk` with a visitor that does nothing for
 * other kinds. The nodes come from one `findAll` by kind (`entries`, from {@link kindEntries} of the same `n` and
 * `kinds` when the caller kept them) instead of one `children()` call per node of the tree; a pre-order list
 * holds a skipped subtree as the run of nodes inside its range, and a zero-width node at its end (a token
 * tree-sitter inserted to recover from an error) is checked by its ancestors. `isTop` is true for `n` itself.
 */
export function walkKinds(
  n: SgNode,
  kinds: readonly string[],
  visit: (node: SgNode, kind: string, isTop: boolean) => WalkStep,
  entries: readonly KindEntry[] = kindEntries(n, kinds),
): void {
  let skipped: SgNode | undefined;
  let skipStart = -1;
  let skipEnd = -1;
  for (const { node: d, kind, start, end, isTop } of entries) {
    if (skipped && start >= skipStart && end <= skipEnd) {
      const inside = start < skipEnd || end > start || d.ancestors().some((a) => sameNode(a, skipped));
      if (inside) continue;
    }
    const step = visit(d, kind, isTop);
    if (step === 'stop') return;
    if (step === false) {
      skipped = d;
      skipStart = start;
      skipEnd = end;
    }
  }
}

/** Every descendant (and `n` itself) of one of `kinds`. */
export function descendantsOfKind(n: SgNode, kinds: ReadonlySet<string>): SgNode[] {
  const out: SgNode[] = [];
  walk(n, (d) => {
    if (kinds.has(d.kind() as string)) out.push(d);
  });
  return out;
}

/** A string-building expression reduced to what is known statically. */
export interface StringShape {
  /** Literal text at the start of the value (everything, when `complete`). */
  prefix: string;
  /** True when the whole value is the literal `prefix`. */
  complete: boolean;
}

/** Node kinds the scanner looks up by kind (in Rust, through `findAll`, instead of walking in JavaScript). */
export interface SyntaxKinds {
  /** Function-like nodes (named functions, methods, closures). */
  functions: readonly string[];
  loops: readonly string[];
  calls: readonly string[];
  imports: readonly string[];
}

/** Every descendant of `n` (and `n` itself) whose kind is one of `kinds`, in document order. */
export function nodesOfKinds(n: SgNode, kinds: readonly string[]): SgNode[] {
  if (kinds.length === 0) return [];
  return n.findAll({ rule: { any: kinds.map((kind) => ({ kind })) } });
}

/** Syntax facts for one language. */
export interface LangSyntax {
  lang: TsLanguage;
  kinds: SyntaxKinds;
  /** Named function-like nodes: the boundary of a function's own body. */
  isFunction(n: SgNode): boolean;
  /** Anonymous functions (closures, lambdas) that inherit their context from where they are written. */
  isClosure(n: SgNode): boolean;
  /** Name of a function node, if any. */
  functionName(n: SgNode): string | undefined;
  /** Names of the function's parameters, in order (the receiver of a Go method excluded). */
  parameterNames(fn: SgNode): string[];
  /** Is `n` a loop whose body runs repeatedly? */
  isLoop(n: SgNode): boolean;
  /** The body of a loop (the part that runs per iteration). */
  loopBody(loop: SgNode): SgNode | null;
  /** Loops without a count or collection bound: Go `for {}` / `for cond {}`, `while`, `do … while`. */
  isUnboundedLoop(loop: SgNode): boolean;
  /** Variables a loop binds per iteration (`for _, u := range xs` → `u`; `for x in xs` → `x`). */
  loopVariables(loop: SgNode): string[];
  /** Class-like scopes whose direct statements run once (Python class body, Java class body). */
  isClassScope(n: SgNode): boolean;
  /** A call expression: returns its callee node, or null when `n` is not a call. */
  callee(n: SgNode): SgNode | null;
  /** Argument nodes of a call (keyword arguments included, in order). */
  callArguments(call: SgNode): SgNode[];
  /** The callee name of a call for one-hop resolution: `f()` → f; `s.f()` with `s` = receiver/self/this → f. */
  localCallName(call: SgNode, receiver: string | undefined): string | undefined;
  /** The receiver name of a method (Go `func (s *T)` → s; Python `self`; Java `this`). */
  receiverName(fn: SgNode): string | undefined;
  /** The value of a plain string literal, or undefined. */
  stringValue(n: SgNode): string | undefined;
  /** Literal prefix of a string-building expression (concatenation, format, f-string), or undefined. */
  stringShape(n: SgNode): StringShape | undefined;
  /** Integer value of an integer literal (after unwrapping parentheses), or undefined. */
  intValue(n: SgNode): number | undefined;
  /**
   * The expression assigned to `name` in the innermost scope around `at` that assigns it (function body,
   * then file level). Returns the value node and whether the binding is a parameter or loop variable.
   */
  resolve(name: string, at: SgNode): Binding | undefined;
  /** Per-file scratch cache for helpers outside this module (instances from {@link syntaxFor} have one). */
  memo?: Map<string, unknown>;
}

/** Assignments in one scope, by assigned name (in source order). */
type BindingIndex = Map<string, { value: SgNode; declaration: SgNode }[]>;

function addBinding(idx: BindingIndex, name: string, b: { value: SgNode; declaration: SgNode }): void {
  const list = idx.get(name);
  if (list) list.push(b);
  else idx.set(name, [b]);
}

/** How a name is bound where it is used. */
export type Binding =
  | { kind: 'value'; value: SgNode; declaration: SgNode }
  | { kind: 'parameter'; fn: SgNode }
  | { kind: 'loop-variable'; loop: SgNode };

function firstNamed(n: SgNode | null): SgNode | null {
  if (!n) return null;
  for (const c of n.children()) if (c.isNamed()) return c;
  return null;
}

function unparen(n: SgNode): SgNode {
  let cur = n;
  while (cur.kind() === 'parenthesized_expression') {
    const inner = firstNamed(cur);
    if (!inner) break;
    cur = inner;
  }
  return cur;
}

function parseIntLiteral(text: string): number | undefined {
  const t = text.replace(/_/g, '').replace(/[lL]$/, '');
  if (/^0[xX][0-9a-fA-F]+$/.test(t)) return parseInt(t.slice(2), 16);
  if (/^\d+$/.test(t)) return parseInt(t, 10);
  return undefined;
}

/** Cut a format string at its first placeholder (`%…` for printf, `{` for str.format). `%%` is a literal %. */
function prefixBefore(fmt: string, style: 'printf' | 'brace'): StringShape {
  if (style === 'printf') {
    let out = '';
    for (let i = 0; i < fmt.length; i++) {
      if (fmt[i] === '%') {
        if (fmt[i + 1] === '%') {
          out += '%';
          i++;
          continue;
        }
        return { prefix: out, complete: false };
      }
      out += fmt[i];
    }
    return { prefix: out, complete: true };
  }
  let out = '';
  for (let i = 0; i < fmt.length; i++) {
    if (fmt[i] === '{') {
      if (fmt[i + 1] === '{') {
        out += '{';
        i++;
        continue;
      }
      return { prefix: out, complete: false };
    }
    out += fmt[i];
  }
  return { prefix: out, complete: true };
}

function concatShapes(left: StringShape | undefined, right: StringShape | undefined): StringShape | undefined {
  if (!left) return undefined;
  if (!left.complete) return left;
  if (!right) return { prefix: left.prefix, complete: false };
  return { prefix: left.prefix + right.prefix, complete: right.complete };
}

const GO_ESCAPES: Record<string, string> = { n: '\n', t: '\t', r: '\r', '\\': '\\', '"': '"', "'": "'" };

// ---------------------------------------------------------------------------------------------------------
// Go
// ---------------------------------------------------------------------------------------------------------

const GO_FUNCTIONS = new Set(['function_declaration', 'method_declaration']);

function goStatementListOf(block: SgNode | null): SgNode[] {
  if (!block) return [];
  const list = block.children().find((c) => c.kind() === 'statement_list');
  return (list ?? block).children().filter((c) => c.isNamed() && c.kind() !== 'comment');
}

/** Statements of a Go block (tree-sitter-go wraps them in a `statement_list`). */
export function goStatements(block: SgNode | null): SgNode[] {
  return goStatementListOf(block);
}

const goSyntax: LangSyntax = {
  lang: 'go',
  kinds: { functions: ['function_declaration', 'method_declaration', 'func_literal'], loops: ['for_statement'], calls: ['call_expression'], imports: ['import_spec'] },
  isFunction: (n) => GO_FUNCTIONS.has(n.kind() as string),
  isClosure: (n) => n.kind() === 'func_literal',
  functionName: (n) => n.field('name')?.text(),
  parameterNames(fn) {
    const params = fn.field('parameters');
    if (!params) return [];
    const names: string[] = [];
    for (const p of params.children()) {
      if (p.kind() !== 'parameter_declaration' && p.kind() !== 'variadic_parameter_declaration') continue;
      for (const c of p.children()) if (c.kind() === 'identifier') names.push(c.text());
    }
    return names;
  },
  isLoop: (n) => n.kind() === 'for_statement',
  loopBody: (loop) => loop.field('body'),
  isUnboundedLoop: (loop) => !loop.children().some((c) => c.kind() === 'for_clause' || c.kind() === 'range_clause'),
  loopVariables(loop) {
    const rc = loop.children().find((c) => c.kind() === 'range_clause');
    if (rc) {
      const left = rc.field('left');
      return left ? left.children().filter((c) => c.kind() === 'identifier' && c.text() !== '_').map((c) => c.text()) : [];
    }
    const fc = loop.children().find((c) => c.kind() === 'for_clause');
    const init = fc?.field('initializer');
    if (init?.kind() === 'short_var_declaration') {
      const left = init.field('left');
      return left ? left.children().filter((c) => c.kind() === 'identifier').map((c) => c.text()) : [];
    }
    return [];
  },
  isClassScope: () => false,
  callee: (n) => (n.kind() === 'call_expression' ? n.field('function') : null),
  callArguments(call) {
    const args = call.field('arguments');
    return args ? args.children().filter((c) => c.isNamed() && c.kind() !== 'comment') : [];
  },
  localCallName(call, receiver) {
    const f = call.field('function');
    if (!f) return undefined;
    if (f.kind() === 'identifier') return f.text();
    if (f.kind() === 'selector_expression' && receiver && f.field('operand')?.text() === receiver) return f.field('field')?.text();
    return undefined;
  },
  receiverName(fn) {
    if (fn.kind() !== 'method_declaration') return undefined;
    const r = fn.field('receiver');
    const decl = r?.children().find((c) => c.kind() === 'parameter_declaration');
    return decl?.children().find((c) => c.kind() === 'identifier')?.text();
  },
  stringValue(n0) {
    const n = unparen(n0);
    if (n.kind() === 'raw_string_literal') return n.text().slice(1, -1);
    if (n.kind() !== 'interpreted_string_literal') return undefined;
    let out = '';
    for (const c of n.children()) {
      if (c.kind() === 'interpreted_string_literal_content') out += c.text();
      else if (c.kind() === 'escape_sequence') out += GO_ESCAPES[c.text().slice(1)] ?? c.text();
    }
    return out;
  },
  stringShape(n0) {
    const n = unparen(n0);
    const lit = goSyntax.stringValue(n);
    if (lit !== undefined) return { prefix: lit, complete: true };
    if (n.kind() === 'binary_expression' && n.children().some((c) => c.kind() === '+')) {
      const l = n.field('left');
      const r = n.field('right');
      return concatShapes(l ? goSyntax.stringShape(l) : undefined, r ? goSyntax.stringShape(r) : undefined);
    }
    if (n.kind() === 'call_expression') {
      const f = n.field('function')?.text();
      const args = goSyntax.callArguments(n);
      if ((f === 'fmt.Sprintf' || f === 'fmt.Errorf') && args[0]) {
        const fmtStr = goSyntax.stringValue(args[0]);
        if (fmtStr !== undefined) return prefixBefore(fmtStr, 'printf');
      }
    }
    return undefined;
  },
  intValue(n0) {
    const n = unparen(n0);
    if (n.kind() === 'int_literal') return parseIntLiteral(n.text());
    if (n.kind() === 'unary_expression' && n.text().startsWith('-')) {
      const inner = n.children().find((c) => c.isNamed());
      const v = inner ? goSyntax.intValue(inner) : undefined;
      return v === undefined ? undefined : -v;
    }
    return undefined;
  },
  resolve(name, at) {
    return resolveGeneric(goSyntax, name, at, goBindingIndex);
  },
};

/** Kinds the Go binding index acts on: the functions it does not enter and the binding statements. */
const GO_BINDING_WALK = ['function_declaration', 'method_declaration', 'func_literal', 'short_var_declaration', 'assignment_statement', 'var_spec', 'const_spec'];

/** Assignments directly inside `scope` (not in nested functions), by name: Go `:=`, `=`, `var`, `const`. */
function goBindingIndex(scope: SgNode): BindingIndex {
  const out: BindingIndex = new Map();
  walkKinds(scope, GO_BINDING_WALK, (n, k, isTop) => {
    if (!isTop && (GO_FUNCTIONS.has(k) || k === 'func_literal')) return false;
    if (k === 'short_var_declaration' || k === 'assignment_statement') {
      const left = n.field('left')?.children().filter((c) => c.isNamed()) ?? [];
      const right = n.field('right')?.children().filter((c) => c.isNamed()) ?? [];
      left.forEach((l, i) => {
        const v = right.length === left.length ? right[i] : right[0];
        if (v) addBinding(out, l.text(), { value: v, declaration: n });
      });
    } else if (k === 'var_spec' || k === 'const_spec') {
      const names = n.children().filter((c) => c.kind() === 'identifier');
      const values = n.field('value')?.children().filter((c) => c.isNamed()) ?? [];
      names.forEach((id, i) => {
        if (values[i]) addBinding(out, id.text(), { value: values[i], declaration: n });
      });
    }
    return true;
  });
  return out;
}

// ---------------------------------------------------------------------------------------------------------
// Python
// ---------------------------------------------------------------------------------------------------------

const PY_COMPREHENSIONS = new Set(['list_comprehension', 'set_comprehension', 'dictionary_comprehension', 'generator_expression']);

function pyStringParts(n: SgNode): { prefix: string; complete: boolean } | undefined {
  if (n.kind() === 'concatenated_string') {
    let shape: StringShape | undefined = { prefix: '', complete: true };
    for (const c of n.children().filter((x) => x.kind() === 'string')) shape = concatShapes(shape, pyStringParts(c));
    return shape;
  }
  if (n.kind() !== 'string') return undefined;
  const start = n.children().find((c) => c.kind() === 'string_start')?.text() ?? '"';
  if (/[bB]/.test(start)) return undefined;
  let out = '';
  for (const c of n.children()) {
    if (c.kind() === 'string_content') {
      // string_content holds escape sequences as child nodes; take the text and unescape the common ones.
      out += c.text().replace(/\\([\\'"nt])/g, (_m, e: string) => GO_ESCAPES[e] ?? e);
    } else if (c.kind() === 'interpolation') {
      return { prefix: out, complete: false };
    }
  }
  return { prefix: out, complete: true };
}

const pySyntax: LangSyntax = {
  lang: 'python',
  kinds: {
    functions: ['function_definition', 'lambda'],
    loops: ['for_statement', 'while_statement', ...PY_COMPREHENSIONS],
    calls: ['call'],
    imports: ['import_statement', 'import_from_statement'],
  },
  isFunction: (n) => n.kind() === 'function_definition' && !isNestedPyFunction(n),
  isClosure: (n) => n.kind() === 'lambda' || (n.kind() === 'function_definition' && isNestedPyFunction(n)),
  functionName: (n) => n.field('name')?.text(),
  parameterNames(fn) {
    const params = fn.field('parameters');
    if (!params) return [];
    const names: string[] = [];
    for (const p of params.children()) {
      if (p.kind() === 'identifier') names.push(p.text());
      else if (['typed_parameter', 'default_parameter', 'typed_default_parameter'].includes(p.kind() as string)) {
        const id = p.field('name') ?? p.children().find((c) => c.kind() === 'identifier');
        if (id) names.push(id.text());
      }
    }
    return names.filter((x) => x !== 'self' && x !== 'cls');
  },
  isLoop: (n) => n.kind() === 'for_statement' || n.kind() === 'while_statement' || PY_COMPREHENSIONS.has(n.kind() as string),
  loopBody(loop) {
    if (PY_COMPREHENSIONS.has(loop.kind() as string)) return loop.field('body');
    return loop.field('body');
  },
  isUnboundedLoop: (loop) => loop.kind() === 'while_statement',
  loopVariables(loop) {
    let left: SgNode | null = null;
    if (loop.kind() === 'for_statement') left = loop.field('left');
    else if (PY_COMPREHENSIONS.has(loop.kind() as string)) left = loop.children().find((c) => c.kind() === 'for_in_clause')?.field('left') ?? null;
    if (!left) return [];
    const ids: string[] = [];
    walk(left, (d) => {
      if (d.kind() === 'identifier') ids.push(d.text());
    });
    return ids.filter((x) => x !== '_');
  },
  isClassScope: (n) => n.kind() === 'class_definition',
  callee: (n) => (n.kind() === 'call' ? n.field('function') : null),
  callArguments(call) {
    const args = call.field('arguments');
    return args ? args.children().filter((c) => c.isNamed() && c.kind() !== 'comment') : [];
  },
  localCallName(call, receiver) {
    const f = call.field('function');
    if (!f) return undefined;
    if (f.kind() === 'identifier') return f.text();
    if (f.kind() === 'attribute') {
      const obj = f.field('object')?.text();
      if (obj === 'self' || obj === 'cls' || (receiver && obj === receiver)) return f.field('attribute')?.text();
    }
    return undefined;
  },
  receiverName: (fn) => (fn.ancestors().some((a) => a.kind() === 'class_definition') ? 'self' : undefined),
  stringValue(n0) {
    const n = unparen(n0);
    const p = pyStringParts(n);
    return p && p.complete ? p.prefix : undefined;
  },
  stringShape(n0) {
    const n = unparen(n0);
    const p = pyStringParts(n);
    if (p) return p;
    if (n.kind() === 'binary_operator') {
      const op = n.field('operator')?.text() ?? n.children().find((c) => !c.isNamed())?.text();
      const l = n.field('left');
      const r = n.field('right');
      if (op === '+') return concatShapes(l ? pySyntax.stringShape(l) : undefined, r ? pySyntax.stringShape(r) : undefined);
      if (op === '%' && l) {
        const v = pySyntax.stringValue(l);
        if (v !== undefined) return prefixBefore(v, 'printf');
      }
    }
    if (n.kind() === 'call') {
      const f = n.field('function');
      if (f?.kind() === 'attribute' && f.field('attribute')?.text() === 'format') {
        const obj = f.field('object');
        const v = obj ? pySyntax.stringValue(obj) : undefined;
        if (v !== undefined) return prefixBefore(v, 'brace');
      }
      const fname = f?.text();
      if (fname === 'urljoin' || fname === 'urllib.parse.urljoin' || fname === 'parse.urljoin') {
        const a = pySyntax.callArguments(n)[0];
        const s = a ? pySyntax.stringShape(a) : undefined;
        return s ? { prefix: s.prefix, complete: false } : undefined;
      }
    }
    return undefined;
  },
  intValue(n0) {
    const n = unparen(n0);
    if (n.kind() === 'integer') return parseIntLiteral(n.text());
    if (n.kind() === 'unary_operator' && n.text().startsWith('-')) {
      const inner = n.field('argument');
      const v = inner ? pySyntax.intValue(inner) : undefined;
      return v === undefined ? undefined : -v;
    }
    return undefined;
  },
  resolve(name, at) {
    return resolveGeneric(pySyntax, name, at, pyBindingIndex);
  },
};

function isNestedPyFunction(n: SgNode): boolean {
  for (let p = n.parent(); p; p = p.parent()) {
    const k = p.kind();
    if (k === 'function_definition') return true;
    if (k === 'class_definition' || k === 'module') return false;
  }
  return false;
}

/** Kinds the Python binding index acts on: the scopes it does not enter and the binding statements. */
const PY_BINDING_WALK = ['function_definition', 'class_definition', 'lambda', 'assignment', 'augmented_assignment', 'as_pattern'];

function pyBindingIndex(scope: SgNode): BindingIndex {
  const out: BindingIndex = new Map();
  walkKinds(scope, PY_BINDING_WALK, (n, k, isTop) => {
    if (!isTop && (k === 'function_definition' || k === 'class_definition' || k === 'lambda')) return false;
    if (k === 'assignment' || k === 'augmented_assignment') {
      const left = n.field('left');
      const right = n.field('right');
      if (left && right) addBinding(out, left.text(), { value: right, declaration: n });
    } else if (k === 'as_pattern') {
      const target = n.children().find((c) => c.kind() === 'as_pattern_target');
      const value = n.children().find((c) => c.isNamed());
      if (target && value) addBinding(out, target.text(), { value, declaration: n });
    }
    return true;
  });
  return out;
}

// ---------------------------------------------------------------------------------------------------------
// Java
// ---------------------------------------------------------------------------------------------------------

const JAVA_FUNCTIONS = new Set(['method_declaration', 'constructor_declaration', 'static_initializer', 'compact_constructor_declaration']);
const JAVA_LOOPS = new Set(['for_statement', 'enhanced_for_statement', 'while_statement', 'do_statement']);

/** Is this Java method declared in an anonymous class body (`new Runnable() { public void run() {…} }`)? */
function inAnonymousClass(n: SgNode): boolean {
  const body = n.parent();
  return body?.kind() === 'class_body' && body.parent()?.kind() === 'object_creation_expression';
}

const javaSyntax: LangSyntax = {
  lang: 'java',
  kinds: {
    functions: [...JAVA_FUNCTIONS, 'lambda_expression'],
    loops: [...JAVA_LOOPS],
    calls: ['method_invocation', 'object_creation_expression'],
    imports: ['import_declaration'],
  },
  isFunction: (n) => JAVA_FUNCTIONS.has(n.kind() as string) && !inAnonymousClass(n),
  isClosure: (n) => n.kind() === 'lambda_expression' || (n.kind() === 'method_declaration' && inAnonymousClass(n)),
  functionName: (n) => n.field('name')?.text(),
  parameterNames(fn) {
    const params = fn.field('parameters');
    if (!params) return [];
    if (params.kind() === 'identifier') return [params.text()];
    const names: string[] = [];
    for (const p of params.children()) {
      if (p.kind() === 'formal_parameter' || p.kind() === 'spread_parameter') {
        const id = p.field('name') ?? [...p.children()].reverse().find((c) => c.kind() === 'identifier');
        if (id) names.push(id.text());
      } else if (p.kind() === 'identifier') names.push(p.text());
    }
    return names;
  },
  isLoop: (n) => JAVA_LOOPS.has(n.kind() as string),
  loopBody: (loop) => loop.field('body'),
  isUnboundedLoop: (loop) =>
    loop.kind() === 'while_statement' || loop.kind() === 'do_statement' || (loop.kind() === 'for_statement' && !loop.field('condition')),
  loopVariables(loop) {
    if (loop.kind() === 'enhanced_for_statement') {
      const n = loop.field('name');
      return n ? [n.text()] : [];
    }
    if (loop.kind() === 'for_statement') {
      const init = loop.field('init');
      const out: string[] = [];
      if (init) walk(init, (d) => {
        if (d.kind() === 'variable_declarator') {
          const id = d.field('name');
          if (id) out.push(id.text());
        }
      });
      return out;
    }
    return [];
  },
  isClassScope: (n) => n.kind() === 'class_body' || n.kind() === 'enum_body' || n.kind() === 'interface_body',
  callee: (n) => (n.kind() === 'method_invocation' ? n.field('name') : n.kind() === 'object_creation_expression' ? n.field('type') : null),
  callArguments(call) {
    const args = call.field('arguments');
    return args ? args.children().filter((c) => c.isNamed() && c.kind() !== 'line_comment' && c.kind() !== 'block_comment') : [];
  },
  localCallName(call) {
    if (call.kind() !== 'method_invocation') return undefined;
    const obj = call.field('object');
    if (!obj || obj.kind() === 'this') return call.field('name')?.text();
    return undefined;
  },
  receiverName: () => 'this',
  stringValue(n0) {
    const n = unparen(n0);
    if (n.kind() !== 'string_literal') return undefined;
    let out = '';
    for (const c of n.children()) {
      if (c.kind() === 'string_fragment') out += c.text();
      else if (c.kind() === 'escape_sequence') out += GO_ESCAPES[c.text().slice(1)] ?? c.text();
      else if (c.kind() === 'multiline_string_fragment') out += c.text();
    }
    return out;
  },
  stringShape(n0) {
    const n = unparen(n0);
    const lit = javaSyntax.stringValue(n);
    if (lit !== undefined) return { prefix: lit, complete: true };
    if (n.kind() === 'binary_expression' && n.children().some((c) => c.kind() === '+')) {
      const l = n.field('left');
      const r = n.field('right');
      return concatShapes(l ? javaSyntax.stringShape(l) : undefined, r ? javaSyntax.stringShape(r) : undefined);
    }
    if (n.kind() === 'method_invocation') {
      const name = n.field('name')?.text();
      const obj = n.field('object');
      const args = javaSyntax.callArguments(n);
      if (name === 'format' && obj?.text() === 'String' && args[0]) {
        const f = javaSyntax.stringValue(args[0]);
        if (f !== undefined) return prefixBefore(f, 'printf');
      }
      if (name === 'formatted' && obj) {
        const f = javaSyntax.stringValue(obj);
        if (f !== undefined) return prefixBefore(f, 'printf');
      }
      if (name === 'create' && obj?.text() === 'URI' && args[0]) return javaSyntax.stringShape(args[0]);
    }
    if (n.kind() === 'object_creation_expression') {
      const t = n.field('type')?.text();
      const args = javaSyntax.callArguments(n);
      if ((t === 'URI' || t === 'URL' || t === 'java.net.URI' || t === 'java.net.URL') && args.length === 1 && args[0]) {
        return javaSyntax.stringShape(args[0]);
      }
    }
    return undefined;
  },
  intValue(n0) {
    const n = unparen(n0);
    if (n.kind() === 'decimal_integer_literal' || n.kind() === 'hex_integer_literal') return parseIntLiteral(n.text());
    if (n.kind() === 'unary_expression' && n.text().startsWith('-')) {
      const inner = n.field('operand');
      const v = inner ? javaSyntax.intValue(inner) : undefined;
      return v === undefined ? undefined : -v;
    }
    return undefined;
  },
  resolve(name, at) {
    return resolveGeneric(javaSyntax, name, at, javaBindingIndex);
  },
};

/** Kinds the Java binding index acts on: the bodies it does not enter and the bindings. */
const JAVA_BINDING_WALK = [...JAVA_FUNCTIONS, 'lambda_expression', 'class_declaration', 'variable_declarator', 'assignment_expression'];

function javaBindingIndex(scope: SgNode): BindingIndex {
  const out: BindingIndex = new Map();
  walkKinds(scope, JAVA_BINDING_WALK, (n, k, isTop) => {
    if (!isTop && (JAVA_FUNCTIONS.has(k) || k === 'lambda_expression' || k === 'class_declaration')) {
      // Field declarations are in the class body; do not descend into other methods' bodies.
      return false;
    }
    if (k === 'variable_declarator') {
      const id = n.field('name');
      const v = n.field('value');
      if (id && v) addBinding(out, id.text(), { value: v, declaration: n });
    } else if (k === 'assignment_expression') {
      const l = n.field('left');
      const r = n.field('right');
      if (l && r) {
        const t = l.text();
        addBinding(out, t.startsWith('this.') ? t.slice(5) : t, { value: r, declaration: n });
      }
    }
    return true;
  });
  return out;
}

// ---------------------------------------------------------------------------------------------------------

/** Node kinds a language's scope predicates can accept: see {@link scopeKinds}. */
export interface ScopeKinds {
  /** Kinds `isLoop` can accept. */
  loops: ReadonlySet<string>;
  /** Kinds `isFunction` or `isClosure` can accept. */
  functions: ReadonlySet<string>;
  /** Kinds `isClassScope` can accept. */
  classes: ReadonlySet<string>;
  /** Kinds `callee` returns a node for. */
  calls: ReadonlySet<string>;
}

/**
 * The kinds each predicate of a language can accept (a superset: the predicate still decides), so that a walk
 * over ancestors or descendants reads each node's kind once and asks a predicate only where it can hold.
 */
export function scopeKinds(lang: TsLanguage): ScopeKinds {
  return SCOPE_KINDS[lang];
}

const SCOPE_KINDS: Readonly<Record<TsLanguage, ScopeKinds>> = {
  go: { loops: new Set(goSyntax.kinds.loops), functions: new Set(goSyntax.kinds.functions), classes: new Set(), calls: new Set(goSyntax.kinds.calls) },
  python: { loops: new Set(pySyntax.kinds.loops), functions: new Set(pySyntax.kinds.functions), classes: new Set(['class_definition']), calls: new Set(pySyntax.kinds.calls) },
  java: {
    loops: new Set(javaSyntax.kinds.loops),
    functions: new Set(javaSyntax.kinds.functions),
    classes: new Set(['class_body', 'enum_body', 'interface_body']),
    calls: new Set(javaSyntax.kinds.calls),
  },
};

/**
 * Resolution shared by the three languages: walk out from `at` through closures and functions; in each
 * function, a parameter or an enclosing loop variable wins, else the last assignment before `at` in that
 * function's body; finally the file (class bodies and module/package level), where any assignment counts.
 */
function resolveGeneric(
  syn: LangSyntax,
  name: string,
  at: SgNode,
  indexOf: (scope: SgNode) => BindingIndex,
): Binding | undefined {
  const atStart = at.range().start.index;
  // The ancestors in one call, each kind read once; the predicates run only on the kinds they can accept.
  const chain = at.ancestors();
  const scopes = SCOPE_KINDS[syn.lang];
  let prev: SgNode = at;
  for (let i = 0; i < chain.length; prev = chain[i]!, i++) {
    const p = chain[i]!;
    const k = p.kind() as string;
    if (scopes.loops.has(k) && syn.isLoop(p) && syn.loopVariables(p).includes(name) && contains(syn.loopBody(p) ?? p, prev)) {
      return { kind: 'loop-variable', loop: p };
    }
    if (scopes.functions.has(k) && (syn.isFunction(p) || syn.isClosure(p))) {
      const local = (indexOf(p).get(name) ?? []).filter((b) => b.declaration.range().start.index < atStart);
      if (local.length) {
        const last = local[local.length - 1]!;
        return { kind: 'value', value: last.value, declaration: last.declaration };
      }
      if (syn.parameterNames(p).includes(name)) return { kind: 'parameter', fn: p };
    }
    if (i === chain.length - 1 || (scopes.classes.has(k) && syn.isClassScope(p))) {
      const all = indexOf(p).get(name) ?? [];
      if (all.length) {
        const last = all[all.length - 1]!;
        return { kind: 'value', value: last.value, declaration: last.declaration };
      }
    }
  }
  return undefined;
}

/**
 * The syntax helpers for `lang`, with a fresh cache for name resolution: use one instance per parsed file (the
 * cache is keyed by node ranges, which only identify a node within one tree).
 */
export function syntaxFor(lang: TsLanguage): LangSyntax {
  const base = lang === 'go' ? goSyntax : lang === 'python' ? pySyntax : javaSyntax;
  const build = lang === 'go' ? goBindingIndex : lang === 'python' ? pyBindingIndex : javaBindingIndex;
  const indexes = new Map<string, BindingIndex>();
  const indexOf = (scope: SgNode): BindingIndex => {
    const k = nodeKey(scope);
    let idx = indexes.get(k);
    if (!idx) {
      idx = build(scope);
      indexes.set(k, idx);
    }
    return idx;
  };
  // A name is resolved at the same node many times per file (each analysis reaches the same values): once is enough.
  const resolved = new Map<string, Binding | undefined>();
  const resolve = (name: string, at: SgNode): Binding | undefined => {
    const k = `${name}@${nodeKey(at)}`;
    if (resolved.has(k)) return resolved.get(k);
    const b = resolveGeneric(syn, name, at, indexOf);
    resolved.set(k, b);
    return b;
  };
  const syn: LangSyntax = { ...base, memo: new Map(), resolve };
  return syn;
}
