import assert from 'node:assert/strict';
import { mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { check, type CheckOptions } from '../../src/pipeline.js';
import { loadInputs } from '../../src/load/index.js';
import { runCli, tempDir } from '../helpers/cli.js';
import { renderTools } from '../helpers/render-tools.js';
import { sarifSchemaErrors } from '../helpers/sarif-schema.js';

const tools = renderTools();
const skip = tools.skip ? `no helm/kubectl: ${tools.skip}` : false;

/** Writes `files` (relative path → text) under `root`. */
function writeTree(root: string, files: Record<string, string>): void {
  for (const [rel, text] of Object.entries(files)) {
    mkdirSync(dirname(join(root, rel)), { recursive: true });
    writeFileSync(join(root, rel), text);
  }
}

/** Every file under `dir`, relative, sorted: to show a render wrote nothing into the user's tree. */
function listTree(dir: string, prefix = ''): string[] {
  return readdirSync(join(dir, prefix), { withFileTypes: true })
    .flatMap((e) => (e.isDirectory() ? listTree(dir, join(prefix, e.name)) : [join(prefix, e.name)]))
    .sort();
}

// A chart whose DestinationRule has one literal and one templated churn setting, and a subchart.
const CHART = {
  'shop/Chart.yaml': 'apiVersion: v2\nname: shop-chart\nversion: 0.1.0\n',
  'shop/values.yaml': 'maxRequests: 1\n',
  'shop/templates/NOTES.txt': 'not YAML {{ .Release.Name }}\n',
  'shop/templates/dr.yaml': [
    '# the payments pool', // line 1
    'apiVersion: networking.istio.io/v1',
    'kind: DestinationRule',
    'metadata:',
    '  name: {{ .Release.Name }}-payments', // 5
    'spec:',
    '  host: payments.shop.svc.cluster.local',
    '  trafficPolicy:',
    '    connectionPool:',
    '      http:', // 10
    '        maxRequestsPerConnection: {{ .Values.maxRequests }}',
    '---',
    'apiVersion: networking.istio.io/v1',
    'kind: DestinationRule',
    'metadata:', // 15
    '  name: {{ .Release.Name }}-ledger',
    'spec:',
    '  host: ledger.shop.svc.cluster.local',
    '  trafficPolicy:',
    '    connectionPool:', // 20
    '      http:',
    '        maxRequestsPerConnection: 1',
    '',
  ].join('\n'),
  'shop/charts/edge/Chart.yaml': 'apiVersion: v2\nname: edge\nversion: 0.1.0\n',
  'shop/charts/edge/templates/vs.yaml': [
    'apiVersion: networking.istio.io/v1',
    'kind: VirtualService',
    'metadata:',
    '  name: edge',
    'spec:', // 5
    '  hosts: [edge.shop.svc.cluster.local]',
    '  http:',
    '  - route:',
    '    - destination: {host: edge.shop.svc.cluster.local}',
    '    retries:', // 10
    '      attempts: 7',
    '',
  ].join('\n'),
};

describe('helm charts are rendered with the real helm', { skip }, () => {
  let root: { dir: string; cleanup: () => void };
  const run = (extra: Partial<CheckOptions> = {}) =>
    check({ paths: ['shop'], cwd: root.dir, defaultNamespace: 'default', render: { helm: { binary: tools.helm, release: 'prod', namespace: 'shop' } }, ...extra });
  before(() => {
    root = tempDir('meshlint-helm-');
    writeTree(root.dir, CHART);
  });
  after(() => root.cleanup());

  it('points findings at the template file and line, keeping the rendered position', async () => {
    const before = listTree(root.dir);
    const result = await run();
    assert.deepEqual(result.errors, []);
    assert.deepEqual(listTree(root.dir), before, 'nothing written into the chart');
    const keepalive = result.findings.filter((f) => f.ruleId === 'keepalive-disabled');
    assert.deepEqual(
      keepalive.map((f) => [f.location.file, f.location.line, f.location.rendered?.match, f.location.object?.name]),
      [
        ['shop/templates/dr.yaml', 11, 'key', 'prod-payments'], // the value is templated: the key's line
        ['shop/templates/dr.yaml', 22, 'line', 'prod-ledger'], // the literal line, the second of two identical keys
      ],
    );
    for (const f of keepalive) {
      assert.equal(f.location.rendered?.by, 'helm');
      assert.equal(f.location.rendered?.input, 'shop');
      assert.ok(f.location.rendered!.line > f.location.line, 'the rendered line is in helm’s output, after the # Source comments');
      assert.equal(f.fix, undefined, 'no fix on a rendered object');
    }
    assert.ok(!result.findings.some((f) => f.ruleId === 'parse-error'), 'templates are not parsed as YAML');
    const retries = result.findings.find((f) => f.ruleId === 'retries-aggressive');
    assert.equal(retries?.location.file, 'shop/charts/edge/templates/vs.yaml', 'a subchart’s template is found under charts/');
    assert.equal(retries?.location.line, 11);
  });

  it('passes --set and values files through: a value that fixes the pool removes the finding', async () => {
    writeTree(root.dir, { 'prod-values.yaml': 'maxRequests: 1000\n' });
    const withValues = await run({ render: { helm: { binary: tools.helm, values: ['prod-values.yaml'] } } });
    assert.deepEqual(
      withValues.findings.filter((f) => f.ruleId === 'keepalive-disabled').map((f) => f.location.line),
      [22],
    );
    const withSet = await run({ render: { helm: { binary: tools.helm, set: ['maxRequests=1'] , values: ['prod-values.yaml'] } } });
    assert.equal(withSet.findings.filter((f) => f.ruleId === 'keepalive-disabled').length, 2, '--set wins over the values file, as in helm');
  });

  it('renders --helm-chart directories found nowhere in the paths, and does not report them as unrendered', async () => {
    writeTree(root.dir, { 'k8s/ns.yaml': 'apiVersion: v1\nkind: Namespace\nmetadata:\n  name: shop\n' });
    const result = await check({ paths: ['.'], cwd: root.dir, defaultNamespace: 'default', render: { helmCharts: ['shop'], helm: { binary: tools.helm } } });
    assert.deepEqual(result.errors, []);
    assert.ok(!result.findings.some((f) => f.ruleId === 'input-not-rendered'));
    assert.equal(result.findings.filter((f) => f.ruleId === 'keepalive-disabled').length, 2);
  });

  it('a meshlint-disable comment in the template silences the finding moved there', async () => {
    const chart = tempDir('meshlint-helm-directive-');
    try {
      writeTree(chart.dir, {
        'c/Chart.yaml': 'apiVersion: v2\nname: c\nversion: 0.1.0\n',
        'c/templates/dr.yaml': [
          'apiVersion: networking.istio.io/v1',
          'kind: DestinationRule',
          'metadata:',
          '  name: a',
          'spec:',
          '  host: a',
          '  trafficPolicy:',
          '    connectionPool:',
          '      http:',
          '        # meshlint-disable-next-line keepalive-disabled -- batch job, one request per pod',
          '        maxRequestsPerConnection: 1',
          '',
        ].join('\n'),
      });
      const result = await check({ paths: ['c'], cwd: chart.dir, defaultNamespace: 'default', render: { helm: { binary: tools.helm } } });
      assert.ok(!result.findings.some((f) => f.ruleId === 'keepalive-disabled'));
      const silenced = result.suppressed?.find((f) => f.ruleId === 'keepalive-disabled');
      assert.equal(silenced?.location.file, join('c', 'templates', 'dr.yaml'));
      assert.equal(silenced?.location.line, 11);
    } finally {
      chart.cleanup();
    }
  });

  it('a template helm cannot render is one run error with helm’s message and exit code', async () => {
    const broken = tempDir('meshlint-helm-broken-');
    try {
      writeTree(broken.dir, { 'c/Chart.yaml': 'apiVersion: v2\nname: c\nversion: 0.1.0\n', 'c/templates/x.yaml': 'kind: {{ .Values.kind \n' });
      const result = await check({ paths: ['c'], cwd: broken.dir, defaultNamespace: 'default', render: { helm: { binary: tools.helm } } });
      assert.equal(result.errors.length, 1);
      assert.match(result.errors[0]!.message, /^helm template failed: exit code 1: Error: .*x\.yaml/);
      assert.doesNotMatch(result.errors[0]!.message, /\n/);
      assert.deepEqual(result.findings, []);
    } finally {
      broken.cleanup();
    }
  });

  it('CLI: SARIF carries the template location and the rendered one', () => {
    const r = runCli(['check', 'shop', '--helm-binary', tools.helm!, '--helm-release', 'prod', '-f', 'sarif'], { cwd: root.dir });
    assert.equal(r.code, 1, r.stderr);
    const log = JSON.parse(r.stdout) as { runs: { results: Record<string, any>[] }[] };
    assert.equal(sarifSchemaErrors(log), null, 'valid SARIF 2.1.0');
    const results = log.runs[0]!.results;
    const ledger = results.find((x) => x.ruleId === 'keepalive-disabled' && x.locations[0].physicalLocation.region.startLine === 22)!;
    assert.equal(ledger.locations[0].physicalLocation.artifactLocation.uri, 'shop/templates/dr.yaml');
    const related = ledger.relatedLocations[0];
    assert.equal(related.physicalLocation.artifactLocation.uri, 'shop/');
    const { startLine, startColumn } = related.physicalLocation.region;
    assert.equal(related.message.text, `rendered by helm template (shop), output line ${startLine}:${startColumn}; template line matched`);
  });
});

describe('without helm', () => {
  it('a chart is one clear run error and exit 2, not a parse error per template', () => {
    const root = tempDir('meshlint-nohelm-');
    try {
      writeTree(root.dir, CHART);
      const r = runCli(['check', 'shop'], { cwd: root.dir, env: { PATH: '/nonexistent' } });
      assert.equal(r.code, 2);
      assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
      assert.match(r.stderr, /^meshlint: shop: helm template cannot run: helm not found; install it .* or name it with --helm-binary/);
      assert.doesNotMatch(r.stdout, /parse-error|no problems/);
    } finally {
      root.cleanup();
    }
  });
});

// An overlay that sets the namespace and adds a VirtualService over a base DestinationRule.
const KUSTOMIZE = {
  'base/kustomization.yaml': 'resources:\n- dr.yaml\n',
  'base/dr.yaml': [
    'apiVersion: networking.istio.io/v1',
    'kind: DestinationRule',
    'metadata:',
    '  name: payments',
    'spec:', // 5
    '  host: payments',
    '  trafficPolicy:',
    '    connectionPool:',
    '      http:',
    '        maxRequestsPerConnection: 1', // 10
    '',
  ].join('\n'),
  'overlays/prod/kustomization.yaml': 'apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nnamespace: prod\nresources:\n- ../../base\n- vs.yaml\n',
  'overlays/prod/vs.yaml': 'apiVersion: networking.istio.io/v1\nkind: VirtualService\nmetadata:\n  name: payments\nspec:\n  hosts: [payments]\n  http:\n  - route:\n    - destination: {host: payments}\n    retries: {attempts: 5}\n',
};

describe('kustomizations are built with the real kubectl kustomize', { skip }, () => {
  let root: { dir: string; cleanup: () => void };
  before(() => {
    root = tempDir('meshlint-kustomize-');
    writeTree(root.dir, KUSTOMIZE);
  });
  after(() => root.cleanup());

  it('points findings at the base or overlay file each object came from, with the overlay applied', async () => {
    const before = listTree(root.dir);
    const result = await check({ paths: ['overlays/prod'], cwd: root.dir, defaultNamespace: 'default', render: { kustomize: { binary: tools.kubectl } } });
    assert.deepEqual(result.errors, []);
    assert.deepEqual(listTree(root.dir), before, 'the origin-annotation wrapper is written outside the user’s tree');
    const keepalive = result.findings.find((f) => f.ruleId === 'keepalive-disabled')!;
    assert.deepEqual([keepalive.location.file, keepalive.location.line, keepalive.location.object?.namespace], [join('base', 'dr.yaml'), 10, 'prod']);
    assert.equal(keepalive.location.rendered?.by, 'kustomize');
    const retries = result.findings.find((f) => f.ruleId === 'retries-aggressive')!;
    assert.deepEqual([retries.location.file, retries.location.line, retries.location.rendered?.match], [join('overlays', 'prod', 'vs.yaml'), 10, 'key']);
    assert.ok(!result.findings.some((f) => f.ruleId === 'input-not-rendered'));
  });

  it('strips the origin annotation from what rules see', () => {
    const loaded = loadInputs({ paths: ['overlays/prod'], cwd: root.dir, defaultNamespace: 'default', parseErrorSeverity: 'error', render: { kustomize: { binary: tools.kubectl } } });
    assert.equal(loaded.objects.length, 2);
    for (const o of loaded.objects) assert.equal((o.raw.metadata as Record<string, unknown>).annotations, undefined);
  });

  it('a kustomization kubectl cannot build is one run error', async () => {
    writeTree(root.dir, { 'broken/kustomization.yaml': 'resources:\n- missing.yaml\n' });
    const result = await check({ paths: ['broken'], cwd: root.dir, defaultNamespace: 'default', render: { kustomize: { binary: tools.kubectl } } });
    assert.equal(result.errors.length, 1);
    assert.match(result.errors[0]!.message, /^kubectl kustomize failed: exit code 1: error: .*missing\.yaml/);
  });
});

describe('check reports what it could not analyse', () => {
  let root: { dir: string; cleanup: () => void };
  before(() => {
    root = tempDir('meshlint-empty-');
    writeTree(root.dir, { ...KUSTOMIZE, 'other/cm.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\n' });
  });
  after(() => root.cleanup());

  it('input with no object meshlint reads exits 2 with one line; --allow-empty-input exits 0', () => {
    const r = runCli(['check', 'other'], { cwd: root.dir });
    assert.equal(r.code, 2);
    assert.match(r.stderr, /^meshlint: input: nothing analysed: 1 file, 1 document, no object meshlint reads \(skipped: ConfigMap 1\)/);
    assert.doesNotMatch(r.stdout, /no problems/);
    const allowed = runCli(['check', 'other', '--allow-empty-input'], { cwd: root.dir });
    assert.equal(allowed.code, 0, allowed.stderr);
  });

  it('a path that does not exist exits 2 without "no problems"', () => {
    const r = runCli(['check', 'nope/'], { cwd: root.dir });
    assert.equal(r.code, 2);
    assert.doesNotMatch(r.stdout, /✔ no problems/);
    assert.match(r.stdout, /run error/);
  });

  it('a staged chart template (as a pre-commit hook passes it, with --context-dir) is input-not-rendered at the chart, not a parse error', () => {
    writeTree(root.dir, CHART);
    const r = runCli(['check', join('shop', 'templates', 'dr.yaml'), '--context-dir', 'base', '-f', 'json'], { cwd: root.dir });
    assert.equal(r.code, 0, r.stderr);
    const report = JSON.parse(r.stdout) as { findings: { ruleId: string; file: string; line: number }[] };
    assert.deepEqual(report.findings.map((f) => [f.ruleId, f.file, f.line]), [['input-not-rendered', join('shop', 'Chart.yaml'), 1]]);
  });

  it('an overlay met while walking is input-not-rendered, at its kustomization file', () => {
    const r = runCli(['check', 'overlays', '-f', 'json'], { cwd: root.dir });
    const report = JSON.parse(r.stdout) as { findings: { ruleId: string; file: string; line: number }[] };
    assert.deepEqual(
      report.findings.filter((f) => f.ruleId === 'input-not-rendered').map((f) => [f.file, f.line]),
      [[join('overlays', 'prod', 'kustomization.yaml'), 1]],
    );
  });
});
