import type { ManifestObject, Origin } from './load/objects.js';
import type { LoadOptions } from './load/index.js';
import { DEFAULT_MAX_FILE_BYTES } from './load/read.js';
import { mapRenderedFindings } from './load/render/locate.js';
import { NOT_RENDERED_RULE } from './load/render/unrendered.js';
import type { SkippedPath } from './load/discover.js';
import type { ParseCache } from './load/cache.js';
import { loadInputsParallel } from './load/index.js';
import { locate } from './load/objects.js';
import { DEFAULT_MESH_SETTINGS, MeshModel, type MeshSettings } from './model/mesh.js';
import { findMeshConfigMap, meshSettingsFromConfigMap } from './model/mesh-config.js';
import { chooseIstioSemantics, readIstioInstall } from './model/adapters/istio/install.js';
import { meshFacts } from './model/adapters/istio/mesh-facts.js';
import { buildTrafficModel } from './model/build-traffic.js';
import type { RouteMultiplier } from './model/traffic.js';
import type { UnlinkedCallSite } from './model/link.js';
import { NodeSettings, type NodeOptions } from './node/settings.js';
import type { SysctlSetting } from './node/sysctl.js';
import type { AppCallSite } from './source/types.js';
import { unusedSourceOptions } from './source/unused-options.js';
import { runRules, type RuleSetting } from './rules/engine.js';
import { allRules } from './rules/registry.js';
import type { Finding, Severity } from './types.js';
import { validateObjects } from './validate/index.js';
import { TIME_WAIT_SECONDS } from './facts.js';
import { nodePortBudgets, type NodePortReport } from './live/nodes.js';
import type { LiveTraffic } from './live/types.js';
import { applySuppressions, UNUSED_DIRECTIVE_RULE } from './suppress/index.js';
import { applyBaseline, type AcceptedBaseline, type BaselineSummary } from './baseline/index.js';
import path from 'node:path';
import type { AnalysisResult, SourceSummary } from './report/result.js';
import type { SourceOptions } from './source/options.js';

export type { AnalysisResult, SourceSummary } from './report/result.js';
export type { SourceOptions } from './source/options.js';

/** Options of one analysis, whatever the input (files or a cluster). */
export interface AnalysisOptions {
  /** `--istio-version`: the Istio release whose semantics apply (validated by the CLI); wins over everything else. */
  istioVersion?: string;
  /** `istio.version` of the configuration file (validated by the loader); wins over the input's install objects. */
  istioVersionFromConfig?: string;
  /** Per-rule severity and options; rules not listed use their defaults. */
  rules?: ReadonlyMap<string, RuleSetting>;
  /** Mesh settings that override those of the input's `istio` ConfigMap (and the defaults). */
  mesh?: Partial<MeshSettings>;
  /** Request rate per route, requests/s, for ports held in TIME_WAIT. */
  rps?: number;
  /** Rate of one route where the configuration gives per-host / per-workload rates; undefined → `rps`. */
  rpsFor?: (route: RouteMultiplier) => number | undefined;
  /** Usable ephemeral ports (range less reserved) for every route, overriding the node settings (`--port-range`). Default: from them. */
  ports?: number;
  /** Node settings the user states (configuration `node:` block); they win over settings found in the input. */
  node?: NodeOptions;
  /** TIME_WAIT seconds. Default 60. */
  timeWaitSeconds?: number;
  /** Application call sites from source scanning (`check` fills them from the source files it finds). */
  callSites?: readonly AppCallSite[];
  /** How source code is linked to the mesh. */
  source?: SourceOptions;
  /** Pods on nodes and Prometheus's rates and node figures (`audit --prometheus`): adds the per-node port budgets. */
  live?: LiveTraffic;
}

/** The severity configured for a rule, or its default. */
export function severityOf(id: string, rules: ReadonlyMap<string, RuleSetting> | undefined): Severity | 'off' {
  const configured = rules?.get(id)?.severity;
  if (configured) return configured;
  return allRules().find((r) => r.meta.id === id)?.meta.defaultSeverity ?? 'warn';
}

/**
 * validate → model → rules over objects already loaded (from files or from a cluster), with node settings from
 * the objects' pod specs, `sysctlFiles` (settings read from sysctl.d files) and `options.node`. Mesh settings
 * come from the `istio` ConfigMap among `objects` when there is one (`model/mesh-config.ts`), overridden by
 * `options.mesh`; unusable mesh config values are `schema-invalid` findings.
 */
