import type { ParsedFile } from '../../src/load/parse.js';

/**
 * Everything of a parse that later stages read, as plain data for `deepStrictEqual`: the documents (index,
 * value, root node), the problems, the position store's text and arrays, and a few resolved positions.
 */
export function parseSnapshot(parsed: ParsedFile) {
  const store = parsed.documents.find((d) => d.positions.store)?.positions.store;
  return {
    documents: parsed.documents.map((d) => ({ index: d.index, value: d.value, root: d.positions.root, hasStore: d.positions.store !== null })),
    problems: parsed.problems,
    store: store && { text: store.text, count: store.count, line: [...store.line], offset: [...store.offset], end: [...store.end], kind: [...store.kind] },
    at: parsed.documents.map((d) => [d.positions.resolve([]), d.positions.resolve(['spec', 'http', 0, 'retries', 'attempts']), d.positions.resolve(['metadata', 'name'])]),
  };
}
