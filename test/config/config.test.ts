import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import Ajv from 'ajv';
import { ConfigError, loadConfig, resolveRunConfig } from '../../src/config/index.js';
import { runCli, tempDir } from '../helpers/cli.js';
import { ROOT } from '../helpers/paths.js';
import { destinationRule, writeTree } from '../helpers/manifests.js';

const KEEPALIVE_OFF = destinationRule('ext', { host: 'api.example.com' });
/** A MESH_EXTERNAL host routed by a VirtualService with no retries block: Istio's default retries apply. */
const ROUTED = `apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata:
  name: api
  namespace: shop
spec:
  hosts: [api.example.com]
  location: MESH_EXTERNAL
  resolution: DNS
  ports:
  - number: 80
    name: http
    protocol: HTTP
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata:
  name: api
  namespace: shop
spec:
  hosts: [api.example.com]
  http:
  - route:
    - destination:
        host: api.example.com
---
${KEEPALIVE_OFF}`;

describe('configuration', () => {
  let dir: string;
  let cleanup: () => void;
  before(() => ({ dir, cleanup } = tempDir()));
  after(() => cleanup());

  /** A fresh directory under the temp dir with `files` written into it. */
  let n = 0;
  function project(files: Record<string, string>): string {
    const root = join(dir, `p${n++}`);
    writeTree(root, files);
    return root;
  }
  /** The message of the ConfigError that loading `text` as .meshlintrc.yaml throws. */
  function errorOf(text: string, name = '.meshlintrc.yaml'): string {
    const root = project({ [name]: text });
    try {
      loadConfig({ cwd: root });
    } catch (error) {
      assert.ok(error instanceof ConfigError, `a ConfigError, got ${error}`);
      assert.equal(error.exitCode, 2);
      assert.doesNotMatch(error.message, /\n/, 'one line');
      return error.message;
    }
    assert.fail('expected a ConfigError');
  }

  describe('discovery', () => {
    it('walks up from the working directory to the first directory with a configuration', () => {
      const root = project({ '.meshlintrc.yaml': 'rules:\n  keepalive-disabled: warn\n', 'a/b/c/.keep': '' });
      const loaded = loadConfig({ cwd: join(root, 'a/b/c') });
      assert.equal(loaded.file, join(root, '.meshlintrc.yaml'));
      assert.equal(loaded.dir, root);
      assert.deepEqual(loaded.config.rules, { 'keepalive-disabled': 'warn' });
    });

    it('the nearest directory wins; in one directory .yaml before .yml, .json and package.json', () => {
      const root = project({
        '.meshlintrc.json': '{"rules": {"keepalive-disabled": "info"}}',
        'sub/.meshlintrc.yml': 'rules: {keepalive-disabled: "off"}\n',
        'sub/.meshlintrc.json': '{"rules": {"keepalive-disabled": "error"}}',
        'sub/package.json': '{"name": "x", "meshlint": {"rules": {"keepalive-disabled": "warn"}}}',
      });
      assert.equal(loadConfig({ cwd: join(root, 'sub') }).file, join(root, 'sub/.meshlintrc.yml'));
      assert.equal(loadConfig({ cwd: root }).file, join(root, '.meshlintrc.json'));
    });

    it('package.json counts only with a "meshlint" key; without one the walk goes on upwards', () => {
      const root = project({ 'package.json': '{"name": "top", "meshlint": {"ignorePatterns": ["gen/"]}}', 'app/package.json': '{"name": "app"}' });
      const loaded = loadConfig({ cwd: join(root, 'app') });
      assert.equal(loaded.file, join(root, 'package.json'));
      assert.deepEqual(loaded.config.ignorePatterns, ['gen/']);
    });

    it('no file: defaults; an empty file: an empty configuration; --config overrides discovery', () => {
      const root = project({ 'empty/.meshlintrc.yaml': '', 'other.yaml': 'rules:\n  keepalive-disabled: info\n', 'plain/.keep': '' });
      assert.equal(loadConfig({ cwd: join(root, 'plain') }).file, null);
      assert.deepEqual(loadConfig({ cwd: join(root, 'empty') }).config, {});
      const explicit = loadConfig({ cwd: join(root, 'empty'), file: '../other.yaml' });
      assert.equal(explicit.file, join(root, 'other.yaml'));
      assert.throws(() => loadConfig({ cwd: root, file: 'missing.yaml' }), /--config missing\.yaml: no such file/);
      assert.throws(() => loadConfig({ cwd: root, file: 'plain' }), /--config plain: is a directory/);
    });

    it('a yaml-language-server $schema comment and a $schema key are accepted', () => {
      const root = project({ '.meshlintrc.yaml': '# yaml-language-server: $schema=./node_modules/meshlint/schemas/config.schema.json\n$schema: ./node_modules/meshlint/schemas/config.schema.json\nrules: {}\n' });
      assert.deepEqual(loadConfig({ cwd: root }).config.rules, {});
    });
  });

  describe('invalid configurations: one line with file:line:column and the key', () => {
    const cases: [string, string, RegExp][] = [
      ['unknown top-level key', 'rules: {}\nrulez: {}\n', /^\.meshlintrc\.yaml:2:1: rulez: unknown key \(expected one of: \$schema, rules, ignorePatterns/],
      ['misspelt rule id, with a suggestion', 'rules:\n  keepalive-disabeld: error\n', /^\.meshlintrc\.yaml:2:3: rules\.keepalive-disabeld: unknown rule "keepalive-disabeld" \(did you mean keepalive-disabled\?\)/],
      ['bad severity', 'rules:\n  keepalive-disabled: fatal\n', /^\.meshlintrc\.yaml:2:3: rules\.keepalive-disabled: must be off, info, warn or error, or \[severity, \{ options \}\] \(got "fatal"\)$/],
      ['bad severity in the array form', 'rules:\n  keepalive-disabled: [fatal]\n', /:2:3: rules\.keepalive-disabled: must be off, info, warn or error/],
      ['rule option out of range (schemas/rules/<id>.json)', 'rules:\n  connection-churn-settings:\n    - warn\n    - minIdleTimeoutSeconds: -1\n', /^\.meshlintrc\.yaml:4:7: rules\.connection-churn-settings\[1\]\.minIdleTimeoutSeconds: must be ≥ 0 \(got -1\)$/],
      ['unknown rule option', 'rules:\n  connection-churn-settings: [warn, {idle: 3}]\n', /:2:38: rules\.connection-churn-settings\[1\]\.idle: unknown key \(expected one of: minRequestsPerConnection/],
      ['options for a rule without options', 'rules:\n  keepalive-disabled: [warn, {x: 1}]\n', /:2:31: rules\.keepalive-disabled\[1\]\.x: unknown key/],
      ['wrong type', 'rps:\n  default: fast\n', /^\.meshlintrc\.yaml:2:3: rps\.default: must be a number \(got "fast"\)$/],
      ['workload key without namespace', 'rps:\n  workloads:\n    checkout: 3\n', /:3:5: rps\.workloads\.checkout: "checkout" is not a valid key here: Rate per client workload/],
      ['port range the kernel rejects', 'node:\n  ip_local_port_range: "60999 32768"\n', /:2:3: node\.ip_local_port_range: "60999 32768" is not a port range "LOW HIGH"/],
      ['reserved ports out of range', 'node:\n  ip_local_reserved_ports: "8080,70000"\n', /:2:3: node\.ip_local_reserved_ports: invalid item "70000"/],
      ['tcp_tw_reuse', 'node:\n  tcp_tw_reuse: 3\n', /:2:3: node\.tcp_tw_reuse: must be one of 0, 1, 2 \(got 3\)/],
      ['h2UpgradePolicy', 'mesh:\n  h2UpgradePolicy: YES\n', /:2:3: mesh\.h2UpgradePolicy: must be one of "DO_NOT_UPGRADE", "UPGRADE"/],
      ['missing required key in a list item', 'source:\n  workloads:\n    - path: svc/\n', /:3:7: source\.workloads\[0\]: missing required key "workload"/],
      ['a list instead of a mapping', '- rules\n', /^\.meshlintrc\.yaml:1:1: the configuration must be a mapping/],
      ['YAML syntax error', 'rules: [1\n', /^\.meshlintrc\.yaml:2:1: invalid YAML: Flow sequence/],
      ['duplicate key', 'rules:\n  keepalive-disabled: warn\n  keepalive-disabled: error\n', /^\.meshlintrc\.yaml:3:3: invalid YAML: Map keys must be unique$/],
    ];
    for (const [name, text, expected] of cases) {
      it(name, () => assert.match(errorOf(text), expected));
    }

    it('JSON and package.json errors point into the file (the "meshlint" key)', () => {
      assert.match(errorOf('{\n  "rules": {\n    "keepalive-disabled": "of"\n  }\n}\n', '.meshlintrc.json'), /^\.meshlintrc\.json:3:5: rules\.keepalive-disabled: must be off/);
      assert.match(errorOf('{"rules": {,}}', '.meshlintrc.json'), /^\.meshlintrc\.json:1:\d+: invalid JSON:/);
      assert.match(errorOf('{\n  "name": "x",\n  "meshlint": {\n    "ignorePatterns": "gen/"\n  }\n}\n', 'package.json'), /^package\.json:4:5: ignorePatterns: must be a list \(got "gen\/"\)$/);
    });

    it('the CLI prints it on one line and exits with 2, analysing nothing', () => {
      const root = project({ '.meshlintrc.yaml': 'rules:\n  keepalive-disabled: fatal\n', 'dr.yaml': KEEPALIVE_OFF });
      const r = runCli(['check', 'dr.yaml'], { cwd: root });
      assert.equal(r.code, 2);
      assert.equal(r.stdout, '');
      assert.equal(r.stderr, 'meshlint: .meshlintrc.yaml:2:3: rules.keepalive-disabled: must be off, info, warn or error, or [severity, { options }] (got "fatal")\n');
    });
  });

  describe('effect on a run (real CLI)', () => {
    it('rules: severity and options from the file; --rule overrides the severity for one run, keeping the options', () => {
      const root = project({
        'k8s/.meshlintrc.yaml': 'rules:\n  keepalive-disabled: warn\n  connection-churn-settings: [warn, { minRequestsPerConnection: 1000 }]\n',
        'k8s/dr.yaml': KEEPALIVE_OFF.replace('maxRequestsPerConnection: 1', 'maxRequestsPerConnection: 500'),
        // Its own host (ka.example.com): a second DestinationRule for api.example.com in shop would merge with the
        // older one, whose top-level trafficPolicy alone applies (istio/istio pilot/pkg/model/destination_rule.go,
        // mergeDestinationRule), and its keep-alive setting would rightly not be reported.
        'k8s/ka.yaml': destinationRule('ka'),
      });
      const r = runCli(['check', '.', '-f', 'json'], { cwd: join(root, 'k8s') });
      assert.equal(r.code, 0, r.stderr);
      const report = JSON.parse(r.stdout);
      const byRule = (id: string) => report.findings.filter((f: { ruleId: string }) => f.ruleId === id);
      assert.equal(byRule('keepalive-disabled')[0].severity, 'warn');
      assert.equal(byRule('connection-churn-settings').length, 1, 'maxRequestsPerConnection 500 < the configured 1000');
      const over = runCli(['check', '.', '-f', 'json', '--rule', 'keepalive-disabled:error', '--rule', 'connection-churn-settings:off'], { cwd: join(root, 'k8s') });
      assert.equal(over.code, 1);
      const printed = JSON.parse(runCli(['check', '--print-config', '--rule', 'connection-churn-settings:error'], { cwd: join(root, 'k8s') }).stdout);
      assert.deepEqual(printed.rules['connection-churn-settings'], ['error', { minRequestsPerConnection: 1000, minIdleTimeoutSeconds: 30, minConnectionDurationSeconds: 300 }]);
    });

    it('ignorePatterns (gitignore syntax, relative to the configuration file) skip walked, globbed and named files', () => {
      const root = project({
        '.meshlintrc.yaml': 'ignorePatterns:\n  - generated/\n  - "*.rendered.yaml"\n  - "!keep.rendered.yaml"\n',
        'k8s/generated/dr.yaml': KEEPALIVE_OFF,
        'k8s/x.rendered.yaml': KEEPALIVE_OFF,
        'k8s/keep.rendered.yaml': KEEPALIVE_OFF,
        'k8s/dr.yaml': KEEPALIVE_OFF,
      });
      const files = (args: string[], cwd = root) => [...new Set(JSON.parse(runCli(['check', ...args, '-f', 'json'], { cwd }).stdout).findings.map((f: { file: string }) => f.file))].sort();
      assert.deepEqual(files(['k8s']), ['k8s/dr.yaml', 'k8s/keep.rendered.yaml']);
      assert.deepEqual(files(['k8s/**/*.yaml']), ['k8s/dr.yaml', 'k8s/keep.rendered.yaml']);
      assert.deepEqual(files(['k8s/generated/dr.yaml', 'k8s/dr.yaml']), ['k8s/dr.yaml']);
      assert.deepEqual(files(['.'], join(root, 'k8s')), ['dr.yaml', 'keep.rendered.yaml'], 'from a sub-directory, patterns stay relative to the file');
    });

    it('mesh.defaultHttpRetryPolicy, node port range and reserved ports, per-host rps change the multiplier', () => {
      const root = project({
        '.meshlintrc.yaml': [
          'mesh:',
          '  defaultHttpRetryPolicy: { attempts: 4 }',
          'node:',
          '  ip_local_port_range: "1024 65535"',
          '  ip_local_reserved_ports: "30000-32767,8080"',
          'rps:',
          '  default: 10',
          '  hosts:',
          '    "*.example.com": 50',
          '',
        ].join('\n'),
        'k8s/all.yaml': ROUTED,
      });
      const report = JSON.parse(runCli(['check', 'k8s', '-f', 'json'], { cwd: root }).stdout);
      assert.equal(report.budget.ports, 65535 - 1024 + 1 - (32767 - 30000 + 1) - 1, 'range less reserved ports inside it');
      assert.equal(report.budget.rps, 10);
      const route = report.routes.find((r: { host: string }) => r.host === 'api.example.com');
      assert.equal(route.legs[1].tries, 5, '1 + the configured 4 default retries');
      assert.equal(route.rps, 50, 'the wildcard host entry beats the default');
      assert.equal(route.portsHeld, 50 * route.budgetConnections * 60);
      // --rps and --port-range replace the configuration for one run
      const flags = JSON.parse(runCli(['check', 'k8s', '-f', 'json', '--rps', '7', '--port-range', '32768-60999'], { cwd: root }).stdout);
      assert.equal(flags.routes.find((r: { host: string }) => r.host === 'api.example.com').rps, 7);
      assert.equal(flags.budget.ports, 28232 - 0, 'reserved ports 30000-32767 lie below 32768');
    });

    it('--print-config prints the effective configuration, valid against schemas/config.schema.json, and says where it came from', () => {
      const root = project({ 'package.json': JSON.stringify({ name: 'x', meshlint: { mesh: { rootNamespace: 'mesh-root' }, source: { workloads: [{ path: 'svc/pay', workload: 'payments', namespace: 'shop' }], envHosts: { PAYMENTS_URL: 'https://pay.example.com' } } } }) });
      const r = runCli(['check', '--print-config', '--report-unused-disable-directives'], { cwd: root });
      assert.equal(r.code, 0, r.stderr);
      assert.equal(r.stderr, 'meshlint: configuration from package.json\n');
      const printed = JSON.parse(r.stdout);
      const validate = new Ajv.default({ strict: false }).compile(JSON.parse(readFileSync(join(ROOT, 'schemas/config.schema.json'), 'utf8')));
      assert.ok(validate(structuredClone(printed)), JSON.stringify(validate.errors));
      assert.equal(printed.mesh.rootNamespace, 'mesh-root');
      assert.deepEqual(printed.mesh.defaultHttpRetryPolicy, { attempts: 2 });
      assert.equal(printed.node.ip_local_port_range, '32768 60999');
      assert.equal(printed.reportUnusedDisableDirectives, true);
      assert.equal(printed.rules['keepalive-disabled'], 'error');
      assert.equal(printed.source.workloads[0].path, join(root, 'svc/pay'), 'relative paths resolved against the configuration file');
    });
  });

  describe('resolveRunConfig', () => {
    it('maps keys onto the analysis options (mesh settings, node, source, rates per host and workload)', () => {
      const run = resolveRunConfig({
        file: '/repo/.meshlintrc.yaml',
        dir: '/repo',
        config: {
          mesh: { rootNamespace: 'istio-config', defaultHttpRetryPolicy: { retryOn: '5xx' }, h2UpgradePolicy: 'UPGRADE' },
          node: { tcp_tw_reuse: 1 },
          rps: { default: 1, hosts: { 'api.example.com': 30, '*.example.com': 20 }, workloads: { 'shop/a': 3, 'shop/b': 4, 'ops/c': 5 } },
          source: { workloads: [{ path: 'svc', workload: 'a' }] },
        },
      });
      assert.deepEqual(run.options.mesh, { rootNamespace: 'istio-config', defaultRetryAttempts: 0, h2UpgradePolicy: 'UPGRADE' });
      assert.deepEqual(run.options.node, { tcp_tw_reuse: 1 });
      assert.equal(run.options.ports, undefined, 'no range or reserved ports: the default budget');
      assert.deepEqual(run.options.source, { workloads: [{ path: '/repo/svc', workload: 'a' }] });
      const rate = run.options.rpsFor!;
      assert.equal(rate({ host: 'api.example.com', clientNamespace: 'ops' } as never), 30, 'exact host beats the wildcard');
      assert.equal(rate({ host: 'other.example.com', clientNamespace: 'ops' } as never), 20);
      assert.equal(rate({ host: 'reviews.shop.svc.cluster.local', clientNamespace: 'shop' } as never), 7, 'workloads of the client namespace add up');
      assert.equal(rate({ host: 'reviews.prod.svc.cluster.local', clientNamespace: 'prod' } as never), 1, 'else the default');
    });
  });
});
