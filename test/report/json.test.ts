import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import Ajv from 'ajv';
import { runCli, tempDir } from '../helpers/cli.js';
import { ROOT } from '../helpers/paths.js';

const schema = JSON.parse(readFileSync(join(ROOT, 'schemas', 'report.schema.json'), 'utf8'));
const compiled = new Ajv.default({ allErrors: true }).compile(schema);
/** Not a type guard, so the parsed reports keep their type. */
const validate = Object.assign((data: unknown): boolean => compiled(data), { get errors() { return compiled.errors; } });

describe('json output', () => {
  it('validates against schemas/report.schema.json on the fixtures (findings, routes with traces, budget)', () => {
    const r = runCli(['check', 'fixtures/', '-f', 'json', '--rps', '50'], { cwd: ROOT });
    const report = JSON.parse(r.stdout);
    assert.ok(validate(report), JSON.stringify(validate.errors?.slice(0, 5), null, 2));
    assert.equal(report.schemaVersion, 1);
    assert.ok(report.findings.length > 0 && report.routes.length > 0);
    assert.equal(report.budget.rps, 50);
  });

  it('validates when the run has I/O errors and parse errors (exit 2, errors listed)', () => {
    const t = tempDir();
    try {
      writeFileSync(join(t.dir, 'bad.yaml'), 'a: [1, 2\n');
      const r = runCli(['check', join(t.dir, 'bad.yaml'), join(t.dir, 'missing.yaml'), '-f', 'json'], { cwd: ROOT });
      assert.equal(r.code, 2);
      const report = JSON.parse(r.stdout);
      assert.ok(validate(report), JSON.stringify(validate.errors?.slice(0, 5), null, 2));
      assert.equal(report.errors.length, 1);
      assert.equal(report.findings[0].ruleId, 'parse-error');
    } finally {
      t.cleanup();
    }
  });

  it('the schema is closed: an unknown top-level field is rejected', () => {
    const r = runCli(['check', 'fixtures/healthy', '-f', 'json'], { cwd: ROOT });
    const report = JSON.parse(r.stdout);
    assert.ok(validate(report));
    assert.equal(validate({ ...report, extra: 1 }), false);
  });
});
