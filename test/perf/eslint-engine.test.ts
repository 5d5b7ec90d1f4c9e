import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import type { Linter } from 'eslint';
import { parseSync } from 'oxc-parser';
import { type EslintEngine, loadBundledEngine } from '../../src/source/eslint/engine.js';
import type { OxcParse } from '../../src/source/eslint/oxc-parser.js';
import plugin from '../../src/source/eslint/plugin.js';
import { ROOT } from '../helpers/paths.js';

/**
 * The JS/TS scanner's engine from the build's bundle with V8 code caches (issue 17, one-file start-up), which
 * parses with oxc-parser, must lint exactly as ESLint and @typescript-eslint/parser imported from their
 * packages (the same messages, lines and columns, parse errors included), and must not be used when it was made
 * from other versions than those installed.
 */

/** Every JS/TS file of the labelled corpus, recursively (the Next.js trees included). */
function corpusFiles(): string[] {
  const dir = join(ROOT, 'fixtures', 'source', 'javascript');
  return readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .filter((f) => /\.(?:[cm]?[jt]s|[jt]sx)$/.test(f))
    .sort()
    .map((f) => join(dir, f));
}

/** The messages of every meshlint rule on `file`, as the scanner configures ESLint (scan.ts). */
function lint(engine: Pick<EslintEngine, 'Linter' | 'parser'>, file: string): Linter.LintMessage[] {
  const linter = new engine.Linter({ configType: 'flat', cwd: '/' });
  const rules = Object.fromEntries(Object.keys(plugin.rules ?? {}).map((id) => [`meshlint/${id}`, 'error' as const]));
  const config: Linter.Config[] = [
    {
      // Named extensions: ESLint matches a `.ts` file to no configuration with `**/*` alone.
      files: ['**/*.js', '**/*.jsx', '**/*.mjs', '**/*.cjs', '**/*.ts', '**/*.tsx', '**/*.mts', '**/*.cts'],
      plugins: { meshlint: plugin },
      languageOptions: { parser: engine.parser, ecmaVersion: 'latest', sourceType: file.endsWith('.cjs') ? 'commonjs' : 'module', parserOptions: { ecmaFeatures: { jsx: true }, jsDocParsingMode: 'none' } },
      linterOptions: { noInlineConfig: true },
      rules,
    },
  ];
  return linter.verify(readFileSync(file, 'utf8'), config, file);
}

describe('the JS/TS engine bundle with code caches (dist/bundle/eslint-engine.cjs)', () => {
  it('loads from the build with both code caches accepted by this Node.js', () => {
    const bundled = loadBundledEngine(parseSync as unknown as OxcParse);
    assert.ok(bundled, 'no engine bundle: `npm run build` makes dist/bundle/eslint-engine.cjs');
    assert.equal(bundled.engine.loadedFrom, 'bundle+cache');
    assert.equal(typeof (bundled.engine.parser as { parseForESLint?: unknown }).parseForESLint, 'function');
  });

  it('is not used when it was made from another version of eslint or the parser than the installed one', () => {
    assert.equal(loadBundledEngine(parseSync as unknown as OxcParse, { bundled: { eslint: '0.0.1', '@typescript-eslint/parser': '0.0.1' }, caches: {} }), undefined);
  });

  it('gives the same messages as ESLint with @typescript-eslint/parser on every JS/TS file of fixtures/source/javascript', async () => {
    const bundled = loadBundledEngine(parseSync as unknown as OxcParse);
    assert.ok(bundled);
    const [eslint, parser] = await Promise.all([import('eslint/universal'), import('@typescript-eslint/parser')]);
    const packages = { Linter: eslint.Linter, parser: parser as unknown as Linter.Parser };
    assert.notEqual(packages.Linter, bundled.engine.Linter, 'two different copies are compared');
    const files = corpusFiles();
    assert.ok(files.length >= 40, `${files.length} files`);
    let reports = 0;
    for (const file of files) {
      const expected = lint(packages, file);
      assert.ok(!expected.some((m) => m.ruleId === null && !m.fatal), `${file}: ${JSON.stringify(expected)}`);
      reports += expected.length;
      assert.deepEqual(lint(bundled.engine, file), expected, file);
    }
    assert.ok(reports > 20, `the rules report on the corpus (${reports} messages)`);
  });

  it('parses every file with @typescript-eslint/parser when oxc-parser cannot load (no binary for the platform)', async () => {
    const bundled = loadBundledEngine(undefined);
    assert.ok(bundled);
    const [eslint, parser] = await Promise.all([import('eslint/universal'), import('@typescript-eslint/parser')]);
    assert.equal(bundled.engine.parser, bundled.typescriptParser().parser);
    for (const file of corpusFiles().filter((f) => f.endsWith('.ts')).slice(0, 5)) {
      assert.deepEqual(lint(bundled.engine, file), lint({ Linter: eslint.Linter, parser: parser as unknown as Linter.Parser }, file), file);
    }
  });

  it('reports a syntax error with typescript-estree\'s message, line and column (the fallback parser)', async () => {
    const bundled = loadBundledEngine(parseSync as unknown as OxcParse);
    assert.ok(bundled);
    const parser = (await import('@typescript-eslint/parser')) as unknown as Linter.Parser;
    const [eslint] = await Promise.all([import('eslint/universal')]);
    const dir = mkdtempSync(join(tmpdir(), 'meshlint-oxc-'));
    try {
      const cases: [string, string][] = [
        ['broken.ts', 'import express from "express";\nconst app = express(;\n'],
        ['broken.js', 'function f() {\n  fetch("http://a/");\n'],
        ['types.ts', 'let x: = 1;\n'],
      ];
      for (const [name, code] of cases) {
        const file = join(dir, name);
        writeFileSync(file, code);
        const expected = lint({ Linter: eslint.Linter, parser }, file);
        assert.ok(expected.some((m) => m.fatal), `${name} does not parse`);
        assert.deepEqual(lint(bundled.engine, file), expected, name);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
