/**
 * Small, typed helpers over the ESTree / typescript-estree AST that the meshlint ESLint rules share:
 * unwrapping TypeScript-only wrappers, reading static property names and literal values, walking
 * parents and children. Detection is done on the AST only; nothing here looks at source text.
 */
import type { TSESTree } from '@typescript-eslint/types';

/** Any node of the typescript-estree AST (a superset of ESTree, which is what espree produces). */
export type Node = TSESTree.Node;
/** A function-like node: declaration, expression or arrow. */
export type FunctionNode =
  | TSESTree.FunctionDeclaration
  | TSESTree.FunctionExpression
  | TSESTree.ArrowFunctionExpression;
/** A loop statement. */
export type LoopNode =
  | TSESTree.ForStatement
  | TSESTree.ForInStatement
  | TSESTree.ForOfStatement
  | TSESTree.WhileStatement
  | TSESTree.DoWhileStatement;

/** Parent of a node, `undefined` at the Program. */
export function parentOf(node: Node): Node | undefined {
  return (node as { parent?: Node }).parent;
}

/** Whether the node is a function declaration, function expression or arrow function. */
export function isFunction(node: Node | null | undefined): node is FunctionNode {
  return (
    !!node &&
    (node.type === 'FunctionDeclaration' ||
      node.type === 'FunctionExpression' ||
      node.type === 'ArrowFunctionExpression')
  );
}

/** Whether the node is a loop statement (`for`, `for…in`, `for…of`, `while`, `do…while`). */
export function isLoop(node: Node | null | undefined): node is LoopNode {
  return (
    !!node &&
    (node.type === 'ForStatement' ||
      node.type === 'ForInStatement' ||
      node.type === 'ForOfStatement' ||
      node.type === 'WhileStatement' ||
      node.type === 'DoWhileStatement')
  );
}

/**
 * Strips wrappers that do not change the runtime value: TypeScript `as`, `satisfies`, `<T>x`, `x!`,
 * instantiation expressions, `await`, optional chains and `(a, b)` sequences (their last value).
 */
export function unwrap(node: Node): Node {
  let n: Node = node;
  for (;;) {
    switch (n.type) {
      case 'TSAsExpression':
      case 'TSSatisfiesExpression':
      case 'TSTypeAssertion':
      case 'TSNonNullExpression':
      case 'TSInstantiationExpression':
      case 'ChainExpression':
      case 'AwaitExpression':
        if (n.type === 'AwaitExpression') n = n.argument;
        else n = n.expression;
        continue;
      case 'SequenceExpression':
        n = n.expressions[n.expressions.length - 1]!;
        continue;
      default:
        return n;
    }
  }
}

/** The static name of a property key (`a`, `'a'`, `['a']`, `` [`a`] ``); `undefined` when computed from a variable. */
export function propertyKeyName(key: Node, computed: boolean): string | undefined {
  if (!computed && key.type === 'Identifier') return key.name;
  if (!computed && key.type === 'PrivateIdentifier') return key.name;
  if (key.type === 'Literal' && (typeof key.value === 'string' || typeof key.value === 'number')) {
    return String(key.value);
  }
  if (key.type === 'TemplateLiteral' && key.expressions.length === 0) return key.quasis[0]?.value.cooked ?? undefined;
  return undefined;
}

/** The property name of a member expression (`a.b` → `b`, `a['b']` → `b`). */
export function memberName(node: TSESTree.MemberExpression): string | undefined {
  return propertyKeyName(node.property, node.computed);
}

/** For a call or `new`, the callee's last name: `a.b.c()` → `c`, `f()` → `f`. */
export function calleeName(node: TSESTree.CallExpression | TSESTree.NewExpression): string | undefined {
  const callee = unwrap(node.callee);
  if (callee.type === 'Identifier') return callee.name;
  if (callee.type === 'MemberExpression') return memberName(callee);
  return undefined;
}

/** The object literal's own property with the given static name (last one wins, as at runtime); spreads are skipped. */
export function objectProperty(obj: TSESTree.ObjectExpression, name: string): TSESTree.Property | undefined {
  let found: TSESTree.Property | undefined;
  for (const p of obj.properties) {
    if (p.type === 'Property' && propertyKeyName(p.key, p.computed) === name) found = p;
  }
  return found;
}