export function analyzeObjects(
  objects: readonly ManifestObject[],
  notMappings: readonly { origin: Origin; got: string }[],
  options: AnalysisOptions,
  sysctlFiles: readonly SysctlSetting[] = [],
): { findings: Finding[]; routes: RouteMultiplier[]; unlinked: UnlinkedCallSite[]; node: NodeSettings; nodePorts?: NodePortReport } {
  const findings: Finding[] = [];
  const schemaSeverity = severityOf('schema-invalid', options.rules);
  if (schemaSeverity !== 'off') for (const f of validateObjects(objects, notMappings, schemaSeverity)) findings.push(f);
  const meshConfigMap = findMeshConfigMap(objects);
  const fromMeshConfig = meshConfigMap ? meshSettingsFromConfigMap(meshConfigMap) : { settings: {}, problems: [] };
  if (meshConfigMap && schemaSeverity !== 'off') {
    for (const p of fromMeshConfig.problems) findings.push({ ruleId: 'schema-invalid', severity: schemaSeverity, message: p.message, location: locate(meshConfigMap, p.path) });
  }
  // The install objects (istiod Deployment, IstioOperator) name the Istio release and its switches; an
  // IstioOperator's spec.meshConfig stands in for the istio ConfigMap when the input has none.
  const install = readIstioInstall(objects);
  if (schemaSeverity !== 'off') for (const p of install.problems) findings.push({ ruleId: 'schema-invalid', severity: schemaSeverity, message: p.message, location: locate(p.object, p.path) });
  const istio = chooseIstioSemantics(install, { cli: options.istioVersion, config: options.istioVersionFromConfig });
  const model = new MeshModel(objects, { ...DEFAULT_MESH_SETTINGS, ...install.meshSettings, ...fromMeshConfig.settings, ...options.mesh, istio });
  const node = new NodeSettings(objects, sysctlFiles, options.node);
  const unlinked: UnlinkedCallSite[] = [];
  const traffic = buildTrafficModel(model, {
    rps: options.rps,
    rpsFor: options.rpsFor,
    ports: options.ports,
    timeWaitSeconds: options.timeWaitSeconds,
    callSites: options.callSites,
    onUnlinked: (u) => unlinked.push(u),
    budgetFor: (scope, ns) => node.budgetFor(scope, ns),
  });
  const routes = traffic.routes;
  const nodePorts = options.live ? nodePortBudgets(options.live, routes, options.ports ?? node.node.usable, options.timeWaitSeconds ?? TIME_WAIT_SECONDS) : undefined;
  for (const f of runRules(allRules(), meshFacts(model), routes, options.rules ?? new Map(), node, traffic, nodePorts?.nodes)) findings.push(f);
  return { findings, routes, unlinked, node, ...(nodePorts ? { nodePorts } : {}) };
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
  baseline?: { file: string; baseline: AcceptedBaseline };
  /** `--context-dir`: loaded for cross-file context; findings only for files of `paths` (see {@link LoadOptions.contextPaths}). */
  contextPaths?: readonly string[];
  /** `--changed-since`: which files of `paths` are reported, by real absolute path (see {@link LoadOptions.report}). */
  report?: (absolutePath: string) => boolean | string;
  /** `--cache`: the parse cache unchanged files are read from (see {@link LoadOptions.cache}). */
  cache?: ParseCache;
  /** `--helm-*`, `--kustomize*`, `--render-timeout`: how charts and kustomizations are rendered (see {@link LoadOptions.render}). */
  render?: LoadOptions['render'];
}

/**
 * `meshlint check`: load → validate → model → rules → suppressions → baseline, over files, directories, globs
 * and standard input.
 * Asynchronous because the source scanners (ESLint, tree-sitter) are loaded and run asynchronously.
 * Never throws for bad input: unreadable paths are `errors`, unparsable files are `parse-error` findings.
 */
export async function check(options: CheckOptions): Promise<AnalysisResult> {
  const loaded = await loadInputsParallel({
    paths: options.paths,
    cwd: options.cwd,
    defaultNamespace: options.defaultNamespace,
    maxFileBytes: options.maxFileBytes,
    stdin: options.stdin,
    parseErrorSeverity: severityOf('parse-error', options.rules),
    ignore: options.ignore,
    contextPaths: options.contextPaths,
    report: options.report,
    cache: options.cache,
    render: options.render,
    notRenderedSeverity: severityOf(NOT_RENDERED_RULE, options.rules),
  });
  const findings = [...loaded.findings];
  let callSites = options.callSites;
  let sources: SourceSummary | undefined;
  if (loaded.sources.length && !options.source?.disabled) {
    const scanned = await scanSourceFiles(loaded.sources, options);
    for (const f of scanned.findings) findings.push(f);
    for (const s of scanned.skipped) (loaded.stats.skippedPaths ??= []).push(s);
    callSites = [...(callSites ?? []), ...scanned.callSites];
    sources = scanned.summary;
  }
  const analysed = analyzeObjects(loaded.objects, loaded.notMappings, { ...options, callSites }, loaded.sysctl);
  if (sources) sources.unlinked = analysed.unlinked;
  const warnings = options.source
    ? unusedSourceOptions({ workloads: options.source.workloads ?? [], envHosts: options.source.envHosts ?? {}, cwd: options.cwd, sourceFiles: options.source.disabled ? [] : loaded.sources, callSites: callSites ?? [], objects: loaded.objects })
    : [];
  // Findings on rendered output move to the template or resource file each object came from.
  const silenced = await silenceFindings({
    findings: mapRenderedFindings([...findings, ...analysed.findings], loaded.renders, options.cwd, options.maxFileBytes ?? DEFAULT_MAX_FILE_BYTES),
    objects: loaded.objects,
    manifestTexts: loaded.directiveTexts,
    sourceFiles: loaded.sources,
    options,
  });
  let kept = silenced.findings;
  let suppressed = silenced.suppressed;
  let routes = analysed.routes;
  const reported = loaded.reported;
  if (reported) {
    // Context files feed the model; only the files asked about are reported (internal errors always are).
    const isReported = (f: Finding) => reported.has(f.location.file) || f.location.file === '<meshlint>';
    kept = kept.filter(isReported);
    suppressed = suppressed.filter(isReported);
    routes = routes.filter((r) => reported.has(r.definedBy.object.origin.file));
  }
  return {
    findings: kept,
    routes,
    errors: loaded.errors,
    stats: loaded.stats,
    budget: budgetOf(options, analysed.node),
    suppressed,
    ...(silenced.baseline ? { baseline: silenced.baseline } : {}),
    ...(sources ? { sources } : {}),
    ...(warnings.length ? { warnings } : {}),
    ...(reported ? { reportedFiles: reported } : {}),
  };
}

