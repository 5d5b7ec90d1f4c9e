import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import Ajv from 'ajv';
import AjvDraft04 from 'ajv-draft-04';
import addFormats from 'ajv-formats';
import { runCli, tempDir } from '../helpers/cli.js';
import { ROOT } from '../helpers/paths.js';
import { destinationRule as dr } from '../helpers/manifests.js';

/** Official OASIS SARIF 2.1.0 schema, as test/report/sarif.test.ts reads it. */
function sarifValidator() {
  const require = createRequire(import.meta.url);
  const pkg = require.resolve('@microsoft/jest-sarif/package.json');
  const ajv = new AjvDraft04.default({ strict: false, allErrors: true, unicodeRegExp: false });
  addFormats.default(ajv);
  return ajv.compile(JSON.parse(readFileSync(pkg.replace(/package\.json$/, 'lib/schemas/sarif-2.1.0-rtm.5.json'), 'utf8')));
}

describe('suppressed and baselined findings in every format', () => {
  let dir: string;
  let cleanup: () => void;
  before(() => {
    ({ dir, cleanup } = tempDir());
    writeFileSync(
      join(dir, 'mesh.yaml'),
      [
        dr('annotated', { annotations: { 'meshlint.io/ignore': 'keepalive-disabled', 'meshlint.io/ignore-reason': 'vendor closes connections' } }),
        dr('commented', { comment: '        # meshlint-disable-next-line keepalive-disabled -- load test only\n' }),
        dr('accepted'),
      ].join('---\n'),
    );
    // Record only `accepted` in the baseline, then add a new object.
    const first = runCli(['check', 'mesh.yaml', '--baseline-write', 'baseline.json'], { cwd: dir });
    assert.equal(first.code, 0, first.stderr);
    writeFileSync(join(dir, 'mesh.yaml'), readFileSync(join(dir, 'mesh.yaml'), 'utf8') + '---\n' + dr('fresh'));
  });
  after(() => cleanup());

  it('SARIF: suppressions inSource (with the reason) and external (baseline), baselineState, valid against the official schema', () => {
    const r = runCli(['check', 'mesh.yaml', '--baseline', 'baseline.json', '-f', 'sarif'], { cwd: dir });
    assert.equal(r.code, 1, r.stderr);
    const log = JSON.parse(r.stdout);
    const validate = sarifValidator();
    assert.ok(validate(structuredClone(log)), JSON.stringify(validate.errors?.slice(0, 5), null, 2));
    const results = log.runs[0].results.filter((x: { ruleId: string }) => x.ruleId === 'keepalive-disabled');
    const byName = (name: string) => results.find((x: { locations: { logicalLocations: { fullyQualifiedName: string }[] }[] }) => x.locations[0].logicalLocations[0].fullyQualifiedName.startsWith(`DestinationRule/shop/${name}#`));
    assert.deepEqual(byName('annotated').suppressions.map((s: { kind: string; justification: string; status: string }) => [s.kind, s.status, s.justification]), [['inSource', 'accepted', 'vendor closes connections']]);
    assert.equal(byName('annotated').suppressions[0].location.physicalLocation.region.startLine, 7);
    assert.deepEqual(byName('commented').suppressions.map((s: { kind: string; justification: string }) => [s.kind, s.justification]), [['inSource', 'load test only']]);
    assert.deepEqual(byName('accepted').suppressions.map((s: { kind: string; justification: string }) => [s.kind, s.justification]), [['external', 'accepted in the baseline baseline.json']]);
    assert.equal(byName('accepted').baselineState, 'unchanged');
    assert.equal(byName('fresh').suppressions, undefined);
    assert.equal(byName('fresh').baselineState, 'new');
  });

  it('JSON: summary counts and the suppressed list, valid against schemas/report.schema.json', () => {
    const r = runCli(['check', 'mesh.yaml', '--baseline', 'baseline.json', '-f', 'json'], { cwd: dir });
    const report = JSON.parse(r.stdout);
    const validate = new Ajv.default({ strict: false }).compile(JSON.parse(readFileSync(join(ROOT, 'schemas/report.schema.json'), 'utf8')));
    assert.ok(validate(structuredClone(report)), JSON.stringify(validate.errors?.slice(0, 5)));
    const ka = (list: { ruleId: string }[]) => list.filter((f) => f.ruleId === 'keepalive-disabled');
    assert.equal(ka(report.findings).length, 1);
    assert.equal(report.summary.suppressed, 2);
    assert.equal(report.summary.baselined, report.suppressed.filter((f: { suppressions: { via: string }[] }) => f.suppressions.some((s) => s.via === 'baseline')).length);
    assert.ok(report.summary.baselined >= 1);
    const commented = report.suppressed.find((f: { object?: { name: string } }) => f.object?.name === 'commented');
    assert.deepEqual(commented.suppressions, [{ kind: 'inSource', via: 'comment', justification: 'load test only', file: 'mesh.yaml', line: 26, column: 9 }]);
  });

  it('stylish: the summary line counts them; exit code only from what is left', () => {
    const r = runCli(['check', 'mesh.yaml', '--baseline', 'baseline.json'], { cwd: dir });
    assert.equal(r.code, 1);
    assert.match(r.stdout, /^✖ \d+ problems? \(1 error, \d+ warnings?, \d+ info\); 2 suppressed, \d+ in the baseline$/m);
    const quiet = runCli(['check', 'mesh.yaml', '--baseline', 'baseline.json', '--rule', 'keepalive-disabled:warn'], { cwd: dir });
    assert.equal(quiet.code, 0);
  });
});
