import assert from 'node:assert/strict';
import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { parse } from 'yaml';
import { tempDir } from '../helpers/cli.js';
import { GIT_ENV, tempRepo, type TempRepo } from '../helpers/git.js';
import { ROOT } from '../helpers/paths.js';
import { DR_KEEPALIVE_OFF, DR_POOLED, SE, VS } from './manifests.js';

interface HookDef {
  id: string;
  name: string;
  entry: string;
  language: string;
  files: string;
  args?: string[];
  require_serial?: boolean;
}

const hooks = parse(readFileSync(join(ROOT, '.pre-commit-hooks.yaml'), 'utf8')) as HookDef[];
const hook = hooks.find((h) => h.id === 'meshlint')!;

describe('.pre-commit-hooks.yaml', () => {
  it('declares a node hook whose entry is meshlint check, for YAML/JSON and source files', () => {
    assert.ok(hook, 'hook id meshlint');
    assert.equal(hook.language, 'node');
    assert.equal(hook.entry, 'meshlint check');
    assert.deepEqual(hook.args, ['--context-dir', '.', '--cache']);
    const files = new RegExp(hook.files); // pre-commit uses Python re.search; this pattern means the same in both
    for (const yes of ['k8s/dr.yaml', 'a.yml', 'x.json', 'main.go', 'app.py', 'A.java', 'srv.ts', 'c.tsx', 'i.mjs', 'j.cjs', 'k.js', 'l.jsx']) assert.ok(files.test(yes), yes);
    for (const no of ['README.md', 'yaml', 'Makefile', 'x.yaml.bak', 'tsconfig.tsbuildinfo']) assert.ok(!files.test(no), no);
    assert.ok(hooks.every((h) => h.entry.startsWith('meshlint check')));
    assert.equal(hooks.find((h) => h.id === 'meshlint-fix')?.entry, 'meshlint check --fix');
  });

  it('package.json builds dist/ in prepare, which npm runs on install from git and on npm pack', () => {
    const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8'));
    assert.equal(pkg.scripts.prepare, 'node scripts/prepare.mjs');
    assert.equal(pkg.scripts.prepack, undefined, 'npm pack runs prepare already: a prepack build would be a second one');
    assert.equal(pkg.bin.meshlint, 'bin/meshlint.js');
    // pre-commit takes `npm pack`'s standard output as the tarball's name: the build's output must stay off it.
    assert.match(readFileSync(join(ROOT, '.npmrc'), 'utf8'), /^foreground-scripts=false$/m);
  });
});


/**
 * A git repository holding one commit of this working tree (tracked and untracked files that are not ignored, as
 * they are now): what a user's `repo:` URL and `rev:` point at.
 */
function hookRepoOfWorkingTree(): TempRepo & { rev: string } {
  const repo = tempRepo();
  const listed = spawnSync('git', ['ls-files', '-z', '--cached', '--others', '--exclude-standard'], { cwd: ROOT, encoding: 'utf8', env: { ...process.env, ...GIT_ENV } });
  if (listed.status !== 0) throw new Error(`git ls-files in ${ROOT}: ${listed.stderr}`);
  for (const file of listed.stdout.split('\0').filter(Boolean)) {
    if (!existsSync(join(ROOT, file))) continue; // deleted, not yet committed
    mkdirSync(dirname(join(repo.dir, file)), { recursive: true });
    cpSync(join(ROOT, file), join(repo.dir, file), { verbatimSymlinks: true });
  }
  repo.git('add', '-A');
  repo.git('commit', '-q', '--no-verify', '-m', 'meshlint under test');
  return { ...repo, rev: repo.git('rev-parse', 'HEAD').trim() };
}

/** pre-commit's version line (`pre-commit 3.0.4`), or undefined when it is not on PATH. */
const preCommitVersion = (() => {
  const r = spawnSync('pre-commit', ['--version'], { encoding: 'utf8' });
  return r.status === 0 ? r.stdout.trim() : undefined;
})();

/**
 * npm's cache for every installation in this file: isolated from the user's, shared by the two installations so the
 * second one does not download the same packages again. Removed when the process exits.
 */
const npmCache = tempDir('meshlint-npm-cache-');
process.once('exit', () => npmCache.cleanup());

/** Minutes a hook installation may take: npm installs every dependency and compiles the project (measured 3–5 min on 2 busy cores). */
const INSTALL_TIMEOUT_MS = 20 * 60_000;

