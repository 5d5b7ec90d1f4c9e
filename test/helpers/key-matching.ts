/**
 * Checks of the text-based key matching of `src/load/positions.ts` against the values js-yaml parsed, shared by
 * the positions test and the fuzzer's oracle.
 */
import jsyaml from 'js-yaml';
import { PositionRecorder, scalarEquals, type PositionStore } from '../../src/load/positions.js';
import { MANIFEST_SCHEMA } from '../../src/load/schema.js';

/** A file's recorded nodes, with each scalar node's value and the column js-yaml reported for every node. */
export interface RecordedText {
  store: PositionStore;
  values: unknown[];
  columns: number[];
}

/** Parses `text` as meshlint does, keeping every scalar value and reported column; null when js-yaml rejects it. */
export function recordWithValues(text: string): RecordedText | null {
  const values: unknown[] = [];
  const columns: number[] = [];
  const recorder = new PositionRecorder(text.length, (i, v) => {
    values[i] = v;
  });
  const listener = (event: 'open' | 'close', state: { position: number; lineStart: number }) => {
    if (event === 'open') columns.push(state.position - state.lineStart);
    recorder.listener(event, state as Parameters<PositionRecorder['listener']>[1]);
  };
  try {
    jsyaml.loadAll(text, () => undefined, { schema: MANIFEST_SCHEMA, listener } as jsyaml.LoadOptions);
  } catch {
    return null;
  }
  return { store: recorder.store, values, columns };
}

/** One comparison of a scalar node with a key: what the text says (undefined: cannot tell) and what the value says. */
export interface KeyComparison {
  node: number;
  key: string;
  fromText: boolean | undefined;
  fromValue: boolean;
}

/** Compares every scalar node of `recorded` with every key of `keys` (the text's verdict and the value's). */
export function* keyComparisons(recorded: RecordedText, keys: Iterable<string>): Generator<KeyComparison> {
  const { store, values } = recorded;
  const list = [...keys];
  for (let i = 0; i < store.count; i++) {
    if ((store.kind[i]! & 3) !== 0) continue;
    for (const key of list) yield { node: i, key, fromText: scalarEquals(store.text, store.offset[i]!, key), fromValue: String(values[i]) === key };
  }
}

/** The message for a comparison where the text contradicts the value. */
export function contradiction(recorded: RecordedText, c: KeyComparison): string {
  return `node ${c.node} (${JSON.stringify(recorded.values[c.node])}) against key ${JSON.stringify(c.key)}: the text says ${c.fromText}`;
}
