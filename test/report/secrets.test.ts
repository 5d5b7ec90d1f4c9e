/**
 * No output shows Secret data (issue 14): every fixture manifest with a Secret (and a ConfigMap with `data`) beside
 * each of its documents, through every format and the `--fix-dry-run` diff, must never print the secret values.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { FORMATS } from '../../src/report/format.js';
import { runCli, tempDir } from '../helpers/cli.js';
import { fixtureManifestFiles } from '../helpers/kube.js';
import { ROOT } from '../helpers/paths.js';

const PASSWORD = 'pw-7Hq2-never-printed';
const TOKEN_B64 = Buffer.from('tok-never-printed-91c').toString('base64');
const CONFIG_VALUE = 'cfg-never-printed-5d0';

/** Values that must never appear, as written and as they could be decoded or quoted. */
const FORBIDDEN = [PASSWORD, TOKEN_B64, 'tok-never-printed', CONFIG_VALUE];

/** A Secret whose values are its first and last lines (within three lines of a neighbour's edit), and a ConfigMap. */
const secrets = (n: number) =>
  `stringData:\n  password: ${PASSWORD}\napiVersion: v1\nkind: Secret\nmetadata: {name: s${n}, namespace: default}\ntype: Opaque\ndata:\n  token: ${TOKEN_B64}\n---\n` +
  `apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c${n}, namespace: default}\ndata:\n  settings: ${CONFIG_VALUE}\n`;

describe('Secret values in no output', () => {
  const { dir, cleanup } = tempDir('meshlint-secrets-');
  after(cleanup);
  let n = 0;
  for (const file of fixtureManifestFiles()) {
    const text = readFileSync(path.join(ROOT, file), 'utf8');
    if (/^%/m.test(text)) continue;
    // A Secret and a ConfigMap before and after every document: beside each finding of every rule the fixtures trigger.
    const docs = text.split(/^---[ \t]*$/m);
    const out = docs.map((d) => `${secrets(n++)}---\n${d.replace(/^\n/, '')}${d.endsWith('\n') ? '' : '\n'}---\n${secrets(n++)}`).join('---\n');
    mkdirSync(path.dirname(path.join(dir, file)), { recursive: true });
    writeFileSync(path.join(dir, file), out);
  }
  // The YAML examples of every rule page (docs/rules/*.md): each rule's finding, with Secrets beside it.
  for (const page of readdirSync(path.join(ROOT, 'docs/rules')).filter((f) => f.endsWith('.md'))) {
    const blocks = [...readFileSync(path.join(ROOT, 'docs/rules', page), 'utf8').matchAll(/^```ya?ml\n([\s\S]*?)^```/gm)].map((m) => m[1]);
    blocks.forEach((block, k) => {
      if (!/^kind:/m.test(block) || /^%/m.test(block)) return;
      const docs = block.split(/^---[ \t]*$/m);
      writeFileSync(path.join(dir, `rule-${page.replace(/\.md$/, '')}-${k}.yaml`), docs.map((d) => `${secrets(n++)}---\n${d.replace(/^\n/, '')}${d.endsWith('\n') ? '' : '\n'}---\n${secrets(n++)}`).join('---\n'));
    });
  }
  // A Secret whose own YAML is broken (a duplicated key): its parse-error must not quote the line.
  writeFileSync(path.join(dir, 'broken-secret.yaml'), `apiVersion: v1\nkind: Secret\nmetadata: {name: b}\nstringData:\n  password: ${PASSWORD}\n  password: ${PASSWORD}\n`);

  const assertClean = (what: string, text: string) => {
    for (const value of FORBIDDEN) assert.ok(!text.includes(value), `${what} shows ${value}`);
  };

  it('every format (with --explain), and the findings are really there', () => {
    let findings = new Set<string>();
    for (const format of FORMATS) {
      const r = runCli(['check', '.', '-f', format, '--explain', '--no-source'], { cwd: dir, timeoutMs: 180_000 });
      assert.ok(r.code === 1 || r.code === 0, `${format}: exit ${r.code}: ${r.stderr.slice(0, 500)}`);
      assertClean(format, r.stdout + r.stderr);
      if (format === 'json') findings = new Set((JSON.parse(r.stdout).findings as { ruleId: string }[]).map((f) => f.ruleId));
    }
    // Every manifest rule whose page has a YAML example fires beside a Secret.
    for (const id of ['keepalive-disabled', 'retries-aggressive', 'connection-pool-missing', 'parse-error', 'schema-invalid', 'mirror-amplification', 'h2-upgrade-available', 'retries-implicit-default']) {
      assert.ok(findings.has(id), `${id} fired (${[...findings].join(', ')})`);
    }
  });

  it('the --fix-dry-run diff leaves Secret lines out of its context, and still applies', () => {
    const r = runCli(['check', '.', '--fix-dry-run', '--no-source'], { cwd: dir, timeoutMs: 180_000 });
    assert.match(r.stderr, /--fix-dry-run: [1-9]\d* problems? would be fixed/);
    assert.ok(r.stdout.includes('@@'), 'a diff was printed');
    assertClean('--fix-dry-run', r.stdout + r.stderr);
    const apply = spawnSync('git', ['apply', '--check', '-'], { cwd: dir, input: r.stdout, encoding: 'utf8' });
    assert.equal(apply.status, 0, `git apply --check: ${apply.stderr}`);
  });
});
