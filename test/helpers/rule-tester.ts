import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import Ajv from 'ajv';
import { check, type CheckOptions } from '../../src/pipeline.js';
import type { MeshSettings } from '../../src/model/mesh.js';
import { allRules } from '../../src/rules/registry.js';
import type { Finding, Severity } from '../../src/types.js';
import { ROOT } from './paths.js';

/** A case that must not produce a finding of the rule under test. */
export interface ValidCase {
  name: string;
  yaml: string;
  options?: Record<string, unknown>;
  mesh?: Partial<MeshSettings>;
  /** Further options of the run (e.g. `reportUnusedDisableDirectives` for rules of the suppression stage). */
  check?: Partial<CheckOptions>;
}

/** A case that must produce exactly these findings of the rule under test, in order. */
export interface InvalidCase extends ValidCase {
  errors: { line: number; column?: number; message?: RegExp; severity?: Severity }[];
}

/** Runs `yaml` (as standard input) through the whole `check` pipeline and returns the findings of `ruleId`. */
export async function findingsOf(ruleId: string, c: ValidCase): Promise<Finding[]> {
  const result = await check({
    paths: ['-'],
    cwd: ROOT,
    defaultNamespace: 'default',
    stdin: () => Buffer.from(c.yaml),
    rules: c.options ? new Map([[ruleId, { severity: allRules().find((r) => r.meta.id === ruleId)!.meta.defaultSeverity, options: c.options }]]) : undefined,
    mesh: c.mesh,
    ...c.check,
  });
  assert.deepEqual(result.errors, [], 'no run errors');
  return result.findings.filter((f) => f.ruleId === ruleId);
}

/**
 * ESLint-style RuleTester for meshlint rules: `valid` cases must not fire, `invalid` cases must fire exactly
 * the listed findings (line, optional column, message pattern, severity). Also checks the rule's
 * one-file-one-doc-one-schema contract: metadata, `docs/rules/<id>.md`, and `schemas/rules/<id>.json`
 * accepting the rule's `defaultOptions`.
 */
export function ruleTester(ruleId: string, cases: { valid: ValidCase[]; invalid: InvalidCase[] }): void {
  describe(ruleId, () => {
    const rule = allRules().find((r) => r.meta.id === ruleId);
    it('is registered with metadata, a doc page and an options schema', () => {
      assert.ok(rule, `rule ${ruleId} is registered`);
      assert.equal(rule.meta.id, ruleId);
      assert.match(rule.meta.code, /^MSH\d{3}$/);
      assert.ok(existsSync(join(ROOT, rule.meta.docs)), `${rule.meta.docs} exists`);
      const schemaPath = join(ROOT, 'schemas', 'rules', `${ruleId}.json`);
      assert.ok(existsSync(schemaPath), `${schemaPath} exists`);
      const schema = JSON.parse(readFileSync(schemaPath, 'utf8'));
      const validate = new Ajv.default({ strict: false }).compile(schema);
      assert.ok(validate(rule.meta.defaultOptions), `defaultOptions match the schema: ${JSON.stringify(validate.errors)}`);
    });
    for (const c of cases.valid) {
      it(`valid: ${c.name}`, async () => {
        const found = await findingsOf(ruleId, c);
        assert.deepEqual(
          found.map((f) => `${f.location.line}:${f.location.column} ${f.message}`),
          [],
          'no findings expected',
        );
      });
    }
    for (const c of cases.invalid) {
      it(`invalid: ${c.name}`, async () => {
        const found = await findingsOf(ruleId, c);
        assert.equal(found.length, c.errors.length, `expected ${c.errors.length} finding(s), got: ${found.map((f) => `${f.location.line}:${f.location.column} ${f.message}`).join(' | ')}`);
        c.errors.forEach((e, i) => {
          assert.equal(found[i].location.line, e.line, `finding ${i} line`);
          if (e.column !== undefined) assert.equal(found[i].location.column, e.column, `finding ${i} column`);
          if (e.message) assert.match(found[i].message, e.message);
          if (e.severity) assert.equal(found[i].severity, e.severity);
        });
      });
    }
  });
}
