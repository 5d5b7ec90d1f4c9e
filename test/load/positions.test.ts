import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseManifestText } from '../../src/load/parse.js';

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
