import type { Finding, Location, RenderedPosition } from '../../types.js';
import { readManifest } from '../read.js';
import type { RenderedDocument, RenderedInput } from './index.js';

/** Lines of a template or resource file, indexed by their trimmed text (built once per file). */
interface SourceLines {
  lines: string[];
  byText: Map<string, number[]>;
  /** Lines holding `key:` anywhere (flow mappings too), by key: filled on first use. */
  byKey: Map<string, number[]>;
}

/**
 * Moves findings on rendered output to the file each object came from: the document containing the
 * finding's line gives the template (helm) or resource file (kustomize); in that file, the finding's line is
 * the first line whose text equals the rendered line (`match: 'line'`), else the first line with the same
 * key (`'key'`: the value was templated), else the line of the object's `kind:` (`'object'`), else 1:1
 * (`'file'`); a file with several objects of the kind is searched from the object's own `kind:` line. The
 * rendered position is kept in `location.rendered`. Fixes are dropped (the rendered output is not a file to
 * edit). Findings elsewhere are returned as they are. Reads each source file once (up to `maxBytes`);
 * linear in the findings and the source files' lines.
 */
export function mapRenderedFindings(findings: readonly Finding[], renders: readonly RenderedInput[], cwd: string, maxBytes: number): Finding[] {
  if (!renders.length) return [...findings];
  const byDisplay = new Map(renders.map((r) => [r.display, r]));
  const sources = new Map<string, SourceLines | null>();
  const sourceLines = (file: string): SourceLines | null => {
    let known = sources.get(file);
    if (known !== undefined) return known;
    const read = readManifest(file, cwd, maxBytes);
    known = read.ok ? indexLines(read.text) : null;
    sources.set(file, known);
    return known;
  };
  return findings.map((f) => {
    const render = byDisplay.get(f.location.file);
    if (!render) return f;
    const doc = documentAt(render.documents, f.location.line);
    if (!doc?.source) return f;
    const { fix: _dropped, ...rest } = f;
    const rendered = { by: render.tool, input: render.dir, line: f.location.line, column: f.location.column };
    const at = matchInSource(sourceLines(doc.source), render.lines[f.location.line - 1] ?? '', f.location.column, doc);
    const location: Location = { ...f.location, file: doc.source, line: at.line, column: at.column, rendered: { ...rendered, match: at.match } };
    return { ...rest, location };
  });
}

/** The document whose range holds `line` (the last one starting at or before it). Binary search. */
function documentAt(documents: readonly RenderedDocument[], line: number): RenderedDocument | undefined {
  let lo = 0;
  let hi = documents.length - 1;
  let found: RenderedDocument | undefined = documents[0];
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if (documents[mid]!.startLine <= line) {
      found = documents[mid];
      lo = mid + 1;
    } else hi = mid - 1;
  }
  return found;
}

function indexLines(text: string): SourceLines {
  const lines = text.split('\n');
  const byText = new Map<string, number[]>();
  lines.forEach((line, i) => {
    const key = line.trim();
    if (!key) return;
    const list = byText.get(key);
    if (list) list.push(i + 1);
    else byText.set(key, [i + 1]);
  });
  return { lines, byText, byKey: new Map() };
}

const indentOf = (line: string) => line.length - line.trimStart().length;

function matchInSource(source: SourceLines | null, renderedLine: string, renderedColumn: number, doc: RenderedDocument): { line: number; column: number; match: RenderedPosition['match'] } {
  if (!source) return { line: 1, column: 1, match: 'file' };
  // Where the object starts in the file: its kind: line, the ordinal-th one when the file holds several.
  const kindLines = doc.kind ? (source.byText.get(`kind: ${doc.kind}`) ?? []) : [];
  const anchor = kindLines[Math.min(doc.ordinal, kindLines.length - 1)] ?? 1;
  // …up to the next document separator: a line of the next object is not this one's.
  const end = (source.byText.get('---') ?? []).find((n) => n > anchor) ?? Infinity;
  const firstFrom = (lines: readonly number[]) => lines.find((n) => n >= anchor && n < end) ?? lines.find((n) => n >= anchor) ?? lines[0];
  const text = renderedLine.trim();
  const inObject = (lines: readonly number[] | undefined) => lines?.some((n) => n >= anchor && n < end) ?? false;
  const exact = text ? source.byText.get(text) : undefined;
  const key = /^(?:-\s+)*([^\s:#{}[\],]+):/.exec(text)?.[1];
  const withKey = key ? linesWithKey(source, key) : [];
  // The same line elsewhere in the file loses to the same key in this object (its value templated).
  if (exact?.length && (inObject(exact) || !inObject(withKey))) {
    const line = firstFrom(exact)!;
    const column = Math.max(1, indentOf(source.lines[line - 1]!) + renderedColumn - indentOf(renderedLine));
    return { line, column, match: 'line' };
  }
  if (key && withKey.length) {
    const line = firstFrom(withKey)!;
    const m = keyPattern(key).exec(source.lines[line - 1]!)!;
    return { line, column: m.index + m[1]!.length + 1, match: 'key' };
  }
  if (kindLines.length) return { line: anchor, column: 1 + indentOf(source.lines[anchor - 1]!), match: 'object' };
  return { line: 1, column: 1, match: 'file' };
}

function keyPattern(key: string): RegExp {
  return new RegExp(`(^|[\\s{,-])${key.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:`);
}

/** Lines holding `key:` (in a block or a flow mapping), cached per key. */
function linesWithKey(source: SourceLines, key: string): number[] {
  let lines = source.byKey.get(key);
  if (!lines) {
    const pattern = keyPattern(key);
    lines = [];
    for (let i = 0; i < source.lines.length; i++) if (pattern.test(source.lines[i]!)) lines.push(i + 1);
    source.byKey.set(key, lines);
  }
  return lines;
}
