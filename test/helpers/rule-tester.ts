import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { describe, it } from 'node:test';
import Ajv from 'ajv';
import { check, type CheckOptions } from '../../src/pipeline.js';
import type { MeshSettings } from '../../src/model/mesh.js';
import type { NodeOptions } from '../../src/node/settings.js';
import { allRules } from '../../src/rules/registry.js';
import type { Finding, Severity } from '../../src/types.js';
import { tempDir } from './cli.js';
import { ROOT } from './paths.js';

/** A case that must not produce a finding of the rule under test. */
export interface ValidCase {
  name: string;
  /** Manifests given as standard input; omit (or leave empty) when the case is only `files`. */
  yaml?: string;
  /**
   * Files written to a temporary directory (relative path → content) and given to `check` as that directory,
   * e.g. `{ 'sysctl.d/99-ports.conf': 'net.ipv4.ip_local_port_range = 1024 65535\n' }`.
   */
  files?: Record<string, string>;
  options?: Record<string, unknown>;
  mesh?: Partial<MeshSettings>;
  /** Further options of the run (e.g. `reportUnusedDisableDirectives` for rules of the suppression stage). */
  check?: Partial<CheckOptions>;
  /** Node settings the user states (`AnalysisOptions.node`). */
  node?: NodeOptions;
}

/** A case that must produce exactly these findings of the rule under test, in order. */
export interface InvalidCase extends ValidCase {
  errors: { line: number; column?: number; message?: RegExp; severity?: Severity }[];
}

/**
 * Runs the case through the whole `check` pipeline — `yaml` as standard input, `files` as real files in a
 * temporary directory (removed afterwards) — and returns the findings of `ruleId`.
 */
export async function findingsOf(ruleId: string, c: ValidCase): Promise<Finding[]> {
  const temp = c.files ? tempDir('meshlint-rule-') : null;
  try {
    const paths: string[] = [];
    if (temp) {
      for (const [rel, text] of Object.entries(c.files!)) {
        mkdirSync(dirname(join(temp.dir, rel)), { recursive: true });
        writeFileSync(join(temp.dir, rel), text);
      }
      paths.push(temp.dir);
    }
    if (c.yaml || !temp) paths.push('-');
    const result = await check({
      paths,
      cwd: ROOT,
      defaultNamespace: 'default',
      stdin: () => Buffer.from(c.yaml ?? ''),
      rules: c.options ? new Map([[ruleId, { severity: allRules().find((r) => r.meta.id === ruleId)!.meta.defaultSeverity, options: c.options }]]) : undefined,
      mesh: c.mesh,
      node: c.node,
      ...c.check,
    });
    assert.deepEqual(result.errors, [], 'no run errors');
    return result.findings.filter((f) => f.ruleId === ruleId);
  } finally {
    temp?.cleanup();
  }
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
