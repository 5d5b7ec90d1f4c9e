/**
 * Positions for every node of a YAML/JSON document, recorded while js-yaml parses it.
 *
 * Why not the `yaml` package's Document API: building full `yaml` Documents costs 5–8× a plain js-yaml parse
 * (issue 7 measured 3.5–4.5 s against 0.56 s for 10,000 objects), and `check` must stay within 2× of that
 * floor. js-yaml calls a `listener(event, state)` when it opens and closes each node (`composeNode`); the
 * recorder keeps, per node, where it opened and where its subtree ends, in flat typed arrays (no object per
 * node: 10,000 Kubernetes objects have about a million nodes, and an object each made the garbage
 * collector the largest cost of a run). Paths are resolved to positions lazily, only for fields that a
 * finding or a multiplier trace names. The `yaml` package is still used where documents are edited (`--fix`).
 *
 * Mapping keys are matched against the file's text at the key node's offset ({@link scalarEquals}) rather
 * than against a copy of every scalar value: keeping a value per node for a whole run cost about a fifth of
 * the parse in garbage collection (issue 7). Where the text alone cannot tell (an anchor or tag before the
 * key, an escape in a quoted key, a key that a YAML type could read as a number, boolean or null), the
 * file's text is parsed once more with every scalar kept, and those values decide.
 */
import jsyaml from 'js-yaml';
import { MANIFEST_SCHEMA } from './schema.js';

/** Kind of a recorded node. */
const SCALAR = 0;
const SEQUENCE = 1;
const MAPPING = 2;
/** Flag: a collection node whose only child holds the same value (js-yaml wraps sequence items and document roots). */
const WRAPPER = 4;

/** Minimal view of js-yaml's internal parser state passed to `listener`. */
interface ListenerState {
  /** The text being parsed, as js-yaml holds it (BOM removed, a final line break added). */
  input: string;
  line: number;
  position: number;
  lineStart: number;
  result: unknown;
}

/**
 * The nodes of one `loadAll` call (one file), in the order js-yaml opened them (pre-order): node `i`'s
 * subtree is the nodes `i + 1 … end[i] - 1`, its direct children are `i + 1`, then `end[i + 1]`, and so on.
 * The store keeps the parsed text (js-yaml's scalars are slices of it, so it stays in memory anyway).
 */
export class PositionStore {
  /** 0-based line where each node opened. */
  line: Int32Array;
  /** Offset in {@link text} (UTF-16 code units) where each node opened. */
  offset: Int32Array;
  /** One past the last node of each node's subtree. */
  end: Int32Array;
  /** {@link SCALAR}, {@link SEQUENCE} or {@link MAPPING}, plus {@link WRAPPER}. */
  kind: Uint8Array;
  count = 0;
  /** The text js-yaml parsed (its `state.input`: BOM removed, a final line break and a NUL sentinel added): offsets index it. */
  text = '';
  /** Value of every scalar node, from a second parse of {@link text}; built only when the text cannot decide a key. */
  private scalars: unknown[] | undefined;

  constructor(capacity: number) {
    const n = Math.max(16, capacity);
    this.line = new Int32Array(n);
    this.offset = new Int32Array(n);
    this.end = new Int32Array(n);
    this.kind = new Uint8Array(n);
  }

  /**
   * A complete store from its parts (a parse cache entry, see `cache.ts`): `text` as {@link PositionStore.text},
   * and the four arrays with one element per node, as a parse fills them.
   */
  static of(text: string, line: Int32Array, offset: Int32Array, end: Int32Array, kind: Uint8Array): PositionStore {
    const store = new PositionStore(0);
    store.text = text;
    store.line = line;
    store.offset = offset;
    store.end = end;
    store.kind = kind;
    store.count = line.length;
    return store;
  }

  /** Appends a node; returns its index. */
  open(line: number, offset: number): number {
    if (this.count === this.line.length) this.grow();
    const i = this.count++;
    this.line[i] = line;
    this.offset[i] = offset;
    return i;
  }