/** The figures the arithmetic used: `options.ports` (`--port-range`) when given, else the node settings' usable ports. */
export function budgetOf(options: Pick<AnalysisOptions, 'ports' | 'timeWaitSeconds' | 'rps'>, node: NodeSettings): AnalysisResult['budget'] {
  return {
    ports: options.ports ?? node.node.usable,
    timeWaitSeconds: options.timeWaitSeconds ?? TIME_WAIT_SECONDS,
    rps: options.rps,
    trace: options.ports !== undefined ? [{ text: `ports = ${options.ports} (--port-range / ports option)` }] : node.node.trace,
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
    for (const f of applied.baselined) suppressed.push(f);
    baseline = applied.summary;
  }
  return { findings, suppressed: sortFindings(suppressed), ...(baseline ? { baseline } : {}) };
}

/**
 * Runs the source scanners (loaded on demand: `source/index.ts`) over the discovered source files with the
 * configured rule severities and options, and turns what they return into findings and call sites:
 * configured severities replace the rules' defaults (a severity the rule grades itself, such as `info` for a
 * scanner dialling many hosts, stays), rules set to `off` do not run, a file that cannot be parsed is a
 * `parse-error` finding at the syntax error's position, and each call site gets the workload its directory
 * is mapped to in `source.workloads`.
 */
async function scanSourceFiles(files: readonly string[], options: CheckOptions): Promise<{ findings: Finding[]; callSites: AppCallSite[]; skipped: SkippedPath[]; summary: SourceSummary }> {
  const { scanSources } = await import('./source/index.js');
  const ruleOptions: Record<string, Record<string, unknown>> = {};
  const disabledRules: string[] = [];
  for (const [id, setting] of options.rules ?? []) {
    if (setting.severity === 'off') disabledRules.push(id);
    if (setting.options) ruleOptions[id] = setting.options;
  }
  const result = await scanSources(files, { cwd: options.cwd, envHosts: options.source?.envHosts, ruleOptions, disabledRules, maxFileBytes: options.source?.maxFileBytes,
    isolation: { timeoutSeconds: options.source?.timeoutSeconds, maxHeapMiB: options.source?.maxHeapMiB, minBytes: options.source?.isolateMinBytes },
  });
  const findings: Finding[] = [];
  for (const f of result.findings) {
    const configured = options.rules?.get(f.ruleId)?.severity;
    if (configured === 'off') continue;
    const defaultSeverity = allRules().find((r) => r.meta.id === f.ruleId)?.meta.defaultSeverity;
    findings.push(configured && f.severity === defaultSeverity ? { ...f, severity: configured } : f);
  }
  const parseSeverity = severityOf('parse-error', options.rules);
  if (parseSeverity !== 'off') {
    for (const e of result.errors) {
      const prefix = e.line ? `${e.file}:${e.line}:${e.column}: ` : `${e.file}: `;
      const detail = e.message.startsWith(prefix) ? e.message.slice(prefix.length) : e.message;
      const what = e.partial ? 'source file analysed only around a syntax error' : 'source file not analysed';
      findings.push({ ruleId: 'parse-error', severity: parseSeverity, message: `${what}: ${detail}`, location: { file: e.file, line: e.line ?? 1, column: e.column ?? 1 } });
    }
  }
  const workloads = (options.source?.workloads ?? []).map((w) => ({ ...w, abs: path.resolve(options.cwd, w.path) })).sort((a, b) => b.abs.length - a.abs.length);
  const callSites = result.callSites.map((site) => {
    const abs = path.resolve(options.cwd, site.file);
    const w = workloads.find((x) => abs === x.abs || abs.startsWith(x.abs.endsWith(path.sep) ? x.abs : x.abs + path.sep));
    return w ? { ...site, workload: { name: w.workload, ...(w.namespace ? { namespace: w.namespace } : {}) } } : site;
  });
  return { findings, callSites, skipped: (result.skipped ?? []).map((s) => ({ path: s.file, reason: s.reason })), summary: { filesByLanguage: result.filesByLanguage, notScanned: result.notScanned, callSites: callSites.length, unlinked: [] } };
}
