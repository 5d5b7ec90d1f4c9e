/**
 * Per-file semantic model shared by every meshlint ESLint rule: which module or global an expression
 * denotes (through `import`, `require`, destructuring and `const` aliases, using ESLint's scope manager),
 * static string and number values, and per-file caches. One model is built per linted file and shared by
 * all rules through a WeakMap keyed by the file's `SourceCode`.
 */
import type { Rule, Scope, SourceCode } from 'eslint';
import type { TSESTree } from '@typescript-eslint/types';
import {
  type FunctionNode,
  type Node,
  isFunction,
  memberName,
  objectProperty,
  parentOf,
  propertyKeyName,
  unwrap,
  walk,
} from './ast.js';

/** What an expression evaluates to, as far as a static reading can tell. */
export type Value =
  /** A module (`require('http')`, `import http from 'node:http'`) or a member path inside it (`['Agent']`). */
  | { kind: 'module'; module: string; path: string[] }
  /** An undeclared global and a member path inside it (`fetch`, `process` + `['env', 'X']`). */
  | { kind: 'global'; name: string; path: string[] }
  /** A function parameter; `defaultValue` is its default (`retries = 3`). */
  | { kind: 'param'; fn: FunctionNode; defaultValue?: Node }
  /** Any other expression (call, `new`, object literal, function, literal…), already unwrapped. */
  | { kind: 'node'; node: Node };

/** Settings the rules read from ESLint's shared `settings.meshlint`. */
export interface MeshlintSettings {
  /** Environment-variable name → destination (`payments.example.com`, `payments:8080`, `https://payments.example.com`). */
  envHosts?: Record<string, string>;
}

/** A static reading of a string expression: its known prefix, and whether the whole string is known. */
export interface StaticString {
  /** Known text from the start of the string (everything when `complete`). */
  text: string;
  complete: boolean;
  /** The string starts with the value of this environment variable (`process.env.PAYMENTS_URL`). */
  env?: string;
}

const MAX_DEPTH = 10;

/** Normalises a module specifier: `node:http` → `http`. */
export function normalizeModule(spec: string): string {
  return spec.startsWith('node:') ? spec.slice(5) : spec;
}

/** Drops leading `default` members (`require('axios').default`, `import * as x` then `x.default`). */
function dropDefault(path: string[]): string[] {
  let i = 0;
  while (path[i] === 'default') i++;
  return i ? path.slice(i) : path;
}

const GLOBAL_OBJECTS = new Set(['globalThis', 'window', 'global', 'self']);

/** The semantic model of one file. Obtain it with {@link modelFor}. */
export class FileModel {
  readonly sourceCode: SourceCode;
  readonly filename: string;
  readonly settings: MeshlintSettings;
  /** Per-file memo tables for the analyses built on top of the model (keyed by analysis name). */
  readonly memo = new Map<string, WeakMap<object, unknown>>();
  private methodCallIndex: Map<string, TSESTree.CallExpression[]> | undefined;

  constructor(sourceCode: SourceCode, filename: string, settings: MeshlintSettings) {
    this.sourceCode = sourceCode;
    this.filename = filename;
    this.settings = settings;
  }

  /** The Program node. */
  get program(): TSESTree.Program {
    return this.sourceCode.ast as unknown as TSESTree.Program;
  }

  /** Memoises `compute(key)` under the analysis `name`. */
  cached<K extends object, V>(name: string, key: K, compute: () => V): V {
    let table = this.memo.get(name);
    if (!table) {
      table = new WeakMap();
      this.memo.set(name, table);
    }
    if (table.has(key)) return table.get(key) as V;
    table.set(key, undefined);
    const v = compute();
    table.set(key, v);
    return v;
  }

  /** The variable an identifier refers to, or `undefined` for an undeclared global. */
  variableOf(id: TSESTree.Identifier): Scope.Variable | undefined {
    let scope: Scope.Scope | null = this.sourceCode.getScope(id as never);
    // getScope returns the innermost scope containing the node; for a function's own name or params the
    // variable may live in that function's scope, which the walk up covers.
    for (; scope; scope = scope.upper) {
      const v = scope.set.get(id.name);
      if (v) return v.defs.length ? v : undefined;
    }
    return undefined;
  }

