/**
 * The published package: what `npm pack` puts in the tarball, and that the unpacked package runs — the CLI
 * with its ast-grep rule files, the main export and the ESLint plugin export — outside the repository.
 */
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { pathToFileURL } from 'node:url';
import { tempDir } from './helpers/cli.js';
import { ROOT } from './helpers/paths.js';

describe('the npm package', () => {
  const t = tempDir('meshlint-pack-');
  let files: string[] = [];
  let pkg = '';
  before(() => {
    // --ignore-scripts: dist/ is already built by `npm test`; prepack would rebuild it under the running tests.
    const out = execFileSync('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', t.dir], { cwd: ROOT, encoding: 'utf8' });
    const info = JSON.parse(out) as { filename: string; files: { path: string }[] }[];
    files = info[0].files.map((f) => f.path);
    execFileSync('tar', ['-xzf', join(t.dir, info[0].filename), '-C', t.dir]);
    pkg = join(t.dir, 'package');
    symlinkSync(join(ROOT, 'node_modules'), join(pkg, 'node_modules'), 'dir');
  });
  after(() => t.cleanup());

  it('holds what the bin, the exports and the scanners need, and no tests or fixtures', () => {
    const manifest = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { main: string; bin: Record<string, string>; exports: Record<string, unknown> };
    for (const needed of ['bin/meshlint.js', manifest.main.replace(/^\.\//, ''), 'dist/src/cli/main.js', 'dist/src/source/eslint/plugin.js', 'schemas/config.schema.json', 'schemas/report.schema.json', 'LICENSE', 'README.md', 'CHANGELOG.md']) {
      assert.ok(files.includes(needed), `${needed} is packed`);
    }
    for (const lang of ['go', 'python', 'java']) assert.ok(files.some((f) => f.startsWith(`rules/ast-grep/${lang}/`) && f.endsWith('.yml')), `ast-grep rules for ${lang} are packed`);
    assert.ok(files.some((f) => f.startsWith('dist/src/validate/compiled/')), 'precompiled Istio validators are packed');
    for (const bundled of ['dist/bundle/main.js', 'dist/bundle/main.js.map', 'dist/bundle/eslint-engine.cjs', 'dist/bundle/code-cache.json']) assert.ok(files.includes(bundled), `${bundled} is packed (the CLI and JS/TS engine bundles)`);
    assert.ok(!files.some((f) => f.startsWith('dist/test/') || f.startsWith('fixtures/') || f.startsWith('test/')), 'no tests or fixtures');
  });

  it('the unpacked CLI checks manifests, Go and TypeScript source from outside the repository', () => {
    const work = join(t.dir, 'work');
    execFileSync('mkdir', ['-p', work]);
    writeFileSync(join(work, 'dr.yaml'), 'apiVersion: networking.istio.io/v1\nkind: DestinationRule\nmetadata:\n  name: api\n  namespace: shop\nspec:\n  host: api.example.com\n  trafficPolicy:\n    connectionPool:\n      http:\n        maxRequestsPerConnection: 1\n');
    writeFileSync(join(work, 'client.ts'), "import https from 'node:https';\nexport async function handler(): Promise<void> {\n  await fetch('http://api.example.com/', { agent: new https.Agent() } as RequestInit);\n}\n");
    writeFileSync(join(work, 'main.go'), 'package main\n\nimport "net/http"\n\nfunc handler(w http.ResponseWriter, r *http.Request) {\n\tc := &http.Client{Transport: &http.Transport{}}\n\tresp, _ := c.Get("http://api.example.com/")\n\tdefer resp.Body.Close()\n}\n');
    const r = spawnSync(process.execPath, [join(pkg, 'bin', 'meshlint.js'), 'check', '.', '-f', 'json'], { cwd: work, encoding: 'utf8' });
    assert.equal(r.status, 1, r.stderr);
    const report = JSON.parse(r.stdout) as { findings: { ruleId: string; file: string }[] };
    const rules = report.findings.map((f) => `${f.file} ${f.ruleId}`);
    assert.ok(rules.includes('dr.yaml keepalive-disabled'), rules.join(', '));
    assert.ok(rules.includes('main.go client-per-request'), rules.join(', '));
    assert.ok(rules.includes('client.ts client-per-request'), rules.join(', '));
  });

  it('the main export and the ESLint plugin export load from the unpacked package', async () => {
    const api = (await import(pathToFileURL(join(pkg, 'dist', 'src', 'index.js')).href)) as typeof import('../src/index.js');
    assert.equal(typeof api.check, 'function');
    assert.ok(api.allRules().some((r) => r.meta.id === 'keepalive-disabled'));
    const plugin = (await import(pathToFileURL(join(pkg, 'dist', 'src', 'source', 'eslint', 'plugin.js')).href)) as { default: { rules: Record<string, unknown> } };
    assert.ok(plugin.default.rules['client-per-request']);
  });
});
