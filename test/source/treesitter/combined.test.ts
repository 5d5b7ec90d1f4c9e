import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { SgNode } from '@ast-grep/napi';
import { capture } from '../../../src/source/treesitter/analysis.js';
import { combineRules, matchFiles } from '../../../src/source/treesitter/combined.js';
import { parseSource, registerLanguages, type Napi, type TsLanguage } from '../../../src/source/treesitter/languages.js';
import { type LoadedRule, loadRules } from '../../../src/source/treesitter/rules-loader.js';

const EXT: Record<TsLanguage, string> = { go: '.go', python: '.py', java: '.java' };

/** Named metavariables a rule document mentions (in patterns, contexts and constraints). */
function metavariables(rule: LoadedRule): string[] {
  return [...new Set([...JSON.stringify(rule.matcher).matchAll(/\$(?:\$\$)?([A-Z][A-Z0-9_]*)/g)].map((m) => m[1]!))];
}

/** One match as text: rule id, byte range, and every metavariable's capture (single and multiple). */
function describeMatch(rule: LoadedRule, node: SgNode, read: (name: string) => SgNode | null | undefined, readMany: (name: string) => SgNode[]): string {
  const r = node.range();
  const caps = metavariables(rule).map((name) => `${name}=${read(name)?.text() ?? ''}/${readMany(name).map((n) => n.text()).join(',')}`);
  return `${rule.id} ${r.start.index}-${r.end.index} ${caps.join(' ')}`;
}

const rule = (id: string, lang: TsLanguage, matcher: LoadedRule['matcher']): LoadedRule => ({ id, language: lang, file: `${id}.yml`, metadata: { meshlint: 'callsite', role: 'outbound' }, matcher });

describe('combined rule: every rule of a language in one findInFiles, the same matches as one findAll per rule', () => {
  let napi: Napi;
  let dir: string;
  before(async () => {
    ({ napi } = await registerLanguages(['go', 'python', 'java']));
    dir = mkdtempSync(join(tmpdir(), 'meshlint-combined-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  for (const lang of ['go', 'python', 'java'] as const) {
    it(`${lang}: the shipped rules over fixtures/source/${lang} match the same nodes with the same captures`, async () => {
      const rules = loadRules(lang);
      const combined = combineRules(lang, rules);
      assert.deepEqual(combined.separate.map((r) => r.id), [], 'every shipped constraint is one the scanner checks itself');
      const fixtures = resolve('fixtures', 'source', lang);
      const files = readdirSync(fixtures, { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith(EXT[lang])).map((f) => join(fixtures, f)).sort();
      assert.ok(files.length > 10, 'fixtures present');
      const matched = await matchFiles(napi, combined, files);
      let compared = 0;
      for (const file of files) {
        const text = readFileSync(file, 'utf8');
        const engine = matched.get(file);
        assert.ok(engine, `${file}: reported (every file reports its root)`);
        assert.equal(engine.root.text(), text);
        const root = parseSource(napi, lang, text).root();
        const alone: string[] = [];
        for (const r of rules) for (const node of root.findAll(r.matcher)) alone.push(describeMatch(r, node, (n) => node.getMatch(n), (n) => node.getMultipleMatches(n)));
        const together: string[] = [];
        for (const r of rules) {
          const hit = engine.matches.get(r);
          for (const node of hit?.nodes ?? []) {
            const m = { rule: r, node, prefix: hit!.prefix };
            together.push(describeMatch(r, node, (n) => capture(m, n), (n) => node.getMultipleMatches(`${hit!.prefix}${n}`)));
          }
        }
        assert.deepEqual(together, alone, file);
        compared += alone.length;
      }
      assert.ok(compared > 50, `matches compared (${compared})`);
    });
  }

  it('reports every rule that matches one node, each with its own captures of a metavariable they share', async () => {
    const a = rule('a', 'python', { rule: { pattern: 'requests.get($URL)' } });
    const b = rule('b', 'python', { rule: { pattern: '$F($URL)' } });
    const c = rule('c', 'python', { rule: { pattern: 'requests.get($X)' }, constraints: { X: { regex: '^"https' } } });
    const d = rule('d', 'python', { rule: { pattern: '$URL.get($$$)' } });
    const file = join(dir, 'two.py');
    writeFileSync(file, 'import requests\nrequests.get("http://a")\nprint(u)\n');
    const combined = combineRules('python', [a, b, c, d]);
    const got = (await matchFiles(napi, combined, [file])).get(file)!;
    const texts = (r: LoadedRule, name: string) => (got.matches.get(r)?.nodes ?? []).map((node) => capture({ rule: r, node, prefix: got.matches.get(r)!.prefix }, name)?.text());
    assert.deepEqual(texts(a, 'URL'), ['"http://a"']);
    assert.deepEqual(texts(b, 'URL'), ['"http://a"', 'u'], 'rule b matches the same call as rule a, and print(u)');
    assert.deepEqual(texts(c, 'X'), [], 'the constraint on $X (not https) is checked on the capture');
    assert.deepEqual(texts(d, 'URL'), ['requests'], 'rule d binds its own $URL to another node of the same match');
  });

  it('keeps a rule whose constraint it cannot check on its own, for findAll', () => {
    const withPattern = rule('p', 'go', { rule: { pattern: 'f($A)' }, constraints: { A: { pattern: 'g()' } } });
    const withFlags = rule('f', 'go', { rule: { pattern: 'f($A)' }, constraints: { A: { regex: '(?x) a b' } } });
    const plain = rule('q', 'go', { rule: { pattern: 'f($A)' }, constraints: { A: { not: { kind: 'identifier' } } } });
    const combined = combineRules('go', [withPattern, withFlags, plain]);
    assert.deepEqual(combined.separate.map((r) => r.id), ['p', 'f']);
    assert.deepEqual(combined.tagged.map((t) => t.rule.id), ['q']);
  });

  it('reports no entry for a file the engine cannot read as text (the scanner then parses it itself)', async () => {
    const bad = join(dir, 'bad.go');
    writeFileSync(bad, Buffer.from([0x70, 0x61, 0x63, 0x6b, 0x61, 0x67, 0x65, 0x20, 0x78, 0x0a, 0xff, 0xfe, 0x0a]));
    const good = join(dir, 'good.go');
    writeFileSync(good, 'package x\n');
    const got = await matchFiles(napi, combineRules('go', loadRules('go')), [bad, good]);
    assert.equal(got.has(bad), false);
    assert.ok(got.has(good));
  });
});
