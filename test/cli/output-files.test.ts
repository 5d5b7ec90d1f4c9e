/**
 * Every file meshlint writes (`-o`, `--baseline-write`, `--fix`) goes through one writer (issue 14): it writes into
 * character devices, FIFOs and /dev/stdout, never replaces a device, FIFO or dangling symlink, replaces a regular
 * file atomically keeping its mode and owner, and refuses a file the user may not write or whose owner it could not
 * keep. The real binary; the unprivileged cases run it as `nobody` (setpriv) when the tests run as root.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, chownSync, copyFileSync, existsSync, lstatSync, mkdirSync, readFileSync, readlinkSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { runCli, tempDir } from '../helpers/cli.js';
import { destinationRule } from '../helpers/manifests.js';
import { BIN } from '../helpers/paths.js';

const DR = destinationRule('ext', { host: 'api.example.com' });

const isRoot = process.getuid?.() === 0;

describe('writing files: -o, --baseline-write, --fix', () => {
  const { dir, cleanup } = tempDir('meshlint-write-');
  after(cleanup);
  writeFileSync(path.join(dir, 'dr.yaml'), DR);
  const check = (...args: string[]) => runCli(['check', 'dr.yaml', ...args], { cwd: dir });

  it('-o into a character device: written into, the device stays a device', { skip: isRoot ? false : 'mknod needs root' }, () => {
    const device = path.join(dir, 'null-device');
    const made = spawnSync('mknod', [device, 'c', '1', '3']); // the kernel's null device, private to this test
    if (made.status !== 0) return; // a container without CAP_MKNOD: the FIFO cases below still run
    for (const flag of ['-o', '--baseline-write']) {
      const r = check('-f', 'json', flag, device);
      assert.equal(r.code, flag === '-o' ? 1 : 0, r.stderr);
      assert.ok(lstatSync(device).isCharacterDevice(), `${flag}: still a character device`);
    }
  });

  it('-o and --baseline-write into a FIFO: the reader gets the text, the FIFO stays a FIFO', async () => {
    for (const flag of ['-o', '--baseline-write']) {
      const fifo = path.join(dir, `fifo${flag}`);
      assert.equal(spawnSync('mkfifo', [fifo]).status, 0);
      const reader = spawn('cat', [fifo]);
      let read = '';
      reader.stdout.on('data', (b: Buffer) => (read += b.toString()));
      const done = new Promise((resolve) => reader.on('close', resolve));
      const r = await new Promise<{ code: number | null; stderr: string }>((resolve) => {
        const child = spawn(process.execPath, [BIN, 'check', 'dr.yaml', '-f', 'json', flag, fifo], { cwd: dir });
        let stderr = '';
        child.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
        child.on('close', (code) => resolve({ code, stderr }));
      });
      await done;
      assert.equal(r.code, flag === '-o' ? 1 : 0, r.stderr);
      assert.ok(lstatSync(fifo).isFIFO(), `${flag}: still a FIFO`);
      const parsed = JSON.parse(read) as { findings: { ruleId: string }[] };
      assert.ok(parsed.findings.some((f) => f.ruleId === 'keepalive-disabled'));
    }
  });

  it('-o /dev/stdout writes to standard output (a pipe here)', () => {
    const r = check('-f', 'json', '-o', '/dev/stdout');
    assert.equal(r.code, 1, r.stderr);
    assert.ok(JSON.parse(r.stdout).findings.length > 0);
  });

  it('a dangling symlink is refused and left as it is; a symlink to a file writes the file and stays a symlink', () => {
    const dangling = path.join(dir, 'dangling.json');
    symlinkSync(path.join(dir, 'nowhere', 'report.json'), dangling);
    for (const flag of ['-o', '--baseline-write']) {
      const r = check('-f', 'json', flag, dangling);
      assert.equal(r.code, 2, r.stderr);
      assert.match(r.stderr, /dangling\.json: not written: it is a symbolic link to a file that does not exist/);
      assert.ok(lstatSync(dangling).isSymbolicLink());
      assert.ok(!existsSync(path.join(dir, 'nowhere')));
    }
    const target = path.join(dir, 'target.json');
    writeFileSync(target, 'old');
    chmodSync(target, 0o640);
    const link = path.join(dir, 'link.json');
    symlinkSync(target, link);
    assert.equal(check('-f', 'json', '-o', link).code, 1);
    assert.ok(lstatSync(link).isSymbolicLink());
    assert.equal(readlinkSync(link), target);
    assert.ok(JSON.parse(readFileSync(target, 'utf8')).findings.length > 0);
    assert.equal(statSync(target).mode & 0o7777, 0o640, 'mode kept');
  });

  it('a directory and a read-only file are refused with one line, exit 2, nothing changed', () => {
    mkdirSync(path.join(dir, 'adir'));
    const r = check('-o', 'adir');
    assert.equal(r.code, 2);
    assert.match(r.stderr, /^meshlint: --output adir: not written: it is a directory\n/);
    const readOnly = path.join(dir, 'ro.json');
    writeFileSync(readOnly, 'keep');
    chmodSync(readOnly, 0o444);
    const ro = check('-o', 'ro.json');
    assert.equal(ro.code, 2);
    assert.match(ro.stderr, /--output ro\.json: not written: it is read-only \(mode 0444\)/);
    assert.equal(readFileSync(readOnly, 'utf8'), 'keep');
    assert.doesNotMatch(ro.stderr, /\n\s+at /);
  });

  it('--fix on a read-only file (0444): refused, exit 2, the file unchanged', () => {
    const file = path.join(dir, 'ro-fix.yaml');
    writeFileSync(file, DR);
    chmodSync(file, 0o444);
    const r = runCli(['check', 'ro-fix.yaml', '--fix'], { cwd: dir });
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, /meshlint: ro-fix\.yaml: not fixed: it is read-only \(mode 0444\)/);
    assert.match(r.stderr, /fixed 0 problems in 0 files; 1 not fixed: 1 file could not be written/);
    assert.equal(readFileSync(file, 'utf8'), DR);
  });

  describe('as an unprivileged user (nobody, via setpriv)', { skip: isRoot ? false : 'needs root to switch to an unprivileged user' }, () => {
    const shared = path.join(dir, 'shared');
    const asNobody = (args: string[]) =>
      spawnSync('setpriv', ['--reuid=65534', '--regid=65534', '--clear-groups', process.execPath, BIN, ...args], { cwd: shared, encoding: 'utf8', env: { ...process.env, HOME: shared } });
    const setup = (name: string, owner: number, mode: number) => {
      const file = path.join(shared, name);
      writeFileSync(file, DR);
      chownSync(file, owner, owner);
      chmodSync(file, mode);
      return file;
    };

    it('--fix refuses a root-owned 0644 file in a directory nobody can write (it would become nobody’s), and nobody’s own 0444 file; fixes nobody’s 0640 file keeping mode and owner', () => {
      mkdirSync(shared, { recursive: true });
      chmodSync(dir, 0o755);
      chmodSync(shared, 0o777);
      const rootOwned = setup('root-owned.yaml', 0, 0o644);
      const readOnly = setup('read-only.yaml', 65534, 0o444);
      const own = setup('own.yaml', 65534, 0o640);
      const r = asNobody(['check', 'root-owned.yaml', 'read-only.yaml', 'own.yaml', '--fix']);
      assert.equal(r.status, 2, r.stderr);
      assert.match(r.stderr, /root-owned\.yaml: not fixed: it belongs to another user \(uid 0\), and a rewritten file would belong to you/);
      assert.match(r.stderr, /read-only\.yaml: not fixed: it is read-only \(mode 0444\)/);
      assert.match(r.stderr, /fixed 1 problem in 1 file; 2 not fixed/);
      assert.equal(readFileSync(rootOwned, 'utf8'), DR);
      assert.equal(statSync(rootOwned).uid, 0);
      assert.equal(readFileSync(readOnly, 'utf8'), DR);
      assert.doesNotMatch(readFileSync(own, 'utf8'), /maxRequestsPerConnection/);
      const st = statSync(own);
      assert.deepEqual([st.uid, st.gid, st.mode & 0o7777], [65534, 65534, 0o640]);
    });

    it('-o over a file of another user in a writable directory is refused; a file nobody may not write is refused', () => {
      const theirs = setup('report-root.json', 0, 0o666);
      const r = asNobody(['check', 'own.yaml', '-o', 'report-root.json']);
      assert.equal(r.status, 2, r.stderr);
      assert.match(r.stderr, /report-root\.json: not written: it belongs to another user \(uid 0\)/);
      assert.equal(readFileSync(theirs, 'utf8'), DR);
      copyFileSync(path.join(shared, 'own.yaml'), path.join(shared, 'copy.yaml'));
      chmodSync(path.join(shared, 'copy.yaml'), 0o644);
      const locked = setup('locked.json', 0, 0o644);
      const l = asNobody(['check', 'copy.yaml', '--baseline-write', 'locked.json']);
      assert.equal(l.status, 2, l.stderr);
      assert.match(l.stderr, /--baseline-write locked\.json: not written: it belongs to another user/);
      assert.equal(readFileSync(locked, 'utf8'), DR);
    });
  });
});
