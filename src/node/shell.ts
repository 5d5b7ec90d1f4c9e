/**
 * Shell scripts of container commands (`sh -c '…'`), parsed with the tree-sitter Bash grammar
 * (`@ast-grep/lang-bash`, run by `@ast-grep/napi`, the engine meshlint already uses for Go, Python and Java).
 *
 * Why not `shell-quote`: it treats a newline as plain white space and a `#` comment as running to the end of the
 * input, so the usual multi-line block scalar (`- |` followed by one command per line) collapses into one command,
 * and a comment line hides every command after it. A real grammar gets lists (`;`, `&&`, `||`, newlines),
 * pipelines, compound commands (`if`, `for`, `{ …; }`), redirections with file descriptors (`2>&1`) and
 * here-documents (whose bodies are data, not commands) right.
 *
 * This module turns the syntax tree into simple commands: words after quote removal (POSIX.1-2017 XCU §2.2) and
 * the redirections attached to each command. Expansions (`$X`, `${X}`, `$(…)`, `` `…` ``, `$((…))`) are not
 * performed: a word containing one is marked `dynamic`, because its value is not known statically.
 */
import type { SgNode } from '@ast-grep/napi';
import { grammarSync } from '../source/treesitter/languages.js';

/** A word after quote removal. */
export interface ShellWord {
  /** The word's value after quote removal; expansions are kept as written. */
  text: string;
  /** True when the word contains an expansion (`$…`, `` `…` ``) whose value is unknown statically. */
  dynamic: boolean;
}

/** A redirection attached to a simple command, e.g. `> /proc/sys/net/ipv4/tcp_tw_reuse`. */
export interface ShellRedirect {
  /** The operator as written: `>`, `>>`, `>|`, `&>`, `&>>`, `<`, `>&`, … */
  op: string;
  /** File descriptor written before the operator (`2>` → 2); absent when none was written. */
  fd?: number;
  /** The word after the operator. */
  target?: ShellWord;
}

/** A simple command: its words (prefix assignments left out) and its redirections. */
export interface ShellCommand {
  words: ShellWord[];
  redirects: ShellRedirect[];
}

/** Commands joined by `|` (or `|&`): the output of each feeds the next. */
export interface ShellPipeline {
  commands: ShellCommand[];
}

type Napi = typeof import('@ast-grep/napi');

/**
 * The ast-grep engine with the Bash grammar registered (in the one registration of the process, with the
 * grammars the source scanners use: `src/source/treesitter/languages.ts`).
 *
 * @throws Error when `@ast-grep/napi` or `@ast-grep/lang-bash` cannot be loaded (no prebuilt library for this
 *   platform); callers turn it into a note.
 */
function bash(): Napi {
  return grammarSync('bash');
}

/** A node's grammar kind, e.g. `command`, `raw_string`. */
function kindOf(node: SgNode): string {
  return String(node.kind());
}

/** Unquoted word: a backslash quotes the next character; backslash-newline disappears (XCU §2.2.1). */
function unescapeUnquoted(text: string): string {
  return text.replace(/\\(\n|.)/gs, (_, c: string) => (c === '\n' ? '' : c));
}

