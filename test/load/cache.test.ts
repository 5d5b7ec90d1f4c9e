import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, lstatSync, mkdirSync, readFileSync, readdirSync, symlinkSync, unlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { basename, join } from 'node:path';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { ParseCache, MAX_ENTRY_AGE_DAYS, defaultCacheLocation, yamlInput } from '../../src/load/cache.js';
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
    let realHits = 0;
    const real = manifestTexts();
    const cases = [...real.map((t) => ({ ...t, cached: undefined as boolean | undefined })), ...edgeCases];
    for (const { name, text, cached } of cases) {
      const fresh = parseSnapshot(parseManifestText(text, name));
      const first = new ParseCache(dir, '1.0.0');
      assert.deepEqual(parseSnapshot(first.parse(text, name)), fresh, `${name}: first run`);
      const second = new ParseCache(dir, '1.0.0');
      assert.deepEqual(parseSnapshot(second.parse(text, name)), fresh, `${name}: from the cache`);
      if (cached !== undefined) assert.equal(second.stats.hits, cached ? 1 : 0, `${name}: ${cached ? 'cached' : 'not cached'}`);
      if (second.stats.hits) {
        hits++;
        if (cached === undefined) realHits++;
        assert.equal(second.stats.misses, 0);
      } else {
        assert.equal(first.stats.notCacheable, 1, `${name}: a miss on the second run is a file JSON does not keep`);
      }
    }
    assert.ok(hits >= edgeCases.filter((c) => c.cached).length, `${hits} files came from the cache`);
    // Real manifests rarely use aliases or special floats: nearly all of them are served from the cache.
    assert.ok(realHits >= 0.9 * real.length, `${realHits} of ${real.length} real manifests came from the cache`);
  });

  it('keys entries by content: a changed text of the same size is parsed again', () => {
    const a = new ParseCache(dir, '1.0.0');
    assert.deepEqual(a.parse('retries: 1\n', 'f.yaml').documents[0]!.value, { retries: 1 });
    const b = new ParseCache(dir, '1.0.0');
    assert.deepEqual(b.parse('retries: 9\n', 'f.yaml').documents[0]!.value, { retries: 9 });
    assert.deepEqual(b.stats, { hits: 0, misses: 1, written: 1, notCacheable: 0 });
    assert.equal(entries(b).length, 2);
  });

  it('does not cache text that is not well-formed UTF-16 (its key could not tell a lone surrogate from U+FFFD)', () => {
    const a = new ParseCache(dir, '1.0.0');
    a.parse('a: \ufffd\n', 'f.yaml');
    const b = new ParseCache(dir, '1.0.0');
    assert.deepEqual(parseSnapshot(b.parse('a: \ud800\n', 'f.yaml')), parseSnapshot(parseManifestText('a: \ud800\n', 'f.yaml')));
    assert.deepEqual(b.stats, { hits: 0, misses: 0, written: 0, notCacheable: 1 });
  });

  describe('damaged, forged and foreign entries', () => {
    const text = 'kind: DestinationRule\nspec:\n  host: a\n  trafficPolicy: {connectionPool: {http: {maxRequestsPerConnection: 1}}}\n';
    /** Writes the entry of `text`, lets `damage` change its bytes, and runs a fresh cache over the text. */
    const afterDamage = (damage: (entry: Buffer, path: string) => Buffer | void) => {
      const seed = new ParseCache(dir, '1.0.0');
      seed.parse(text, 'f.yaml');
      const path = join(seed.dir, entries(seed)[0]!);
      const good = readFileSync(path);
      const bad = damage(Buffer.from(good), path);
      if (bad) writeFileSync(path, bad);
      const run = new ParseCache(dir, '1.0.0');
      const parsed = run.parse(text, 'f.yaml');
      return { run, parsed, path, good };
    };
    const expected = () => parseSnapshot(parseManifestText(text, 'f.yaml'));

    const cases: [string, (entry: Buffer, path: string) => Buffer | void][] = [
      ['truncated', (e) => e.subarray(0, e.length - 5)],
      ['empty', () => Buffer.alloc(0)],
      ['garbage', () => Buffer.from('not an entry at all')],
      ['bad magic', (e) => Buffer.concat([Buffer.from('XXXX'), e.subarray(4)])],
      ['position arrays zeroed (a crash without fsync)', (e) => e.fill(0, e.length - 100)],
      ['one bit flipped in a document value', (e) => {
        const at = e.indexOf('maxRequestsPerConnection":1');
        e[at + 'maxRequestsPerConnection":'.length] = 0x37; // 1 → 7
        return e;
      }],
      ['another text’s entry under this name', (_e, path) => {
        const other = new ParseCache(dir, '1.0.0');
        other.parse('x: 1\n', 'g.yaml');
        const name = entries(other).find((n) => join(other.dir, n) !== path)!;
        return readFileSync(join(other.dir, name));
      }],
    ];
    for (const [what, damage] of cases) {
      it(`${what}: parsed again, the same as a parse, and the entry written again`, () => {
        const { run, parsed, path, good } = afterDamage(damage);
        assert.deepEqual(parseSnapshot(parsed), expected());
        assert.deepEqual([run.stats.hits, run.stats.misses, run.stats.written], [0, 1, 1]);
        assert.deepEqual(readFileSync(path), good, 'rewritten');
      });
    }

    it('a forged entry (valid checksum) whose position arrays would loop or leave the text is refused', () => {
      for (const forge of ['subtree ends at itself', 'offset past the text'] as const) {
        const { run, parsed } = afterDamage((e) => {
          const count = e.readUInt32LE(4) >= 0 ? JSON.parse(e.toString('utf8', 28, 28 + e.readUInt32LE(4))).count : 0;
          const arraysAt = (28 + e.readUInt32LE(4) + 3) & ~3;
          if (forge === 'subtree ends at itself') e.writeInt32LE(2, arraysAt + count * 8 + 2 * 4); // end[2] = 2
          else e.writeInt32LE(1e6, arraysAt + count * 4 + 4); // offset[1] far past the text
          createHash('sha1').update(e.subarray(28)).digest().copy(e, 8);
          return e;
        });
        assert.equal(run.stats.hits, 0, forge);
        assert.deepEqual(parseSnapshot(parsed), expected(), forge);
      }
    });

    it('a symlink at an entry’s name is replaced, never followed: the file it points to is left as it was', () => {
      const victim = join(dir, 'victim.txt');
      writeFileSync(victim, 'precious');
      const { run, path } = afterDamage((_e, p) => {
        unlinkSync(p);
        symlinkSync(victim, p);
      });
      assert.equal(run.stats.hits, 0);
      assert.equal(readFileSync(victim, 'utf8'), 'precious');
      assert.ok(lstatSync(path).isFile(), 'the link was replaced by an entry');
    });

    it('a FIFO at an entry’s name does not hang the run', { skip: process.platform === 'win32' }, () => {
      const { run } = afterDamage((_e, p) => {
        unlinkSync(p);
        execFileSync('mkfifo', [p]);
      });
      assert.equal(run.stats.hits, 0);
      assert.equal(run.stats.written, 1);
    });
  });

  it('a directory at one entry’s name costs only that entry: the others are written, no warning', () => {
    const first = new ParseCache(dir, '1.0.0');
    first.parse('seed: 1\n', 's.yaml'); // creates the parser directory
    const key = createHash('sha1').update('a: 1\n').digest('hex');
    mkdirSync(join(first.dir, key));
    const run = new ParseCache(dir, '1.0.0');
    run.parse('a: 1\n', 'a.yaml');
    run.parse('b: 2\n', 'b.yaml');
    assert.deepEqual([run.stats.misses, run.stats.written], [2, 1]);
    assert.equal(run.finish(), undefined);
  });

  it('entries and directories are the user’s alone (0600 / 0700): they hold whole documents', { skip: process.platform === 'win32' }, () => {
    const cache = new ParseCache(join(dir, 'new'), '1.0.0');
    cache.parse('kind: Secret\ndata: {password: aHVudGVyMg==}\n', 's.yaml');
    assert.equal(lstatSync(cache.dir).mode & 0o777, 0o700);
    assert.equal(lstatSync(join(dir, 'new')).mode & 0o777, 0o700);
    assert.equal(lstatSync(join(cache.dir, entries(cache)[0]!)).mode & 0o777, 0o600);
  });

  it('an entry read from the cache is touched once a day, so that the clean-up keeps entries in use', () => {
    const longAgo = new Date(Date.now() - (MAX_ENTRY_AGE_DAYS + 1) * 24 * 3600 * 1000);
    const a = new ParseCache(dir, '1.0.0');
    a.parse('used: 1\n', 'u.yaml');
    const path = join(a.dir, entries(a)[0]!);
    utimesSync(path, longAgo, longAgo);
    const b = new ParseCache(dir, '1.0.0');
    b.parse('used: 1\n', 'u.yaml');
    b.parse('other: 1\n', 'o.yaml'); // a write, so the clean-up runs
    assert.equal(b.stats.hits, 1);
    assert.equal(b.finish(), undefined);
    assert.ok(existsSync(path), 'the entry in use stays');
    assert.ok(Date.now() - lstatSync(path).mtimeMs < 60_000, 'and was touched');
  });

  it('does not follow a symlink at the directory’s tag when it marks the directory as in use', { skip: process.platform === 'win32' }, () => {
    const a = new ParseCache(dir, '1.0.0');
    a.parse('a: 1\n', 'a.yaml');
    const target = join(dir, 'elsewhere.txt');
    writeFileSync(target, 'x');
    const longAgo = new Date('2020-01-01T00:00:00Z');
    utimesSync(target, longAgo, longAgo);
    unlinkSync(join(a.dir, 'CACHEDIR.TAG'));
    symlinkSync(target, join(a.dir, 'CACHEDIR.TAG'));
    const b = new ParseCache(dir, '1.0.0');
    b.parse('a: 1\n', 'a.yaml');
    assert.equal(b.stats.hits, 1);
    b.finish();
    assert.equal(lstatSync(target).mtimeMs, longAgo.getTime());
  });

  it('ignores a relative XDG_CACHE_HOME, as the XDG spec says (it would put the cache under the working directory)', { skip: process.platform === 'win32' || process.platform === 'darwin' }, () => {
    const saved = process.env.XDG_CACHE_HOME;
    try {
      process.env.XDG_CACHE_HOME = 'relative-cache';
      assert.equal(defaultCacheLocation(), join(homedir(), '.cache', 'meshlint'));
      process.env.XDG_CACHE_HOME = join(dir, 'abs');
      assert.equal(defaultCacheLocation(), join(dir, 'abs', 'meshlint'));
    } finally {
      if (saved === undefined) delete process.env.XDG_CACHE_HOME;
      else process.env.XDG_CACHE_HOME = saved;
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

  it('tags its directory (CACHEDIR.TAG, a .gitignore of *), and keeps parsers apart', () => {
    const a = new ParseCache(dir, '1.0.0', 'aaaaaaaaaaaaaaaa');
    a.parse('a: 1\n', 'f.yaml');
    assert.match(readFileSync(join(a.dir, 'CACHEDIR.TAG'), 'utf8'), /^Signature: 8a477f597d28d172789f06886806bc55\n/);
    assert.equal(readFileSync(join(a.dir, '.gitignore'), 'utf8').split('\n').filter((l) => l && !l.startsWith('#')).join(), '*');
    const b = new ParseCache(dir, '1.0.0', 'bbbbbbbbbbbbbbbb');
    b.parse('a: 1\n', 'f.yaml');
    assert.equal(b.stats.hits, 0, 'another parser’s entry is not read');
    assert.notEqual(a.dir, b.dir);
    assert.notEqual(new ParseCache(dir, '1.0.0').dir, new ParseCache(dir, '1.0.1').dir, 'the version is part of the fingerprint');
  });

  it('removes, after a run that wrote, only old entries and temporary files, and other parsers’ tagged directories unused for 30 days', () => {
    const longAgo = new Date(Date.now() - (MAX_ENTRY_AGE_DAYS + 1) * 24 * 3600 * 1000);
    const age = (path: string) => utimesSync(path, longAgo, longAgo);
    const unused = new ParseCache(dir, '0.9.0', '0000000000000000');
    unused.parse('a: 1\n', 'f.yaml');
    age(join(unused.dir, 'CACHEDIR.TAG'));
    const recent = new ParseCache(dir, '0.9.5', '1111111111111111');
    recent.parse('a: 1\n', 'f.yaml');
    const current = new ParseCache(dir, '1.0.0', '2222222222222222');
    current.parse('a: 1\n', 'f.yaml');
    current.parse('stale: 1\n', 's.yaml');
    const [fresh, stale] = entries(current).map((n) => join(current.dir, n)).sort((x, y) => (readFileSync(x).includes('stale') ? 1 : 0) - (readFileSync(y).includes('stale') ? 1 : 0));
    age(stale!);
    const temp = join(current.dir, `${'c'.repeat(40)}.tmp-1-abcd`);
    writeFileSync(temp, 'left by a killed run');
    age(temp);
    // Not meshlint's: names like a parser's directory without the tag, a file, a symlink to a tagged directory.
    for (const name of ['f2-3333333333333333', 'v2-f1', 'vendor-f2']) {
      mkdirSync(join(dir, name));
      writeFileSync(join(dir, name, 'data'), 'user data');
    }
    writeFileSync(join(dir, 'f2-4444444444444444'), 'a file');
    symlinkSync(unused.dir, join(dir, 'f2-5555555555555555'));
    writeFileSync(join(current.dir, 'README'), 'kept');

    // A run that writes nothing removes nothing.
    const reader = new ParseCache(dir, '1.0.0', '2222222222222222');
    reader.parse('a: 1\n', 'f.yaml');
    assert.equal(reader.finish(), undefined);
    assert.ok(existsSync(unused.dir) && existsSync(stale!) && existsSync(temp));

    const writer = new ParseCache(dir, '1.0.0', '2222222222222222');
    writer.parse('new: 1\n', 'n.yaml');
    assert.equal(writer.finish(), undefined);
    assert.equal(existsSync(unused.dir), false, 'an unused parser directory is removed');
    assert.ok(existsSync(recent.dir), 'a parser directory in use stays');
    assert.equal(existsSync(stale!), false, 'an old entry is removed');
    assert.equal(existsSync(temp), false, 'an old temporary file is removed');
    assert.ok(existsSync(fresh!), 'a recent entry stays');
    for (const kept of ['f2-3333333333333333/data', 'v2-f1/data', 'vendor-f2/data', 'f2-4444444444444444', join(basename(current.dir), 'README')]) assert.ok(existsSync(join(dir, kept)), kept);
    assert.ok(lstatSync(join(dir, 'f2-5555555555555555')).isSymbolicLink(), 'a symlink is not followed nor removed');
  });

  it('a relative location works the same', () => {
    const cwd = process.cwd();
    process.chdir(dir);
    try {
      const a = new ParseCache('rel', '1.0.0');
      a.parse('a: 1\n', 'f.yaml');
      assert.equal(a.finish(), undefined);
      const b = new ParseCache('rel', '1.0.0');
      b.parse('a: 1\n', 'f.yaml');
      assert.equal(b.stats.hits, 1);
    } finally {
      process.chdir(cwd);
    }
  });

  it('yamlInput is the text js-yaml indexes positions by (what an entry is checked against)', () => {
    for (const text of ['a: 1', 'a: 1\n', '\uFEFFa: 1\r', '\uFEFF{"a": 1}', 'a: 1\r\n', '# only a comment\nx: y']) {
      assert.equal(parseManifestText(text, 'f.yaml').documents[0]!.positions.store!.text, yamlInput(text), JSON.stringify(text));
    }
    assert.equal(yamlInput(''), '\0');
  });

  it('meshlint check --cache: the user cache directory by default, nothing in the project; the same report as without it', () => {
    const project = join(dir, 'project');
    const xdg = join(dir, 'xdg-cache');
    mkdirSync(project);
    for (const f of readdirSync(join(ROOT, 'fixtures', 'api-gateway'))) writeFileSync(join(project, f), readFileSync(join(ROOT, 'fixtures', 'api-gateway', f)));
    const env = { XDG_CACHE_HOME: xdg };
    const plain = runCli(['check', '.', '-f', 'json'], { cwd: project, env });
    assert.equal(plain.code, 1, plain.stderr);
    const first = runCli(['check', '.', '-f', 'json', '--cache'], { cwd: project, env });
    const parsers = readdirSync(join(xdg, 'meshlint'));
    assert.equal(parsers.length, 1);
    assert.match(parsers[0]!, /^f\d+-[0-9a-f]{16}$/);
    const entryCount = readdirSync(join(xdg, 'meshlint', parsers[0]!)).filter((n) => /^[0-9a-f]{40}$/.test(n)).length;
    assert.ok(entryCount >= 3, `${entryCount} entries`);
    assert.deepEqual(readdirSync(project).sort(), readdirSync(join(ROOT, 'fixtures', 'api-gateway')).sort(), 'nothing written into the project');
    const second = runCli(['check', '.', '-f', 'json', '--cache'], { cwd: project, env });
    for (const run of [first, second]) {
      assert.equal(run.code, plain.code);
      assert.equal(run.stdout, plain.stdout);
      assert.equal(run.stderr, '');
    }
    // An edited file is parsed again: its new content is what is reported.
    const vs = readdirSync(project).find((f) => /\.ya?ml$/.test(f) && readFileSync(join(project, f), 'utf8').includes('attempts:'));
    assert.ok(vs, 'a file with retries.attempts');
    writeFileSync(join(project, vs), readFileSync(join(project, vs), 'utf8').replace(/attempts: \d+/, 'attempts: 7'));
    const edited = runCli(['check', '.', '-f', 'json', '--cache'], { cwd: project, env });
    assert.equal(edited.stdout, runCli(['check', '.', '-f', 'json'], { cwd: project, env }).stdout);
    assert.match(edited.stdout, /attempts: 7/);
  });

  it('meshlint check --cache-location: implies --cache and uses that directory; when it cannot be written, warns and reports the same', () => {
    const project = join(dir, 'p');
    mkdirSync(project);
    writeFileSync(join(project, 'dr.yaml'), readFileSync(join(ROOT, 'fixtures', 'api-gateway', readdirSync(join(ROOT, 'fixtures', 'api-gateway')).find((f) => f.endsWith('.yaml'))!)));
    const plain = runCli(['check', 'dr.yaml'], { cwd: project });
    const elsewhere = runCli(['check', 'dr.yaml', '--cache-location', join(dir, 'c')], { cwd: project });
    assert.equal(elsewhere.stdout, plain.stdout);
    assert.ok(readdirSync(join(dir, 'c')).some((n) => /^f\d+-/.test(n)));
    writeFileSync(join(dir, 'blocked'), '');
    const blocked = runCli(['check', 'dr.yaml', '--cache', '--cache-location', join(dir, 'blocked')], { cwd: project });
    assert.equal(blocked.code, plain.code);
    assert.equal(blocked.stdout, plain.stdout);
    assert.match(blocked.stderr, /^meshlint: warning: cannot write the cache in .*blocked: .*; the results do not depend on it\n$/);
  });
});
