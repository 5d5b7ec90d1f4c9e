/**
 * Positions for every node of a YAML/JSON document, recorded while js-yaml parses it.
 *
 * Why not the `yaml` package's Document API: building full `yaml` Documents costs 5–8× a plain js-yaml parse
 * (issue 7 measured 3.5–4.5 s against 0.56 s for 10,000 objects), and `check` must stay within 2× of that
 * floor. js-yaml calls a `listener(event, state)` when it opens and closes each node; recording the open
 * position of each node and the nesting costs about 10 % over the plain parse and gives the line and column
 * of every mapping key and sequence item. Paths are resolved to positions lazily, only for fields that a
 * finding or a multiplier trace names. The `yaml` package is still used where documents are edited (`--fix`).
 */

/** One js-yaml `composeNode` call: where it opened, what it produced, and the nodes it composed inside it. */
export interface PositionFrame {
  /** 0-based line where the node opened. */
  line: number;
  /** 0-based column (UTF-16 code units) where the node opened. */
  column: number;
  /** The composed value (a string for a mapping key). */
  result: unknown;
  children: PositionFrame[] | null;
}

/** Minimal view of js-yaml's internal parser state passed to `listener`. */
interface ListenerState {
  line: number;
  position: number;
  lineStart: number;
  result: unknown;
}

/**
 * Collects frames for every document of one `loadAll` call. Pass `recorder.listener` as js-yaml's `listener`
 * option and call `recorder.takeDocument(doc)` from the `loadAll` iterator.
 */
export class PositionRecorder {
  private stack: PositionFrame[] = [];
  private roots: PositionFrame[] = [];

  /** js-yaml listener; bound so it can be passed directly. */
  readonly listener = (event: 'open' | 'close', state: ListenerState): void => {
    if (event === 'open') {
      this.stack.push({ line: state.line, column: state.position - state.lineStart, result: undefined, children: null });
      return;
    }
    const frame = this.stack.pop();
    if (!frame) return;
    frame.result = state.result;
    const parent = this.stack[this.stack.length - 1];
    if (parent) (parent.children ??= []).push(frame);
    else this.roots.push(frame);
  };

  /**
   * Returns the position index of the document js-yaml just produced. js-yaml composes all documents before
   * calling the iterator, so frames are matched to documents by identity of the composed value, in order.
   */
  takeDocument(doc: unknown): PositionIndex {
    while (this.roots.length > 0) {
      const root = this.roots.shift()!;
      if (root.result === doc) return new PositionIndex(root);
    }
    return new PositionIndex(null);
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
  constructor(private readonly root: PositionFrame | null) {}

  /**
   * Position of the deepest existing node along `path`: the key of a mapping entry (so a finding about
   * `maxRequestsPerConnection: 1` points at that line), or the item of a sequence. A path that leaves the
   * document stops at the last node found. Returns line 1, column 1 when nothing is known.
   */
  resolve(path: readonly (string | number)[]): ResolvedPosition {
    let frame = this.root;
    if (!frame) return { line: 1, column: 1, depth: 0 };
    let best = { line: frame.line + 1, column: frame.column + 1, depth: 0 };
    for (let i = 0; i < path.length; i++) {
      const container = unwrap(frame!);
      const segment = path[i];
      const value = container.result;
      let next: PositionFrame | null = null;
      let at: PositionFrame | null = null;
      if (typeof segment === 'number' && Array.isArray(value)) {
        const item = container.children?.[segment] ?? null;
        next = item;
        at = item;
      } else if (typeof segment === 'string' && value !== null && typeof value === 'object' && !Array.isArray(value)) {
        const pair = findKey(container.children, segment);
        if (pair) {
          at = pair.key;
          next = pair.value;
        }
      }
      if (!at || !next) break;
      best = { line: at.line + 1, column: at.column + 1, depth: i + 1 };
      frame = next;
    }
    return best;
  }
}

/** js-yaml wraps some nodes in a frame with one child holding the same value (sequence items, document roots). */
function unwrap(frame: PositionFrame): PositionFrame {
  let f = frame;
  while (f.children && f.children.length >= 1 && f.children[0].result === f.result && typeof f.result === 'object' && f.result !== null && f.children.length === 1) {
    f = f.children[0];
  }
  return f;
}

/** Children of a mapping frame alternate key, value; js-yaml may add one empty trailing frame. */
function findKey(children: PositionFrame[] | null, key: string): { key: PositionFrame; value: PositionFrame } | null {
  if (!children) return null;
  for (let i = 0; i + 1 < children.length; i += 2) {
    if (String(children[i].result) === key) return { key: children[i], value: children[i + 1] };
  }
  for (let i = 1; i + 1 < children.length; i++) {
    if (String(children[i].result) === key) return { key: children[i], value: children[i + 1] };
  }
  return null;
}
