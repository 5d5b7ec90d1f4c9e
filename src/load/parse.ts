import jsyaml from 'js-yaml';
import { PositionIndex, PositionRecorder } from './positions.js';
import { MANIFEST_SCHEMA } from './schema.js';

/** One YAML document (or JSON file) with the positions of its nodes. */
export interface ParsedDocument {
  /** 0-based index of the document in its file. */
  index: number;
  value: unknown;
  positions: PositionIndex;
}

/** A problem that makes (part of) a file unusable: becomes a `parse-error` finding. */
export interface ParseProblem {
  /** 1-based. */
  line: number;
  /** 1-based. */
  column: number;
  message: string;
  hint?: string;
}

/** Result of parsing one file's text. */
export interface ParsedFile {
  documents: ParsedDocument[];
  problems: ParseProblem[];
}

export { MANIFEST_SCHEMA } from './schema.js';

/**
 * Largest number of nodes a document may expand to once YAML aliases are followed. A "billion laughs" file
 * of a few hundred bytes expands to billions; real Kubernetes manifests stay far below this.
 */
export const MAX_EXPANDED_NODES = 200_000;

/**
 * Parses YAML (one or many documents, `---`-separated) or JSON text with js-yaml, recording positions.
 * Never throws: a syntax error, an alias bomb or a document js-yaml rejects becomes a {@link ParseProblem}
 * with a 1-based line and column. On a syntax error no document of the file is returned (js-yaml composes
 * every document before handing any back), matching `kubectl apply`, which rejects the whole file.
 */
export function parseManifestText(text: string, filename: string): ParsedFile {
  const recorder = new PositionRecorder(text.length);
  const documents: ParsedDocument[] = [];
  const problems: ParseProblem[] = [];
  try {
    let index = 0;
    jsyaml.loadAll(
      text,
      (doc) => {
        documents.push({ index, value: doc, positions: recorder.takeDocument(doc) });
        index++;
      },
      { filename, schema: MANIFEST_SCHEMA, listener: recorder.listener } as jsyaml.LoadOptions,
    );
  } catch (error) {
    problems.push(describeYamlError(error, text));
    return { documents: [], problems };
  }
  recorder.store.trim();
  if (text.includes('*')) {
    // One pass that keeps the documents under the limit (not a splice per bomb, which is quadratic in documents).
    const kept = documents.filter((document) => {
      if (expandedSize(document.value, MAX_EXPANDED_NODES) <= MAX_EXPANDED_NODES) return true;
      const at = document.positions.resolve([]);
      problems.push({
        line: at.line,
        column: at.column,
        message: `document expands to more than ${MAX_EXPANDED_NODES.toLocaleString('en-US')} nodes through YAML aliases (an alias bomb?); not analysed`,
      });
      return false;
    });
    return { documents: kept, problems };
  }
  return { documents, problems };
}

function describeYamlError(error: unknown, text: string): ParseProblem {
  if (error instanceof jsyaml.YAMLException) {
    const mark = error.mark as { line?: number; column?: number; position?: number } | undefined;
    let line = (mark?.line ?? 0) + 1;
    let column = (mark?.column ?? 0) + 1;
    if (mark?.line === 0 && mark.position !== undefined && mark.position === mark.column) {
      // js-yaml rejects a NUL byte before it scans any line, with the offset as the column of line 1 (a NUL at
      // line 2001 column 5 came out as 1:10005): count the lines up to the offset.
      ({ line, column } = lineAndColumn(text, mark.position));
    }
    const problem: ParseProblem = { line, column, message: `invalid YAML: ${error.reason}` };
    if (text.includes('{{')) {
      problem.hint = 'this looks like a Helm or Go template; render it first (`helm template … | meshlint check -`)';
    }
    return problem;
  }
  return { line: 1, column: 1, message: `invalid YAML: ${error instanceof Error ? error.message : String(error)}` };
}

/** 1-based line and column of offset `at` of `text` (lines end at LF, CRLF or a lone CR, as YAML's do). */
function lineAndColumn(text: string, at: number): { line: number; column: number } {
  let line = 1;
  let lineStart = 0;
  for (let i = 0; i < at && i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x0a || (c === 0x0d && text.charCodeAt(i + 1) !== 0x0a)) {
      line++;
      lineStart = i + 1;
    }
  }
  return { line, column: at - lineStart + 1 };
}

/**
 * Number of nodes `value` has when aliases are expanded, counting each shared subtree once per reference
 * but computing it once (memoised by identity), so the count itself is linear in the parsed size.
 * Stops early once `limit` is exceeded.
 */
function expandedSize(value: unknown, limit: number): number {
  const memo = new Map<object, number>();
  const size = (v: unknown): number => {
    if (v === null || typeof v !== 'object') return 1;
    const known = memo.get(v);
    if (known !== undefined) return known;
    memo.set(v, 1); // guards against cycles
    let total = 1;
    const children = Array.isArray(v) ? v : Object.values(v as Record<string, unknown>);
    for (const child of children) {
      total += size(child);
      if (total > limit) break;
    }
    memo.set(v, total);
    return total;
  };
  return size(value);
}
