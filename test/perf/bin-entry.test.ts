import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { tempDir } from '../helpers/cli.js';
import { ROOT } from '../helpers/paths.js';

/**
 * `bin/meshlint.js` picks what it runs (issue 17): the CLI bundle (`dist/bundle/main.js`) when it is there and
 * not older than the compiled modules (`dist/src/cli/main.js`), else the compiled modules, so that a bundle left
 * from an earlier build never runs after `tsc` alone rebuilt dist/src. Checked on a copy of the bin beside two
 * stand-in entries that say which one ran.
 */
describe('bin/meshlint.js: the bundle or the compiled modules', () => {
  let dir: string;
  let cleanup: () => void;
  const bundle = (): string => join(dir, 'dist', 'bundle', 'main.js');
  const modules = (): string => join(dir, 'dist', 'src', 'cli', 'main.js');
  const entry = (name: string): string => `export async function main(argv) { process.stdout.write(${JSON.stringify(name)} + ' ' + argv.slice(2).join(' ')); return 0; }\n`;
  const run = (): { status: number | null; stdout: string; stderr: string } =>
    spawnSync(process.execPath, [join(dir, 'bin', 'meshlint.js'), 'check', 'x.yaml'], { encoding: 'utf8' });
  const at = (file: string, seconds: number): void => utimesSync(file, seconds, seconds);

  before(() => {
    ({ dir, cleanup } = tempDir());
    mkdirSync(join(dir, 'bin'));
    copyFileSync(join(ROOT, 'bin', 'meshlint.js'), join(dir, 'bin', 'meshlint.js'));
    writeFileSync(join(dir, 'package.json'), JSON.stringify({ type: 'module' }));
    mkdirSync(join(dir, 'dist', 'bundle'), { recursive: true });
    mkdirSync(join(dir, 'dist', 'src', 'cli'), { recursive: true });
  });
  after(() => cleanup());

  it('runs the bundle when it is newer than the compiled modules, or as old (npm pack gives every file one time)', () => {
    writeFileSync(bundle(), entry('bundle'));
    writeFileSync(modules(), entry('modules'));
    at(modules(), 1_000_000);
    at(bundle(), 1_000_100);
    assert.equal(run().stdout, 'bundle check x.yaml');
    at(bundle(), 1_000_000);
    assert.equal(run().stdout, 'bundle check x.yaml');
  });

  it('runs the compiled modules when the bundle is older (dist/src rebuilt by tsc alone) or missing', () => {
    writeFileSync(bundle(), entry('bundle'));
    writeFileSync(modules(), entry('modules'));
    at(bundle(), 1_000_000);
    at(modules(), 1_000_100);
    assert.equal(run().stdout, 'modules check x.yaml');
    rmSync(bundle());
    assert.equal(run().stdout, 'modules check x.yaml');
  });

  it('says to build when neither is there, with exit code 2', () => {
    rmSync(bundle(), { force: true });
    rmSync(modules(), { force: true });
    const r = run();
    assert.equal(r.status, 2);
    assert.match(r.stderr, /^meshlint: cannot start \(not built: run `npm run build`\)\n$/);
  });
});
