/**
 * `meshlint alerts`: the PrometheusRule's structure (prometheus-operator `monitoring.coreos.com/v1`), the
 * thresholds' arithmetic, and every PromQL expression parsed with `@prometheus-io/lezer-promql` (the parser of
 * Prometheus' own web UI).
 */
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { parser } from '@prometheus-io/lezer-promql';
import Ajv from 'ajv';
import { Command } from 'commander';
import { parse as parseYaml } from 'yaml';
import { alertThresholds, buildPrometheusRule, type PrometheusRule } from '../../src/node/alerts.js';
import { registerAlertsCommand } from '../../src/node/alerts-command.js';
import { check } from '../../src/pipeline.js';
import { render } from '../../src/report/index.js';
import { tempDir } from '../helpers/cli.js';
import { ROOT } from '../helpers/paths.js';

/** PromQL syntax errors lezer-promql found in `expr` (error nodes), as their offsets. */
function promqlErrors(expr: string): number[] {
  const errors: number[] = [];
  parser.parse(expr).iterate({
    enter: (node) => {
      if (node.type.isError) errors.push(node.from);
    },
  });
  return errors;
}

/** The subset of prometheus-operator's PrometheusRule CRD schema (`spec.groups[].rules[]`) that alerts use. */
const PROMETHEUS_RULE_SCHEMA = {
  type: 'object',
  required: ['apiVersion', 'kind', 'metadata', 'spec'],
  properties: {
    apiVersion: { const: 'monitoring.coreos.com/v1' },
    kind: { const: 'PrometheusRule' },
    metadata: { type: 'object', required: ['name'], properties: { name: { type: 'string', pattern: '^[a-z0-9]([-a-z0-9]*[a-z0-9])?$' }, namespace: { type: 'string' }, labels: { type: 'object', additionalProperties: { type: 'string' } } } },
    spec: {
      type: 'object',
      required: ['groups'],
      additionalProperties: false,
      properties: {
        groups: {
          type: 'array',
          minItems: 1,
          items: {
            type: 'object',
            required: ['name', 'rules'],
            properties: {
              name: { type: 'string', minLength: 1 },
              rules: {
                type: 'array',
                minItems: 1,
                items: {
                  type: 'object',
                  required: ['alert', 'expr'],
                  additionalProperties: false,
                  properties: {
                    alert: { type: 'string', pattern: '^[a-zA-Z_][a-zA-Z0-9_]*$' },
                    expr: { type: 'string', minLength: 1 },
                    for: { type: 'string', pattern: '^(0|(([0-9]+)y)?(([0-9]+)w)?(([0-9]+)d)?(([0-9]+)h)?(([0-9]+)m)?(([0-9]+)s)?(([0-9]+)ms)?)$' },
                    labels: { type: 'object', additionalProperties: { type: 'string' } },
                    annotations: { type: 'object', additionalProperties: { type: 'string' } },
                  },
                },
              },
            },
          },
        },
      },
    },
  },
} as const;

/** Runs `meshlint alerts` in-process with `args`; returns stdout, stderr and the exit code. */
async function alerts(args: string[]): Promise<{ out: string; err: string; code: number }> {
  let out = '';
  let err = '';
  let code = 0;
  const program = new Command('meshlint').exitOverride();
  registerAlertsCommand(program, { stdout: { write: (t: string) => (out += t) }, stderr: { write: (t: string) => (err += t) }, setExitCode: (c) => (code = c) }).exitOverride();
  await program.parseAsync(['node', 'meshlint', 'alerts', ...args]);
  return { out, err, code };
}

