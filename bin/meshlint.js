#!/usr/bin/env node
// meshlint command-line entry. Runs the bundled CLI (dist/bundle/main.js, made by `npm run build` from dist/src with
// esbuild: a few files to load instead of ~150 modules, issue 17), or the compiled modules (dist/src/cli/main.js) when
// there is no bundle or it is older than them (dist/ rebuilt by `tsc` alone), so a stale bundle never runs.
// MESHLINT_DEBUG=1 prints the stack of an internal error: source maps are turned on then, so it names the dist/src
// modules and lines whichever of the two runs.
import { statSync } from 'node:fs';

const bundle = new URL('../dist/bundle/main.js', import.meta.url);
const modules = new URL('../dist/src/cli/main.js', import.meta.url);

/** Modification time in ms, or -1 when the file is missing. */
function mtime(url) {
  try {
    return statSync(url).mtimeMs;
  } catch {
    return -1;
  }
}

if (process.env.MESHLINT_DEBUG) process.setSourceMapsEnabled(true);
// npm pack gives every file of the tarball the same time, so an installed package runs the bundle.
const bundleTime = mtime(bundle);
const entry = bundleTime >= 0 && bundleTime >= mtime(modules) ? bundle : modules;
import(entry.href).then(
  async ({ main }) => {
    process.exitCode = await main(process.argv);
  },
  (error) => {
    process.stderr.write(`meshlint: cannot start (${error && error.code === 'ERR_MODULE_NOT_FOUND' ? 'not built: run `npm run build`' : error && error.message})\n`);
    process.exitCode = 2;
  },
);
