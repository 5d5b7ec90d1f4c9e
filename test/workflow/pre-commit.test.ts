import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { parse } from 'yaml';
import { GIT_ENV, tempRepo, type TempRepo } from '../helpers/git.js';
import { BIN, ROOT } from '../helpers/paths.js';
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

  it('package.json builds dist/ on npm pack (pre-commit installs node hooks with npm pack)', () => {
    const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8'));
    assert.match(pkg.scripts.prepack, /build/);
    assert.equal(pkg.bin.meshlint, 'bin/meshlint.js');
    // pre-commit takes `npm pack`'s standard output as the tarball's name: the build's output must stay off it.
    assert.match(readFileSync(join(ROOT, '.npmrc'), 'utf8'), /^foreground-scripts=false$/m);
  });
});

describe('pre-commit hook with real git', () => {
  let repo: TempRepo;
  let binDir: string;
  before(() => {
    repo = tempRepo();
    // `meshlint` on PATH, as pre-commit's node environment provides it.
    binDir = join(repo.dir, '.git', 'test-bin');
    mkdirSync(binDir);
    writeFileSync(join(binDir, 'meshlint'), `#!/bin/sh\nexec "${process.execPath}" "${BIN}" "$@"\n`);
    chmodSync(join(binDir, 'meshlint'), 0o755);
    // A git pre-commit hook doing what pre-commit does: the staged files (git diff --cached --name-only,
    // pre-commit's --diff-filter), those matching `files`, appended to `entry` + `args`.
    const hookScript = `#!${process.execPath}
const { execFileSync, spawnSync } = require('node:child_process');
const staged = execFileSync('git', ['diff', '--cached', '--name-only', '-z', '--diff-filter=ACMRTUXB'], { encoding: 'utf8' }).split('\\0').filter(Boolean);
const files = staged.filter((f) => new RegExp(${JSON.stringify(hook.files)}).test(f));
if (files.length === 0) process.exit(0);
const argv = [...${JSON.stringify(hook.entry)}.split(' '), ...${JSON.stringify(hook.args ?? [])}, ...files];
require('node:fs').writeFileSync('.git/last-hook-argv', JSON.stringify(argv));
const r = spawnSync(argv[0], argv.slice(1), { stdio: 'inherit' });
process.exit(r.status ?? 1);
`;
    writeFileSync(join(repo.dir, '.git/hooks/pre-commit'), hookScript);
    chmodSync(join(repo.dir, '.git/hooks/pre-commit'), 0o755);
    repo.write('mesh/se.yaml', SE);
    repo.write('mesh/dr.yaml', DR_POOLED);
    repo.write('README.md', '# demo\n');
    repo.git('add', '.');
    repo.git('commit', '-q', '--no-verify', '-m', 'base');
  });
  after(() => repo.cleanup());

  const commit = (message: string) =>
    spawnSync('git', ['commit', '-m', message], { cwd: repo.dir, encoding: 'utf8', env: { ...process.env, ...GIT_ENV, PATH: `${binDir}:${process.env.PATH}`, NO_COLOR: '1', XDG_CACHE_HOME: join(repo.dir, '.git', 'xdg-cache') } });

  it('a staged VirtualService passes: the DestinationRule in another directory is context, only the staged file is passed', () => {
    repo.write('apps/vs.yaml', VS);
    repo.write('docs.md', 'notes\n');
    repo.git('add', 'apps/vs.yaml', 'docs.md');
    const r = commit('add route');
    assert.equal(r.status, 0, r.stdout + r.stderr);
    assert.deepEqual(JSON.parse(readFileSync(join(repo.dir, '.git/last-hook-argv'), 'utf8')), ['meshlint', 'check', '--context-dir', '.', '--cache', 'apps/vs.yaml']);
    // The parse cache is in the user's cache directory, not in the repository.
    assert.ok(readdirSync(join(repo.dir, '.git', 'xdg-cache', 'meshlint')).some((n) => /^f\d+-/.test(n)));
    assert.equal(repo.git('status', '--porcelain', '--untracked-files=all'), '');
    // git sends a hook's standard output to its standard error.
    assert.match(r.stderr, /no problems/);
    assert.doesNotMatch(r.stderr, /connection-pool-missing/, 'the DestinationRule outside the staged files was seen');
  });

  it('a staged error finding blocks the commit; fixing it lets the commit through', () => {
    repo.write('mesh/dr.yaml', DR_KEEPALIVE_OFF);
    repo.git('add', 'mesh/dr.yaml');
    const blocked = commit('keep-alive off');
    assert.equal(blocked.status, 1, 'hook exit 1 aborts the commit');
    assert.match(blocked.stderr, /^mesh\/dr\.yaml$/m);
    assert.match(blocked.stderr, /keepalive-disabled/);
    assert.equal(repo.git('log', '--format=%s', '-1').trim(), 'add route', 'nothing was committed');
    repo.write('mesh/dr.yaml', DR_POOLED.replace('maxConnections: 100', 'maxConnections: 200'));
    repo.git('add', 'mesh/dr.yaml');
    const allowed = commit('raise the pool');
    assert.equal(allowed.status, 0, allowed.stdout + allowed.stderr);
    assert.equal(repo.git('log', '--format=%s', '-1').trim(), 'raise the pool');
  });

  it('a commit touching no matching file does not run meshlint', () => {
    repo.write('README.md', '# demo 2\n');
    repo.git('add', 'README.md');
    writeFileSync(join(repo.dir, '.git/last-hook-argv'), 'untouched');
    const r = commit('docs');
    assert.equal(r.status, 0, r.stderr);
    assert.equal(readFileSync(join(repo.dir, '.git/last-hook-argv'), 'utf8'), 'untouched');
  });
});
