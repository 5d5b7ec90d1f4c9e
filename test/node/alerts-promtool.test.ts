/**
 * The rules `meshlint alerts` writes, checked by Prometheus's own tool: `promtool check rules` accepts them, and
 * `promtool test rules` evaluates them over input series (a node near exhaustion, a quiet node, a node churning at
 * the exhaustion rate) and asserts which alerts fire. Skipped when promtool is not installed.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import YAML from 'yaml';
import { alertThresholds, buildPrometheusRule } from '../../src/node/alerts.js';
import { havePrometheus } from '../helpers/prometheus.js';

const skip = havePrometheus() ? false : 'promtool not installed (apt-get install -y prometheus)';

describe('meshlint alerts under promtool', { skip }, () => {
  let dir: string;
  const promtool = (...args: string[]) => spawnSync('promtool', args, { cwd: dir, encoding: 'utf8' });
  before(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'meshlint-promtool-'));
    // promtool reads plain rule files: the PrometheusRule's spec is one.
    writeFileSync(path.join(dir, 'rules.yml'), YAML.stringify(buildPrometheusRule({ selector: 'job="node-exporter"' }).spec));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('promtool check rules accepts every rule', () => {
    const r = promtool('check', 'rules', 'rules.yml');
    assert.equal(r.status, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /SUCCESS: 7 rules found/);
  });

  it('promtool test rules: the node-budget alerts fire on the node near exhaustion, not on the quiet one', () => {
    const t = alertThresholds();
    // node-a: 23,000 TIME_WAIT (81 % of 28,232) and 480 new connections/s (over 28,232 / 60 = 470.5/s); node-b quiet.
    const series = (instance: string, tw: number, opensPerMinute: number) => [
      { series: `node_sockstat_TCP_tw{job="node-exporter",instance="${instance}"}`, values: `${tw}x20` },
      { series: `node_netstat_Tcp_ActiveOpens{job="node-exporter",instance="${instance}"}`, values: `0+${opensPerMinute}x20` },
    ];
    const rules = buildPrometheusRule({ selector: 'job="node-exporter"' }).spec.groups[1]!.rules;
    // The annotations as Prometheus expands them: the node's name and the value, humanised.
    const values: Record<string, string> = { 'EphemeralPortRangeUtilisationHigh node-a': '81.47%', 'EphemeralPortExhaustionRateReached node-a': '1.02', 'EphemeralPortRangeFull node-c': '100%' };
    const alertsAt = (alertname: string, instance: string | null, severity: string) => {
      const rule = rules.find((x) => x.alert === alertname)!;
      const expand = (text: string) => text.replaceAll('{{ $labels.instance }}', instance ?? '').replace(/\{\{ \$value \| humanize(Percentage)? \}\}/g, values[`${alertname} ${instance}`] ?? '?');
      return {
        eval_time: '15m',
        alertname,
        exp_alerts: instance ? [{ exp_labels: { severity, instance }, exp_annotations: { summary: expand(rule.annotations.summary!), description: expand(rule.annotations.description!) } }] : [],
      };
    };
    const test = {
      rule_files: ['rules.yml'],
      evaluation_interval: '1m',
      tests: [
        {
          interval: '1m',
          input_series: [...series('node-a', 23000, 480 * 60), ...series('node-b', 5000, 20 * 60)],
          alert_rule_test: [
            alertsAt('EphemeralPortRangeUtilisationHigh', 'node-a', 'warning'),
            alertsAt('EphemeralPortRangeFull', null, 'critical'),
            alertsAt('EphemeralPortExhaustionRateReached', 'node-a', 'critical'),
          ],
        },
        {
          interval: '1m',
          input_series: series('node-c', t.usable + 10, 10 * 60),
          alert_rule_test: [alertsAt('EphemeralPortRangeFull', 'node-c', 'critical'), alertsAt('EphemeralPortExhaustionRateReached', null, 'critical')],
        },
      ],
    };
    writeFileSync(path.join(dir, 'test.yml'), YAML.stringify(test));
    const r = promtool('test', 'rules', 'test.yml');
    assert.equal(r.status, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /SUCCESS/);
  });

  it('promtool test rules fails when an expected alert does not fire (the test can fail)', () => {
    const test = {
      rule_files: ['rules.yml'],
      evaluation_interval: '1m',
      tests: [{ interval: '1m', input_series: [{ series: 'node_sockstat_TCP_tw{job="node-exporter",instance="quiet"}', values: '100x20' }], alert_rule_test: [{ eval_time: '15m', alertname: 'EphemeralPortRangeUtilisationHigh', exp_alerts: [{ exp_labels: { severity: 'warning', instance: 'quiet' } }] }] }],
    };
    writeFileSync(path.join(dir, 'test-fail.yml'), YAML.stringify(test));
    const r = promtool('test', 'rules', 'test-fail.yml');
    assert.notEqual(r.status, 0);
  });
});
