import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { runRenderer } from '../../src/load/render/run.js';
import { helmSourceComments, helmTemplateArgs, templateFile } from '../../src/load/render/helm.js';
import { kustomizeArgs, takeOrigin } from '../../src/load/render/kustomize.js';
import { tempDir } from '../helpers/cli.js';

// Node itself stands in for a renderer: `node -e <script>` is a real process with a real exit code and output.
const node = (script: string, ...rest: string[]) => [process.execPath, ['-e', script, ...rest]] as const;

describe('runRenderer: the user’s binary, no shell, bounded', () => {
  const limits = (dir: string) => ({ timeoutSeconds: 20, maxBytes: 1024 * 1024, cwd: dir });

  it('passes arguments as they are: nothing is interpreted by a shell', () => {
    const t = tempDir('meshlint-run-');
    try {
      const [bin, args] = node('process.stdout.write(JSON.stringify(process.argv.slice(1)))', '$(touch pwned)', '; touch pwned2', 'a b');
      const out = runRenderer(bin, args, limits(t.dir));
      assert.deepEqual(out, { ok: true, stdout: JSON.stringify(['$(touch pwned)', '; touch pwned2', 'a b']) });
      assert.ok(!existsSync(join(t.dir, 'pwned')) && !existsSync(join(t.dir, 'pwned2')));
    } finally {
      t.cleanup();
    }
  });

  it('a failure is one line with the exit code and the tool’s standard error', () => {
    const [bin, args] = node('console.error("Error: template: shop/templates/dr.yaml:3:4:\\n   executing \\"x\\"\\n"); process.exit(3)');
    assert.deepEqual(runRenderer(bin, args, limits(process.cwd())), { ok: false, missing: false, message: 'exit code 3: Error: template: shop/templates/dr.yaml:3:4: executing "x"' });
  });

  it('a long standard error is cut to 400 characters', () => {
    const [bin, args] = node('console.error("e".repeat(5000)); process.exit(1)');
    const out = runRenderer(bin, args, limits(process.cwd()));
    assert.equal(out.ok, false);
    assert.equal((out as { message: string }).message.length, 'exit code 1: '.length + 400 + 1);
  });

  it('kills a renderer that runs past the timeout', () => {
    const [bin, args] = node('setTimeout(() => {}, 60000)');
    const started = Date.now();
    const out = runRenderer(bin, args, { ...limits(process.cwd()), timeoutSeconds: 0.5 });
    assert.deepEqual(out, { ok: false, missing: false, message: 'killed after 0.5 s (raise it with --render-timeout)' });
    assert.ok(Date.now() - started < 20_000);
  });

  it('refuses output over the limit instead of truncating it', () => {
    const [bin, args] = node('process.stdout.write("x".repeat(3 * 1024 * 1024))');
    const out = runRenderer(bin, args, limits(process.cwd()));
    assert.equal(out.ok, false);
    assert.match((out as { message: string }).message, /^output larger than 1\.0 MiB/);
  });

  it('a binary that does not exist is `missing`', () => {
    assert.deepEqual(runRenderer('/nonexistent/helm', ['template'], limits(process.cwd())), { ok: false, missing: true, message: '/nonexistent/helm not found' });
  });
});

describe('helm and kustomize arguments and origins', () => {
  it('helm template gets values and sets in order, and never a network flag', () => {
    const args = helmTemplateArgs('/abs/shop', { release: 'prod', namespace: 'shop', values: ['a.yaml', 'b.yaml'], set: ['x=1'], setString: ['y=2'], kubeVersion: '1.31.0' });
    assert.deepEqual(args, ['template', 'prod', '/abs/shop', '--namespace', 'shop', '--kube-version', '1.31.0', '--values', 'a.yaml', '--values', 'b.yaml', '--set', 'x=1', '--set-string', 'y=2']);
    for (const flag of ['--dependency-update', '--repo', '--validate', '--verify']) assert.ok(!args.includes(flag));
  });

  it('# Source comments map to files under the chart directory (chart name dropped, subcharts kept)', () => {
    const lines = ['---', '# Source: shop-chart/templates/dr.yaml', 'kind: A', '---', '# Source: shop-chart/charts/edge/templates/vs.yaml', 'kind: B', '# Source: not at line start is still a comment'];
    assert.deepEqual(helmSourceComments(lines), [
      { line: 2, template: 'shop-chart/templates/dr.yaml' },
      { line: 5, template: 'shop-chart/charts/edge/templates/vs.yaml' },
      { line: 7, template: 'not at line start is still a comment' },
    ]);
    assert.equal(templateFile('charts/shop', 'shop-chart/charts/edge/templates/vs.yaml'), join('charts/shop', 'charts/edge/templates/vs.yaml'));
  });

  it('kubectl runs as kubectl kustomize, kustomize as kustomize build', () => {
    assert.deepEqual(kustomizeArgs('/usr/bin/kubectl', '/tmp/w'), ['kustomize', '/tmp/w']);
    assert.deepEqual(kustomizeArgs('/opt/kustomize', '/tmp/w'), ['build', '/tmp/w']);
  });

  it('takeOrigin reads path or configuredIn and removes the annotation; a remote origin is not a local file', () => {
    const local = { metadata: { name: 'a', annotations: { 'config.kubernetes.io/origin': 'path: ../repo/base/dr.yaml\n' } } };
    assert.equal(takeOrigin(local, '/tmp/w'), '/tmp/repo/base/dr.yaml');
    assert.deepEqual(local.metadata, { name: 'a' }, 'an annotations mapping left empty is removed');
    const generated = { metadata: { annotations: { keep: 'me', 'config.kubernetes.io/origin': 'configuredIn: ../repo/overlay/kustomization.yaml\nconfiguredBy:\n  kind: ConfigMapGenerator\n' } } };
    assert.equal(takeOrigin(generated, '/tmp/w'), '/tmp/repo/overlay/kustomization.yaml');
    assert.deepEqual(generated.metadata.annotations, { keep: 'me' });
    const remote = { metadata: { annotations: { 'config.kubernetes.io/origin': 'path: base/dr.yaml\nrepo: https://example.com/x\nref: main\n' } } };
    assert.equal(takeOrigin(remote, '/tmp/w'), undefined);
    assert.equal(takeOrigin({ metadata: {} }, '/tmp/w'), undefined);
  });
});
