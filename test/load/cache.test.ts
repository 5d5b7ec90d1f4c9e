import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, readdirSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { ParseCache, MAX_ENTRY_AGE_DAYS, yamlInput } from '../../src/load/cache.js';
import { parseManifestText } from '../../src/load/parse.js';
import { manifestTexts } from '../helpers/corpus.js';
import { parseSnapshot } from '../helpers/parse-snapshot.js';
import { runCli, tempDir } from '../helpers/cli.js';
import { ROOT } from '../helpers/paths.js';

/** Entry files of a cache directory. */
function entries(cache: ParseCache): string[] {
  return existsSync(cache.dir) ? readdirSync(cache.dir).filter((n) => /^[0-9a-f]{40}$/.test(n)) : [];
}

describe('parse cache (--cache)', () => {
  let dir: string;
  let cleanup: () => void;
  beforeEach(() => ({ dir, cleanup } = tempDir()));
  afterEach(() => cleanup());

  const edgeCases: { name: string; text: string; cached: boolean }[] = [
    { name: 'multi-document with an empty document', text: 'a: 1\n---\n---\nb: [1, 2]\n', cached: true },
    { name: 'BOM, CRLF, no final line break', text: '\uFEFFa: 1\r\nb: {c: d}', cached: true },
    { name: 'empty', text: '', cached: true },
    { name: 'syntax error (problems only)', text: 'a: [1, 2\nb: 3\n', cached: true },
    { name: '__proto__ key', text: '__proto__: {polluted: true}\nx: 1\n', cached: true },
    { name: 'lone surrogate in JSON', text: '{"a": "\\ud800", "b": 1}', cached: true },
    { name: 'large integer, float', text: 'a: 12345678901234567890\nb: 1.5e300\nc: -12\n', cached: true },
    { name: 'alias (a shared value)', text: 'a: &x {k: v}\nb: *x\n', cached: false },
    { name: 'merge key (copies the keys: nothing shared)', text: 'base: &b {k: v}\nobj:\n  <<: *b\n  z: 1\n', cached: true },
    { name: '.inf and .nan', text: 'a: .inf\nb: .nan\n', cached: false },
    { name: 'overflowing literal (the schema keeps it a string)', text: 'a: 1e400\nb: 0x1fffffffffffffffffffff\n', cached: true },
    { name: 'negative zero', text: 'a: -0.0\n', cached: false },
    { name: 'binary', text: 'a: !!binary aGVsbG8=\n', cached: false },
  ];

  it('gives what a parse gives, for every file of the fixtures and the corpus and for edge cases; a second run reads it from the cache', () => {
    let hits = 0;
    const cases = [...manifestTexts().map((t) => ({ ...t, cached: undefined as boolean | undefined })), ...edgeCases];
    for (const { name, text, cached } of cases) {
      const fresh = parseSnapshot(parseManifestText(text, name));
      const first = new ParseCache(dir, '1.0.0');
      assert.deepEqual(parseSnapshot(first.parse(text, name)), fresh, `${name}: first run`);
      const second = new ParseCache(dir, '1.0.0');
      assert.deepEqual(parseSnapshot(second.parse(text, name)), fresh, `${name}: from the cache`);
      if (cached !== undefined) assert.equal(second.stats.hits, cached ? 1 : 0, `${name}: ${cached ? 'cached' : 'not cached'}`);
      if (second.stats.hits) {
        hits++;
        assert.equal(second.stats.misses, 0);
      } else {
        assert.equal(first.stats.notCacheable, 1, `${name}: a miss on the second run is a file JSON does not keep`);
      }
    }
    assert.ok(hits > 40, `${hits} files came from the cache`);
  });

  it('keys entries by content: a changed text of the same size is parsed again', () => {
    const a = new ParseCache(dir, '1.0.0');
    assert.deepEqual(a.parse('retries: 1\n', 'f.yaml').documents[0]!.value, { retries: 1 });
    const b = new ParseCache(dir, '1.0.0');
    assert.deepEqual(b.parse('retries: 9\n', 'f.yaml').documents[0]!.value, { retries: 9 });
    assert.deepEqual(b.stats, { hits: 0, misses: 1, written: 1, notCacheable: 0 });
    assert.equal(entries(b).length, 2);
  });

  it('parses again, and rewrites, an entry that is damaged or belongs to another text', () => {
    const text = 'kind: DestinationRule\nspec:\n  host: a\n';
    const expected = parseSnapshot(parseManifestText(text, 'f.yaml'));
    const seed = new ParseCache(dir, '1.0.0');
    seed.parse(text, 'f.yaml');
    const [name] = entries(seed);
    const path = join(seed.dir, name!);
    const good = readFileSync(path);
    // Another text's entry under this text's name.
    const other = new ParseCache(dir, '1.0.0');
    other.parse('x: 1\n', 'g.yaml');
    const otherName = entries(other).find((n) => n !== name)!;
    const damaged: [string, () => void][] = [
      ['truncated', () => writeFileSync(path, good.subarray(0, good.length - 5))],
      ['empty', () => writeFileSync(path, '')],
      ['garbage', () => writeFileSync(path, 'not an entry at all')],
      ['bad magic', () => writeFileSync(path, Buffer.concat([Buffer.from('XXXX'), good.subarray(4)]))],
      ['another text', () => writeFileSync(path, readFileSync(join(seed.dir, otherName)))],
    ];
    for (const [what, damage] of damaged) {
      damage();
      const run = new ParseCache(dir, '1.0.0');
      assert.deepEqual(parseSnapshot(run.parse(text, 'f.yaml')), expected, what);
      assert.deepEqual([run.stats.hits, run.stats.misses, run.stats.written], [0, 1, 1], what);
      assert.deepEqual(readFileSync(path), good, `${what}: rewritten`);
    }
  });

  it('still parses when the cache cannot be written, and says why once', () => {
    const blocker = join(dir, 'not-a-dir');
    writeFileSync(blocker, 'a file where the cache directory would be');
    const cache = new ParseCache(blocker, '1.0.0');
    assert.deepEqual(cache.parse('a: 1\n', 'f.yaml').documents[0]!.value, { a: 1 });
    assert.deepEqual(cache.parse('b: 2\n', 'g.yaml').documents[0]!.value, { b: 2 });
    assert.equal(cache.stats.written, 0);
    assert.match(cache.finish() ?? '', /^cannot write the cache in .*not-a-dir: /);
    assert.equal(readFileSync(blocker, 'utf8'), 'a file where the cache directory would be');
  });

  it('keeps each version apart, and after a run that wrote removes other versions and old entries, nothing else', () => {
    const old = new ParseCache(dir, '0.9.0');
    old.parse('a: 1\n', 'f.yaml');
    const current = new ParseCache(dir, '1.0.0');
    assert.equal(current.parse('a: 1\n', 'f.yaml').documents.length, 1);
    assert.equal(current.stats.hits, 0, 'another version’s entry is not read');
    current.parse('stale: 1\n', 's.yaml');
    const stale = entries(current).map((n) => join(current.dir, n));
    assert.equal(stale.length, 2);
    const longAgo = new Date(Date.now() - (MAX_ENTRY_AGE_DAYS + 1) * 24 * 3600 * 1000);
    utimesSync(stale[1]!, longAgo, longAgo);
    mkdirSync(join(dir, 'mine'));
    writeFileSync(join(dir, 'notes.txt'), 'kept');
    writeFileSync(join(current.dir, 'README'), 'kept');
    const oldDir = old.dir;

    // A run that writes nothing removes nothing.
    const reader = new ParseCache(dir, '1.0.0');
    reader.parse('a: 1\n', 'f.yaml');
    assert.equal(reader.finish(), undefined);
    assert.ok(existsSync(oldDir) && existsSync(stale[1]!));

    const writer = new ParseCache(dir, '1.0.0');
    writer.parse('new: 1\n', 'n.yaml');
    assert.equal(writer.finish(), undefined);
    assert.equal(existsSync(oldDir), false, 'the other version is removed');
    assert.equal(existsSync(stale[1]!), false, 'the old entry is removed');
    assert.ok(existsSync(stale[0]!), 'a recent entry stays');
    for (const kept of ['mine', 'notes.txt', join(current.dir, 'README')]) assert.ok(existsSync(join(dir, kept)) || existsSync(kept), kept);
  });

  it('yamlInput is the text js-yaml indexes positions by (what an entry is checked against)', () => {
    for (const text of ['a: 1', 'a: 1\n', '\uFEFFa: 1\r', '\uFEFF{"a": 1}', 'a: 1\r\n', '# only a comment\nx: y']) {
      assert.equal(parseManifestText(text, 'f.yaml').documents[0]!.positions.store!.text, yamlInput(text), JSON.stringify(text));
    }
    assert.equal(yamlInput(''), '\0');
  });

  it('meshlint check --cache: the same report as without it, from the cache on the second run', () => {
    const project = join(dir, 'project');
    mkdirSync(project);
    for (const f of readdirSync(join(ROOT, 'fixtures', 'api-gateway'))) writeFileSync(join(project, f), readFileSync(join(ROOT, 'fixtures', 'api-gateway', f)));
    const plain = runCli(['check', '.', '-f', 'json'], { cwd: project });
    assert.equal(plain.code, 1, plain.stderr);
    const first = runCli(['check', '.', '-f', 'json', '--cache'], { cwd: project });
    const written = readdirSync(join(project, '.meshlintcache')).filter((n) => n !== '.gitignore');
    assert.equal(written.length, 1);
    assert.match(readFileSync(join(project, '.meshlintcache', '.gitignore'), 'utf8'), /^\*$/m, 'the cache ignores itself in git');
    const entryCount = readdirSync(join(project, '.meshlintcache', written[0]!)).length;
    assert.ok(entryCount >= 3, `${entryCount} entries`);
    const second = runCli(['check', '.', '-f', 'json', '--cache'], { cwd: project });
    for (const run of [first, second]) {
      assert.equal(run.code, plain.code);
      assert.equal(run.stdout, plain.stdout);
      assert.equal(run.stderr, '');
    }
    // An edited file is parsed again: its new content is what is reported.
    const vs = readdirSync(project).find((f) => /\.ya?ml$/.test(f) && readFileSync(join(project, f), 'utf8').includes('attempts:'));
    assert.ok(vs, 'a file with retries.attempts');
    writeFileSync(join(project, vs), readFileSync(join(project, vs), 'utf8').replace(/attempts: \d+/, 'attempts: 7'));
    const edited = runCli(['check', '.', '-f', 'json', '--cache'], { cwd: project });
    assert.equal(edited.stdout, runCli(['check', '.', '-f', 'json'], { cwd: project }).stdout);
    assert.match(edited.stdout, /attempts: 7/);
  });

  it('meshlint check --cache-location: uses that directory; when it cannot be written, warns and reports the same', () => {
    const project = join(dir, 'p');
    mkdirSync(project);
    writeFileSync(join(project, 'dr.yaml'), readFileSync(join(ROOT, 'fixtures', 'api-gateway', readdirSync(join(ROOT, 'fixtures', 'api-gateway')).find((f) => f.endsWith('.yaml'))!)));
    const plain = runCli(['check', 'dr.yaml'], { cwd: project });
    const elsewhere = runCli(['check', 'dr.yaml', '--cache', '--cache-location', join(dir, 'c')], { cwd: project });
    assert.equal(elsewhere.stdout, plain.stdout);
    assert.ok(existsSync(join(dir, 'c')) && !existsSync(join(project, '.meshlintcache')));
    writeFileSync(join(dir, 'blocked'), '');
    const blocked = runCli(['check', 'dr.yaml', '--cache', '--cache-location', join(dir, 'blocked')], { cwd: project });
    assert.equal(blocked.code, plain.code);
    assert.equal(blocked.stdout, plain.stdout);
    assert.match(blocked.stderr, /^meshlint: warning: cannot write the cache in .*blocked: .*; the results do not depend on it\n$/);
  });

  it('a version directory that is a file: parses, says why it cannot write, leaves the file as it was', () => {
    const cache = new ParseCache(dir, '1.0.0');
    writeFileSync(cache.dir, 'x');
    assert.deepEqual(cache.parse('a: 1\n', 'f.yaml').documents[0]!.value, { a: 1 });
    assert.match(cache.finish() ?? '', /cannot write the cache/);
    assert.equal(readFileSync(cache.dir, 'utf8'), 'x');
  });
});