  private grow(): void {
    const n = this.line.length * 2;
    const copy = <T extends Int32Array | Uint8Array>(a: T, make: (n: number) => T): T => {
      const b = make(n);
      b.set(a);
      return b;
    };
    this.line = copy(this.line, (k) => new Int32Array(k));
    this.offset = copy(this.offset, (k) => new Int32Array(k));
    this.end = copy(this.end, (k) => new Int32Array(k));
    this.kind = copy(this.kind, (k) => new Uint8Array(k));
  }

  /** Releases unused capacity once the file is parsed (the arrays are copied to their exact length). */
  trim(): void {
    if (this.line.length === this.count) return;
    this.line = this.line.slice(0, this.count);
    this.offset = this.offset.slice(0, this.count);
    this.end = this.end.slice(0, this.count);
    this.kind = this.kind.slice(0, this.count);
  }

  /** 0-based column (UTF-16 code units) of node `i`: its offset less the start of its line (after `\n` or `\r`). */
  column(i: number): number {
    const at = this.offset[i]!;
    const text = this.text;
    let start = at;
    for (let c = text.charCodeAt(start - 1); start > 0 && c !== 0x0a && c !== 0x0d; c = text.charCodeAt(--start - 1));
    return at - start;
  }

  /**
   * Whether scalar node `i` holds the string `key`. Decided from the text at the node's offset where it can
   * be ({@link scalarEquals}); otherwise from the node's value in a second parse of the text, made once.
   */
  scalarIs(i: number, key: string): boolean {
    const fromText = this.scalars ? undefined : scalarEquals(this.text, this.offset[i]!, key);
    if (fromText !== undefined) return fromText;
    this.scalars ??= scalarValues(this.text, this.count);
    return String(this.scalars[i]) === key;
  }
}

/** Placeholder for a root already matched to its document. */
const MATCHED = { index: -1, value: undefined };

/**
 * Collects node positions for every document of one `loadAll` call. Pass `recorder.listener` as js-yaml's
 * `listener` option and call `recorder.takeDocument(doc)` from the `loadAll` iterator.
 */
export class PositionRecorder {
  readonly store: PositionStore;
  private readonly stack: number[] = [];
  /** Root nodes, with their values; those before `nextRoot` are matched to a document already. */
  private readonly roots: { index: number; value: unknown }[] = [];
  /**
   * First root not yet matched. An index rather than `roots.shift()`, which moves every later root: with
   * 100k documents in one file that made matching quadratic (6.2 s; 400k documents 95 s, issue 14).
   */
  private nextRoot = 0;
  private lastClosed = -1;
  private lastClosedValue: unknown = undefined;

  /**
   * @param textLength length of the text to parse: sizes the arrays (Kubernetes YAML has about one node per 10 characters).
   * @param onScalar called with each scalar node's index and value (the fallback of {@link PositionStore.scalarIs}).
   */
  constructor(
    textLength = 0,
    private readonly onScalar?: (index: number, value: unknown) => void,
  ) {
    this.store = new PositionStore(Math.ceil(textLength / 10));
  }

  /** js-yaml listener; bound so it can be passed directly. */
  readonly listener = (event: 'open' | 'close', state: ListenerState): void => {
    const store = this.store;
    if (event === 'open') {
      if (store.count === 0) store.text = state.input;
      this.stack.push(store.open(state.line, state.position));
      return;
    }
    const i = this.stack.pop();
    if (i === undefined) return;
    const value = state.result;
    store.end[i] = store.count;
    let kind = SCALAR;
    if (value !== null && typeof value === 'object') {
      kind = Array.isArray(value) ? SEQUENCE : MAPPING;
      // Only child (it closed just before this node and its subtree reaches this node's end) with the same value.
      if (this.lastClosed === i + 1 && store.end[i + 1] === store.count && this.lastClosedValue === value) kind |= WRAPPER;
    } else if (this.onScalar) {
      this.onScalar(i, value);
    }
    store.kind[i] = kind;
    this.lastClosed = i;
    this.lastClosedValue = value;
    if (this.stack.length === 0) this.roots.push({ index: i, value });
  };

