/**
 * Build step (run by `npm run build` after `tsc` and the validator precompilation): bundles the command-line
 * program that `bin/meshlint.js` runs into `dist/bundle/` with esbuild, so that a one-file pre-commit run reads a
 * handful of files instead of ~150 ES modules (issue 17: resolving, reading and linking each module was most of the
 * start-up of a Go/Python/Java one-file check). `dist/src` stays as it is: it is the library (`exports` in
 * package.json) and what the tests import.
 *
 * - Entry: `dist/src/cli/main.js` (tsc's output, so the bundle runs exactly the code the tests test).
 * - Code splitting: every `import()` that is lazy in `dist/src` (the source scanners, `--fix`, the parse cache,
 *   the audit command…) stays a separate chunk, loaded only when the run needs it.
 * - npm packages stay external (`packages: 'external'`): they load from node_modules as before, when they are
 *   needed, and `createRequire(import.meta.url)` calls (yaml, ajv, ast-grep grammars) are untouched.
 * - `import.meta.url` in each bundled module is rewritten to the URL of that module in `dist/src`, so every path a
 *   module builds from its own location (package.json, schemas/, the precompiled validators in
 *   `dist/src/validate/compiled/`, the worker scripts, rules/ast-grep) points where it did before bundling.
 * - Source maps (`*.js.map`) map the bundle back to the `dist/src/**` files: `bin/meshlint.js` enables them, so a
 *   stack trace in a bug report names `dist/src/<module>.js:<line>` as an unbundled run would.
 *
 * Exits 1 with one line on failure.
 */
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build, type Plugin } from 'esbuild';
import { BUNDLED_PACKAGES, CACHE_INDEX_FILE, ENGINE_DIR, ENGINE_FILE, type CodeCacheIndex, type CompiledModule, loadBundledEngine } from '../src/source/eslint/engine.js';
import type { OxcParse } from '../src/source/eslint/oxc-parser.js';

const DIST = fileURLToPath(new URL('../', import.meta.url));
/** Where the bundle goes: `dist/bundle/main.js` and its chunks, side by side. */
export const BUNDLE_DIR = path.join(DIST, 'bundle');

/** Rewrites `import.meta.url` in every module under dist/ to that module's own URL, relative to the bundle. */
const keepModuleUrls: Plugin = {
  name: 'meshlint-module-urls',
  setup(b) {
    b.onLoad({ filter: /\.js$/ }, (args) => {
      let contents = readFileSync(args.path, 'utf8');
      // These would name the bundle's directory, not the module's: refuse them rather than bundle a wrong path.
      const other = /import\.meta\.(dirname|filename)\b/.exec(contents);
      if (other) throw new Error(`${path.relative(DIST, args.path)} uses ${other[0]}: derive the path from import.meta.url, which the bundle keeps per module`);
      if (contents.includes('import.meta.url')) {
        const rel = path.relative(BUNDLE_DIR, args.path).split(path.sep).join('/');
        contents = contents.replaceAll('import.meta.url', `new URL(${JSON.stringify(rel)}, import.meta.url).href`);
      }
      return { contents, loader: 'js' };
    });
  },
};

async function main(): Promise<void> {
  rmSync(BUNDLE_DIR, { recursive: true, force: true });
  const result = await build({
    entryPoints: { main: path.join(DIST, 'src', 'cli', 'main.js') },
    outdir: BUNDLE_DIR,
    bundle: true,
    splitting: true,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    packages: 'external',
    sourcemap: 'linked',
    sourcesContent: false,
    chunkNames: 'chunk-[hash]',
    logLevel: 'warning',
    plugins: [keepModuleUrls],
    metafile: true,
  });
  const outputs = Object.keys(result.metafile.outputs).filter((f) => f.endsWith('.js'));
  await bundleEngine();
  process.stdout.write(`bundled the CLI: ${outputs.length} files, and the JS/TS engine with its code caches, in ${path.relative(process.cwd(), BUNDLE_DIR) || BUNDLE_DIR}\n`);
}

/**
 * Sample code linted once at build time so that the functions a scan runs (parser, scope analysis, ESLint's
 * traversal) are compiled when the code caches are made: a cache holds only what was compiled before it was made.
 */
