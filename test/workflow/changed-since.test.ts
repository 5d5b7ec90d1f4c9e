import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { runCli, tempDir } from '../helpers/cli.js';
import { GIT_ENV, tempRepo, type TempRepo } from '../helpers/git.js';
import { DR_KEEPALIVE_OFF, DR_POOLED, SE, VS } from './manifests.js';

const keepaliveOff = (name: string) => DR_KEEPALIVE_OFF.replace('name: payments', `name: ${name}`).replace('host: payments.example.com', `host: ${name}.example.com`);

describe('--changed-since with real git', () => {
  let repo: TempRepo;
  before(() => {
    repo = tempRepo();
    repo.write('mesh/se.yaml', SE);
    repo.write('mesh/dr.yaml', DR_POOLED);
    repo.write('old/legacy.yaml', keepaliveOff('legacy')); // an error already on main: not part of the change
    repo.write('old/gone.yaml', keepaliveOff('gone'));
    repo.git('add', '.');
    repo.git('commit', '-q', '-m', 'base');
    repo.git('checkout', '-q', '-b', 'feature');
    repo.write('apps/vs.yaml', VS);
    repo.write('apps/committed.yaml', keepaliveOff('committed'));
    repo.git('add', 'apps');
    repo.git('commit', '-q', '-m', 'feature work');
    repo.git('checkout', '-q', 'main');
    repo.write('mesh/main-only.yaml', keepaliveOff('mainonly')); // main moved on after the branch point
    repo.git('add', '.');
    repo.git('commit', '-q', '-m', 'main moves');
    repo.git('checkout', '-q', 'feature');
    repo.write('apps/staged.yaml', keepaliveOff('staged'));
    repo.git('add', 'apps/staged.yaml');
    repo.write('apps/untracked.yaml', keepaliveOff('untracked'));
    repo.write('apps/ignored.yaml', keepaliveOff('ignored'));
    repo.write('.gitignore', 'apps/ignored.yaml\n');
    rmSync(join(repo.dir, 'old/gone.yaml')); // deleted in the working tree
  });
  after(() => repo.cleanup());

  const check = (args: string[], cwd = repo.dir) => runCli(['check', ...args, '-f', 'json'], { cwd, env: GIT_ENV });

  it('reports committed (since the merge-base), staged and untracked changes; skips deleted, ignored and unchanged files', () => {
    const r = check(['--changed-since', 'main']);
    assert.equal(r.code, 1, r.stderr);
    const files = [...new Set(JSON.parse(r.stdout).findings.map((f: { file: string }) => f.file))].sort();
    assert.deepEqual(files, ['apps/committed.yaml', 'apps/staged.yaml', 'apps/untracked.yaml']);
    assert.equal(r.stderr, '', 'the deleted file is not an error');
  });

  it('unchanged files are context: the changed VirtualService sees the DestinationRule on main', () => {
    const r = check(['--changed-since', 'main']);
    const report = JSON.parse(r.stdout);
    assert.ok(!report.findings.some((f: { ruleId: string }) => f.ruleId === 'connection-pool-missing'));
    assert.ok(report.routes.some((x: { host: string }) => x.host === 'payments.example.com'), 'the changed VirtualService’s route is shown');
  });

  it('positional paths narrow the scope; from a subdirectory paths stay relative to it', () => {
    const narrowed = check(['apps/vs.yaml', 'mesh', '--changed-since', 'main']);
    assert.equal(narrowed.code, 0, narrowed.stderr);
    assert.deepEqual(JSON.parse(narrowed.stdout).findings, []);
    const sub = check(['.', '--changed-since', 'main', '--context-dir', '../mesh'], join(repo.dir, 'apps'));
    const files = [...new Set(JSON.parse(sub.stdout).findings.map((f: { file: string }) => f.file))].sort();
    assert.deepEqual(files, ['committed.yaml', 'staged.yaml', 'untracked.yaml']);
  });

  it('nothing changed: no findings, exit 0', () => {
    const r = check(['--changed-since', 'HEAD', 'mesh']);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(JSON.parse(r.stdout).findings, []);
  });

  it('an unknown ref is a usage error (exit 2) with one line', () => {
    const r = runCli(['check', '--changed-since', 'no-such-branch'], { cwd: repo.dir, env: GIT_ENV });
    assert.equal(r.code, 2);
    assert.match(r.stderr, /^meshlint: --changed-since: unknown git ref "no-such-branch"/);
    assert.equal(r.stderr.trim().split('\n').length, 1);
    assert.equal(runCli(['check', '--changed-since', '--all'], { cwd: repo.dir, env: GIT_ENV }).code, 2, 'an option is not a ref');
  });

  it('outside a git repository it is a usage error (exit 2)', () => {
    const { dir, cleanup } = tempDir();
    try {
      const r = runCli(['check', '--changed-since', 'main'], { cwd: dir, env: { ...GIT_ENV, GIT_CEILING_DIRECTORIES: dir } });
      assert.equal(r.code, 2);
      assert.match(r.stderr, /^meshlint: --changed-since: .* is not in a git repository/);
      assert.doesNotMatch(r.stderr, /\n\s+at /, 'no stack trace');
    } finally {
      cleanup();
    }
  });
});
