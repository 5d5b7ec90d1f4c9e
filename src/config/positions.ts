import { isMap, isScalar, isSeq, LineCounter, parseDocument, type Document } from 'yaml';

/** A YAML or JSON text parsed with the `yaml` package's Document API, kept for locating fields in error messages. */
export interface LocatedDocument {
  doc: Document;
  lineCounter: LineCounter;
}

/** A parse error of a YAML/JSON file: 1-based line and column, and the parser's one-line reason. */
export interface TextProblem {
  line: number;
  column: number;
  message: string;
}

/**
 * Parses YAML or JSON text (JSON is read as YAML 1.2 flow style) into a Document with line positions.
 * Duplicate keys are errors (`uniqueKeys`). Never throws.
 * @returns the document, and the first parse error when there is one (line/column 1-based).
 */
export function parseLocated(text: string): LocatedDocument & { problem?: TextProblem } {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, uniqueKeys: true });
  const error = doc.errors[0];
  if (!error) return { doc, lineCounter };
  const at = error.linePos?.[0] ?? { line: 1, col: 1 };
  const reason = error.message.split('\n')[0].replace(/ at line \d+, column \d+:?$/, '');
  return { doc, lineCounter, problem: { line: at.line, column: at.col, message: reason } };
}

/**
 * 1-based line and column of the field at `path` in a parsed document: the key of a mapping entry (so an
 * error about `rules.foo` points at `foo:`), or the item of a sequence. A path that leaves the document
 * stops at the deepest part that exists; an empty document gives line 1, column 1.
 */
export function positionOf(located: LocatedDocument, path: readonly (string | number)[]): { line: number; column: number } {
  let node: unknown = located.doc.contents;
  let offset = rangeStart(node) ?? 0;
  for (const segment of path) {
    if (isMap(node)) {
      const pair = node.items.find((p) => (isScalar(p.key) ? String(p.key.value) : String(p.key)) === String(segment));
      if (!pair) break;
      offset = rangeStart(pair.key) ?? offset;
      node = pair.value;
    } else if (isSeq(node) && typeof segment === 'number' && segment < node.items.length) {
      node = node.items[segment];
      offset = rangeStart(node) ?? offset;
    } else {
      break;
    }
  }
  const pos = located.lineCounter.linePos(offset);
  return { line: pos.line, column: pos.col };
}

function rangeStart(node: unknown): number | undefined {
  const range = (node as { range?: [number, number, number] } | null)?.range;
  return range ? range[0] : undefined;
}

/** `rules.keepalive-disabled[1].minIdleTimeoutSeconds` from `['rules', 'keepalive-disabled', 1, 'minIdleTimeoutSeconds']`. */
export function dottedPath(path: readonly (string | number)[]): string {
  let out = '';
  for (const segment of path) out += typeof segment === 'number' ? `[${segment}]` : out ? `.${segment}` : segment;
  return out || '(top level)';
}

/** Splits an ajv `instancePath` (a JSON Pointer, RFC 6901) into segments; array indexes become numbers. */
export function pointerSegments(pointer: string, data: unknown): (string | number)[] {
  if (!pointer) return [];
  const out: (string | number)[] = [];
  let here = data;
  for (const raw of pointer.slice(1).split('/')) {
    const key = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    const segment = Array.isArray(here) && /^\d+$/.test(key) ? Number(key) : key;
    out.push(segment);
    here = here !== null && typeof here === 'object' ? (here as Record<string | number, unknown>)[segment] : undefined;
  }
  return out;
}
