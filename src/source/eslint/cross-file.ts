/**
 * One hop across files for JavaScript/TypeScript (the records src/source/cross-file.ts joins): an exported function
 * that builds a client or database connection unconditionally and returns it (`export function getClient() {
 * return new Client() }`, `module.exports.connect = async () => { const c = new Pool(); return c }`), and, in code
 * that runs per request or per iteration, calls of functions imported from a relative module (`import { getClient }
 * from './db'`, `const db = require('../db')` then `db.connect()`).
 *
 * Keys: `js:<path of the defining file without extension>:<export name>` (`default` for a default export); a
 * call resolves `./db` against the calling file's directory and tries `<dir>/db` and `<dir>/db/index`.
 */
import path from 'node:path';
import type { Rule } from 'eslint';
import type { TSESTree } from '@typescript-eslint/types';
import type { CrossFileRecords } from '../cross-file.js';
import { type FunctionNode, type Node, enclosingFunction, functionName, isFunction, parentOf, position, walk } from './ast.js';
import { classifyCreation, isCachedCreation } from './clients.js';
import { type FileModel, modelFor } from './model.js';
import { describeContext, executionContext, isRepeated } from './scope.js';

const CONDITIONAL = new Set(['IfStatement', 'ConditionalExpression', 'LogicalExpression', 'SwitchStatement', 'TryStatement']);

/** `a/b/c.ts` → `a/b/c` (posix). */
function withoutExtension(file: string): string {
  return file.split(path.sep).join('/').replace(/\.[cm]?[jt]sx?$/, '');
}

/** The name a function is exported under, or undefined when it is not exported. */
function exportName(fn: FunctionNode): string | undefined {
  const p = parentOf(fn as Node);
  if (!p) return undefined;
  if (p.type === 'ExportDefaultDeclaration') return 'default';
  if (p.type === 'ExportNamedDeclaration' && fn.type === 'FunctionDeclaration') return fn.id?.name;
  if (p.type === 'VariableDeclarator' && p.init === fn && p.id.type === 'Identifier') {
    const decl = parentOf(p);
    return decl && parentOf(decl)?.type === 'ExportNamedDeclaration' ? p.id.name : undefined;
  }
  if (p.type === 'AssignmentExpression' && p.right === fn && p.left.type === 'MemberExpression' && !p.left.computed && p.left.property.type === 'Identifier') {
    const target = p.left.object;
    const text = target.type === 'Identifier' ? target.name : target.type === 'MemberExpression' && target.object.type === 'Identifier' && target.property.type === 'Identifier' ? `${target.object.name}.${target.property.name}` : '';
    if (text === 'exports' || text === 'module.exports') return p.left.property.name;
    if (target.type === 'Identifier' && target.name === 'module' && p.left.property.name === 'exports') return 'default';
  }
  return undefined;
}

/** Is `node` (inside `fn`) returned by `fn`: the return value itself, or a local bound to it that is returned? */
function isReturned(fn: FunctionNode, node: Node): boolean {
  if (fn.type === 'ArrowFunctionExpression' && fn.expression) return true;
  let bound: string | undefined;
  for (let p: Node | undefined = parentOf(node); p && p !== (fn as Node); p = parentOf(p)) {
    if (p.type === 'ReturnStatement') return true;
    if (p.type === 'VariableDeclarator' && p.id.type === 'Identifier') {
      bound = p.id.name;
      break;
    }
  }
  if (!bound) return false;
  let returned = false;
  walk(fn as Node, (n) => {
    if (returned) return false;
    if (n.type === 'ReturnStatement' && n.argument?.type === 'Identifier' && n.argument.name === bound) returned = true;
    return !returned;
  });
  return returned;
}

/** The cross-file keys a call resolves to, when its callee comes from a relative module. */
function callKeys(model: FileModel, file: string, call: TSESTree.CallExpression): { name: string; keys: string[] } | undefined {
  const value = model.resolve(call.callee as unknown as Node);
  if (value?.kind !== 'module' || !/^\.\.?(\/|$)/.test(value.module) || value.path.length > 1) return undefined;
  const name = value.path[0] ?? 'default';
  const base = path.posix.join(path.posix.dirname(withoutExtension(file)), value.module.replace(/\.[cm]?[jt]sx?$/, ''));
  return { name: name === 'default' ? value.module : name, keys: [`js:${base}:${name}`, `js:${base}/index:${name}`] };
}

/**
 * An ESLint rule that reports nothing and hands the file's cross-file records to `sink` once, at the end of
 * the file. Used by the scanner next to the meshlint rules, in the same lint pass.
 */
export function crossFileCollector(file: string, sink: (records: CrossFileRecords) => void): Rule.RuleModule {
  return {
    meta: { type: 'suggestion', docs: { description: 'Collects one-hop cross-file records for meshlint (internal).' }, schema: [] },
    create(context) {
      const model = modelFor(context);
      const records: CrossFileRecords = { factories: [], calls: [] };
      const seen = new Set<string>();
      const onCreation = (n: Node): void => {
        const c = classifyCreation(model, n);
        if (!c) return;
        const fn = enclosingFunction(n);
        if (!fn || isRepeated(executionContext(model, n)) || isCachedCreation(model, n)) return;
        for (let p = parentOf(n); p && p !== (fn as Node); p = parentOf(p)) if (CONDITIONAL.has(p.type) || isFunction(p)) return;
        const name = exportName(fn);
        if (!name || !isReturned(fn, n)) return;
        const key = `js:${withoutExtension(file)}:${name}`;
        if (seen.has(key)) return;
        seen.add(key);
        const pos = position(n);
        records.factories.push({
          key,
          name: name === 'default' ? (functionName(fn) ?? 'the default export') : name,
          file,
          line: pos.line,
          column: pos.column,
          ruleId: c.family === 'db' ? 'db-client-per-request' : 'client-per-request',
          what: c.display,
          evidence: c.family === 'db' ? 'a new database client, its own connections' : 'a new HTTP client/agent, its own connection pool',
          kind: 'build',
        });
      };
      const onCall = (n: TSESTree.CallExpression): void => {
        const target = callKeys(model, file, n);
        if (!target) return;
        const ctx = executionContext(model, n as unknown as Node);
        if (!isRepeated(ctx)) return;
        const pos = position(n as unknown as Node);
        records.calls.push({ keys: target.keys, name: target.name, file, line: pos.line, column: pos.column, reason: describeContext(ctx) });
      };
      return {
        NewExpression: (n) => onCreation(n as unknown as Node),
        CallExpression: (n) => {
          onCreation(n as unknown as Node);
          onCall(n as unknown as TSESTree.CallExpression);
        },
        'Program:exit': () => {
          if (records.factories.length || records.calls.length) sink(records);
        },
      };
    },
  };
}
