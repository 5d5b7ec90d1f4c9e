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

/** What a node is, for a refusal: `null`, `a string`, `a list`… */
function describeNode(node: unknown): string {
  if (isScalar(node)) return node.value === null ? 'null' : `a ${typeof node.value === 'string' ? 'string' : typeof node.value}`;
  if (isCollection(node)) return isMap(node) ? 'a mapping' : 'a list';
  return 'an alias or tag';
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
      else if (isPlainObject(v)) throw new Unsafe(`${[...path, k].join('.')} is ${describeNode(child)}, not a mapping: the fix adds keys to a mapping and never overwrites a value`);
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

/** A document's own text: from its `---` marker (or first content) to the end of its trailing comments. */
function documentSpan(doc: Docs[number]): [number, number] | undefined {
  return doc.range ? [doc.range[0], doc.range[2]] : undefined;
}

/** Applies `fixes` one after the other to the whole text (each edit re-parses the text): the slow, always-correct path. */
function applyInSequence(text: string, fixes: readonly Pick<Fix, 'docIndex' | 'edits' | 'object' | 'objectPath'>[]): { text: string; outcomes: FixOutcome[] } {
  let current = text;
  const outcomes = fixes.map((fix) => {
    const outcome = applyFix(current, fix);
    if (outcome.ok) current = outcome.text;
    return outcome;
  });
  return { text: current, outcomes };
}

/**
 * Applies many fixes to one file in time linear in the file's size (issue 14: 600 fixes in one file took 135 s
 * when each edit re-parsed the whole file). The file is parsed once; the fixes of each YAML document are applied,
 * in the order given, with {@link applyFix} to that document's own text, which is checked to parse alone to the
 * same value; the edited documents are put back and the result is parsed once more and checked (every untouched
 * document byte for byte, every edited one equal to its edit). When a check fails (a document that does not stand
 * alone, e.g. under a `%TAG` directive), the fixes are applied one by one to the whole text instead, which gives
 * the same outcome, only slower. Never throws.
 *
 * @returns the edited text and one {@link FixOutcome} per fix, in the order of `fixes`.
 */
export function applyFixes(text: string, fixes: readonly Pick<Fix, 'docIndex' | 'edits' | 'object' | 'objectPath'>[]): { text: string; outcomes: FixOutcome[] } {
  const docs = parse(text);
  if (!docs) return { text, outcomes: fixes.map(() => ({ ok: false, reason: 'parse-error', detail: 'the file does not parse as YAML' })) };
  if (/^%/m.test(text)) return applyInSequence(text, fixes); // directives: documents may not stand alone
  const byDoc = new Map<number, number[]>();
  fixes.forEach((fix, i) => byDoc.set(fix.docIndex, [...(byDoc.get(fix.docIndex) ?? []), i]));
  const outcomes: FixOutcome[] = new Array(fixes.length);
  const replaced: { start: number; end: number; text: string; value: unknown }[] = [];
  for (const [docIndex, indices] of byDoc) {
    const doc = docs[docIndex];
    const span = doc && documentSpan(doc);
    if (!doc || !span) {
      for (const i of indices) outcomes[i] = { ok: false, reason: 'object-moved', detail: `${fixes[i].object.kind} ${fixes[i].object.name} is no longer document ${docIndex + 1}` };
      continue;
    }
    const own = text.slice(span[0], span[1]);
    const alone = parse(own);
    if (!alone || alone.length !== 1 || !isDeepStrictEqual(alone[0].toJS(), doc.toJS())) return applyInSequence(text, fixes);
    let edited = own;
    for (const i of indices) {
      const outcome = applyFix(edited, { ...fixes[i], docIndex: 0 });
      outcomes[i] = outcome;
      if (outcome.ok) edited = outcome.text;
    }
    if (edited !== own) replaced.push({ start: span[0], end: span[1], text: edited, value: parse(edited)![0].toJS() });
  }
  if (!replaced.length) return { text, outcomes };
  replaced.sort((a, b) => a.start - b.start);
  const parts: string[] = [];
  let at = 0;
  for (const r of replaced) {
    parts.push(text.slice(at, r.start), r.text);
    at = r.end;
  }
  parts.push(text.slice(at));
  const result = parts.join('');
  // The whole file once more: same documents, untouched ones byte for byte, edited ones as edited alone.
  const again = parse(result);
  const editedAt = new Map(replaced.map((r) => [r.start, r]));
  const holds = again && again.length === docs.length && docs.every((d, i) => {
    const before = documentSpan(d);
    const after = documentSpan(again[i]);
    if (!before || !after) return false;
    const r = editedAt.get(before[0]);
    return r ? isDeepStrictEqual(again[i].toJS(), r.value) : text.slice(before[0], before[1]) === result.slice(after[0], after[1]);
  });
  return holds ? { text: result, outcomes } : applyInSequence(text, fixes);
}