  /** Variables declared by a node (a declarator, a function declaration, a `for` head…). */
  declaredVariables(node: Node): Scope.Variable[] {
    return this.sourceCode.scopeManager.getDeclaredVariables(node as never);
  }

  /** The variable a declarator or function declaration binds to a plain name, if any. */
  bindingOf(node: Node): Scope.Variable | undefined {
    if (node.type === 'VariableDeclarator' && node.id.type !== 'Identifier') return undefined;
    return this.declaredVariables(node)[0];
  }

  /**
   * What an expression denotes. Follows identifiers to their single definition (imports, `require`,
   * destructuring, `const x = y`, a `let` assigned exactly once), member paths on modules and globals,
   * and object-literal properties.
   */
  resolve(expr: Node | null | undefined, depth = 0): Value | undefined {
    if (!expr || depth > MAX_DEPTH) return undefined;
    const n = unwrap(expr);
    switch (n.type) {
      case 'Identifier':
        return this.resolveIdentifier(n, depth);
      case 'MemberExpression': {
        const name = memberName(n);
        if (name === undefined) return undefined;
        const base = this.resolve(n.object, depth + 1);
        if (!base) return undefined;
        if (base.kind === 'module') return { kind: 'module', module: base.module, path: dropDefault([...base.path, name]) };
        if (base.kind === 'global') {
          if (GLOBAL_OBJECTS.has(base.name) && base.path.length === 0) return { kind: 'global', name, path: [] };
          return { kind: 'global', name: base.name, path: [...base.path, name] };
        }
        if (base.kind === 'node' && base.node.type === 'ObjectExpression') {
          const p = objectProperty(base.node, name);
          return p ? this.resolve(p.value as Node, depth + 1) : undefined;
        }
        return undefined;
      }
      case 'CallExpression': {
        const req = this.requiredModule(n);
        if (req) return { kind: 'module', module: req, path: [] };
        // Compiler interop helpers: _interopRequireDefault(require('x')), __importDefault(require('x')).
        if (n.arguments.length === 1 && n.callee.type === 'Identifier' && isInteropHelper(n.callee.name)) {
          const inner = this.resolve(n.arguments[0] as Node, depth + 1);
          if (inner?.kind === 'module') return inner;
        }
        return { kind: 'node', node: n };
      }
      case 'ImportExpression': {
        const src = n.source.type === 'Literal' && typeof n.source.value === 'string' ? n.source.value : undefined;
        return src ? { kind: 'module', module: normalizeModule(src), path: [] } : { kind: 'node', node: n };
      }
      default:
        return { kind: 'node', node: n };
    }
  }

  /** `require('x')` (also `module.require`) → `x`. */
  requiredModule(call: TSESTree.CallExpression): string | undefined {
    const callee = unwrap(call.callee);
    const isRequire =
      (callee.type === 'Identifier' && callee.name === 'require') ||
      (callee.type === 'MemberExpression' && memberName(callee) === 'require' && callee.object.type === 'Identifier' && callee.object.name === 'module');
    if (!isRequire || call.arguments.length !== 1) return undefined;
    const arg = call.arguments[0]!;
    if (arg.type === 'Literal' && typeof arg.value === 'string') return normalizeModule(arg.value);
    if (arg.type === 'TemplateLiteral' && arg.expressions.length === 0) return normalizeModule(arg.quasis[0]!.value.cooked ?? '');
    return undefined;
  }

