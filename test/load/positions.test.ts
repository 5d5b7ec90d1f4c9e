import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseManifestText } from '../../src/load/parse.js';
import { contradiction, keyComparisons, recordWithValues } from '../helpers/key-matching.js';
import { manifestTexts } from '../helpers/corpus.js';

const at = (text: string, doc: number, path: (string | number)[]) => {
  const parsed = parseManifestText(text, 't.yaml');
  const r = parsed.documents[doc].positions.resolve(path);
  return `${r.line}:${r.column}`;
};

describe('positions recorded while parsing', () => {
  const yaml = `# comment
apiVersion: v1
kind: DestinationRule
spec:
  host: foo
  trafficPolicy:
    connectionPool:
      http: {maxRequestsPerConnection: 1, idleTimeout: 1s}
  subsets:
  - name: a
    labels:
      version: v1
  - name: b
  - plain
---
second: doc
list: [10, 20, {k: v}]
`;
  it('points at mapping keys', () => {
    assert.equal(at(yaml, 0, ['apiVersion']), '2:1');
    assert.equal(at(yaml, 0, ['spec', 'host']), '5:3');
    assert.equal(at(yaml, 0, ['spec', 'trafficPolicy', 'connectionPool', 'http']), '8:7');
  });
  it('points into flow mappings', () => {
    assert.equal(at(yaml, 0, ['spec', 'trafficPolicy', 'connectionPool', 'http', 'maxRequestsPerConnection']), '8:14');
    assert.equal(at(yaml, 0, ['spec', 'trafficPolicy', 'connectionPool', 'http', 'idleTimeout']), '8:43');
  });
  it('points at sequence items and their keys', () => {
    assert.equal(at(yaml, 0, ['spec', 'subsets', 1, 'name']), '13:5');
    assert.equal(at(yaml, 0, ['spec', 'subsets', 0, 'labels', 'version']), '12:7');
    assert.equal(at(yaml, 0, ['spec', 'subsets', 2]), '14:5');
  });
  it('keeps documents apart', () => {
    assert.equal(at(yaml, 1, ['second']), '16:1');
    assert.equal(at(yaml, 1, ['list', 2, 'k']), '17:17');
  });
  it('stops at the deepest existing node for a missing field', () => {
    const parsed = parseManifestText(yaml, 't.yaml');
    const r = parsed.documents[0].positions.resolve(['spec', 'trafficPolicy', 'outlierDetection', 'interval']);
    assert.deepEqual(r, { line: 6, column: 3, depth: 2 });
  });
  it('does not confuse a value with a key of the same name', () => {
    assert.equal(at('a: b\nb: 1\n', 0, ['b']), '2:1');
  });
  it('works for JSON', () => {
    assert.equal(at('{\n  "spec": {\n    "host": "x"\n  }\n}\n', 0, ['spec', 'host']), '3:5');
  });
  it('numeric-looking keys keep their own positions', () => {
    assert.equal(at('ports:\n  "80": http\n  "443": https\n', 0, ['ports', '443']), '3:3');
  });
});

