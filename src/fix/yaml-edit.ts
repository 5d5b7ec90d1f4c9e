import { isDeepStrictEqual } from 'node:util';
import { Document, isCollection, isMap, isNode, isScalar, parseAllDocuments, YAMLMap, type Node, type Pair } from 'yaml';
import type { FieldPath, Fix, FixEdit } from '../types.js';

/**
 * Source-preserving edits of YAML text. The `yaml` package's parser (parseAllDocuments) locates every
 * node by source range; an edit replaces only the lines of the pair it changes (or, inside a flow
 * collection, the outermost flow collection), with text serialised by the `yaml` package. Everything else
 * — other documents, comments, key order, quoting, blank lines — stays byte for byte. After each edit the
 * text is parsed again and checked against the same edit made with the Document API (setIn / deleteIn
 * on a clone): if the two disagree, or anything outside the edited document changed, the edit is refused
 * and the text stays as it was.
 */

type Docs = ReturnType<typeof parseAllDocuments>;

/** Why a fix was not applied. */
export type Refusal = 'parse-error' | 'object-moved' | 'unsupported' | 'unsafe' | 'context';

/** Result of applying one fix to a text. */
export type FixOutcome = { ok: true; text: string; changed: boolean } | { ok: false; reason: Refusal; detail: string };

function parse(text: string): Docs | undefined {
  const docs = parseAllDocuments(text);
  if (!Array.isArray(docs) || docs.some((d) => d.errors.length > 0)) return undefined;
  return docs;
}

/** Offset just past the end of the line holding `offset - 1` (the offset itself when it follows a newline). */
function lineEnd(text: string, offset: number): number {
  if (offset > 0 && text[offset - 1] === '\n') return offset;
  const nl = text.indexOf('\n', offset);
  return nl === -1 ? text.length : nl + 1;
}

function lineStart(text: string, offset: number): number {
  return text.lastIndexOf('\n', offset - 1) + 1;
}

function column(text: string, offset: number): number {
  return offset - lineStart(text, offset);
}

function keyOf(pair: Pair): unknown {
  return isScalar(pair.key) ? pair.key.value : pair.key;
}

function findPair(map: YAMLMap, key: string | number): Pair | undefined {
  return map.items.find((p) => keyOf(p) === key) as Pair | undefined;
}

function range(node: unknown): [number, number, number] {
  const r = isNode(node) ? node.range : undefined;
  if (!r) throw new Unsafe('node without a source range');
  return r;
}

class Unsafe extends Error {}

/** Spaces per nesting level of block mappings in this document (2 when nothing says otherwise). */
function indentUnit(doc: Document, text: string): number {
  let unit = 0;
  const walk = (node: unknown): void => {
    if (unit || !isMap(node) || node.flow) return;
    for (const pair of node.items) {
      const value = (pair as Pair).value;
      if (isMap(value) && !value.flow && value.items.length && isNode((pair as Pair).key)) {
        const diff = column(text, range(value.items[0].key)[0]) - column(text, range((pair as Pair).key)[0]);
        if (diff > 0) unit = diff;
        return;
      }
      walk(value);
    }
  };
  walk(doc.contents);
  return unit || 2;
}

/** `key: value` as block YAML lines at `col`, serialised by the yaml package (no line folding). */
function pairText(key: string | number, value: unknown, col: number, indent: number): string {
  const out = new Document({ [key]: value }).toString({ indent, lineWidth: 0 });
  return out
    .split('\n')
    .map((line) => (line ? ' '.repeat(col) + line : line))
    .join('\n');
}

/** A node as inline YAML (flow style for collections), serialised by the yaml package. */
function inlineText(value: unknown, indent: number): string {
  const doc = new Document(value);
  if (isCollection(doc.contents)) doc.contents.flow = true;
  return doc.toString({ indent, lineWidth: 0 }).trimEnd();
}

