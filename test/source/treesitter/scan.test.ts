import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { before, describe, it } from 'node:test';
import { registerLanguages } from '../../../src/source/treesitter/languages.js';
import { treeSitterLanguage } from '../../../src/source/treesitter/scan.js';
import { ROOT } from '../../helpers/paths.js';
import { scanFiles } from '../../helpers/treesitter.js';

describe('scanTreeSitter', () => {
  before(async () => {
    await registerLanguages(['go', 'python', 'java']);
  });

  it('picks languages by extension and skips other files', () => {
    assert.equal(treeSitterLanguage('a/b.go'), 'go');
    assert.equal(treeSitterLanguage('x.PY'), 'python');
    assert.equal(treeSitterLanguage('X.java'), 'java');
    assert.equal(treeSitterLanguage('x.ts'), undefined);
  });

  it('reports unreadable and unparseable files one line each, names binary ones as skipped, and goes on with the others', async () => {
    const r = await scanFiles({
      'bad.py': 'def f(:\n    pass\n',
      'bad.go': 'package main\nfunc f() { x := }\n',
      'Bad.java': 'class A { void f() { int x = ; } }\n',
      'bin.go': 'package main\u0000\u0001',
      'notes.txt': 'not source',
      'ok.py': 'import requests\nfrom flask import Flask\napp = Flask(__name__)\n\n@app.get("/")\ndef i():\n    return requests.get("http://a/").text\n',
    });
    assert.equal(r.filesScanned, 4, 'the three files with a syntax error are analysed around it');
    assert.deepEqual(
      r.errors.map((e) => e.message).sort(),
      [
        'Bad.java:1:28: syntax error: not valid java (the rest of the file was analysed)',
        'bad.go:2:16: syntax error: not valid go (the rest of the file was analysed)',
        'bad.py:1:7: syntax error: not valid python (the rest of the file was analysed)',
      ],
    );
    // Issue 14: a binary file is not source code (an MPEG-TS `.ts` video): a named skip, not a parse error.
    assert.deepEqual(r.skipped, [{ file: 'bin.go', reason: 'binary source file (contains NUL bytes)' }]);
    assert.deepEqual(r.findings.map((f) => `${f.location.file}:${f.location.line} ${f.ruleId}`), ['ok.py:7 client-per-request']);
  });

  it('analyses a Python file whose last line is broken, and reports the syntax error with its position', async () => {
    const r = await scanFiles({
      'views.py': 'import requests\nfrom flask import Flask\napp = Flask(__name__)\n\n@app.get("/")\ndef i():\n    return requests.get("http://a/").text\n\nprint("done"\n',
    });
    assert.deepEqual(r.findings.map((f) => `${f.location.file}:${f.location.line} ${f.ruleId}`), ['views.py:7 client-per-request']);
    assert.equal(r.errors.length, 1);
    assert.equal(r.errors[0]!.partial, true);
    assert.equal(r.errors[0]!.line, 9);
    assert.match(r.errors[0]!.message, /^views\.py:9:\d+: syntax error: not valid python \(the rest of the file was analysed\)$/);
  });

  it('reports a missing file and a file over the size limit', async () => {
    const r = await scanFiles({ 'big.go': `package big\n// ${'x'.repeat(2000)}\n` }, { maxFileBytes: 1000 });
    assert.match(r.errors[0]!.message, /^big\.go: file is \d+ bytes, over the 1000-byte limit/);
    const { scanTreeSitter } = await import('../../../src/source/treesitter/scan.js');
    const m = await scanTreeSitter(['missing.go'], { cwd: ROOT });
    assert.deepEqual(m.errors, [{ file: 'missing.go', message: 'missing.go: cannot read: no such file or directory' }]);
  });

  it('disabledRules leaves a rule out', async () => {
    const code = 'package h\nimport "net/http"\nvar t = &http.Transport{DisableKeepAlives: true}\n';
    const on = await scanFiles({ 'h.go': code });
    const off = await scanFiles({ 'h.go': code }, { disabledRules: ['keepalive-disabled-client'] });
    assert.equal(on.findings.filter((f) => f.ruleId === 'keepalive-disabled-client').length, 1);
    assert.equal(off.findings.filter((f) => f.ruleId === 'keepalive-disabled-client').length, 0);
  });
});

describe('grammar loading', () => {
  // A fresh process per case: @ast-grep/napi registers languages once per process.
  const probe = (files: string[]): string => {
    const script = `
      import { scanTreeSitter } from ${JSON.stringify(join(ROOT, 'dist/src/source/treesitter/scan.js'))};
      const napi = await import('@ast-grep/napi');
      await scanTreeSitter(${JSON.stringify(files)}, { cwd: ${JSON.stringify(join(ROOT, 'fixtures/source'))} });
      const out = [];
      for (const lang of ['go', 'python', 'java']) {
        try { napi.parse(lang, ''); out.push(lang); } catch { /* not registered */ }
      }
      console.log(out.join(','));`;
    return execFileSync(process.execPath, ['--input-type=module', '-e', script], { cwd: ROOT, encoding: 'utf8' }).trim();
  };

  it('registers no grammar without Go/Python/Java files, and every grammar in one batch with any (napi registers once per process)', () => {
    assert.equal(probe(['javascript/ok-pg-pool.ts']), '');
    assert.equal(probe(['go/ok-http-get.go']), 'go,python,java');
    assert.equal(probe(['python/ok_sqlite.py', 'java/OkMapCache.java']), 'go,python,java');
  });
});
