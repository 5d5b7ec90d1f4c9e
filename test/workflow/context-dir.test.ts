import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { runCli, tempDir } from '../helpers/cli.js';
import { DR_KEEPALIVE_OFF, SE, VS } from './manifests.js';

interface JsonFinding {
  ruleId: string;
  file: string;
}

describe('--context-dir', () => {
  let dir: string;
  let cleanup: () => void;
  before(() => {
    ({ dir, cleanup } = tempDir());
    mkdirSync(join(dir, 'mesh'));
    mkdirSync(join(dir, 'apps'));
    writeFileSync(join(dir, 'mesh/dr.yaml'), DR_KEEPALIVE_OFF);
    writeFileSync(join(dir, 'mesh/se.yaml'), SE);
    writeFileSync(join(dir, 'apps/vs.yaml'), VS);
    writeFileSync(join(dir, 'mesh/broken.yaml'), 'kind: [unclosed\n');
  });
  after(() => cleanup());

  const run = (...args: string[]) => {
    const r = runCli(['check', ...args, '-f', 'json'], { cwd: dir });
    const report = JSON.parse(r.stdout);
    return { code: r.code, stderr: r.stderr, report, findings: report.findings as JsonFinding[] };
  };

  it('without context a lone VirtualService has no DestinationRule (near miss: the findings context removes)', () => {
    const r = run('apps/vs.yaml');
    // No DestinationRule: no pool, and nothing caps its retry to the external host.
    assert.deepEqual(r.findings.map((f) => `${f.file} ${f.ruleId}`), ['apps/vs.yaml retry-budget-missing', 'apps/vs.yaml connection-pool-missing']);
    assert.equal(r.report.routes[0].total, 0, 'no DestinationRule: pooled');
  });

  it('with context the VirtualService sees the DestinationRule elsewhere, and only its own file is reported', () => {
    const r = run('apps/vs.yaml', '--context-dir', 'mesh');
    assert.equal(r.code, 0, 'the keepalive-disabled error and the parse error are in context files, not reported');
    assert.deepEqual(r.findings, []);
    assert.equal(r.report.routes.length, 1);
    assert.equal(r.report.routes[0].total, 2, 'multiplier uses the context DestinationRule (maxRequestsPerConnection: 1, 2 default retries)');
    assert.equal(r.report.summary.files, 4, 'context files are analysed');
  });

  it('a file named on the command line and reached again through the context is loaded once and reported', () => {
    const r = run('./mesh/dr.yaml', '--context-dir', '.');
    assert.deepEqual(r.findings.map((f) => `${f.file} ${f.ruleId}`), ['./mesh/dr.yaml keepalive-disabled']);
    assert.equal(r.report.summary.objects, 3, 'dr.yaml not loaded twice');
  });

  it('is repeatable; a missing context directory is a usage error (exit 2)', () => {
    assert.deepEqual(run('apps/vs.yaml', '--context-dir', 'apps', '--context-dir', 'mesh').findings, []);
    const r = runCli(['check', 'apps/vs.yaml', '--context-dir', 'nope'], { cwd: dir });
    assert.equal(r.code, 2);
    assert.match(r.stderr, /^meshlint: nope: no such file or directory$/m);
  });
});