const output = (r: SpawnSyncReturns<string>) => `${r.stdout}${r.stderr}`;

describe(`the pre-commit framework installs and runs the hooks from a git URL of this repository (${preCommitVersion ?? 'pre-commit not installed'})`, { skip: preCommitVersion ? false : 'pre-commit is not on PATH: .ci/run installs Debian\'s pre-commit' }, () => {
  let hookRepo: TempRepo & { rev: string };
  let project: TempRepo;
  let scratch: { dir: string; cleanup(): void };
  let env: NodeJS.ProcessEnv;
  before(() => {
    hookRepo = hookRepoOfWorkingTree();
    project = tempRepo();
    scratch = tempDir('meshlint-pre-commit-');
    // pre-commit's clones and environments, npm's cache and meshlint's parse cache all in the scratch directory.
    env = {
      ...process.env,
      ...GIT_ENV,
      PRE_COMMIT_HOME: join(scratch.dir, 'pre-commit'),
      npm_config_cache: npmCache.dir,
      XDG_CACHE_HOME: join(scratch.dir, 'xdg-cache'),
      PRE_COMMIT_COLOR: 'never',
      NO_COLOR: '1',
    };
    project.write('.pre-commit-config.yaml', `repos:\n  - repo: ${hookRepo.dir}\n    rev: ${hookRepo.rev}\n    hooks:\n      - id: meshlint\n`);
    project.write('mesh/se.yaml', SE);
    project.write('mesh/dr.yaml', DR_POOLED);
    project.write('README.md', '# demo\n');
    project.git('add', '.');
    project.git('commit', '-q', '--no-verify', '-m', 'base');
  });
  after(() => {
    hookRepo?.cleanup();
    project?.cleanup();
    scratch?.cleanup();
  });

  const run = (command: string, args: string[]) => spawnSync(command, args, { cwd: project.dir, env, encoding: 'utf8', timeout: INSTALL_TIMEOUT_MS });

  it('pre-commit install-hooks builds and installs meshlint with npm (language: node)', (t) => {
    const started = Date.now();
    const r = run('pre-commit', ['install-hooks']);
    t.diagnostic(`pre-commit install-hooks: ${((Date.now() - started) / 1000).toFixed(0)} s`);
    assert.equal(r.status, 0, output(r));
    assert.equal(run('pre-commit', ['install']).status, 0);
  });

  it('git commit runs the hook: a staged VirtualService passes with the DestinationRule elsewhere as context', () => {
    project.write('apps/vs.yaml', VS);
    project.write('notes.md', 'notes\n');
    project.git('add', 'apps/vs.yaml', 'notes.md');
    const r = run('git', ['commit', '-m', 'add route']);
    assert.equal(r.status, 0, output(r));
    assert.match(output(r), /meshlint \(Istio connection churn\)\.+Passed/);
    assert.equal(project.git('log', '--format=%s', '-1').trim(), 'add route');
    assert.equal(project.git('status', '--porcelain', '--untracked-files=all'), '', 'nothing written into the repository (the parse cache is in XDG_CACHE_HOME)');
    assert.ok(readdirSync(join(scratch.dir, 'xdg-cache', 'meshlint')).length > 0, '--cache used the user cache directory');
  });

  it('a staged error blocks git commit (hook exit 1); pre-commit run --all-files reports it; the fix commits', () => {
    project.write('mesh/dr.yaml', DR_KEEPALIVE_OFF);
    project.git('add', 'mesh/dr.yaml');
    const blocked = run('git', ['commit', '-m', 'keep-alive off']);
    assert.equal(blocked.status, 1, output(blocked));
    assert.match(output(blocked), /meshlint \(Istio connection churn\)\.+Failed/);
    assert.match(output(blocked), /- exit code: 1/);
    assert.match(output(blocked), /^mesh\/dr\.yaml$/m);
    assert.match(output(blocked), /keepalive-disabled/);
    assert.equal(project.git('log', '--format=%s', '-1').trim(), 'add route', 'nothing was committed');

    const all = run('pre-commit', ['run', '--all-files']);
    assert.equal(all.status, 1, output(all));
    assert.match(output(all), /keepalive-disabled/);

    project.write('mesh/dr.yaml', DR_POOLED.replace('maxConnections: 100', 'maxConnections: 200'));
    project.git('add', 'mesh/dr.yaml');
    const allowed = run('git', ['commit', '-m', 'raise the pool']);
    assert.equal(allowed.status, 0, output(allowed));
    assert.equal(project.git('log', '--format=%s', '-1').trim(), 'raise the pool');
    const clean = run('pre-commit', ['run', '--all-files']);
    assert.equal(clean.status, 0, output(clean));
  });

  it('a commit touching no matching file skips the hook', () => {
    project.write('README.md', '# demo 2\n');
    project.git('add', 'README.md');
    const r = run('git', ['commit', '-m', 'docs']);
    assert.equal(r.status, 0, output(r));
    assert.match(output(r), /meshlint \(Istio connection churn\)\.+\(no files to check\)Skipped/);
  });
});