const SAMPLES: readonly [string, string][] = [
  [
    'sample.ts',
    `import https from 'node:https';\nimport axios from 'axios';\nconst agent = new https.Agent({ keepAlive: true });\nexport class C<T> { #x: T | undefined; constructor(private readonly y: number) {} get x(): T | undefined { return this.#x; } }\nexport async function handler(req: { url?: string }, res: { end(s: string): void }): Promise<void> {\n  for (const u of [req.url ?? '']) { const r = await axios.get(u, { httpsAgent: agent }); res.end(String(r.status)); }\n  try { await fetch('http://a/'); } catch (e: unknown) { if (e instanceof Error) throw e; }\n}\ntype U = { [k: string]: number } & Partial<Record<'a' | 'b', string>>;\nexport const u: U = { a: 'x', z: 1 } as U;\n`,
  ],
  ['sample.jsx', `const http = require('http');\nmodule.exports = function App(props) { http.get({ agent: new http.Agent() }, () => {}); return <div a={props.a}>{[1, 2].map((n) => <b key={n}>{n}</b>)}</div>; };\n`],
];

/**
 * Writes `dist/bundle/eslint-engine.cjs` (ESLint's Linter and @typescript-eslint/parser as one CommonJS file,
 * `typescript` left to its package) and the V8 code caches of it and of the installed `typescript`, with their
 * index (engine.ts says how they are used and checked).
 */
async function bundleEngine(): Promise<void> {
  const root = path.join(DIST, '..');
  await build({
    // The parser is a getter: it loads `typescript`, which only a file oxc cannot parse needs (engine.ts).
    stdin: { contents: `module.exports = { Linter: require('eslint/universal').Linter, analyze: require('@typescript-eslint/scope-manager').analyze, visitorKeys: require('@typescript-eslint/visitor-keys').visitorKeys, get parser() { return require('@typescript-eslint/parser'); } };`, resolveDir: root, loader: 'js', sourcefile: 'eslint-engine-entry.cjs' },
    outfile: path.join(ENGINE_DIR, ENGINE_FILE),
    bundle: true,
    format: 'cjs',
    platform: 'node',
    target: 'node20',
    external: ['typescript'],
    // ESLint's ~290 built-in rules (1.9 MB of the bundle) are left out: the scanner runs only meshlint's rules,
    // with inline configuration off, so it never looks one up (a lookup finds none, as for an unknown rule).
    plugins: [{ name: 'no-eslint-builtin-rules', setup: (b) => b.onLoad({ filter: /[\\/]eslint[\\/]lib[\\/]rules[\\/]index\.js$/ }, () => ({ contents: 'module.exports = new Map();', loader: 'js' })) }],
    logLevel: 'warning',
  });
  const require = createRequire(path.join(ENGINE_DIR, ENGINE_FILE));
  const bundled: Record<string, string> = {};
  for (const name of BUNDLED_PACKAGES) bundled[name] = (require(`${name}/package.json`) as { version: string }).version;
  const { parseSync } = await import('oxc-parser');
  const loaded = loadBundledEngine(parseSync as unknown as OxcParse, { bundled, caches: {} });
  if (!loaded) throw new Error('the engine bundle does not load');
  const { Linter } = loaded.engine;
  // Both parsers: oxc's (every file) and the typescript-estree fallback (files oxc reports an error in).
  const fallback = loaded.typescriptParser();
  for (const [file, code] of SAMPLES) for (const parser of [loaded.engine.parser, fallback.parser]) {
    const linter = new Linter({ configType: 'flat', cwd: '/' });
    // `files` names the extension: ESLint matches a `.ts`/`.jsx` file to no configuration with `**/*` alone.
    const config: Parameters<typeof linter.verify>[1] = [{ files: [`**/*${path.extname(file)}`], languageOptions: { parser, parserOptions: { ecmaFeatures: { jsx: true }, jsDocParsingMode: 'none' } }, rules: {} }];
    const fatal = linter.verify(code, config, `/${file}`).find((m) => m.fatal || m.ruleId === null);
    if (fatal) throw new Error(`the build's sample ${file} does not parse: ${fatal.message}`);
  }
  const caches: CodeCacheIndex['caches'] = {};
  const write = (key: string, cache: string, compiled: CompiledModule, version?: string): void => {
    if (!compiled.script) throw new Error(`${key} was loaded before the build could compile it`);
    writeFileSync(path.join(ENGINE_DIR, cache), compiled.script.createCachedData());
    caches[key] = { bytes: Buffer.byteLength(compiled.text), ...(version ? { version } : {}), cache };
  };
  write('typescript', 'typescript.v8-cache', fallback.typescript, (require('typescript/package.json') as { version: string }).version);
  write(ENGINE_FILE, 'eslint-engine.v8-cache', loaded.bundle);
  writeFileSync(path.join(ENGINE_DIR, CACHE_INDEX_FILE), `${JSON.stringify({ bundled, caches } satisfies CodeCacheIndex, null, 2)}\n`);
}

main().catch((error: unknown) => {
  process.stderr.write(`bundle-cli: ${error instanceof Error ? error.message.split('\n')[0] : String(error)}\n`);
  process.exitCode = 1;
});
