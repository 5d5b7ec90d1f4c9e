/**
 * One hop across files (Go, Python, Java): a handler in one file calls `get_connection()` / `newClient()` /
 * `DBConnection.getConnection()` defined in another file of the same package or module, and that function
 * builds a client or opens a connection on every call. Inside one file the scanner already follows such calls
 * (context.ts); this module links files.
 *
 * Bounded: while each file is analysed it leaves two kinds of small records (no syntax tree is kept):
 * - {@link Factory}: a named function whose body builds a client/connection unconditionally on each call and
 *   returns it, or makes a throwaway-connection request (`requests.get`) — the construct runs in an
 *   `unknown` context in its own file, so nothing was reported there;
 * - {@link RepeatedCall}: a call, in code that runs per request or per loop iteration, of a function that is not
 *   defined in the calling file, with the keys it may resolve to.
 * `crossFileFindings` (src/source/cross-file.ts) joins them through one map (linear in the records): one finding
 * at each call site, naming the definition's location, and one at the definition, naming the first call site.
 *
 * Keys: Go `go:<dir>:<name>` (a package is a directory; top-level functions only); Java
 * `java:<dir>:<Class>.<method>` (a static-style `Class.method()` call within the same package directory);
 * Python `py:<module path without .py>:<name>` from `from .db import get_connection` (relative to the
 * importing file), `from db import …`/`from app.db import …` (resolved against the importing file's
 * directory and its ancestors), and `import db` / `from . import db` followed by `db.get_connection()`.
 */
import path from 'node:path';
import type { SgNode } from '@ast-grep/napi';
import { type FileAnalysis, type Match, display } from './analysis.js';
import { builtAndDropped, type Outbound } from './clients.js';
import { isRepeated } from './context.js';
import type { CrossFileRecords, Factory, RepeatedCall } from '../cross-file.js';
import type { RuleSettings } from './report.js';
import { contains, nodesOfKinds, position, walk } from './syntax.js';

const CONDITIONALS = new Set(['if_statement', 'conditional_expression', 'ternary_expression', 'if_clause']);
const RETURNS = new Set(['return_statement']);
const DECLARED = new Set(['variable_declarator', 'short_var_declaration', 'assignment', 'assignment_expression', 'assignment_statement', 'var_spec']);

/** Posix path, as keys are compared. */
function posix(p: string): string {
  return p.split(path.sep).join('/');
}

/** The name the construct's value is bound to in its declaration or assignment (`conn = connect()` → conn). */
function boundName(m: Match, fn: SgNode): string | undefined {
  for (let p = m.node.parent(); p && p !== fn; p = p.parent()) {
    const k = p.kind() as string;
    if (!DECLARED.has(k)) continue;
    const left = p.field('left') ?? p.field('name');
    const text = left?.text().replace(/^(self|this)\./, '');
    return text && /^[\w.]+$/.test(text) ? text : undefined;
  }
  return undefined;
}

/** Does `fn` return the object `m` builds (directly, or through the name it is bound to)? */
function returnsConstruct(fa: FileAnalysis, m: Match, fn: SgNode): boolean {
  const name = boundName(m, fn);
  let found = false;
  walk(fn, (n) => {
    if (found) return false;
    if (n !== fn && (fa.syntax.isFunction(n) || fa.syntax.isClosure(n))) return false;
    if (!RETURNS.has(n.kind() as string)) return true;
    if (contains(n, m.node)) found = true;
    else if (name) {
      const returned = n.text().replace(/^return\s+/, '').replace(/;$/, '').trim().replace(/^(self|this)\./, '');
      if (returned === name || returned.split(/\s*,\s*/).includes(name)) found = true;
    }
    return !found;
  });
  return found;
}

/** The class a Java method belongs to (innermost class declaration), for `Class.method()` keys. */
function javaClassName(fn: SgNode): string | undefined {
  for (let p = fn.parent(); p; p = p.parent()) {
    const k = p.kind() as string;
    if (k === 'class_declaration' || k === 'enum_declaration' || k === 'record_declaration') return p.field('name')?.text();
  }
  return undefined;
}