  /**
   * Returns the position index of the document js-yaml just produced. js-yaml composes all documents before
   * calling the iterator, so root nodes are matched to documents by identity of the composed value, in order.
   */
  takeDocument(doc: unknown): PositionIndex {
    while (this.nextRoot < this.roots.length) {
      const root = this.roots[this.nextRoot]!;
      this.roots[this.nextRoot++] = MATCHED; // the value is the document's: let it go with the document
      if (root.value === doc) return new PositionIndex(this.store, root.index);
    }
    return new PositionIndex(null, -1);
  }
}

/**
 * Values of the scalar nodes of `text` (as a {@link PositionStore} numbers them), from a second js-yaml parse
 * with the same schema. `text` parsed once already, so this does not throw; if it did, no value is known.
 */
function scalarValues(text: string, count: number): unknown[] {
  const values: unknown[] = new Array(count);
  const recorder = new PositionRecorder(text.length, (i, v) => {
    values[i] = v;
  });
  try {
    // js-yaml's input ends with the NUL it appends as a sentinel; it rejects a NUL in the text it is given.
    const source = text.endsWith('\0') ? text.slice(0, -1) : text;
    jsyaml.loadAll(source, () => undefined, { schema: MANIFEST_SCHEMA, listener: recorder.listener } as jsyaml.LoadOptions);
  } catch {
    // unreachable for text that parsed before
  }
  return values;
}

/** Keys the text can decide for a plain scalar: a letter or `_` first, then letters, digits, `_ . / -`; not a word a YAML type reads. */
const PLAIN_KEY = /^[A-Za-z_][A-Za-z0-9_./-]*$/;
/** Words that YAML 1.2 core types (or their `String()`) make equal to a non-string value. */
const TYPED_WORDS = new Set(['true', 'True', 'TRUE', 'false', 'False', 'FALSE', 'null', 'Null', 'NULL', 'NaN', 'Infinity']);
const decidable = new Map<string, boolean>();

/**
 * Whether the scalar that starts at `offset` of `text` equals the string `key`, decided from the text alone;
 * undefined when the text alone cannot say. Decided: a single-line double- or single-quoted scalar without
 * escapes, and a plain scalar where `key` is a {@link PLAIN_KEY}: it equals the key when the key's text is
 * followed (after spaces) by `: ` or `:` at the end of a line; it differs when the text does not start with
 * the key or the scalar goes on with other characters. A plain scalar's value is its text (YAML 1.2 §7.3.3)
 * unless a core type reads it, which cannot happen to a {@link PLAIN_KEY} outside {@link TYPED_WORDS}.
 */
export function scalarEquals(text: string, offset: number, key: string): boolean | undefined {
  const c = text.charCodeAt(offset);
  if (c === 0x22 || c === 0x27) {
    // "…" or '…' on one line, without escapes ("\", '').
    const close = text.indexOf(c === 0x22 ? '"' : "'", offset + 1);
    if (close < 0) return undefined;
    const body = text.slice(offset + 1, close);
    if (body.includes('\n') || body.includes('\r') || (c === 0x22 ? body.includes('\\') : text.charCodeAt(close + 1) === 0x27)) return undefined;
    return body === key;
  }
  let plain = decidable.get(key);
  if (plain === undefined) {
    plain = PLAIN_KEY.test(key) && !TYPED_WORDS.has(key);
    if (decidable.size < 10_000) decidable.set(key, plain);
  }
  if (!plain) return undefined;
  if (!text.startsWith(key, offset)) {
    // A plain scalar (value = text) that does not start like the key differs; anything else (an anchor, a tag,
    // an alias, a block scalar, whitespace before an explicit key) is left to the values.
    return isPlainStart(c) ? false : undefined;
  }
  let p = offset + key.length;
  while (text.charCodeAt(p) === 0x20 || text.charCodeAt(p) === 0x09) p++;
  const next = text.charCodeAt(p);
  if (next === 0x3a /* : */) {
    const after = text.charCodeAt(p + 1);
    return after === 0x20 || after === 0x09 || after === 0x0a || after === 0x0d || Number.isNaN(after) ? true : undefined;
  }
  if (next === 0x0a || next === 0x0d || Number.isNaN(next) || next === 0x23 /* # */ || next === 0x2c || next === 0x5d || next === 0x7d) return undefined;
  // The scalar goes on (`hosts` for `host`, `a b` for `a`) unless spaces were skipped before an indicator handled above.
  return false;
}