  private resolveIdentifier(id: TSESTree.Identifier, depth: number): Value | undefined {
    const variable = this.variableOf(id);
    if (!variable) return { kind: 'global', name: id.name, path: [] };
    const def = variable.defs[0]!;
    const defNode = def.node as unknown as Node;
    switch (def.type) {
      case 'ImportBinding': {
        if (defNode.type === 'TSImportEqualsDeclaration') {
          const ref = defNode.moduleReference;
          if (ref.type === 'TSExternalModuleReference' && ref.expression.type === 'Literal' && typeof ref.expression.value === 'string') {
            return { kind: 'module', module: normalizeModule(ref.expression.value), path: [] };
          }
          return undefined;
        }
        const decl = parentOf(defNode);
        if (!decl || decl.type !== 'ImportDeclaration') return undefined;
        const module = normalizeModule(String(decl.source.value));
        if (defNode.type === 'ImportSpecifier') {
          const imported = defNode.imported.type === 'Identifier' ? defNode.imported.name : String(defNode.imported.value);
          return { kind: 'module', module, path: dropDefault([imported]) };
        }
        return { kind: 'module', module, path: [] };
      }
      case 'Variable': {
        const declarator = defNode as TSESTree.VariableDeclarator;
        const init = declarator.init ?? this.singleAssignment(variable);
        if (!init) return undefined;
        if (declarator.init && !this.isEffectivelyConst(variable, declarator)) return undefined;
        if (declarator.id.type === 'Identifier') return this.resolve(init as Node, depth + 1);
        const path = patternPath(declarator.id as Node, def.name as unknown as TSESTree.Identifier);
        if (!path) return undefined;
        let base = this.resolve(init as Node, depth + 1);
        for (const key of path) {
          if (!base) return undefined;
          if (base.kind === 'module') base = { kind: 'module', module: base.module, path: dropDefault([...base.path, key]) };
          else if (base.kind === 'global') base = { kind: 'global', name: base.name, path: [...base.path, key] };
          else if (base.kind === 'node' && base.node.type === 'ObjectExpression') {
            const p = objectProperty(base.node, key);
            base = p ? this.resolve(p.value as Node, depth + 1) : undefined;
          } else return undefined;
        }
        return base;
      }
      case 'FunctionName':
      case 'ClassName':
        return { kind: 'node', node: defNode };
      case 'Parameter': {
        const fn = defNode as FunctionNode;
        const nameNode = def.name as unknown as Node;
        const p = parentOf(nameNode);
        const defaultValue = p && p.type === 'AssignmentPattern' && p.left === nameNode ? (p.right as Node) : undefined;
        return { kind: 'param', fn, defaultValue };
      }
      default:
        return undefined;
    }
  }

  /** A `const`, or a `let`/`var` never written after its initialiser. */
  private isEffectivelyConst(variable: Scope.Variable, declarator: TSESTree.VariableDeclarator): boolean {
    const decl = parentOf(declarator as Node);
    if (decl?.type === 'VariableDeclaration' && decl.kind === 'const') return true;
    return variable.references.every((r) => !r.isWrite() || r.init);
  }

  /** For `let x; … x = value;` with exactly one assignment: that value. */
  private singleAssignment(variable: Scope.Variable): Node | undefined {
    const writes = variable.references.filter((r) => r.isWrite() && !r.init);
    if (writes.length !== 1) return undefined;
    const w = writes[0]!;
    const parent = parentOf(w.identifier as unknown as Node);
    if (parent?.type === 'AssignmentExpression' && parent.operator === '=' && parent.left === (w.identifier as unknown)) return parent.right as Node;
    return undefined;
  }

  /** The module a value belongs to when it is `module` itself or a member path of it (`http` + `['Agent']`). */
  static isModule(v: Value | undefined, module: string | readonly string[], path?: readonly string[]): boolean {
    if (!v || v.kind !== 'module') return false;
    const mods = typeof module === 'string' ? [module] : module;
    if (!mods.includes(v.module)) return false;
    if (!path) return true;
    return v.path.length === path.length && v.path.every((p, i) => p === path[i]);
  }

  /** Whether a value is the global `name` (with an optional member path). */
  static isGlobal(v: Value | undefined, name: string, path: readonly string[] = []): boolean {
    return !!v && v.kind === 'global' && v.name === name && v.path.length === path.length && v.path.every((p, i) => p === path[i]);
  }