/** The innermost flow collection at `path` or above it (its path and node), if any: the smallest text an edit inside flow style rewrites. */
function innermostFlow(doc: Document, path: FieldPath): { path: FieldPath; node: Node } | undefined {
  for (let i = path.length; i >= 0; i--) {
    const node = i === 0 ? doc.contents : doc.getIn(path.slice(0, i), true);
    if (isCollection(node) && node.flow) return { path: path.slice(0, i), node };
  }
  return undefined;
}

/** Applies one edit to the Document API model (the oracle the text edit is checked against). */
function applyToModel(doc: Document, edit: FixEdit): void {
  if (edit.op === 'delete') {
    doc.deleteIn(edit.path);
    const parentPath = edit.path.slice(0, -1);
    const parent = doc.getIn(parentPath, true);
    if (isMap(parent) && parent.items.length === 0) doc.setIn(parentPath, doc.createNode({}));
  } else if (edit.op === 'set') {
    doc.setIn(edit.path, doc.createNode(edit.value));
  } else {
    const merge = (path: FieldPath, value: unknown) => {
      for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
        const here = doc.getIn([...path, k], true);
        if (here === undefined) doc.setIn([...path, k], doc.createNode(v));
        else if (isMap(here) && isPlainObject(v)) merge([...path, k], v);
      }
    };
    merge(edit.path, edit.value);
  }
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Splits a `merge` into the `set`s of keys that are absent (checked against the current text). */
function expandMerge(doc: Document, edit: FixEdit): FixEdit[] {
  const out: FixEdit[] = [];
  const walk = (path: FieldPath, value: unknown) => {
    const here = doc.getIn(path, true);
    if (!isMap(here)) throw new Unsafe(`merge target ${path.join('.')} is not a mapping`);
    for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
      const child = here.get(k, true);
      if (child === undefined) out.push({ op: 'set', path: [...path, k], value: v });
      else if (isMap(child) && isPlainObject(v)) walk([...path, k], v);
    }
  };
  if (!isPlainObject(edit.value)) throw new Unsafe('merge value is not a mapping');
  walk(edit.path, edit.value);
  return out;
}

/** The text edit for a `delete` or `set`, as [start, end, replacement]; undefined when there is nothing to do. */
function textEdit(doc: Document, text: string, edit: FixEdit): [number, number, string] | undefined {
  const indent = indentUnit(doc, text);
  if (edit.op === 'delete') {
    const parent = doc.getIn(edit.path.slice(0, -1), true);
    if (!isMap(parent) || !findPair(parent, edit.path[edit.path.length - 1])) return undefined;
    // The last key of a mapping: the mapping becomes `{}` rather than null.
    if (parent.items.length === 1) return textEdit(doc, text, { op: 'set', path: edit.path.slice(0, -1), value: {} });
  }
  const flow = innermostFlow(doc, edit.path.slice(0, -1));
  if (flow) {
    const model = doc.clone();
    applyToModel(model, edit);
    const [start, end] = range(flow.node);
    const replacement = inlineText(flow.path.length ? model.getIn(flow.path, true) : model.contents, indent);
    return replacement === text.slice(start, end) ? undefined : [start, end, replacement];
  }
  const parentPath = edit.path.slice(0, -1);
  const key = edit.path[edit.path.length - 1];
  const parent = doc.getIn(parentPath, true);
  if (!isMap(parent)) {
    if (edit.op === 'delete') return undefined;
    throw new Unsafe(`${parentPath.join('.')} is not a mapping`);
  }
  const pair = findPair(parent, key);
  if (edit.op === 'delete') {
    if (!pair) return undefined;
    if (parent.items.length === 1) return textEdit(doc, text, { op: 'set', path: parentPath, value: {} });
    const [keyStart] = range(pair.key);
    const start = lineStart(text, keyStart);
    if (text.slice(start, keyStart).trim() !== '') throw new Unsafe('key shares its line with other content');
    const end = lineEnd(text, pair.value ? range(pair.value)[1] : range(pair.key)[1]);
    return [start, end, ''];
  }
  if (pair) {
    const current = pair.value;
    if (isScalar(current) && !isCollection(edit.value) && typeof edit.value !== 'object') {
      if (current.value === edit.value) return undefined;
      const [s, e] = range(current);
      return [s, e, inlineText(edit.value, indent)];
    }
    if (isPlainObject(edit.value) && Object.keys(edit.value).length === 0 && isMap(current)) {
      if (current.items.length === 0) return undefined;
      const [, keyEnd] = range(pair.key);
      const [, valueEnd] = range(current);
      return [keyEnd, valueEnd, `: {}${text[valueEnd - 1] === '\n' ? '\n' : ''}`];
    }
    throw new Unsafe(`replacing ${String(key)} with a collection is not supported`);
  }
  if (parent.items.length === 0) throw new Unsafe(`${parentPath.join('.')} is an empty block mapping`);
  const first = parent.items[0] as Pair;
  const last = parent.items[parent.items.length - 1] as Pair;
  const col = column(text, range(first.key)[0]);
  const at = lineEnd(text, last.value ? range(last.value)[1] : range(last.key)[1]);
  const lead = at > 0 && text[at - 1] !== '\n' ? '\n' : '';
  return [at, at, lead + pairText(key as string, edit.value, col, indent)];
}