/** Like {@link objectProperty} but compares names case-insensitively (HTTP header names). */
export function objectPropertyCI(obj: TSESTree.ObjectExpression, name: string): TSESTree.Property | undefined {
  const lower = name.toLowerCase();
  let found: TSESTree.Property | undefined;
  for (const p of obj.properties) {
    if (p.type === 'Property' && propertyKeyName(p.key, p.computed)?.toLowerCase() === lower) found = p;
  }
  return found;
}

/** Whether the object literal has a spread element (`{ ...base }`): then an absent key may still be set. */
export function hasSpread(obj: TSESTree.ObjectExpression): boolean {
  return obj.properties.some((p) => p.type === 'SpreadElement');
}

/** The literal string value of a node (`'x'`, `` `x` `` without substitutions), else `undefined`. */
export function stringLiteral(node: Node | null | undefined): string | undefined {
  if (!node) return undefined;
  const n = unwrap(node);
  if (n.type === 'Literal' && typeof n.value === 'string') return n.value;
  if (n.type === 'TemplateLiteral' && n.expressions.length === 0) return n.quasis[0]?.value.cooked ?? undefined;
  return undefined;
}

/** The literal boolean value of a node (`true`, `false`, `!0`, `!1`), else `undefined`. */
export function booleanLiteral(node: Node | null | undefined): boolean | undefined {
  if (!node) return undefined;
  const n = unwrap(node);
  if (n.type === 'Literal' && typeof n.value === 'boolean') return n.value;
  if (n.type === 'UnaryExpression' && n.operator === '!' && n.argument.type === 'Literal') {
    return !n.argument.value;
  }
  return undefined;
}

/** Whether `inner` is `outer` or lies inside it (by source range). */
export function contains(outer: Node, inner: Node): boolean {
  return outer.range[0] <= inner.range[0] && inner.range[1] <= outer.range[1];
}

/** Nearest enclosing function of a node (not the node itself), or `undefined` at module level. */
export function enclosingFunction(node: Node): FunctionNode | undefined {
  for (let p = parentOf(node); p; p = parentOf(p)) if (isFunction(p)) return p;
  return undefined;
}

/** Keys that are not child nodes. */
const SKIP_KEYS = new Set(['parent', 'loc', 'range', 'tokens', 'comments', 'typeAnnotation', 'returnType', 'typeArguments', 'typeParameters']);

/** Child nodes of a node, in source order of their keys. */
export function children(node: Node): Node[] {
  const out: Node[] = [];
  for (const key of Object.keys(node)) {
    if (SKIP_KEYS.has(key)) continue;
    const v = (node as unknown as Record<string, unknown>)[key];
    if (Array.isArray(v)) {
      for (const c of v) if (isNodeLike(c)) out.push(c);
    } else if (isNodeLike(v)) {
      out.push(v);
    }
  }
  return out;
}

function isNodeLike(v: unknown): v is Node {
  return typeof v === 'object' && v !== null && typeof (v as { type?: unknown }).type === 'string' && 'range' in v;
}

/**
 * Depth-first walk below `root` (excluding `root`). The visitor returns `false` to skip a node's children.
 * `intoFunctions: false` does not descend into nested function bodies.
 */
export function walk(root: Node, visit: (node: Node) => boolean | void, opts: { intoFunctions?: boolean } = {}): void {
  const into = opts.intoFunctions ?? true;
  const stack: Node[] = children(root).reverse();
  while (stack.length) {
    const n = stack.pop()!;
    if (visit(n) === false) continue;
    if (!into && (isFunction(n) || n.type === 'ClassBody')) continue;
    const kids = children(n);
    for (let i = kids.length - 1; i >= 0; i--) stack.push(kids[i]!);
  }
}

/** The name a function is known by in its file: its own id, the variable, property or method it is assigned to. */
export function functionName(fn: FunctionNode): string | undefined {
  if (fn.id) return fn.id.name;
  const p = parentOf(fn);
  if (!p) return undefined;
  if (p.type === 'VariableDeclarator' && p.id.type === 'Identifier') return p.id.name;
  if ((p.type === 'Property' || p.type === 'MethodDefinition' || p.type === 'PropertyDefinition') && p.value === fn) {
    return propertyKeyName(p.key, p.computed);
  }
  if (p.type === 'AssignmentExpression' && p.right === fn) {
    if (p.left.type === 'Identifier') return p.left.name;
    if (p.left.type === 'MemberExpression') return memberName(p.left);
  }
  return undefined;
}

/** 1-based line and column of a node's start (ESLint's and meshlint's convention; columns in UTF-16 units). */
export function position(node: Node): { line: number; column: number } {
  return { line: node.loc.start.line, column: node.loc.start.column + 1 };
}
