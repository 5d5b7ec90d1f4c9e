import type { ManifestObject, Origin } from './load/objects.js';
import type { LoadStats } from './load/index.js';
import { loadInputs } from './load/index.js';
import { locate } from './load/objects.js';
import { DEFAULT_MESH_SETTINGS, MeshModel, type MeshSettings } from './model/mesh.js';
import { findMeshConfigMap, meshSettingsFromConfigMap } from './model/mesh-config.js';
import { computeMultipliers, type RouteMultiplier } from './model/multiplier.js';
import type { AppCallSite } from './source/types.js';
import { runRules, type RuleSetting } from './rules/engine.js';
import { allRules } from './rules/registry.js';
import type { Finding, RunError, Severity } from './types.js';
import { validateObjects } from './validate/index.js';
import { DEFAULT_EPHEMERAL_PORTS, TIME_WAIT_SECONDS } from './facts.js';
import type { NodeSettingsInput, SourceOptions } from './config/types.js';
import { applySuppressions, UNUSED_DIRECTIVE_RULE } from './suppress/index.js';
import { applyBaseline, type Baseline, type BaselineSummary } from './baseline/index.js';

/** Options of one analysis, whatever the input (files or a cluster). */
export interface AnalysisOptions {
  /** Per-rule severity and options; rules not listed use their defaults. */
  rules?: ReadonlyMap<string, RuleSetting>;
  /** Mesh settings that override those of the input's `istio` ConfigMap (and the defaults). */
  mesh?: Partial<MeshSettings>;
  /** Request rate per route, requests/s, for ports held in TIME_WAIT. */
  rps?: number;
  /** Rate of one route where the configuration gives per-host / per-workload rates; undefined → `rps`. */
  rpsFor?: (route: RouteMultiplier) => number | undefined;
  /** Node kernel settings given by the user (configuration `node:`, `--port-range`). */
  node?: NodeSettingsInput;
  /** Hints linking application source to workloads and hosts (configuration `source:`). */
  source?: SourceOptions;
  /** Usable ephemeral ports (range less reserved). Default 28,232. */
  ports?: number;
  /** TIME_WAIT seconds. Default 60. */
  timeWaitSeconds?: number;
  /** Application call sites from source scanning. */
  callSites?: readonly AppCallSite[];
}

/** Everything one analysis produced, for the reporters. */
export interface AnalysisResult {
  findings: Finding[];
  routes: RouteMultiplier[];
  errors: RunError[];
  stats: LoadStats;
  /** Figures the arithmetic used. */
  budget: { ports: number; timeWaitSeconds: number; rps?: number };
  /** Findings silenced by an annotation, a disable comment or the baseline, each with `suppressions`. */
  suppressed?: Finding[];
  /** What the baseline did, when one was applied. */
  baseline?: BaselineSummary;
}

/** The severity configured for a rule, or its default. */
export function severityOf(id: string, rules: ReadonlyMap<string, RuleSetting> | undefined): Severity | 'off' {
  const configured = rules?.get(id)?.severity;
  if (configured) return configured;
  return allRules().find((r) => r.meta.id === id)?.meta.defaultSeverity ?? 'warn';
}

/**
 * validate → model → rules over objects already loaded (from files or from a cluster). Mesh settings come from
 * the `istio` ConfigMap among `objects` when there is one (`model/mesh-config.ts`), overridden by `options.mesh`;
 * unusable mesh config values are `schema-invalid` findings. Findings are in rule order (callers sort them).
 */
export function analyzeObjects(objects: readonly ManifestObject[], notMappings: readonly { origin: Origin; got: string }[], options: AnalysisOptions): { findings: Finding[]; routes: RouteMultiplier[] } {
  const findings: Finding[] = [];
  const schemaSeverity = severityOf('schema-invalid', options.rules);
  if (schemaSeverity !== 'off') findings.push(...validateObjects(objects, notMappings, schemaSeverity));
  const meshConfigMap = findMeshConfigMap(objects);
  const fromMeshConfig = meshConfigMap ? meshSettingsFromConfigMap(meshConfigMap) : { settings: {}, problems: [] };
  if (meshConfigMap && schemaSeverity !== 'off') {
    for (const p of fromMeshConfig.problems) findings.push({ ruleId: 'schema-invalid', severity: schemaSeverity, message: p.message, location: locate(meshConfigMap, p.path) });
  }
  const model = new MeshModel(objects, { ...DEFAULT_MESH_SETTINGS, ...fromMeshConfig.settings, ...options.mesh });
  const routes = computeMultipliers(model, { rps: options.rps, rpsFor: options.rpsFor, ports: options.ports, timeWaitSeconds: options.timeWaitSeconds, callSites: options.callSites });
  findings.push(...runRules(allRules(), model, routes, options.rules ?? new Map()));
  return { findings, routes };
}