/** Inside double quotes a backslash escapes only `$`, `` ` ``, `"`, `\` and newline (XCU §2.2.3). */
function unescapeDoubleQuoted(text: string): string {
  return text.replace(/\\([$`"\\\n])/g, (_, c: string) => (c === '\n' ? '' : c));
}

const ANSI_C: Record<string, string> = { n: '\n', t: '\t', r: '\r', '\\': '\\', "'": "'", '"': '"', a: '\x07', b: '\b', e: '\x1b', f: '\f', v: '\v' };

/** Node kinds whose value is only known at run time. */
const EXPANSIONS = new Set(['simple_expansion', 'expansion', 'command_substitution', 'arithmetic_expansion', 'process_substitution']);

/** The value of an argument node after quote removal. */
function wordOf(node: SgNode): ShellWord {
  const kind = kindOf(node);
  const text = node.text();
  if (EXPANSIONS.has(kind)) return { text, dynamic: true };
  switch (kind) {
    case 'word':
      return { text: unescapeUnquoted(text), dynamic: false };
    case 'raw_string':
      return { text: text.slice(1, -1), dynamic: false };
    case 'ansi_c_string':
      return { text: text.slice(2, -1).replace(/\\(.)/gs, (m, c: string) => ANSI_C[c] ?? m), dynamic: false };
    case 'string':
    case 'translated_string': {
      let out = '';
      let dynamic = false;
      for (const child of node.children()) {
        const k = kindOf(child);
        if (k === 'string_content') out += unescapeDoubleQuoted(child.text());
        else if (EXPANSIONS.has(k)) {
          out += child.text();
          dynamic = true;
        } else if (k === 'string') {
          const inner = wordOf(child); // `$"…"` wraps a string node
          out += inner.text;
          dynamic ||= inner.dynamic;
        } else if (k !== '"' && k !== '$"') out += child.text();
      }
      return { text: out, dynamic };
    }
    case 'concatenation': {
      const parts = node.children().map(wordOf);
      return { text: parts.map((p) => p.text).join(''), dynamic: parts.some((p) => p.dynamic) };
    }
    default:
      return { text, dynamic: false };
  }
}

/** A `file_redirect` node (`2> x`, `>> /proc/sys/…`, `&> x`, `>&2`) as a {@link ShellRedirect}. */
function redirectOf(node: SgNode): ShellRedirect {
  const redirect: ShellRedirect = { op: '' };
  for (const child of node.children()) {
    const k = kindOf(child);
    if (k === 'file_descriptor') redirect.fd = Number(child.text());
    else if (!child.isNamed()) redirect.op ||= child.text();
    else if (redirect.target === undefined) redirect.target = wordOf(child);
  }
  return redirect;
}

const REDIRECTS = new Set(['file_redirect', 'heredoc_redirect', 'herestring_redirect']);

/** The simple command of a `command` node: argument words (prefix assignments skipped) and inline redirections. */
function commandOf(node: SgNode): ShellCommand {
  const cmd: ShellCommand = { words: [], redirects: [] };
  for (const child of node.children()) {
    const k = kindOf(child);
    if (k === 'command_name') {
      const name = child.child(0);
      if (name) cmd.words.push(wordOf(name));
    } else if (k === 'file_redirect') cmd.redirects.push(redirectOf(child));
    else if (k === 'variable_assignment' || k === 'comment' || REDIRECTS.has(k) || !child.isNamed()) continue;
    else cmd.words.push(wordOf(child));
  }
  return cmd;
}

/** The outermost command substitutions within `node` (nested ones are reached when those are collected). */
function substitutions(node: SgNode): SgNode[] {
  if (kindOf(node) === 'command_substitution') return [node];
  return node.children().flatMap(substitutions);
}

/**
 * Pipelines of `node` in execution order, recursing through lists, compound commands and command
 * substitutions (which run too). Here-document bodies are skipped.
 */
function collect(node: SgNode, out: ShellPipeline[]): void {
  const kind = kindOf(node);
  if (kind === 'heredoc_body' || kind === 'comment') return;
  if (kind === 'command') {
    // Commands inside `$(…)` arguments run before this one.
    for (const child of node.children()) for (const sub of substitutions(child)) collect(sub, out);
    out.push({ commands: [commandOf(node)] });
    return;
  }
  if (kind === 'pipeline') {
    const commands: ShellCommand[] = [];
    for (const child of node.children()) {
      if (!child.isNamed()) continue;
      const inner: ShellPipeline[] = [];
      collect(child, inner);
      // A pipeline stage is one command (possibly with redirections); compound stages contribute theirs.
      for (const p of inner) for (const c of p.commands) commands.push(c);
    }
    if (commands.length) out.push({ commands });
    return;
  }
  if (kind === 'redirected_statement') {
    // tree-sitter-bash attaches a trailing redirection to the whole `a && b > x` list or `a | b > x` pipeline;
    // in the shell it belongs to the last simple command, `b`.
    const body = node.field('body') ?? node.children().find((c) => c.isNamed() && !REDIRECTS.has(kindOf(c)));
    const redirects = node.children().filter((c) => kindOf(c) === 'file_redirect').map(redirectOf);
    const inner: ShellPipeline[] = [];
    if (body) collect(body, inner);
    const last = inner[inner.length - 1]?.commands.at(-1);
    if (last) for (const r of redirects) last.redirects.push(r);
    for (const p of inner) out.push(p);
    return;
  }
  for (const child of node.children()) if (child.isNamed()) collect(child, out);
}

/**
 * Split a shell script into pipelines of simple commands, in the order they appear.
 *
 * @param script the script text, e.g. the argument after `sh -c`.
 * @returns pipelines; a script with syntax errors still yields the commands tree-sitter recovered around them.
 * @throws Error when the Bash grammar cannot be loaded on this platform (see {@link bash}).
 */
export function parseShellScript(script: string): ShellPipeline[] {
  const root = bash().parse('bash', script).root();
  const out: ShellPipeline[] = [];
  collect(root, out);
  return out;
}
