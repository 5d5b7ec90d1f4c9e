import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { describe, it } from 'node:test';
import { cruise, type ICruiseResult, type IForbiddenRuleType } from 'dependency-cruiser';
import { tempDir } from '../helpers/cli.js';
import { ROOT } from '../helpers/paths.js';

/**
 * The import structure of src/ and rules/ (docs/architecture.md), checked with dependency-cruiser over the
 * TypeScript sources: no import circle, and the pipeline's data flows one way,
 * load → validate → model → rules → report, with the commands (cli, audit) and the pipeline on top.
 * Type-only imports count: a circle through types still ties the modules together.
 */

/** The pipeline stages in the order data flows, each a path pattern relative to the repository root. */
const STAGES: readonly { name: string; path: string }[] = [
  { name: 'load', path: '^src/load/' },
  { name: 'validate', path: '^src/validate/' },
  { name: 'model', path: '^src/model/' },
  { name: 'rules', path: '^(src/rules/|rules/)' },
  { name: 'report', path: '^src/report/' },
];
/** The top: the commands and the pipeline that runs the stages. Only they may import each other. */
const TOP = '^src/(cli/|audit/|pipeline\\.ts$|index\\.ts$)';
/**
 * The adapters (one folder per API under src/model/adapters/) and the Istio index they read (`mesh.ts`): what
 * applies where is their concern. Rules read the data-plane-neutral model only (docs/architecture.md, "Rules and
 * the neutral model"), with no exception.
 */
const ADAPTERS = '^src/model/(adapters/|mesh\\.ts$)';
/**
 * The model stage has two parts (docs/architecture.md, "The model stage"): the builder (`build-traffic.ts`) reads the
 * adapters and the Istio index; the multiplier's arithmetic (`multiplier.ts`) reads only the neutral records of
 * `traffic.ts` (with `trace.ts`) and the shared kernel. Anything else it imports breaks the split: an adapter,
 * `mesh.ts`, the builder, call-site linking (`link.ts`, which reads `MeshModel`), or a package.
 */
const MULTIPLIER = '^src/model/multiplier\\.ts$';
const MULTIPLIER_MAY_IMPORT = '^src/model/(traffic|trace)\\.ts$|^src/(facts|numbers|types)\\.ts$';

/** The rule set of docs/architecture.md, as dependency-cruiser `forbidden` rules. */
function architectureRules(): IForbiddenRuleType[] {
  const rules: IForbiddenRuleType[] = [{ name: 'no-circular', severity: 'error', from: {}, to: { circular: true } }];
  STAGES.forEach((stage, i) => {
    for (const later of STAGES.slice(i + 1)) {
      rules.push({ name: `${stage.name}-not-${later.name}`, severity: 'error', from: { path: stage.path }, to: { path: later.path } });
    }
  });
  rules.push({ name: 'only-top-imports-top', severity: 'error', from: { pathNot: TOP }, to: { path: TOP } });
  // cli/main.ts registers the commands; a command uses the shared option modules, never the entry point.
  rules.push({ name: 'audit-not-cli-main', severity: 'error', from: { path: '^src/audit/' }, to: { path: '^src/cli/main\\.ts$' } });
  rules.push({ name: 'rules-read-neutral-model', severity: 'error', from: { path: STAGES[3].path }, to: { path: ADAPTERS } });
  rules.push({ name: 'multiplier-reads-neutral-model', severity: 'error', from: { path: MULTIPLIER }, to: { pathNot: MULTIPLIER_MAY_IMPORT } });
  return rules;
}

/** Cruises `paths` under `baseDir` with the architecture rules; returns each violation as one readable line. */
async function violations(baseDir: string, paths: string[]): Promise<string[]> {
  const cwd = process.cwd();
  process.chdir(baseDir); // dependency-cruiser resolves and reports paths relative to the working directory
  let result: ICruiseResult;
  try {
    const output = await cruise(paths, {
      baseDir,
      validate: true,
      ruleSet: { forbidden: architectureRules() },
      tsPreCompilationDeps: true,
      doNotFollow: { path: 'node_modules' },
      exclude: { path: 'node_modules' },
    });
    result = output.output as ICruiseResult;
  } finally {
    process.chdir(cwd);
  }
  return result.summary.violations.map((v) => `${v.rule.name}: ${v.cycle?.length ? [v.from, ...v.cycle.map((c) => c.name)].join(' → ') : `${v.from} → ${v.to}`}`);
}

/** Writes `files` (path relative to the tree → TypeScript text) into a new temporary tree; the caller cleans up. */
function plantTree(files: Record<string, string>): { dir: string; cleanup: () => void } {
  const tree = tempDir();
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(dirname(join(tree.dir, path)), { recursive: true });
    writeFileSync(join(tree.dir, path), text);
  }
  return tree;
}