/** A character that starts a plain scalar whose text is its value: not an indicator, quote or space (YAML 1.2 §5.3). */
function isPlainStart(c: number): boolean {
  switch (c) {
    case 0x26: // & anchor
    case 0x21: // ! tag
    case 0x2a: // * alias
    case 0x7c: // | block scalar
    case 0x3e: // > block scalar
    case 0x3f: // ? explicit key
    case 0x25: // %
    case 0x40: // @
    case 0x60: // `
    case 0x20:
    case 0x09:
    case 0x0a:
    case 0x0d:
      return false;
    default:
      return !Number.isNaN(c);
  }
}

/** A 1-based resolved position and how much of the requested path exists. */
export interface ResolvedPosition {
  line: number;
  column: number;
  /** Number of leading path segments found; less than the path's length when a field is absent. */
  depth: number;
}

/** Resolves field paths of one document to line/column. */
export class PositionIndex {
  /**
   * @param store the nodes of the document's file, or null when nothing is known.
   * @param root index of the document's root node in `store`.
   */
  constructor(
    readonly store: PositionStore | null,
    readonly root: number,
  ) {}

  /**
   * Gives an index that went through structured clone (a parse worker's message: a plain object with the
   * same fields) its class back, and its store, once per store. Returns the same object.
   */
  static revive(cloned: PositionIndex): PositionIndex {
    Object.setPrototypeOf(cloned, PositionIndex.prototype);
    if (cloned.store && !(cloned.store instanceof PositionStore)) Object.setPrototypeOf(cloned.store, PositionStore.prototype);
    return cloned;
  }

  /**
   * Position of the deepest existing node along `path`: the key of a mapping entry (so a finding about
   * `maxRequestsPerConnection: 1` points at that line), or the item of a sequence. A path that leaves the
   * document stops at the last node found. Returns line 1, column 1 when nothing is known.
   */
  resolve(path: readonly (string | number)[]): ResolvedPosition {
    const s = this.store;
    if (!s || this.root < 0) return { line: 1, column: 1, depth: 0 };
    let node = this.root;
    // The deepest node found and its depth; its line and column are computed once, at the end.
    let best = node;
    let depth = 0;
    for (let i = 0; i < path.length; i++) {
      const container = unwrap(s, node);
      const kind = s.kind[container]! & 3;
      const segment = path[i];
      let next = -1;
      let at = -1;
      if (typeof segment === 'number' && kind === SEQUENCE) {
        next = at = nthChild(s, container, segment);
      } else if (typeof segment === 'string' && kind === MAPPING) {
        at = findKey(s, container, segment);
        if (at >= 0) next = s.end[at]! < s.end[container]! ? s.end[at]! : -1;
        else if (segment !== MERGE_KEY) {
          // A key a merge key (`<<: *base`) brought in: at the key where it is written, in the merged mapping.
          const merged = findMergedKey(s, this.root, container, segment);
          if (merged) ({ at, next } = merged);
        }
      }
      if (at < 0 || next < 0) break;
      best = at;
      depth = i + 1;
      node = next;
    }
    return { line: s.line[best]! + 1, column: s.column(best) + 1, depth };
  }
}

/** Skips js-yaml's wrapper nodes (a node whose only child holds the same value: sequence items, document roots). */
function unwrap(s: PositionStore, node: number): number {
  let n = node;
  while (s.kind[n]! & WRAPPER) n = n + 1;
  return n;
}

/** The `n`th direct child of `node`, or -1. */
function nthChild(s: PositionStore, node: number, n: number): number {
  if (n < 0) return -1;
  const stop = s.end[node]!;
  let j = node + 1;
  for (let k = 0; j < stop; k++, j = s.end[j]!) if (k === n) return j;
  return -1;
}

