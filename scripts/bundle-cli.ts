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
import { readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build, type Plugin } from 'esbuild';

const DIST = fileURLToPath(new URL('../', import.meta.url));
/** Where the bundle goes: `dist/bundle/main.js` and its chunks, side by side. */
export const BUNDLE_DIR = path.join(DIST, 'bundle');

/** Rewrites `import.meta.url` in every module under dist/ to that module's own URL, relative to the bundle. */
const keepModuleUrls: Plugin = {
  name: 'meshlint-module-urls',
  setup(b) {
    b.onLoad({ filter: /\.js$/ }, (args) => {
      let contents = readFileSync(args.path, 'utf8');
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
  process.stdout.write(`bundled the CLI: ${outputs.length} files in ${path.relative(process.cwd(), BUNDLE_DIR) || BUNDLE_DIR}\n`);
}

main().catch((error: unknown) => {
  process.stderr.write(`bundle-cli: ${error instanceof Error ? error.message.split('\n')[0] : String(error)}\n`);
  process.exitCode = 1;
});
