/**
 * An ESLint parser (`parseForESLint`) that parses with oxc-parser (Rust, prebuilt N-API binaries) instead of
 * `typescript` (issue 17: loading `typescript`, ~9 MB of JavaScript, was most of a one-file run of a TS file).
 *
 * oxc-parser returns a TS-ESTree AST with `range` (UTF-16 offsets) and the comments; this adds what ESLint's
 * SourceCode and the rules read and oxc does not give: `loc` on every node and comment, the Program's range
 * from its first token (as typescript-estree sets it), and the scope manager of @typescript-eslint/scope-manager
 * with the options @typescript-eslint/parser passes it. `tokens` is empty: oxc-parser returns no tokens, and
 * neither meshlint's rules nor ESLint with `noInlineConfig` read them.
 *
 * A file oxc reports a syntax error in is parsed again by `fallback` (@typescript-eslint/parser, loaded on
 * first use), so a file that does not parse gets typescript-estree's message, line and column as before.
 */
import type { Linter } from 'eslint';

/** The parts of oxc-parser's `parseSync` this adapter uses. */
export interface OxcParse {
  (filename: string, sourceText: string, options: { lang: 'js' | 'jsx' | 'ts' | 'tsx'; sourceType: 'module' | 'script' | 'commonjs'; astType: 'ts'; range: true; preserveParens: false }): {
    program: OxcNode;
    comments: OxcNode[];
    errors: readonly unknown[];
  };
}

/** A node or comment as oxc-parser returns it (range in UTF-16 code units). */
interface OxcNode {
  type: string;
  range?: [number, number];
  start: number;
  end: number;
  loc?: { start: Position; end: Position };
  [key: string]: unknown;
}

/** A 1-based line and 0-based column, as ESTree's `loc`. */
interface Position {
  line: number;
  column: number;
}

/** What the adapter needs from @typescript-eslint/scope-manager and @typescript-eslint/visitor-keys. */
export interface OxcParserParts {
  parseSync: OxcParse;
  analyze: (tree: never, options: Record<string, unknown>) => unknown;
  visitorKeys: Record<string, readonly string[] | undefined>;
  /** @typescript-eslint/parser, loaded only when oxc reports a syntax error. */
  fallback: () => Linter.Parser;
}

/** Offsets at which each line starts; line terminators as ESLint's SourceCode splits lines (\r\n, \r, \n, U+2028, U+2029). */
function lineStarts(code: string): number[] {
  const starts = [0];
  const re = /\r\n|[\r\n\u2028\u2029]/g;
  for (let m = re.exec(code); m; m = re.exec(code)) starts.push(m.index + m[0].length);
  return starts;
}

/** Position of `offset` given the line starts (binary search: O(log lines) per node). */
function positionOf(starts: number[], offset: number): Position {
  let lo = 0;
  let hi = starts.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (starts[mid]! <= offset) lo = mid;
    else hi = mid - 1;
  }
  return { line: lo + 1, column: offset - starts[lo]! };
}

/** The oxc `lang` for a file name (JS files with JSX, as the scanner's `ecmaFeatures.jsx`). */
function langOf(filePath: string, jsx: boolean): 'js' | 'jsx' | 'ts' | 'tsx' {
  const lower = filePath.toLowerCase();
  if (lower.endsWith('.tsx')) return 'tsx';
  if (lower.endsWith('.ts') || lower.endsWith('.mts') || lower.endsWith('.cts')) return 'ts';
  return jsx ? 'jsx' : 'js';
}

/** Builds the parser from its parts. */
export function createOxcParser(parts: OxcParserParts): Linter.Parser {
  const parseForESLint = (code: string, options?: Linter.ParserOptions & { filePath?: string }): Linter.ESLintParseResult => {
    const parserOptions = { ...(options ?? {}) } as Record<string, unknown> & { ecmaFeatures?: Record<string, unknown>; filePath?: string };
    const requested = parserOptions.sourceType;
    // @typescript-eslint/parser parses anything but `module` as `script`; oxc's `commonjs` is `script` that
    // also allows a top-level `return`, which typescript-estree does not reject either.
    const sourceType = requested === 'module' ? 'module' : 'script';
    const ecmaFeatures = parserOptions.ecmaFeatures ?? {};
    const filePath = parserOptions.filePath ?? 'file.ts';
    const parsed = parts.parseSync(filePath, code, {
      lang: langOf(filePath, ecmaFeatures.jsx === true),
      sourceType: requested === 'module' ? 'module' : requested === 'commonjs' ? 'commonjs' : 'script',
      astType: 'ts',
      range: true,
      preserveParens: false,
    });
    if (parsed.errors.length > 0) return (parts.fallback() as { parseForESLint: typeof parseForESLint }).parseForESLint(code, options);
    const starts = lineStarts(code);
    const addLoc = (node: OxcNode): void => {
      const range = node.range ?? [node.start, node.end];
      node.range = range;
      node.loc = { start: positionOf(starts, range[0]), end: positionOf(starts, range[1]) };
    };
    // Every node: iterative walk over the properties holding nodes or arrays of nodes.
    const stack: unknown[] = [parsed.program];
    while (stack.length > 0) {
      const value = stack.pop();
      if (Array.isArray(value)) {
        for (const v of value) if (v && typeof v === 'object') stack.push(v);
        continue;
      }
      const node = value as OxcNode;
      if (typeof node.type === 'string' && typeof node.start === 'number') addLoc(node);
      for (const key in node) {
        if (key === 'loc' || key === 'range') continue;
        const child = node[key];
        if (child && typeof child === 'object') stack.push(child);
      }
    }
    const program = parsed.program;
    // typescript-estree's Program starts at its first token (leading comments and spaces excluded).
    const body = program.body as OxcNode[];
    const firstToken = body.length > 0 ? body[0]!.range![0] : program.range![1];
    program.range = [firstToken, program.range![1]];
    program.loc = { start: positionOf(starts, firstToken), end: positionOf(starts, program.range[1]) };
    for (const comment of parsed.comments) addLoc(comment);
    program.comments = parsed.comments;
    program.tokens = [];
    program.sourceType = sourceType;
    const scopeManager = parts.analyze(program as never, {
      globalReturn: ecmaFeatures.globalReturn,
      jsxFragmentName: parserOptions.jsxFragmentName,
      jsxPragma: parserOptions.jsxPragma,
      lib: parserOptions.lib,
      sourceType,
    });
    return { ast: program as never, scopeManager: scopeManager as never, visitorKeys: parts.visitorKeys as never, services: {} };
  };
  return { meta: { name: 'meshlint-oxc' }, parseForESLint } as Linter.Parser;
}
