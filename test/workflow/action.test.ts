import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { cpSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { parse } from 'yaml';
import { buildProgram } from '../../src/cli/main.js';
import { FORMATS } from '../../src/report/format.js';
import { tempDir } from '../helpers/cli.js';
import { ROOT } from '../helpers/paths.js';

interface Step {
  name: string;
  id?: string;
  uses?: string;
  shell?: string;
  run?: string;
  env?: Record<string, string>;
  with?: Record<string, string>;
}
interface Action {
  name: string;
  description: string;
  inputs: Record<string, { description: string; default?: string; required?: boolean }>;
  outputs: Record<string, { value: string }>;
  runs: { using: string; steps: Step[] };
}

const action = parse(readFileSync(join(ROOT, 'action.yml'), 'utf8')) as Action;

/** Evaluates the only expressions the action uses: `${{ inputs.NAME }}`. */
function expand(value: string, inputs: Record<string, string>): string {
  return value.replace(/\$\{\{\s*inputs\.([\w-]+)\s*\}\}/g, (_, name: string) => {
    assert.ok(name in action.inputs, `input ${name} is declared`);
    return inputs[name] ?? action.inputs[name].default ?? '';
  });
}

/** Runs a step's script as the runner would (bash, GITHUB_ACTION_PATH = this checkout, GITHUB_OUTPUT file). */
function runStep(step: Step, inputs: Record<string, string>, cwd: string) {
  const outputFile = join(cwd, `.github-output-${step.id}`);
  writeFileSync(outputFile, '');
  const env: NodeJS.ProcessEnv = { ...process.env, GITHUB_ACTION_PATH: ROOT, GITHUB_OUTPUT: outputFile, GITHUB_WORKSPACE: cwd, NO_COLOR: '1' };
  for (const [k, v] of Object.entries(step.env ?? {})) env[k] = expand(v, inputs);
  const r = spawnSync('bash', ['--noprofile', '--norc', '-e', '-o', 'pipefail', '-c', step.run!], { cwd, env, encoding: 'utf8', timeout: 60_000 });
  const outputs = Object.fromEntries(readFileSync(outputFile, 'utf8').split('\n').filter(Boolean).map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]));
  return { code: r.status, stdout: r.stdout, stderr: r.stderr, outputs };
}

describe('action.yml (composite GitHub Action)', () => {
  it('declares the inputs paths, args, sarif-file, fail-on and is a composite action whose run steps name a shell', () => {
    assert.equal(action.runs.using, 'composite');
    for (const name of ['paths', 'args', 'sarif-file', 'fail-on']) assert.ok(action.inputs[name]?.description, name);
    assert.equal(action.inputs['fail-on'].default, 'error');
    for (const step of action.runs.steps) if (step.run) assert.ok(step.shell, `${step.name} has a shell (required in composite actions)`);
    for (const step of action.runs.steps) for (const v of Object.values(step.env ?? {})) expand(v, {});
    assert.ok(!action.runs.steps.some((s) => s.run?.includes('${{')), 'inputs reach scripts through env, never spliced into the script');
  });

  it('every meshlint invocation uses options the CLI has, with formats it knows', () => {
    const check = buildProgram(() => {}).commands.find((c) => c.name() === 'check')!;
    const known = new Set(check.options.flatMap((o) => [o.long, o.short].filter(Boolean) as string[]));
    const invocations = action.runs.steps.flatMap((s) => (s.run ?? '').split('\n').filter((l) => l.includes('bin/meshlint.js" check')));
    assert.equal(invocations.length, 2);
    for (const line of invocations) {
      for (const flag of line.match(/(?<=\s)--?[a-z][\w-]*/g) ?? []) assert.ok(known.has(flag), `${flag} is a meshlint check option`);
      const format = /--format (\w+)/.exec(line)?.[1];
      assert.ok(format && (FORMATS as readonly string[]).includes(format), `format ${format}`);
    }
    assert.ok(action.runs.steps.some((s) => s.run?.includes('--format sarif --output')));
    assert.ok(action.runs.steps.some((s) => s.run?.includes('--format github')));
  });

  describe('running the steps as the runner would', () => {
    let dir: string;
    let cleanup: () => void;
    before(() => {
      ({ dir, cleanup } = tempDir('meshlint-action-'));
      cpSync(join(ROOT, 'fixtures'), join(dir, 'fixtures'), { recursive: true });
    });
    after(() => cleanup());
    const step = (id: string) => action.runs.steps.find((s) => s.id === id)!;

    it('the SARIF step writes a SARIF 2.1.0 log and sets the sarif-file output, even with error findings', () => {
      const r = runStep(step('sarif'), { paths: 'fixtures/api-gateway', 'sarif-file': 'out/meshlint.sarif' }, dir);
      assert.equal(r.code, 0, r.stderr);
      assert.equal(r.outputs['sarif-file'], 'out/meshlint.sarif');
      const log = JSON.parse(readFileSync(join(dir, 'out/meshlint.sarif'), 'utf8'));
      assert.equal(log.version, '2.1.0');
      assert.ok(log.runs[0].results.some((x: { ruleId: string }) => x.ruleId === 'keepalive-disabled'));
    });

    it('the annotate step prints workflow commands and fails on errors with fail-on: error', () => {
      const r = runStep(step('annotate'), { paths: 'fixtures/api-gateway' }, dir);
      assert.equal(r.code, 1);
      assert.equal(r.outputs['exit-code'], '1');
      assert.match(r.stdout, /^::error file=fixtures\/api-gateway\/egress\.yaml,line=\d+,col=\d+,title=meshlint keepalive-disabled/m);
    });

    it('fail-on: never passes with findings; fail-on: warning fails on warnings only; a bad fail-on is an error', () => {
      assert.equal(runStep(step('annotate'), { paths: 'fixtures/api-gateway', 'fail-on': 'never' }, dir).code, 0);
      const warnOnly = { paths: 'fixtures/api-gateway', args: '--rule keepalive-disabled:warn' };
      assert.equal(runStep(step('annotate'), { ...warnOnly, 'fail-on': 'error' }, dir).code, 0);
      assert.equal(runStep(step('annotate'), { ...warnOnly, 'fail-on': 'warning' }, dir).code, 1);
      assert.equal(runStep(step('annotate'), { paths: 'fixtures/healthy', 'fail-on': 'warning' }, dir).code, 0);
      assert.equal(runStep(step('annotate'), { paths: '.', 'fail-on': 'sometimes' }, dir).code, 2);
    });

    it('a usage error (missing path) fails both steps with exit 2; globs reach meshlint unexpanded', () => {
      assert.equal(runStep(step('sarif'), { paths: 'nope/' }, dir).code, 2);
      assert.equal(runStep(step('annotate'), { paths: 'nope/', 'fail-on': 'never' }, dir).code, 2);
      const glob = runStep(step('annotate'), { paths: 'fixtures/**/egress.yaml' }, dir);
      assert.match(glob.stdout, /file=fixtures\/api-gateway\/egress\.yaml/);
    });
  });
});
