/**
 * Positions for every node of a YAML/JSON document, recorded while js-yaml parses it.
 *
 * Why not the `yaml` package's Document API: building full `yaml` Documents costs 5–8× a plain js-yaml parse
 * (issue 7 measured 3.5–4.5 s against 0.56 s for 10,000 objects), and `check` must stay within 2× of that
 * floor. js-yaml calls a `listener(event, state)` when it opens and closes each node (`composeNode`); the
 * recorder keeps, per node, where it opened and where its subtree ends, in flat typed arrays (no object per
 * node: 10,000 Kubernetes objects have about two million nodes, and an object each made the garbage
 * collector the largest cost of a run). Paths are resolved to positions lazily, only for fields that a
 * finding or a multiplier trace names. The `yaml` package is still used where documents are edited (`--fix`).
 */

/** Kind of a recorded node. */
const SCALAR = 0;
const SEQUENCE = 1;
const MAPPING = 2;
/** Flag: a collection node whose only child holds the same value (js-yaml wraps sequence items and document roots). */
const WRAPPER = 4;

/** Minimal view of js-yaml's internal parser state passed to `listener`. */
interface ListenerState {
  line: number;
  position: number;
  lineStart: number;
  result: unknown;
}

/**
 * The nodes of one `loadAll` call (one file), in the order js-yaml opened them (pre-order): node `i`'s
 * subtree is the nodes `i + 1 … end[i] - 1`, its direct children are `i + 1`, then `end[i + 1]`, and so on.
 */
export class PositionStore {
  /** 0-based line where each node opened. */
  line: Int32Array;
  /** 0-based column (UTF-16 code units) where each node opened. */
  column: Int32Array;
  /** One past the last node of each node's subtree. */
  end: Int32Array;
  /** {@link SCALAR}, {@link SEQUENCE} or {@link MAPPING}, plus {@link WRAPPER}. */
  kind: Uint8Array;
  /** The value of scalar nodes (mapping keys are scalars); undefined for collections. */
  scalar: unknown[] = [];
  count = 0;

  constructor(capacity: number) {
    const n = Math.max(16, capacity);
    this.line = new Int32Array(n);
    this.column = new Int32Array(n);
    this.end = new Int32Array(n);
    this.kind = new Uint8Array(n);
  }

  /** Appends a node; returns its index. */
  open(line: number, column: number): number {
    if (this.count === this.line.length) this.grow();
    const i = this.count++;
    this.line[i] = line;
    this.column[i] = column;
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
    this.column = copy(this.column, (k) => new Int32Array(k));
    this.end = copy(this.end, (k) => new Int32Array(k));
    this.kind = copy(this.kind, (k) => new Uint8Array(k));
  }

  /** Releases unused capacity once the file is parsed (the arrays are copied to their exact length). */
  trim(): void {
    if (this.line.length === this.count) return;
    this.line = this.line.slice(0, this.count);
    this.column = this.column.slice(0, this.count);
    this.end = this.end.slice(0, this.count);
    this.kind = this.kind.slice(0, this.count);
  }
}

/**
 * Collects node positions for every document of one `loadAll` call. Pass `recorder.listener` as js-yaml's
 * `listener` option and call `recorder.takeDocument(doc)` from the `loadAll` iterator.
 */
export class PositionRecorder {
  readonly store: PositionStore;
  private readonly stack: number[] = [];
  /** Root nodes not yet matched to a document, with their values. */
  private readonly roots: { index: number; value: unknown }[] = [];
  private lastClosed = -1;
  private lastClosedValue: unknown = undefined;

  /** @param textLength length of the text to parse: sizes the arrays (Kubernetes YAML has about one node per 10 characters). */
  constructor(textLength = 0) {
    this.store = new PositionStore(Math.ceil(textLength / 10));
  }

  /** js-yaml listener; bound so it can be passed directly. */
  readonly listener = (event: 'open' | 'close', state: ListenerState): void => {
    const store = this.store;
    if (event === 'open') {
      this.stack.push(store.open(state.line, state.position - state.lineStart));
      return;
    }
    const i = this.stack.pop();
    if (i === undefined) return;
    let value = state.result;
    if (typeof value === 'string' && value.length >= 13) {
      // js-yaml cuts scalars out of the file's text, and V8 keeps a cut of 13 characters or more as a view on
      // the whole text: every file's text would stay in memory as long as its objects (about 100 MB for
      // 100,000 objects; issue 7's memory target). Hand js-yaml a flat copy to store instead (the concatenation
      // is flattened when sliced, so the copy's parent is one character longer than the copy).
      value = state.result = ` ${value}`.slice(1);
    }
    store.end[i] = store.count;
    let kind = SCALAR;
    if (value !== null && typeof value === 'object') {
      kind = Array.isArray(value) ? SEQUENCE : MAPPING;
      // Only child (it closed just before this node and its subtree reaches this node's end) with the same value.
      if (this.lastClosed === i + 1 && store.end[i + 1] === store.count && this.lastClosedValue === value) kind |= WRAPPER;
    } else {
      store.scalar[i] = value;
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
    while (this.roots.length > 0) {
      const root = this.roots.shift()!;
      if (root.value === doc) return new PositionIndex(this.store, root.index);
    }
    return new PositionIndex(null, -1);
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
    let best = { line: s.line[node]! + 1, column: s.column[node]! + 1, depth: 0 };
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
      }
      if (at < 0 || next < 0) break;
      best = { line: s.line[at]! + 1, column: s.column[at]! + 1, depth: i + 1 };
      node = next;
    }
    return best;
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

function isKey(s: PositionStore, node: number, key: string): boolean {
  return (s.kind[node]! & 3) === SCALAR && String(s.scalar[node]) === key;
}
