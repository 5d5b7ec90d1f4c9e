#!/usr/bin/env node
// The `prepare` and `pretest` script: builds dist/ (`npm run build`) only when it is missing or older than its
// inputs, and first installs the build tools when npm prepares this package from git without them.
//
// Plain JavaScript with no dependency: it runs before anything is built or, from git, before anything is installed.
//
// Why "only when stale": `npm ci && npm test` runs `prepare` then `pretest`, and pre-commit 3.x runs `npm install`
// (prepare) then `npm pack` (prepare again): each used to compile the whole project again.
//
// Why it may install: npm installs a git dependency by cloning it into a temporary directory, running `npm install`
// there, then packing it (pacote lib/git.js #prepareDir). Under `npm install -g git+…` (what pre-commit ≥ 4.6.1 runs
// for a `language: node` hook, pre-commit PR #3719) that nested `npm install` inherits the global flag and installs
// nothing into the clone, so `tsc` is not found (pre-commit issue #3737). The clone then has the lockfile and no
// node_modules/: `npm ci` there (scripts off, so this script does not run again) gives the exact build tools.
import { spawnSync } from 'node:child_process';
import { existsSync, lstatSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
/** Written after a successful build; its modification time is the build's. */
const stamp = join(root, 'dist', '.build-stamp');
/** What the build reads: tsc's `include` (tsconfig.json), the schemas the validators are compiled from. */
const inputs = ['tsconfig.json', 'package.json', 'src', 'rules', 'test', 'scripts', 'schemas/istio'];

/**
 * Newest modification time (ms since the epoch) under `path`, directories included (a deleted or renamed file
 * changes its directory's time). Symbolic links are not followed; node_modules and dist are not inputs.
 */
function newestMtime(path) {
  let stat;
  try {
    stat = lstatSync(path);
  } catch {
    return 0;
  }
  let newest = stat.mtimeMs;
  if (stat.isDirectory()) {
    for (const name of readdirSync(path)) {
      if (name === 'node_modules' || name === 'dist') continue;
      newest = Math.max(newest, newestMtime(join(path, name)));
    }
  }
  return newest;
}

function stale() {
  if (!existsSync(stamp)) return true;
  const built = statSync(stamp).mtimeMs;
  return inputs.some((input) => newestMtime(join(root, input)) > built);
}

function run(command, args) {
  const result = spawnSync(command, args, { cwd: root, stdio: ['ignore', 'inherit', 'inherit'], shell: process.platform === 'win32' });
  if (result.status !== 0) {
    process.stderr.write(`meshlint prepare: ${command} ${args.join(' ')} failed (${result.error?.message ?? `exit ${result.status}`})\n`);
    process.exit(result.status || 1);
  }
}

if (!stale()) process.exit(0);

if (!existsSync(join(root, 'node_modules', 'typescript', 'package.json'))) {
  process.stderr.write('meshlint prepare: the build tools are not installed here (npm is preparing meshlint from git); installing them with npm ci\n');
  // Flags on the command line win over the npm_config_* variables inherited from a global install.
  run('npm', ['ci', '--prefix', root, '--global=false', '--install-links=false', '--include=dev', '--ignore-scripts', '--no-audit', '--no-fund', '--no-progress']);
}
run('npm', ['run', 'build', '--prefix', root, '--global=false']);
writeFileSync(stamp, `${new Date().toISOString()}\n`);