/**
 * The key node of `key` in a mapping node, whose children alternate key, value (its value is the next
 * sibling); js-yaml may add one empty leading node, so keys at odd positions are tried next. Returns -1.
 */
function findKey(s: PositionStore, node: number, key: string): number {
  const stop = s.end[node]!;
  for (let j = node + 1; j < stop; ) {
    const value = s.end[j]!;
    if (value >= stop) break;
    if (isKey(s, j, key)) return j;
    j = s.end[value]!;
  }
  const first = node + 1 < stop ? s.end[node + 1]! : stop;
  for (let j = first; j < stop; j = s.end[j]!) {
    if (s.end[j]! < stop && isKey(s, j, key)) return j;
  }
  return -1;
}

/** YAML 1.1 merge key (https://yaml.org/type/merge.html), which js-yaml applies. */
const MERGE_KEY = '<<';

/**
 * Where `key` of mapping `node` came from when a merge key brought it in: `<<: {…}`, `<<: *anchor` or
 * `<<: [*a, *b]` (the first mapping that has the key wins, as in the merge). Returns the key node and its value
 * node, or undefined. Aliases are followed to the node that carries their anchor (`&anchor`) in the document,
 * by the text at each node's start, so this costs a pass over the document only when a merge is involved.
 */
function findMergedKey(s: PositionStore, root: number, node: number, key: string, depth = 0): { at: number; next: number } | undefined {
  if (depth > 8) return undefined; // merges of merges: deep enough for real files, bounded for hostile ones
  const merge = findKey(s, node, MERGE_KEY);
  if (merge < 0 || s.end[merge]! >= s.end[node]!) return undefined;
  const value = unwrap(s, s.end[merge]!);
  const sources = (s.kind[value]! & 3) === SEQUENCE && s.end[value]! > value + 1 && !isAlias(s, value) ? children(s, value) : [value];
  for (const source of sources) {
    const mapping = unwrap(s, isAlias(s, source) ? anchored(s, root, source) : source);
    if (mapping < 0 || (s.kind[mapping]! & 3) !== MAPPING) continue;
    const at = findKey(s, mapping, key);
    if (at >= 0 && s.end[at]! < s.end[mapping]!) return { at, next: s.end[at]! };
    const deeper = findMergedKey(s, root, mapping, key, depth + 1);
    if (deeper) return deeper;
  }
  return undefined;
}

/** Direct children of a node. */
function children(s: PositionStore, node: number): number[] {
  const out: number[] = [];
  for (let j = node + 1; j < s.end[node]!; j = s.end[j]!) out.push(j);
  return out;
}

/** Offset of node `i`'s first character: js-yaml opens a value node before the spaces or line break that precede it. */
function startOf(s: PositionStore, i: number): number {
  let at = s.offset[i]!;
  for (let c = s.text.charCodeAt(at); c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d; c = s.text.charCodeAt(++at));
  return at;
}

/** Whether node `i` is an alias (`*name`): its text starts with `*`. */
function isAlias(s: PositionStore, i: number): boolean {
  return s.text.charCodeAt(startOf(s, i)) === 0x2a;
}

/** The node carrying the anchor an alias node names (`&name`), searched in the document of `root`; -1 when none. */
function anchored(s: PositionStore, root: number, alias: number): number {
  const name = /^\*([^\s,[\]{}]+)/.exec(s.text.slice(startOf(s, alias), startOf(s, alias) + 1024))?.[1];
  if (!name) return -1;
  const anchor = `&${name}`;
  let found = -1;
  // The last anchor of that name before the alias: a YAML anchor may be redefined, and an alias names the latest.
  for (let i = root; i < s.end[root]! && s.offset[i]! < s.offset[alias]!; i++) {
    const at = startOf(s, i);
    if (s.text.startsWith(anchor, at) && /[\s,[\]{}]/.test(s.text.charAt(at + anchor.length))) found = i;
  }
  return found;
}

function isKey(s: PositionStore, node: number, key: string): boolean {
  return (s.kind[node]! & 3) === SCALAR && s.scalarIs(node, key);
}