describe('meshlint alerts', () => {
  const validate = new Ajv.default({ strict: false }).compile(PROMETHEUS_RULE_SCHEMA);

  it('prints a valid PrometheusRule whose PromQL parses, with thresholds from the port range less reserved ports', async () => {
    const r = await alerts(['--port-range', '1024-65535', '--reserved-ports', '30000-32767', '--selector', 'job="node-exporter"', '--namespace', 'monitoring', '--label', 'release=kube-prometheus-stack']);
    assert.equal(r.code, 0, r.err);
    const doc = parseYaml(r.out) as PrometheusRule;
    assert.ok(validate(doc), JSON.stringify(validate.errors));
    assert.deepEqual(doc.metadata, { name: 'meshlint-ephemeral-ports', namespace: 'monitoring', labels: { release: 'kube-prometheus-stack' } });
    const rules = doc.spec.groups.flatMap((g) => g.rules);
    assert.deepEqual(rules.map((x) => [x.alert, x.labels.severity]), [
      ['EphemeralPortsTimeWaitHigh', 'warning'],
      ['EphemeralPortsTimeWaitCritical', 'critical'],
      ['EphemeralPortsConnectionChurnHigh', 'warning'],
      ['EphemeralPortsConnectionChurnCritical', 'critical'],
      ['EphemeralPortRangeUtilisationHigh', 'warning'],
      ['EphemeralPortRangeFull', 'critical'],
      ['EphemeralPortExhaustionRateReached', 'critical'],
    ]);
    for (const rule of rules) {
      assert.deepEqual(promqlErrors(rule.expr), [], `${rule.alert}: ${rule.expr}`);
      assert.match(rule.expr, /\{job="node-exporter"\}/);
      assert.match(rule.annotations['description']!, /meshlint ports --proc \/host\/proc/, 'says what to check');
    }
    // 65535 − 1024 + 1 − 2768 reserved = 61744 usable; 70 % and 90 % of it; ÷ 60 s for the churn rate.
    assert.equal(rules[0]!.expr, 'node_sockstat_TCP_tw{job="node-exporter"} > 43220');
    assert.equal(rules[1]!.expr, 'node_sockstat_TCP_tw{job="node-exporter"} > 55569');
    assert.equal(rules[2]!.expr, 'rate(node_netstat_Tcp_ActiveOpens{job="node-exporter"}[5m]) > 720.34');
    assert.equal(rules[3]!.expr, 'rate(node_netstat_Tcp_ActiveOpens{job="node-exporter"}[5m]) > 926.16');
  });

  it('default range: 28,232 ports, warning at 70 %, critical at 90 %', () => {
    const t = alertThresholds();
    assert.deepEqual([t.low, t.high, t.usable, t.warningTimeWait, t.criticalTimeWait, t.warningRate, t.criticalRate], [32768, 60999, 28232, 19762, 25408, 329.37, 423.48]);
    assert.throws(() => alertThresholds({ warningFraction: 0.9, criticalFraction: 0.5 }), /0 < warning < critical/);
    assert.throws(() => alertThresholds({ portRange: { low: 40000, high: 40009 }, reserved: [{ low: 40000, high: 40009 }] }), /no usable ports/);
  });

  it('--from-report takes the worst multiplier on the nodes’ ports from a real meshlint JSON report', async () => {
    const result = await check({ paths: ['fixtures/api-gateway'], cwd: ROOT, defaultNamespace: 'default' });
    const t = tempDir();
    try {
      const file = join(t.dir, 'report.json');
      writeFileSync(file, render('json', result, { color: false, explain: false, version: 'test' }));
      const r = await alerts(['--from-report', file, '--rps', '20']);
      assert.equal(r.code, 0, r.err);
      const doc = parseYaml(r.out) as PrometheusRule;
      const estimate = doc.spec.groups[0]!.rules[0]!.annotations['estimate']!;
      assert.match(estimate, /With 6 new connections per request .*api-gateway → api\.payments-provider\.com:80/);
      assert.match(estimate, /run out at 78\.4 requests\/s per source IP \(28232 ports \/ \(6 x 60 s\)\)/);
      writeFileSync(file, '{"schemaVersion": 2}');
      const bad = await alerts(['--from-report', file]);
      assert.equal(bad.code, 2);
      assert.match(bad.err, /^meshlint alerts: --from-report .*not a meshlint JSON report/);
    } finally {
      t.cleanup();
    }
  });

  it('rejects bad options with one line and exit code 2', async () => {
    for (const args of [['--warning', '95'], ['--rps', '10'], ['--selector', 'job=node'], ['--label', 'novalue'], ['--multiplier', '2', '--from-report', 'x.json']]) {
      const r = await alerts(args);
      assert.equal(r.code, 2, args.join(' '));
      assert.equal(r.out, '');
      assert.match(r.err, /^meshlint alerts: [^\n]+\n$/);
    }
  });

  it('the object built in code matches what is printed', () => {
    const rule = buildPrometheusRule({ multiplier: 3 });
    assert.ok(validate(rule), JSON.stringify(validate.errors));
    assert.match(rule.spec.groups[0]!.rules[0]!.annotations['estimate']!, /156\.8 requests\/s/);
  });
});