describe('keys matched against the text (no copy of every scalar)', () => {
  it('decides plain, quoted and JSON keys from the text, and tells near misses apart', () => {
    assert.equal(at('hosts: [a]\nhost: b\n', 0, ['host']), '2:1', '`hosts` is not `host`');
    assert.equal(at('a b: 1\na: 2\n', 0, ['a']), '2:1', '`a b` is not `a`');
    assert.equal(at('a:b: 1\na: 2\n', 0, ['a']), '2:1', '`a:b` is not `a`');
    assert.equal(at('x   : 1\n', 0, ['x']), '1:1', 'spaces before the colon');
    assert.equal(at("'k': 1\n\"k2\": 2\n", 0, ['k2']), '2:1');
    assert.equal(at('metadata:\n  labels:\n    app.kubernetes.io/name: x\n    sidecar.istio.io/inject: "true"\n', 0, ['metadata', 'labels', 'sidecar.istio.io/inject']), '4:5');
  });
  it('falls back to the values where the text cannot tell: anchors, tags, escapes, explicit keys, typed words', () => {
    assert.equal(at('&a k: 1\nz: 2\n', 0, ['k']), '1:1');
    assert.equal(at('!!str k: 1\nz: 2\n', 0, ['k']), '1:1');
    assert.equal(at('"k\\u0031": 1\nk1x: 2\n', 0, ['k1']), '1:1', 'an escape in a double-quoted key');
    assert.equal(at("'it''s': 1\n", 0, ["it's"]), '1:1', "'' in a single-quoted key");
    assert.equal(at('? k\n: 1\nz: 2\n', 0, ['z']), '3:1', 'after an explicit key');
    assert.equal(at('true: 1\nnull: 2\n', 0, ['null']), '2:1', 'keys a YAML type reads');
    assert.equal(at('0x50: a\n80x: b\n', 0, ['80']), '1:1', 'a hexadecimal key is the number 80');
  });
  it('gives columns after CRLF, a lone CR, a BOM and on the first line', () => {
    assert.equal(at('a: 1\r\nb:\r\n  c: 2\r\n', 0, ['b', 'c']), '3:3');
    assert.equal(at('\uFEFFa: 1\nb: 2\n', 0, ['b']), '2:1');
    assert.equal(at('\uFEFFa: {b: 1}\n', 0, ['a', 'b']), '1:5');
    assert.equal(at('{"a": {"b": 1}}', 0, ['a', 'b']), '1:8');
  });

  /** Every YAML/JSON file of the fixtures and the shared corpus, with texts that stress the matcher. */
  const texts = (): { name: string; text: string }[] => {
    const out = manifestTexts();
    out.push({ name: 'edge cases', text: '&a k: 1\n!!str t: 2\n"q\\"x": 3\n\'s\'\'q\': 4\n? e\n: 5\n80: 6\n0x50x: 7\ntrue: 8\nf: {a: 1, b: [x, y]}\nlong: this is a plain\n  scalar over two lines\nhost: hosts\nhosts: host\n' });
    return out;
  };

  it('never contradicts the parsed values, and gives the columns js-yaml reported, on every file of the fixtures and the corpus', () => {
    let decided = 0;
    let checked = 0;
    let fieldNames = 0;
    let fieldNamesDecided = 0;
    for (const { name, text } of texts()) {
      const recorded = recordWithValues(text);
      if (!recorded) continue; // not YAML (a Helm template): nothing recorded to check
      const { store, values, columns } = recorded;
      for (let i = 0; i < store.count; i++) assert.equal(store.column(i), columns[i], `${name}: column of node ${i}`);
      const keys = new Set<string>(['host', 'hosts', 'spec', 'true', '80', 'k', 'q"x', "s'q"]);
      for (const v of values) if (typeof v === 'string' && v.length < 64) keys.add(v);
      // Key nodes: a mapping's children alternate key, value (what the resolver compares first).
      const keyNodes = new Set<number>();
      for (let m = 0; m < store.count; m++) {
        if ((store.kind[m]! & 7) !== 2) continue;
        for (let j = m + 1; j < store.end[m]! && store.end[j]! < store.end[m]!; j = store.end[store.end[j]!]!) keyNodes.add(j);
      }
      for (const c of keyComparisons(recorded, keys)) {
        checked++;
        const fieldName = keyNodes.has(c.node) && /^[a-z][A-Za-z0-9]*$/.test(c.key) && c.key !== 'true';
        if (fieldName) fieldNames++;
        if (c.fromText === undefined) continue;
        decided++;
        if (fieldName) fieldNamesDecided++;
        if (c.fromText !== c.fromValue) assert.fail(`${name}: ${contradiction(recorded, c)}`);
      }
    }
    assert.ok(checked > 10_000, `${checked} comparisons`);
    assert.ok(decided > 0, `the text decides some comparisons (${decided} of ${checked})`);
    // Key nodes against field names (what finding paths hold) are decided by the text, so the second parse stays rare.
    assert.ok(fieldNamesDecided / fieldNames > 0.99, `field names decided from the text: ${fieldNamesDecided} of ${fieldNames}`);
  });
});