// pre-commit >= 4.6.1 (PR pre-commit/pre-commit#3719) installs a `language: node` hook with one command,
// `npm install --allow-git=root -g git+file://<its clone>` (plus additional_dependencies), instead of
// `npm install` + `npm pack` + `npm install -g <tarball>` (3.x; Debian's 3.0.4 is tested above). PyPI is not
// reachable from CI, so that command is run here as pre-commit runs it: the prefix is the hook environment
// (NPM_CONFIG_PREFIX), and `install-links=true` is in the user's npmrc, the documented workaround for npm 11
// linking the global package to its deleted temporary clone (pre-commit issue #3737, fixed by passing
// --install-links in pre-commit PR #3743).
describe("pre-commit >= 4.6.1's npm command installs meshlint from git", () => {
  let hookRepo: TempRepo & { rev: string };
  let scratch: { dir: string; cleanup(): void };
  before(() => {
    hookRepo = hookRepoOfWorkingTree();
    scratch = tempDir('meshlint-npm-git-');
  });
  after(() => {
    hookRepo?.cleanup();
    scratch?.cleanup();
  });

  it('npm install --allow-git=root -g git+file://… builds meshlint (its prepare installs the build tools npm left out) and the hook entry runs', (t) => {
    const prefix = join(scratch.dir, 'node_env-system');
    const userconfig = join(scratch.dir, 'npmrc');
    writeFileSync(userconfig, 'install-links=true\n');
    const env = { ...process.env, ...GIT_ENV, NPM_CONFIG_PREFIX: prefix, npm_config_prefix: prefix, npm_config_cache: npmCache.dir, npm_config_userconfig: userconfig, NODE_PATH: join(prefix, 'lib', 'node_modules') };
    const started = Date.now();
    const install = spawnSync('npm', ['install', '--allow-git=root', '-g', `git+file://${hookRepo.dir}#${hookRepo.rev}`], { cwd: scratch.dir, env, encoding: 'utf8', timeout: INSTALL_TIMEOUT_MS });
    t.diagnostic(`npm install -g git+file://: ${((Date.now() - started) / 1000).toFixed(0)} s`);
    assert.equal(install.status, 0, output(install));
    const installed = join(prefix, 'lib', 'node_modules', 'meshlint');
    assert.ok(existsSync(join(installed, 'dist', 'src', 'cli', 'main.js')), 'dist/ was built and shipped');

    const project = tempRepo();
    try {
      project.write('mesh/dr.yaml', DR_KEEPALIVE_OFF);
      project.write('mesh/se.yaml', SE);
      // The hook's entry and args, as pre-commit runs them: `meshlint check --context-dir . --cache <files>`.
      const hookEnv = { ...env, PATH: `${join(prefix, 'bin')}:${process.env.PATH}`, XDG_CACHE_HOME: join(scratch.dir, 'xdg-cache'), NO_COLOR: '1' };
      const found = spawnSync('meshlint', [...hook.entry.split(' ').slice(1), ...(hook.args ?? []), 'mesh/dr.yaml'], { cwd: project.dir, env: hookEnv, encoding: 'utf8' });
      assert.equal(found.status, 1, output(found));
      assert.match(found.stdout, /keepalive-disabled/);
      project.write('mesh/dr.yaml', DR_POOLED);
      const clean = spawnSync('meshlint', [...hook.entry.split(' ').slice(1), ...(hook.args ?? []), 'mesh/dr.yaml'], { cwd: project.dir, env: hookEnv, encoding: 'utf8' });
      assert.equal(clean.status, 0, output(clean));
    } finally {
      project.cleanup();
    }
  });
});