/** The key a function defined in `fa` is called by from other files, or undefined (methods, nested functions). */
function definitionKey(fa: FileAnalysis, fn: SgNode, name: string): string | undefined {
  const file = posix(fa.file);
  const dir = path.posix.dirname(file);
  if (fa.lang === 'go') return fn.kind() === 'function_declaration' ? `go:${dir}:${name}` : undefined;
  if (fa.lang === 'java') {
    const cls = javaClassName(fn);
    return cls ? `java:${dir}:${cls}.${name}` : undefined;
  }
  // Python: module-level functions only (a method is called through an object the scanner cannot type).
  const parent = fn.parent();
  const top = parent?.kind() === 'module' || (parent?.kind() === 'decorated_definition' && parent.parent()?.kind() === 'module');
  return top ? `py:${file.replace(/\.py$/, '')}:${name}` : undefined;
}

/** Functions of this file that build a client or open a connection on every call (see {@link Factory}). */
function factoriesOf(fa: FileAnalysis, calls: readonly Outbound[], settings: RuleSettings): Factory[] {
  const out: Factory[] = [];
  const seen = new Set<string>();
  for (const m of fa.byRole('construct')) {
    const id = m.rule.metadata.meshlint;
    if (!settings.enabled(id) || m.rule.metadata['sharedConnections']) continue;
    const fn = fa.ctx.enclosingFunction(m.node);
    if (!fn) continue;
    const ctx = fa.ctx.classify(m.node);
    const weakOnce = ctx.kind === 'once' && fa.ctx.isWeakRunOnce(fn) && fa.ctx.enclosingFunction(fn) === undefined;
    if (ctx.kind !== 'unknown' && !weakOnce) continue;
    // Built only under a condition (a lazy singleton: `if conn is None: conn = connect()`): not per call.
    let conditional = false;
    for (let p = m.node.parent(); p && p !== fn; p = p.parent()) if (CONDITIONALS.has(p.kind() as string) || fa.syntax.isClosure(p)) conditional = true;
    if (conditional) continue;
    const perCall = !!m.rule.metadata['perCall'];
    // Built and dropped inside the function is already reported in its own file.
    if (!perCall && (builtAndDropped(fa, m, calls) || !returnsConstruct(fa, m, fn))) continue;
    const name = fa.syntax.functionName(fn);
    if (!name) continue;
    const key = definitionKey(fa, fn, name);
    if (!key || seen.has(key)) continue;
    seen.add(key);
    const pos = position(m.node);
    out.push({ key, name, file: fa.file, line: pos.line, column: pos.column, ruleId: id, what: display(m.node), evidence: m.rule.metadata.evidence ?? '', kind: perCall ? 'request' : 'build' });
  }
  return out;
}

