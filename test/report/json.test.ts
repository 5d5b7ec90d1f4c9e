import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import Ajv from 'ajv';
import { runCli, tempDir } from '../helpers/cli.js';
import { ROOT } from '../helpers/paths.js';
import { tracesOf, type JsonTraceItem } from '../helpers/json-report.js';

const schema = JSON.parse(readFileSync(join(ROOT, 'schemas', 'report.schema.json'), 'utf8'));
const compiled = new Ajv.default({ allErrors: true }).compile(schema);
/** Not a type guard, so the parsed reports keep their type. */
const validate = Object.assign((data: unknown): boolean => compiled(data), { get errors() { return compiled.errors; } });

describe('json output', () => {
  it('validates against schemas/report.schema.json on the fixtures (findings, routes with traces, budget)', () => {
    const r = runCli(['check', 'fixtures/', '-f', 'json', '--rps', '50'], { cwd: ROOT });
    const report = JSON.parse(r.stdout);
    assert.ok(validate(report), JSON.stringify(validate.errors?.slice(0, 5), null, 2));
    assert.equal(report.schemaVersion, 2);
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

  it('writes each trace item once in `traces`; routes, legs, mirrors and the budget refer to it by index', () => {
    const r = runCli(['check', 'fixtures/', '-f', 'json'], { cwd: ROOT });
    const report = JSON.parse(r.stdout) as {
      traces: JsonTraceItem[];
      budget: { trace?: number[] };
      routes: { budgetTrace?: number[]; legs: { trace: number[]; dataPlane: string; carriedBy?: number }[]; mirrors: { trace: number[] }[] }[];
    };
    const keys = report.traces.map((t) => JSON.stringify([t.text, t.file, t.line, t.column]));
    assert.equal(new Set(keys).size, keys.length, 'no trace item twice in the table');
    const refs = [
      ...(report.budget.trace ?? []),
      ...report.routes.flatMap((route) => [...(route.budgetTrace ?? []), ...route.legs.flatMap((l) => (l.carriedBy === undefined ? l.trace : [...l.trace, l.carriedBy])), ...route.mirrors.flatMap((m) => m.trace)]),
    ];
    assert.ok(refs.length > report.traces.length, `routes share trace items (${refs.length} references, ${report.traces.length} items)`);
    for (const i of refs) assert.ok(Number.isInteger(i) && i >= 0 && i < report.traces.length, `index ${i}`);
    assert.deepEqual([...new Set(refs)].sort((x, y) => x - y), report.traces.map((_, i) => i), 'every item is used');
    // The usable-ports arithmetic of the default range is one fact, shared by every route whose budget it is.
    const usable = report.traces.findIndex((t) => t.text === 'usable ports = 60999 − 32768 + 1 = 28232');
    assert.ok(usable >= 0 && report.routes.filter((route) => route.budgetTrace?.includes(usable)).length > 1);
    assert.ok(tracesOf(report, report.routes[0]!.legs[0]!.trace).every((t) => t.text.length > 0));
    // Each leg says which data plane carries it; a sidecar leg says why (its carriedBy item).
    const legs = report.routes.flatMap((route) => route.legs);
    assert.ok(legs.every((l) => ['sidecar', 'gateway', 'none', 'ztunnel', 'waypoint', 'linkerd-proxy'].includes(l.dataPlane)));
    const sidecarLeg = legs.find((l) => l.dataPlane === 'sidecar' && l.carriedBy !== undefined);
    assert.ok(sidecarLeg && /^sidecar: /.test(report.traces[sidecarLeg.carriedBy!]!.text));
    // Indexes stay on one line: the text keeps the indented shape without one line per index.
    assert.match(r.stdout, /"trace": \[\d+(, \d+)*\]/);
  });

  it('the schema is closed: an unknown top-level field is rejected', () => {
    const r = runCli(['check', 'fixtures/healthy', '-f', 'json'], { cwd: ROOT });
    const report = JSON.parse(r.stdout);
    assert.ok(validate(report));
    assert.equal(validate({ ...report, extra: 1 }), false);
  });
});