describe('architecture: imports of src/ and rules/', () => {
  it('has no import circle and keeps load → validate → model → rules → report, commands on top', async () => {
    const found = await violations(ROOT, ['src', 'rules']);
    assert.deepEqual(found, [], `import rules broken (docs/architecture.md):\n${found.join('\n')}`);
  });

  it('the check finds a planted circle, a stage importing a later one, and rules reading an adapter or the Istio index', async () => {
    const { dir, cleanup } = plantTree({
      'src/load/a.ts': "import { b } from './b.js';\nexport const a = b;\n",
      'src/load/b.ts': "import { a } from './a.js';\nexport const b = () => a;\n",
      'src/load/c.ts': "import { report } from '../report/r.js';\nexport const c = report;\n",
      'src/report/r.ts': "import { main } from '../cli/main.js';\nexport const report = main;\n",
      'src/cli/main.ts': 'export const main = 1;\n',
      'src/model/adapters/istio/vs.ts': 'export const vs = 1;\n',
      'rules/r1.ts': "import { vs } from '../src/model/adapters/istio/vs.js';\nexport const r1 = vs;\n",
      'src/model/adapters/workloads/ports.ts': 'export const ports = [80];\n',
      'rules/r2.ts': "import { ports } from '../src/model/adapters/workloads/ports.js';\nexport const r2 = ports;\n",
      // A type-only import of the Istio index counts too: the rule context handing rules the MeshModel.
      'src/model/mesh.ts': 'export interface MeshModel { objects: unknown[] }\n',
      'src/model/traffic.ts': 'export interface MeshFacts { h2UpgradePolicy: string }\n',
      'src/rules/engine.ts': "import type { MeshModel } from '../model/mesh.js';\nimport type { MeshFacts } from '../model/traffic.js';\nexport type RuleContext = { model: MeshModel; mesh: MeshFacts };\n",
    });
    try {
      const found = await violations(dir, ['src', 'rules']);
      assert.ok(found.some((v) => v.startsWith('no-circular: src/load/a.ts → src/load/b.ts → src/load/a.ts') || v.startsWith('no-circular: src/load/b.ts → src/load/a.ts')), found.join('\n'));
      assert.ok(found.includes('load-not-report: src/load/c.ts → src/report/r.ts'), found.join('\n'));
      assert.ok(found.includes('only-top-imports-top: src/report/r.ts → src/cli/main.ts'), found.join('\n'));
      assert.ok(found.includes('rules-read-neutral-model: rules/r1.ts → src/model/adapters/istio/vs.ts'), found.join('\n'));
      assert.ok(found.includes('rules-read-neutral-model: rules/r2.ts → src/model/adapters/workloads/ports.ts'), found.join('\n'));
      assert.ok(found.includes('rules-read-neutral-model: src/rules/engine.ts → src/model/mesh.ts'), found.join('\n'));
      // The neutral model itself is what rules read: no violation for it.
      assert.ok(!found.some((v) => v.includes('src/model/traffic.ts')), found.join('\n'));
    } finally {
      cleanup();
    }
  });

  it('the check finds the multiplier (arithmetic) reading an adapter or the Istio index, and lets the builder read them', async () => {
    const { dir, cleanup } = plantTree({
      'src/facts.ts': 'export const TIME_WAIT_SECONDS = 60;\n',
      'src/model/adapters/workloads/ports.ts': 'export const declaredPorts = () => [80];\n',
      'src/model/adapters/istio/retries.ts': 'export const attempts = 2;\n',
      'src/model/mesh.ts': 'export interface MeshModel { objects: unknown[] }\n',
      'src/model/traffic.ts': 'export interface Leg { tries: number; connectionsPerTry: number }\n',
      'src/model/trace.ts': 'export const traceAt = (text: string) => ({ text });\n',
      // The builder reads the adapters and the index, and hands the rows to the arithmetic: allowed.
      'src/model/build-traffic.ts': "import { declaredPorts } from './adapters/workloads/ports.js';\nimport type { MeshModel } from './mesh.js';\nimport { multiplierOf } from './multiplier.js';\nexport const build = (m: MeshModel) => multiplierOf([{ tries: declaredPorts().length, connectionsPerTry: m.objects.length }]);\n",
      // The arithmetic: the neutral records, the trace helper and the shared kernel are allowed; an adapter (value
      // import) and the Istio index (type-only import) are not.
      'src/model/multiplier.ts': "import { TIME_WAIT_SECONDS } from '../facts.js';\nimport type { Leg } from './traffic.js';\nimport { traceAt } from './trace.js';\nimport { attempts } from './adapters/istio/retries.js';\nimport type { MeshModel } from './mesh.js';\nexport const multiplierOf = (legs: Leg[], m?: MeshModel) => legs.length * attempts * TIME_WAIT_SECONDS + (m ? 0 : traceAt('x').text.length);\n",
    });
    try {
      const found = await violations(dir, ['src']);
      assert.ok(found.includes('multiplier-reads-neutral-model: src/model/multiplier.ts → src/model/adapters/istio/retries.ts'), found.join('\n'));
      assert.ok(found.includes('multiplier-reads-neutral-model: src/model/multiplier.ts → src/model/mesh.ts'), found.join('\n'));
      // Exactly those two: the neutral records, trace.ts and facts.ts are allowed, and the builder's imports are not the arithmetic's.
      assert.equal(found.filter((v) => v.startsWith('multiplier-reads-neutral-model:')).length, 2, found.join('\n'));
      assert.ok(!found.some((v) => v.includes('src/model/build-traffic.ts →')), found.join('\n'));
    } finally {
      cleanup();
    }
  });
});
