/**
 * Bare ESLint over a source tree, for `npm run bench` (issue 17): the reference the JS/TS scanner is measured
 * against — ESLint's own `ESLint` class with the same parser (the scanner's: oxc-parser, with
 * @typescript-eslint/parser only for files oxc reports a syntax error in) and parser options, and only meshlint's rules
 * (the plugin `meshlint/eslint-plugin` exports), no call-site collection, no meshlint reporting.
 * Usage: `node dist/scripts/bench/eslint-bare.js DIR`. Prints `{files, messages}` as JSON.
 */
import { ESLint } from 'eslint';
import { oxcParserFromPackages } from '../../src/source/eslint/engine.js';
import plugin from '../../src/source/eslint/plugin.js';

async function main(): Promise<void> {
  const dir = process.argv[2];
  if (!dir) {
    process.stderr.write('usage: eslint-bare.js DIR\n');
    process.exitCode = 2;
    return;
  }
  const parser = await oxcParserFromPackages();
  const rules = Object.fromEntries(Object.keys(plugin.rules ?? {}).map((id) => [`meshlint/${id}`, 'error' as const]));
  const eslint = new ESLint({
    cwd: dir,
    overrideConfigFile: true,
    overrideConfig: [
      {
        files: ['**/*.ts', '**/*.js'],
        plugins: { meshlint: plugin as never },
        languageOptions: { parser: parser as never, ecmaVersion: 'latest', sourceType: 'module', parserOptions: { ecmaFeatures: { jsx: true }, jsDocParsingMode: 'none' } },
        rules,
      },
    ],
  });
  const results = await eslint.lintFiles(['**/*.ts', '**/*.js']);
  process.stdout.write(JSON.stringify({ files: results.length, messages: results.reduce((n, r) => n + r.messages.length, 0) }) + '\n');
}

await main();