/** Orders findings by file, line, column, then rule id: stable output for diffs and baselines. */
export function sortFindings(findings: Finding[]): Finding[] {
  return findings.sort(
    (a, b) =>
      (a.location.file < b.location.file ? -1 : a.location.file > b.location.file ? 1 : 0) ||
      a.location.line - b.location.line ||
      a.location.column - b.location.column ||
      (a.ruleId < b.ruleId ? -1 : a.ruleId > b.ruleId ? 1 : 0),
  );
}

/** Options of `meshlint check`. */
export interface CheckOptions extends AnalysisOptions {
  paths: readonly string[];
  cwd: string;
  defaultNamespace: string;
  maxFileBytes?: number;
  stdin?: () => Buffer;
  /** The configuration's `ignorePatterns`. */
  ignore?: { base: string; patterns: readonly string[] };
  /** Report disable directives that silence nothing (`unused-disable-directive`). */
  reportUnusedDisableDirectives?: boolean;
  /** A baseline read with `readBaseline`, and its file name for messages: accepted findings move to `suppressed`. */
  baseline?: { file: string; baseline: Baseline };
}

/**
 * `meshlint check`: load → validate → model → rules → suppressions → baseline, over files, directories, globs
 * and standard input.
 * Asynchronous because the source scanners (ESLint, tree-sitter) are loaded and run asynchronously.
 * Never throws for bad input: unreadable paths are `errors`, unparsable files are `parse-error` findings.
 */
export async function check(options: CheckOptions): Promise<AnalysisResult> {
  const loaded = loadInputs({
    paths: options.paths,
    cwd: options.cwd,
    defaultNamespace: options.defaultNamespace,
    maxFileBytes: options.maxFileBytes,
    stdin: options.stdin,
    parseErrorSeverity: severityOf('parse-error', options.rules),
    ignore: options.ignore,
  });
  const analysed = analyzeObjects(loaded.objects, loaded.notMappings, options);
  const silenced = await silenceFindings({
    findings: [...loaded.findings, ...analysed.findings],
    objects: loaded.objects,
    manifestTexts: loaded.directiveTexts,
    sourceFiles: loaded.sources,
    options,
  });
  return {
    findings: silenced.findings,
    routes: analysed.routes,
    errors: loaded.errors,
    stats: loaded.stats,
    budget: { ports: options.ports ?? DEFAULT_EPHEMERAL_PORTS, timeWaitSeconds: options.timeWaitSeconds ?? TIME_WAIT_SECONDS, rps: options.rps },
    suppressed: silenced.suppressed,
    ...(silenced.baseline ? { baseline: silenced.baseline } : {}),
  };
}

/** Inputs of {@link silenceFindings}. */
export interface SilenceInput {
  findings: readonly Finding[];
  /** Objects of the run (their `meshlint.io/ignore` annotations are read). */
  objects: readonly ManifestObject[];
  /** Text of each manifest file whose text contains `meshlint-disable` (none for objects read from a cluster). */
  manifestTexts: ReadonlyMap<string, string>;
  /** Source files of the run. */
  sourceFiles: readonly string[];
  options: Pick<CheckOptions, 'cwd' | 'rules' | 'reportUnusedDisableDirectives' | 'baseline'>;
}

/**
 * The steps after the rules, shared by `check` and `audit`: suppressions (annotations, disable comments), then
 * the baseline. Returns the findings still reported and the silenced ones, both sorted, and what the baseline did.
 */
export async function silenceFindings(input: SilenceInput): Promise<{ findings: Finding[]; suppressed: Finding[]; baseline?: BaselineSummary }> {
  const { options } = input;
  const silenced = await applySuppressions({
    findings: input.findings,
    objects: input.objects,
    manifestTexts: input.manifestTexts,
    sourceFiles: input.sourceFiles,
    cwd: options.cwd,
    reportUnused: options.reportUnusedDisableDirectives ?? false,
    unusedSeverity: severityOf(UNUSED_DIRECTIVE_RULE, options.rules),
  });
  let findings = sortFindings(silenced.findings);
  const suppressed = silenced.suppressed;
  let baseline: BaselineSummary | undefined;
  if (options.baseline) {
    const applied = applyBaseline(findings, options.baseline.baseline, options.baseline.file, options.cwd);
    findings = applied.findings;
    suppressed.push(...applied.baselined);
    baseline = applied.summary;
  }
  return { findings, suppressed: sortFindings(suppressed), ...(baseline ? { baseline } : {}) };
}
