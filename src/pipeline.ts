import type { ManifestObject, Origin } from './load/objects.js';
import type { LoadStats } from './load/index.js';
import { loadInputs } from './load/index.js';
import { DEFAULT_MESH_SETTINGS, MeshModel, type MeshSettings } from './model/mesh.js';
import { computeMultipliers, type RouteMultiplier } from './model/multiplier.js';
import type { AppCallSite } from './source/types.js';
import { runRules, type RuleSetting } from './rules/engine.js';
import { allRules } from './rules/registry.js';
import type { Finding, RunError, Severity } from './types.js';
import { validateObjects } from './validate/index.js';
import { DEFAULT_EPHEMERAL_PORTS, TIME_WAIT_SECONDS } from './facts.js';

/** Options of one analysis, whatever the input (files or a cluster). */
export interface AnalysisOptions {
  /** Per-rule severity and options; rules not listed use their defaults. */
  rules?: ReadonlyMap<string, RuleSetting>;
  mesh?: Partial<MeshSettings>;
  /** Request rate per route, requests/s, for ports held in TIME_WAIT. */
  rps?: number;
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
  /** Files whose findings are reported, when context files were loaded too (`--context-dir`, `--changed-since`). */
  reportedFiles?: ReadonlySet<string>;
}

/** The severity configured for a rule, or its default. */
export function severityOf(id: string, rules: ReadonlyMap<string, RuleSetting> | undefined): Severity | 'off' {
  const configured = rules?.get(id)?.severity;
  if (configured) return configured;
  return allRules().find((r) => r.meta.id === id)?.meta.defaultSeverity ?? 'warn';
}

/**
 * validate → model → rules over objects already loaded (from files or from a cluster). Findings are sorted
 * by file, line, column, rule.
 */
export function analyzeObjects(objects: readonly ManifestObject[], notMappings: readonly { origin: Origin; got: string }[], options: AnalysisOptions): { findings: Finding[]; routes: RouteMultiplier[] } {
  const findings: Finding[] = [];
  const schemaSeverity = severityOf('schema-invalid', options.rules);
  if (schemaSeverity !== 'off') findings.push(...validateObjects(objects, notMappings, schemaSeverity));
  const model = new MeshModel(objects, { ...DEFAULT_MESH_SETTINGS, ...options.mesh });
  const routes = computeMultipliers(model, { rps: options.rps, ports: options.ports, timeWaitSeconds: options.timeWaitSeconds, callSites: options.callSites });
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
  /** `--context-dir`: loaded for cross-file context; findings only for files of `paths` (see {@link LoadOptions.contextPaths}). */
  contextPaths?: readonly string[];
  /** `--changed-since`: which files of `paths` are reported, by real absolute path (see {@link LoadOptions.report}). */
  report?: (absolutePath: string) => boolean;
}

/**
 * `meshlint check`: load → validate → model → rules, over files, directories, globs and standard input.
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
    contextPaths: options.contextPaths,
    report: options.report,
  });
  const analysed = analyzeObjects(loaded.objects, loaded.notMappings, options);
  let findings = [...loaded.findings, ...analysed.findings];
  let routes = analysed.routes;
  const reported = loaded.reported;
  if (reported) {
    // Context files feed the model; only the files asked about are reported (internal errors always are).
    findings = findings.filter((f) => reported.has(f.location.file) || f.location.file === '<meshlint>');
    routes = routes.filter((r) => reported.has(r.definedBy.object.origin.file));
  }
  return {
    findings: sortFindings(findings),
    routes,
    errors: loaded.errors,
    stats: loaded.stats,
    budget: { ports: options.ports ?? DEFAULT_EPHEMERAL_PORTS, timeWaitSeconds: options.timeWaitSeconds ?? TIME_WAIT_SECONDS, rps: options.rps },
    ...(reported ? { reportedFiles: reported } : {}),
  };
}
