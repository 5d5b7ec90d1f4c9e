/**
 * Disable directives written as comments: `meshlint-disable-next-line`, `meshlint-disable-line` and
 * `meshlint-disable` (rest of the YAML document, or rest of the source file), each followed by rule ids
 * (comma- or space-separated; none or `*` = every rule) and optionally ` -- reason`.
 *
 * Comments are found with real parsers, never by searching the text: the `yaml` package's CST parser for YAML
 * (js-yaml, which loads the manifests, drops comments), and ast-grep (tree-sitter) `comment` nodes for source
 * files. Callers only hand over files whose text contains `meshlint-disable`, so files without directives cost
 * nothing.
 */
import { extname } from 'node:path';
import { LineCounter, Parser } from 'yaml';
import { ensureLanguages, loadNapi, type TsLanguage } from '../source/treesitter/languages.js';

/** The marker a file's text must contain for its comments to be read. */
export const DIRECTIVE_MARKER = 'meshlint-disable';

/** What a directive covers: the next line, its own line, or the rest of the YAML document / source file. */
export type DirectiveKind = 'disable-next-line' | 'disable-line' | 'disable';

/** The parts of a directive comment. */
export interface ParsedDirective {
  kind: DirectiveKind;
  /** Rule ids as written; empty when the directive covers every rule. */
  rules: string[];
  /** True for no rule ids, or `*`. */
  all: boolean;
  /** Text after ` -- `, trimmed; absent when none is given. */
  reason?: string;
}

/** A directive found in a file, with the lines it covers (1-based, inclusive). */
export interface CommentDirective extends ParsedDirective {
  file: string;
  /** 1-based line and column of the comment. */
  line: number;
  column: number;
  from: number;
  to: number;
}

/**
 * Reads a directive from a comment's text (`# …`, `// …` or `/* … *\/`). Returns null when the comment is not
 * a directive: the directive keyword must open the comment (`# TODO meshlint-disable x` is not one).
 */
export function parseDirective(comment: string): ParsedDirective | null {
  const body = comment
    .replace(/^\s*(#|\/\/|\/\*)/, '')
    .replace(/\*\/\s*$/, '')
    .trim();
  const m = /^meshlint-(disable-next-line|disable-line|disable)(?:\s+([\s\S]*))?$/.exec(body);
  if (!m) return null;
  let rest = m[2] ?? '';
  let reason: string | undefined;
  const sep = /(^|\s)--(\s|$)/.exec(rest);
  if (sep) {
    reason = rest.slice(sep.index + sep[0].length).trim() || undefined;
    rest = rest.slice(0, sep.index);
  }
  const rules = rest.split(/[\s,]+/).filter(Boolean);
  const all = rules.length === 0 || rules.includes('*');
  return { kind: m[1] as DirectiveKind, rules: all ? [] : rules, all, ...(reason ? { reason } : {}) };
}

/**
 * Directives in the comments of a YAML (or JSON) file. `meshlint-disable` covers the rest of the document the
 * comment is in; a comment between documents (before `---`, or after `...`) belongs to the document after it.
 */
export function yamlDirectives(file: string, text: string): CommentDirective[] {
  const lineCounter = new LineCounter();
  const comments: { offset: number; source: string; docIndex: number }[] = [];
  const docStarts: number[] = [];
  const collect = (token: unknown, docIndex: number): void => {
    if (Array.isArray(token)) {
      for (const t of token) collect(t, docIndex);
      return;
    }
    if (!token || typeof token !== 'object') return;
    const t = token as { type?: string; offset?: number; source?: unknown };
    if (t.type === 'comment' && typeof t.source === 'string' && typeof t.offset === 'number') {
      comments.push({ offset: t.offset, source: t.source, docIndex });
      return;
    }
    for (const value of Object.values(token)) if (value && typeof value === 'object') collect(value, docIndex);
  };
  for (const token of new Parser(lineCounter.addNewLine).parse(text)) {
    if (token.type === 'document') {
      docStarts.push(token.offset);
      collect(token, docStarts.length - 1);
    } else if (token.type === 'comment') {
      comments.push({ offset: token.offset, source: token.source, docIndex: docStarts.length }); // belongs to the next document
    }
  }
  const lineOf = (offset: number) => lineCounter.linePos(offset);
  const out: CommentDirective[] = [];
  for (const c of comments) {
    const parsed = parseDirective(c.source);
    if (!parsed) continue;
    const { line, col } = lineOf(c.offset);
    const next = docStarts[c.docIndex + 1];
    const docEnd = next === undefined ? Number.MAX_SAFE_INTEGER : lineOf(next).line - 1;
    out.push({ ...parsed, file, line, column: col, ...cover(parsed.kind, line, docEnd) });
  }
  return out;
}

function cover(kind: DirectiveKind, line: number, end: number): { from: number; to: number } {
  if (kind === 'disable-next-line') return { from: line + 1, to: line + 1 };
  if (kind === 'disable-line') return { from: line, to: line };
  return { from: line, to: Math.max(line, end) };
}

/** ast-grep language of a source file by extension, or undefined for files it does not read. */
function sourceLanguage(file: string): { builtin?: 'TypeScript' | 'Tsx' | 'JavaScript'; dynamic?: TsLanguage } | undefined {
  switch (extname(file).toLowerCase()) {
    case '.ts':
    case '.mts':
    case '.cts':
      return { builtin: 'TypeScript' };
    case '.tsx':
      return { builtin: 'Tsx' };
    case '.js':
    case '.mjs':
    case '.cjs':
    case '.jsx':
      return { builtin: 'JavaScript' };
    case '.go':
      return { dynamic: 'go' };
    case '.py':
      return { dynamic: 'python' };
    case '.java':
      return { dynamic: 'java' };
    default:
      return undefined;
  }
}

const DYNAMIC_LANGUAGES: readonly TsLanguage[] = ['go', 'python', 'java'];

/** Comment node kinds of each grammar (tree-sitter-java splits line and block comments). */
const COMMENT_KINDS: Record<string, string[]> = { java: ['line_comment', 'block_comment'] };

/**
 * Directives in the comments of a source file (JavaScript/TypeScript, Go, Python, Java), parsed with ast-grep.
 * `meshlint-disable` covers the rest of the file. Returns [] for other extensions.
 * @throws Error when the grammar of a Go, Python or Java file cannot be loaded.
 */
export async function sourceDirectives(file: string, text: string): Promise<CommentDirective[]> {
  const lang = sourceLanguage(file);
  if (!lang) return [];
  // All three grammars at once: with @ast-grep/napi 0.51 a later registerDynamicLanguage call does not add
  // languages to those registered by the first one (measured), so asking for one at a time loses the others.
  const napi = lang.dynamic ? await ensureLanguages(DYNAMIC_LANGUAGES) : await loadNapi();
  const root = napi.parse(lang.builtin ? napi.Lang[lang.builtin] : lang.dynamic!, text).root();
  const kinds = COMMENT_KINDS[lang.dynamic ?? ''] ?? ['comment'];
  const out: CommentDirective[] = [];
  for (const node of root.findAll({ rule: { any: kinds.map((kind) => ({ kind })) } })) {
    const parsed = parseDirective(node.text());
    if (!parsed) continue;
    const start = node.range().start;
    out.push({ ...parsed, file, line: start.line + 1, column: start.column + 1, ...cover(parsed.kind, start.line + 1, Number.MAX_SAFE_INTEGER) });
  }
  return out;
}
