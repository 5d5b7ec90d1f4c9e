import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { parseSource, patternNodeTexts, registerLanguages, type TsLanguage } from '../../../src/source/treesitter/languages.js';
import { loadRules } from '../../../src/source/treesitter/rules-loader.js';
import { configWords, requiredWords, type WordRequirement, wordsPresent } from '../../../src/source/treesitter/rule-words.js';

type Napi = Awaited<ReturnType<typeof registerLanguages>>['napi'];

const holds = (req: WordRequirement, text: string) => wordsPresent(req, text, new Map());

describe('rule pre-filter: words a file must hold for a rule to match', () => {
  let napi: Napi;
  before(async () => {
    ({ napi } = await registerLanguages(['go', 'python', 'java']));
  });

  it('takes the words of a pattern, leaving out metavariables and the blank identifier', () => {
    assert.deepEqual(requiredWords({ pattern: '$C.Do($REQ, $$$ARGS)' }), { word: 'Do' });
    assert.deepEqual(requiredWords({ pattern: '&http.Transport{$$$}' }), { all: [{ word: 'http' }, { word: 'Transport' }] });
    assert.deepEqual(requiredWords({ pattern: '_ = $X' }), { all: [] });
  });

  it('needs every part of all/has/inside, one branch of any, and nothing from kind, regex, not or a relaxed pattern', () => {
    const req = requiredWords({
      kind: 'call_expression',
      inside: { pattern: 'requests.Session()', stopBy: 'end' },
      any: [{ pattern: '$S.get($$$)' }, { pattern: '$S.post($$$)' }],
      not: { pattern: 'never' },
    });
    assert.equal(holds(req, 's = requests.Session()\ns.get(u)'), true);
    assert.equal(holds(req, 's = requests.Session()\ns.put(u)'), false, 'no branch of any');
    assert.equal(holds(req, 's = requests.session()\ns.get(u)'), false, 'words are case-sensitive, as the engine compares text');
    assert.deepEqual(requiredWords({ any: [{ kind: 'call' }, { pattern: 'x.y()' }] }), { all: [] }, 'a branch that needs nothing');
    assert.deepEqual(requiredWords({ regex: 'Session' }), { all: [] });
    assert.deepEqual(requiredWords({ pattern: { context: 'foo.bar()', strictness: 'relaxed' } }), { all: [] });
  });

  it('follows matches into the rule document\'s utils, once (a self-reference does not loop)', () => {
    const utils = { client: { any: [{ pattern: 'OkHttpClient()' }, { matches: 'builder' }] }, builder: { pattern: 'OkHttpClient.Builder()' } };
    const req = requiredWords({ matches: 'client' }, utils);
    assert.equal(holds(req, 'new OkHttpClient()'), true);
    assert.equal(holds(req, 'new HttpClient()'), false);
    const loop = requiredWords({ matches: 'self' }, { self: { all: [{ pattern: 'a.b()' }, { matches: 'self' }] } });
    assert.equal(holds(loop, 'a.b()'), true);
    assert.equal(holds(loop, 'a.c()'), false);
  });

  it('takes a { context, selector } pattern\'s words from the selected node only (parsed as the engine parses patterns)', () => {
    const parse = patternNodeTexts(napi, 'go');
    assert.deepEqual(requiredWords({ pattern: { context: '_ = backoff.Retry($$$)', selector: 'call_expression' } }, {}, parse), { all: [{ word: 'backoff' }, { word: 'Retry' }] });
    assert.deepEqual(requiredWords({ pattern: { context: 'x', selector: 'call_expression' } }, {}, parse), { all: [] }, 'no selected node: nothing required');
  });

  // The property the pre-filter rests on: it never skips a rule that matches. Checked on every shipped rule
  // against files that use what the rules look for, and files that do not.
  it('never skips a shipped rule that matches the file', () => {
    const files: Record<TsLanguage, string[]> = {
      go: [
        'package main\nimport ("net/http"; "time"; "github.com/cenkalti/backoff/v4")\nfunc h(w http.ResponseWriter, r *http.Request) {\n c := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}}\n resp, _ := c.Get("http://a/")\n defer resp.Body.Close()\n _ = backoff.Retry(func() error { return nil }, backoff.WithMaxRetries(backoff.NewConstantBackOff(time.Second), 3))\n}\nfunc main() { http.HandleFunc("/", h) }\n',
        'package util\nfunc Add(a, b int) int { return a + b }\n',
      ],
      python: [
        'import requests\nfrom flask import Flask\napp = Flask(__name__)\n@app.get("/")\ndef i():\n    s = requests.Session()\n    s.headers["Connection"] = "close"\n    return requests.get("http://a/").text\n',
        'def add(a, b):\n    return a + b\n',
      ],
      java: [
        'import okhttp3.OkHttpClient;\nimport org.springframework.web.bind.annotation.GetMapping;\nclass C {\n  @GetMapping("/")\n  String h() throws Exception {\n    OkHttpClient c = new OkHttpClient();\n    for (int i = 0; i < 3; i++) { try { return c.newCall(null).execute().body().string(); } catch (Exception e) {} }\n    return "";\n  }\n}\n',
        'class Add { int add(int a, int b) { return a + b; } }\n',
      ],
    };
    let matched = 0;
    for (const lang of ['go', 'python', 'java'] as const) {
      const parse = patternNodeTexts(napi, lang);
      for (const text of files[lang]) {
        const root = parseSource(napi, lang, text).root();
        for (const rule of loadRules(lang)) {
          const hits = root.findAll(rule.matcher).length;
          matched += hits;
          if (hits) assert.equal(holds(configWords(rule.matcher, parse), text), true, `${rule.id} matches but would be skipped`);
        }
      }
    }
    assert.ok(matched > 10, `the sample files exercise the rules (${matched} matches)`);
  });
});
