/**
 * The result of one analysis: what the pipeline (src/pipeline.ts) hands to the report stage. It lives in the
 * report stage, the last one, so that reporters read it without importing the pipeline that produces it
 * (docs/architecture.md: data flows one way).
 */
import type { LoadStats } from '../load/index.js';
import type { UnlinkedCallSite } from '../model/link.js';
import type { RouteMultiplier, TraceItem } from '../model/traffic.js';
import type { SourceLanguage } from '../source/types.js';
import type { BaselineSummary } from '../baseline/index.js';
import type { NodePortReport } from '../live/nodes.js';
import type { Finding, RunError } from '../types.js';

/** What source scanning saw, for the reports. */
export interface SourceSummary {
  /** Files scanned per language. */
  filesByLanguage: Partial<Record<SourceLanguage, number>>;
  /** Files of a language this build has no scanner for. */
  notScanned: Partial<Record<SourceLanguage, number>>;
  /** Outbound call sites found (HTTP calls and database clients). */
  callSites: number;
  /** Call sites that could not be linked to a ServiceEntry, Service or VirtualService host, with the reason. */
  unlinked: UnlinkedCallSite[];
}

/** Everything one analysis produced, for the reporters. */
export interface AnalysisResult {
  findings: Finding[];
  routes: RouteMultiplier[];
  errors: RunError[];
  stats: LoadStats;
  /** Figures the arithmetic used: `ports` is the nodes' usable ephemeral ports, `trace` where each figure came from. */
  budget: { ports: number; timeWaitSeconds: number; rps?: number; trace?: TraceItem[] };
  /** Findings silenced by an annotation, a disable comment or the baseline, each with `suppressions`. */
  suppressed?: Finding[];
  /** What the baseline did, when one was applied. */
  baseline?: BaselineSummary;
  /** Source scanning, when source files were given. */
  /** `--workload` / `--env-host` entries (or `source.workloads` / `source.envHosts`) that had no effect, one line each. */
  warnings?: string[];
  sources?: SourceSummary;
  /** Files whose findings are reported, when context files were loaded too (`--context-dir`, `--changed-since`). */
  reportedFiles?: ReadonlySet<string>;
  /** Per-node port budgets, predicted and measured (`audit --prometheus`). */
  nodePorts?: NodePortReport;
}