/** Python: imported name → module paths (without `.py`) it may come from, for this file. */
function pythonImports(fa: FileAnalysis): { names: Map<string, string[]>; modules: Map<string, string[]> } {
  const file = posix(fa.file);
  const dir = path.posix.dirname(file);
  const ancestors: string[] = [];
  for (let d = dir; ; d = path.posix.dirname(d)) {
    ancestors.push(d);
    if (d === '.' || d === '/' || d === path.posix.dirname(d)) break;
  }
  const candidates = (module: string): string[] => {
    const rel = /^(\.+)(.*)$/.exec(module);
    if (rel) {
      let base = dir;
      for (let i = 1; i < rel[1]!.length; i++) base = path.posix.dirname(base);
      const tail = rel[2]!.replace(/\./g, '/');
      return tail ? [path.posix.join(base, tail), path.posix.join(base, tail, '__init__')] : [path.posix.join(base, '__init__')];
    }
    const tail = module.replace(/\./g, '/');
    return ancestors.flatMap((a) => [path.posix.join(a, tail), path.posix.join(a, tail, '__init__')]);
  };
  const names = new Map<string, string[]>();
  const modules = new Map<string, string[]>();
  for (const imp of fa.root.findAll({ rule: { kind: 'import_from_statement' } })) {
    const module = imp.field('module_name')?.text();
    if (!module) continue;
    for (const item of imp.children()) {
      if (imp.field('module_name')?.range().start.index === item.range().start.index) continue;
      const k = item.kind() as string;
      if (k !== 'dotted_name' && k !== 'aliased_import') continue;
      const imported = k === 'aliased_import' ? item.field('name')?.text() : item.text();
      const local = k === 'aliased_import' ? item.field('alias')?.text() : item.text();
      if (!imported || !local || imported.includes('.')) continue;
      // `from pkg import mod` may import a module (then `mod.f()`), or a function `mod`.
      names.set(local, candidates(module).map((c) => `py:${c}:${imported}`));
      modules.set(local, candidates(/^\.+$/.test(module) ? `${module}${imported}` : `${module}.${imported}`));
    }
  }
  for (const imp of fa.root.findAll({ rule: { kind: 'import_statement' } })) {
    for (const item of imp.children()) {
      const k = item.kind() as string;
      if (k === 'dotted_name') modules.set(item.text(), candidates(item.text()));
      else if (k === 'aliased_import') {
        const alias = item.field('alias')?.text();
        const module = item.field('name')?.text();
        if (alias && module) modules.set(alias, candidates(module));
      }
    }
  }
  return { names, modules };
}

/** Keys a call may resolve to in another file, or none (a local function, a method of an object). */
function callKeys(fa: FileAnalysis, call: SgNode, py: ReturnType<typeof pythonImports> | undefined): { name: string; keys: string[] } | undefined {
  const callee = fa.syntax.callee(call);
  if (!callee) return undefined;
  const dir = path.posix.dirname(posix(fa.file));
  const k = callee.kind() as string;
  if (fa.lang === 'go') {
    if (k !== 'identifier') return undefined;
    const name = callee.text();
    return fa.ctx.functionsByName.has(name) ? undefined : { name, keys: [`go:${dir}:${name}`] };
  }
  if (fa.lang === 'java') {
    if (call.kind() !== 'method_invocation') return undefined;
    const object = call.field('object');
    const name = call.field('name')?.text();
    if (!object || !name || object.kind() !== 'identifier' || !/^[A-Z]/.test(object.text())) return undefined;
    return { name, keys: [`java:${dir}:${object.text()}.${name}`] };
  }
  if (!py) return undefined;
  if (k === 'identifier') {
    const name = callee.text();
    const keys = py.names.get(name);
    return keys && !fa.ctx.functionsByName.has(name) ? { name, keys } : undefined;
  }
  if (k === 'attribute') {
    const object = callee.field('object')?.text();
    const name = callee.field('attribute')?.text();
    const modules = object ? py.modules.get(object) : undefined;
    return modules && name ? { name: `${object}.${name}`, keys: modules.map((m) => `py:${m}:${name}`) } : undefined;
  }
  return undefined;
}

/** Calls in code that runs per request or per iteration, of functions defined in other files. */
function repeatedCallsOf(fa: FileAnalysis): RepeatedCall[] {
  if (!fa.ctx.hasHandlers && nodesOfKinds(fa.root, fa.syntax.kinds.loops).length === 0) return [];
  const py = fa.lang === 'python' ? pythonImports(fa) : undefined;
  const out: RepeatedCall[] = [];
  for (const call of nodesOfKinds(fa.root, fa.syntax.kinds.calls)) {
    const target = callKeys(fa, call, py);
    if (!target) continue;
    const ctx = fa.ctx.classify(call);
    if (!isRepeated(ctx)) continue;
    const pos = position(call);
    out.push({ keys: target.keys, name: target.name, file: fa.file, line: pos.line, column: pos.column, reason: ctx.reason });
  }
  return out;
}

/** The cross-file records of one analysed file. */
export function crossFileRecords(fa: FileAnalysis, calls: readonly Outbound[], settings: RuleSettings): CrossFileRecords {
  return { factories: factoriesOf(fa, calls, settings), calls: repeatedCallsOf(fa) };
}
