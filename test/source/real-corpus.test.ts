import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { evaluateReal, formatRealTable, importCaptures, loadManifest, type RealCorpusRow } from '../../src/source/real-corpus.js';
import { ROOT } from '../helpers/paths.js';

const COMMIT = 'a'.repeat(40);

function row(over: Partial<RealCorpusRow>): RealCorpusRow {
  return { repo: 'o/r', path: 'x.py', commit: COMMIT, language: 'python', lines: [1, 1], label: 'must-fire', rules: ['client-per-request'], reason: 'a reason long enough', ...over };
}

describe('real-code corpus (fixtures/real/manifest.json)', () => {
  it('the committed manifest is well formed, with labels and reasons on every row', async () => {
    const manifest = await loadManifest(join(ROOT, 'fixtures', 'real', 'manifest.json'));
    assert.ok(manifest.rows.length >= 120, `${manifest.rows.length} rows`);
    assert.ok(new Set(manifest.rows.map((r) => r.repo)).size >= 80, 'at least 80 repositories');
    const fire = manifest.rows.filter((r) => r.label === 'must-fire').length;
    assert.ok(fire >= manifest.rows.length * 0.4 && fire <= manifest.rows.length * 0.6, `${fire} must-fire of ${manifest.rows.length}`);
    assert.deepEqual([...new Set(manifest.rows.map((r) => r.language))].sort(), ['go', 'java', 'javascript', 'python']);
  });

  it('rejects a malformed row with its index and field', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'meshlint-real-'));
    try {
      const f = join(dir, 'm.json');
      writeFileSync(f, JSON.stringify({ rows: [row({ path: '../escape.py' })] }));
      await assert.rejects(loadManifest(f), /row 0 .*path must be relative/);
      writeFileSync(f, JSON.stringify({ rows: [row({ rules: ['no-such-rule'] })] }));
      await assert.rejects(loadManifest(f), /rules must be source rule ids/);
      writeFileSync(f, JSON.stringify({ rows: [row({}), row({})] }));
      await assert.rejects(loadManifest(f), /row 1 .*duplicate/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('imports captured pages, scores must-fire and must-not-fire rows per file, and names absent rows', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'meshlint-real-'));
    try {
      const fire = `import requests\nfrom flask import Flask\napp = Flask(__name__)\n@app.route('/u')\ndef u():\n    return requests.get('http://users:8080/u').text\n`;
      const quiet = `import requests\nsession = requests.Session()\nprint(session.get('http://users:8080/u').text)\n`;
      const rows = [
        row({ repo: 'o/fire', path: 'app.py', lines: [6, 6] }),
        row({ repo: 'o/quiet', path: 'script.py', label: 'must-not-fire', lines: [2, 2] }),
        row({ repo: 'o/missed', path: 'a.py', lines: [1, 1] }),
        row({ repo: 'o/absent', path: 'gone.py' }),
      ];
      writeFileSync(join(dir, 'manifest.json'), JSON.stringify({ rows }));
      const half = Math.floor(fire.length / 2);
      const captures = [
        { repo: 'o/fire', path: 'app.py', commit: COMMIT, offset: half, text: fire.slice(half), total_chars: fire.length },
        { repo: 'o/fire', path: 'app.py', commit: COMMIT, offset: 0, text: fire.slice(0, half), total_chars: fire.length },
        { repo: 'o/quiet', path: 'script.py', commit: COMMIT, offset: 0, text: quiet, total_chars: quiet.length },
        { repo: 'o/missed', path: 'a.py', commit: 'b'.repeat(40), offset: 0, text: 'x = 1\n', total_chars: 6 },
        { repo: 'o/other', path: 'b.py', commit: COMMIT, offset: 0, text: 'y = 2\n', total_chars: 6 },
      ];
      const manifest = await loadManifest(join(dir, 'manifest.json'));
      const lines = await importCaptures(captures.map((c) => JSON.stringify(c)).join('\n'), manifest, join(dir, 'files'));
      assert.ok(lines.includes('o/fire/app.py: written'));
      assert.ok(lines.some((l) => l.startsWith('o/missed/a.py: captured at bbbb')));
      assert.ok(lines.includes('o/other/b.py: no manifest row, not written'));
      assert.equal(readFileSync(join(dir, 'files', 'o', 'fire', 'app.py'), 'utf8'), fire);
      const result = await evaluateReal({ root: dir, manifest: 'manifest.json', corpusDir: 'files' });
      assert.deepEqual(result.absent, [`o/absent/gone.py@${COMMIT}`]);
      const py = result.scores.find((s) => s.language === 'python')!;
      assert.equal(py.truePositives, 1);
      assert.equal(py.falseNegatives, 1);
      assert.equal(py.falsePositives, 0);
      assert.equal(py.recall, 0.5);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('scores each set apart (rows without a set are base) and --set keeps only the named sets; a bad set name is rejected', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'meshlint-real-'));
    try {
      const fire = `import requests\nfrom flask import Flask\napp = Flask(__name__)\n@app.route('/u')\ndef u():\n    return requests.get('http://users:8080/u').text\n`;
      const rows = [
        row({ repo: 'o/old', path: 'a.py', lines: [6, 6] }),
        row({ repo: 'o/new', path: 'b.py', lines: [1, 1], set: 'holdout-3' }),
        row({ repo: 'o/new2', path: 'c.py', lines: [6, 6], set: 'holdout-3' }),
      ];
      writeFileSync(join(dir, 'manifest.json'), JSON.stringify({ rows }));
      const manifest = await loadManifest(join(dir, 'manifest.json'));
      const captures = rows.map((r) => ({ repo: r.repo, path: r.path, commit: COMMIT, offset: 0, text: fire, total_chars: fire.length }));
      await importCaptures(captures.map((c) => JSON.stringify(c)).join('\n'), manifest, join(dir, 'files'));
      const all = await evaluateReal({ root: dir, manifest: 'manifest.json', corpusDir: 'files' });
      const bySet = Object.fromEntries(all.scores.map((s) => [`${s.set}/${s.language}`, s]));
      assert.deepEqual(Object.keys(bySet).sort(), ['base/python', 'holdout-3/python']);
      assert.equal(bySet['base/python']!.truePositives, 1);
      assert.equal(bySet['holdout-3/python']!.truePositives, 1);
      assert.equal(bySet['holdout-3/python']!.falseNegatives, 1, 'the finding on line 6 is outside b.py rows lines 1-1');
      assert.match(formatRealTable(all), /^set\s+language/);
      const held = await evaluateReal({ root: dir, manifest: 'manifest.json', corpusDir: 'files', sets: ['holdout-3'] });
      assert.deepEqual(held.scores.map((s) => s.set), ['holdout-3']);
      assert.equal(held.rows, 2);
      writeFileSync(join(dir, 'bad.json'), JSON.stringify({ rows: [row({ set: 'held out!' })] }));
      await assert.rejects(loadManifest(join(dir, 'bad.json')), /row 0 .*set must be a name/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('counts characters as the reader does (code points): a file with an emoji is written, a short capture is not', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'meshlint-real-'));
    try {
      // "🚀" is one code point (the reader's total_chars) but two UTF-16 units (JavaScript's length).
      const text = `console.log('🚀 ready');\n`;
      const manifest = { rows: [row({ repo: 'o/emoji', path: 'a.js', language: 'javascript' }), row({ repo: 'o/short', path: 'b.js', language: 'javascript' })] };
      const total = [...text].length;
      const captures = [
        { repo: 'o/emoji', path: 'a.js', commit: COMMIT, offset: 0, text, total_chars: total },
        { repo: 'o/short', path: 'b.js', commit: COMMIT, offset: 0, text, total_chars: total + 5 },
      ];
      const lines = await importCaptures(captures.map((c) => JSON.stringify(c)).join('\n'), manifest, join(dir, 'files'));
      assert.ok(lines.includes('o/emoji/a.js: written'), lines.join('; '));
      assert.equal(readFileSync(join(dir, 'files', 'o', 'emoji', 'a.js'), 'utf8'), text);
      assert.ok(lines.includes(`o/short/b.js: ${total} of ${total + 5} characters captured, not written`), lines.join('; '));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