  /** The object literal an expression denotes (`{…}` inline, or a `const` holding one). */
  objectLiteral(expr: Node | null | undefined): TSESTree.ObjectExpression | undefined {
    const v = this.resolve(expr);
    return v?.kind === 'node' && v.node.type === 'ObjectExpression' ? v.node : undefined;
  }

  /** The function an expression denotes (inline, or a name bound to a function in this file). */
  functionOf(expr: Node | null | undefined): FunctionNode | undefined {
    const v = this.resolve(expr);
    return v?.kind === 'node' && isFunction(v.node) ? v.node : undefined;
  }

  /** The environment variable an expression reads (`process.env.X`, `process.env['X']`, `const { X } = process.env`). */
  envVar(expr: Node | null | undefined): string | undefined {
    const v = this.resolve(expr);
    if (v?.kind === 'global' && v.name === 'process' && v.path.length === 2 && v.path[0] === 'env') return v.path[1];
    return undefined;
  }

  /**
   * A static number: literals, `-n`, `+ - *` of static numbers, `const` names, a parameter's default,
   * `x ?? n` / `x || n` (the fallback), `Number(n)`, `parseInt('n')`.
   */
  staticNumber(expr: Node | null | undefined, depth = 0): number | undefined {
    if (!expr || depth > MAX_DEPTH) return undefined;
    const n = unwrap(expr);
    if (n.type === 'Literal' && typeof n.value === 'number') return n.value;
    if (n.type === 'UnaryExpression' && (n.operator === '-' || n.operator === '+')) {
      const v = this.staticNumber(n.argument as Node, depth + 1);
      return v === undefined ? undefined : n.operator === '-' ? -v : v;
    }
    if (n.type === 'BinaryExpression' && (n.operator === '+' || n.operator === '-' || n.operator === '*')) {
      const a = this.staticNumber(n.left as Node, depth + 1);
      const b = this.staticNumber(n.right as Node, depth + 1);
      if (a === undefined || b === undefined) return undefined;
      return n.operator === '+' ? a + b : n.operator === '-' ? a - b : a * b;
    }
    if (n.type === 'LogicalExpression' && (n.operator === '??' || n.operator === '||')) {
      return this.staticNumber(n.left as Node, depth + 1) ?? this.staticNumber(n.right as Node, depth + 1);
    }
    if (n.type === 'CallExpression' && n.callee.type === 'Identifier' && ['Number', 'parseInt', 'parseFloat'].includes(n.callee.name) && n.arguments[0]) {
      const s = this.staticString(n.arguments[0] as Node, depth + 1);
      if (s?.complete && s.text.trim() !== '' && Number.isFinite(Number(s.text))) return Number(s.text);
      return this.staticNumber(n.arguments[0] as Node, depth + 1);
    }
    if (n.type === 'Identifier' || n.type === 'MemberExpression') {
      const v = this.resolve(n, depth + 1);
      if (!v) return undefined;
      if (v.kind === 'param') return v.defaultValue ? this.staticNumber(v.defaultValue, depth + 1) : undefined;
      if (v.kind === 'node' && v.node !== n) return this.staticNumber(v.node, depth + 1);
    }
    return undefined;
  }