/**
 * Applies a fix's edits to `text` (all or nothing): each edit is made on the text, the result parsed
 * again and compared with the Document API's version of the same edit. Never throws.
 */
export function applyFix(text: string, fix: Pick<Fix, 'docIndex' | 'edits' | 'object' | 'objectPath'>): FixOutcome {
  let current = text;
  let changed = false;
  try {
    for (const edit of fix.edits) {
      const docs = parse(current);
      if (!docs) return { ok: false, reason: 'parse-error', detail: 'the file does not parse as YAML' };
      const doc = docs[fix.docIndex];
      if (!doc || doc.getIn([...fix.objectPath, 'kind']) !== fix.object.kind || doc.getIn([...fix.objectPath, 'metadata', 'name']) !== fix.object.name) {
        return { ok: false, reason: 'object-moved', detail: `${fix.object.kind} ${fix.object.name} is no longer document ${fix.docIndex + 1}` };
      }
      const steps = edit.op === 'merge' ? expandMerge(doc, edit) : [edit];
      for (const step of steps) {
        const stepDocs = parse(current)!;
        const stepDoc = stepDocs[fix.docIndex];
        const change = textEdit(stepDoc, current, step);
        if (!change) continue;
        const [start, end, replacement] = change;
        const next = current.slice(0, start) + replacement + current.slice(end);
        verify(current, next, stepDocs, fix.docIndex, step);
        current = next;
        changed = true;
      }
    }
  } catch (error) {
    if (error instanceof Unsafe) return { ok: false, reason: 'unsafe', detail: error.message };
    return { ok: false, reason: 'unsupported', detail: error instanceof Error ? error.message : String(error) };
  }
  return { ok: true, text: current, changed };
}

/** Checks an edited text: it parses, the edited document equals the Document API's edit, the others are untouched. */
function verify(before: string, after: string, docs: Docs, docIndex: number, edit: FixEdit): void {
  const again = parse(after);
  if (!again || again.length !== docs.length) throw new Unsafe('the edited text does not parse to the same documents');
  const expected = docs[docIndex].clone();
  applyToModel(expected, edit);
  if (!isDeepStrictEqual(again[docIndex].toJS(), expected.toJS())) throw new Unsafe('the edited document differs from the intended edit');
  for (let i = 0; i < docs.length; i++) {
    if (i === docIndex) continue;
    const [s0, , e0] = docs[i].range ?? [0, 0, 0];
    const [s1, , e1] = again[i].range ?? [0, 0, 0];
    if (before.slice(s0, e0) !== after.slice(s1, e1)) throw new Unsafe(`document ${i + 1} would change`);
  }
}