  /**
   * A static reading of a string: literals, template literals and `+` concatenations of them and of
   * `const` names, `process.env.X` (as {@link StaticString.env}), `x ?? 'literal'`.
   */
  staticString(expr: Node | null | undefined, depth = 0): StaticString | undefined {
    if (!expr || depth > MAX_DEPTH) return undefined;
    const n = unwrap(expr);
    if (n.type === 'Literal' && typeof n.value === 'string') return { text: n.value, complete: true };
    if (n.type === 'TemplateLiteral') {
      let text = '';
      let env: string | undefined;
      for (let i = 0; i < n.quasis.length; i++) {
        text += n.quasis[i]!.value.cooked ?? '';
        const e = n.expressions[i];
        if (!e) break;
        const part = this.staticString(e as Node, depth + 1);
        if (i === 0 && text === '' && part?.env) {
          env = part.env;
          if (!part.complete) return { text: part.text, complete: false, env };
        }
        if (!part) return { text, complete: false, env };
        text += part.text;
        if (!part.complete) return { text, complete: false, env };
      }
      return { text, complete: true, env };
    }
    if (n.type === 'BinaryExpression' && n.operator === '+') {
      const a = this.staticString(n.left as Node, depth + 1);
      if (!a) return undefined;
      if (!a.complete) return a;
      const b = this.staticString(n.right as Node, depth + 1);
      if (!b) return { text: a.text, complete: false, env: a.env };
      return { text: a.text + b.text, complete: b.complete, env: a.env };
    }
    if (n.type === 'LogicalExpression' && (n.operator === '??' || n.operator === '||')) {
      const left = this.staticString(n.left as Node, depth + 1);
      const right = this.staticString(n.right as Node, depth + 1);
      if (left?.env) return { text: right?.text ?? '', complete: right?.complete ?? false, env: left.env };
      return left ?? right;
    }
    const env = this.envVar(n);
    if (env) return { text: '', complete: false, env };
    if (n.type === 'Identifier' || n.type === 'MemberExpression') {
      const v = this.resolve(n, depth + 1);
      if (v?.kind === 'node' && v.node !== n) return this.staticString(v.node, depth + 1);
      if (v?.kind === 'param' && v.defaultValue) return this.staticString(v.defaultValue, depth + 1);
    }
    return undefined;
  }

  /**
   * Every call `x.name(…)` in the file, indexed by method name (built once per file); used to find the
   * callers of class and object-literal methods.
   */
  methodCalls(name: string): TSESTree.CallExpression[] {
    if (!this.methodCallIndex) {
      const index = new Map<string, TSESTree.CallExpression[]>();
      walk(this.program, (node) => {
        if (node.type === 'CallExpression') {
          const callee = unwrap(node.callee);
          if (callee.type === 'MemberExpression') {
            const m = memberName(callee);
            if (m !== undefined) {
              const list = index.get(m) ?? [];
              list.push(node);
              index.set(m, list);
            }
          }
        }
      });
      this.methodCallIndex = index;
    }
    return this.methodCallIndex.get(name) ?? [];
  }
}

/** Babel's `_interopRequireDefault`/`_interopRequireWildcard`, TypeScript's `__importDefault`/`__importStar`. */
function isInteropHelper(name: string): boolean {
  let i = 0;
  while (name[i] === '_') i++;
  const rest = name.slice(i).toLowerCase();
  return rest.startsWith('interoprequire') || rest.startsWith('importdefault') || rest.startsWith('importstar');
}

/** The key path from a destructuring pattern down to one of its identifiers: `{ a: { b } }` → `['a', 'b']`. */
function patternPath(pattern: Node, target: TSESTree.Identifier): string[] | undefined {
  if (pattern === (target as Node)) return [];
  if (pattern.type === 'AssignmentPattern') return patternPath(pattern.left as Node, target);
  if (pattern.type === 'ObjectPattern') {
    for (const p of pattern.properties) {
      if (p.type !== 'Property') continue;
      const key = propertyKeyName(p.key, p.computed);
      if (key === undefined) continue;
      const sub = patternPath(p.value as Node, target);
      if (sub) return [key, ...sub];
    }
  }
  return undefined;
}

const models = new WeakMap<object, FileModel>();

/** The shared model of the file a rule context is linting (one per file, shared by all rules). */
export function modelFor(context: Rule.RuleContext): FileModel {
  const sc = context.sourceCode;
  let m = models.get(sc);
  if (!m) {
    const settings = ((context.settings as Record<string, unknown> | undefined)?.['meshlint'] ?? {}) as MeshlintSettings;
    m = new FileModel(sc, context.filename, settings);
    models.set(sc, m);
  }
  return m;
}
