import { locate } from '../load/objects.js';
import type { AnalysisResult } from './result.js';
import type { TraceItem } from '../model/traffic.js';
import { ruleMeta } from '../rules/registry.js';
import { nodePortsJson } from './nodes.js';
import { countBySeverity, type ReportOptions } from './format.js';
import type { Finding } from '../types.js';

/**
 * Version of the JSON report's shape (`schemas/report.schema.json`); bumped on any incompatible change.
 * 2: trace items are shared in the top-level `traces` table and referenced by index (1 repeated them inline).
 */
export const JSON_REPORT_VERSION = 2;

/** A trace item as the report writes it: the fact's text and, when it was read from a file, where. */
export interface JsonTraceItem {
  text: string;
  file?: string;
  line?: number;
  column?: number;
}

/**
 * The report's `traces` table: each distinct trace item once, in first-use order; routes, legs, mirrors and the
 * budget refer to items by index. Routes of one mesh repeat the same facts (the pod's port range, a
 * DestinationRule's pool settings seen from every client namespace), so the table keeps the report linear in
 * distinct facts rather than in routes × facts.
 */
class TraceTable {
  readonly items: JsonTraceItem[] = [];
  private readonly index = new Map<string, number>();
  /**
   * Index of each trace item object already seen. Rows share item objects (a connection policy's trace, a
   * namespace's port budget): 52,740 references to 7,047 distinct items at 10,000 objects. The identity lookup
   * spares building and hashing a text-and-location key per reference.
   */
  private readonly byItem = new WeakMap<TraceItem, number>();

  /** Indexes into {@link items} of `trace`, adding the items not yet in the table. */
  refs(trace: readonly TraceItem[]): number[] {
    const out = new Array<number>(trace.length);
    for (let i = 0; i < trace.length; i++) out[i] = this.ref(trace[i]!);
    return out;
  }

  private ref(t: TraceItem): number {
    const known = this.byItem.get(t);
    if (known !== undefined) return known;
    const at = t.location;
    const key = at ? `${t.text}\u0000${at.file}\u0000${at.line}\u0000${at.column}` : t.text;
    let i = this.index.get(key);
    if (i === undefined) {
      i = this.items.length;
      this.items.push(at ? { text: t.text, file: at.file, line: at.line, column: at.column } : { text: t.text });
      this.index.set(key, i);
    }
    this.byItem.set(t, i);
    return i;
  }
}

/**
 * Each rule's code, looked up once per rule id (not per finding: thousands of findings share a few rules). Only
 * ids of known rules are kept: a rule registered later (`registerRules`) is still found.
 */
const ruleCodes = new Map<string, string | null>();
function ruleCode(id: string): string | null {
  const known = ruleCodes.get(id);
  if (known !== undefined) return known;
  const meta = ruleMeta(id);
  if (!meta) return null;
  const code = meta.code ?? null;
  ruleCodes.set(id, code);
  return code;
}

function finding(f: Finding) {
  return {
    ruleId: f.ruleId,
    code: ruleCode(f.ruleId),
    severity: f.severity,
    message: f.message,
    ...(f.hint ? { hint: f.hint } : {}),
    file: f.location.file,
    line: f.location.line,
    column: f.location.column,
    ...(f.location.object ? { object: f.location.object } : {}),
    ...(f.location.fieldPath ? { fieldPath: f.location.fieldPath } : {}),
    ...(f.location.rendered ? { rendered: f.location.rendered } : {}),
    ...(f.cluster ? { cluster: f.cluster } : {}),
  };
}

function isBaselined(f: Finding): boolean {
  return f.suppressions?.some((s) => s.via === 'baseline') ?? false;
}

/** Plain-object report, shaped as `schemas/report.schema.json` documents. */
export function toJsonReport(result: AnalysisResult, options: ReportOptions) {
  const c = countBySeverity(result.findings);
  const suppressed = result.suppressed ?? [];
  const traces = new TraceTable();
  const trace = (items: readonly TraceItem[]) => traces.refs(items);
  const routes = result.routes.map((r) => {
    const at = locate(r.definedBy.object, r.definedBy.path);
    return {
      clientNamespace: r.clientNamespace,
      host: r.host,
      destination: r.destination,
      subset: r.subset ?? null,
      port: r.port ?? null,
      protocol: r.protocol,
      external: r.external,
      sidecar: r.sidecar ?? null,
      definedBy: { file: at.file, line: at.line, column: at.column, object: at.object, fieldPath: at.fieldPath ?? '' },
      legs: r.legs.map((l) => ({ name: l.name, dataPlane: l.dataPlane, ...(l.carriedBy ? { carriedBy: trace([l.carriedBy])[0] } : {}), tries: l.tries, connectionsPerTry: l.connectionsPerTry, snat: l.snat, budget: l.budget, ...(l.inboundRetries ? { inboundRetries: l.inboundRetries } : {}), trace: trace(l.trace) })),
      mirrors: r.mirrors.map((m) => ({ host: m.host, percentage: m.percentage, connections: m.connections, trace: trace(m.trace) })),
      total: r.total,
      snatConnections: r.snatConnections,
      budgets: r.budgets.map((b) => ({ scope: b.scope, ports: b.ports, connections: b.connections, exhaustionRps: b.exhaustionRps })),
      budgetScope: r.budgetScope,
      budgetConnections: r.budgetConnections,
      ...(r.budgetPorts !== undefined ? { budgetPorts: r.budgetPorts, budgetTrace: trace(r.budgetTrace ?? []) } : {}),
      exhaustionRps: r.exhaustionRps,
      rps: r.rps ?? null,
      portsHeld: r.portsHeld ?? null,
      appLeg: r.appLeg ? { file: r.appLeg.file, line: r.appLeg.line, column: r.appLeg.column, evidence: r.appLeg.evidence, appTries: r.appLeg.appTries } : null,
      notes: r.notes,
    };
  });
  const budget = { ports: result.budget.ports, timeWaitSeconds: result.budget.timeWaitSeconds, rps: result.budget.rps ?? null, ...(result.budget.trace ? { trace: trace(result.budget.trace) } : {}) };
  return {
    schemaVersion: JSON_REPORT_VERSION,
    tool: { name: 'meshlint', version: options.version },
    summary: { errors: c.error, warnings: c.warn, info: c.info, suppressed: suppressed.filter((f) => !isBaselined(f)).length, baselined: suppressed.filter(isBaselined).length, files: result.stats.files, documents: result.stats.documents, objects: result.stats.objects, byKind: result.stats.byKind, skipped: result.stats.skipped, ...(result.stats.skippedPaths ? { skippedPaths: result.stats.skippedPaths } : {}) },
    findings: result.findings.map(finding),
    suppressed: suppressed.map((f) => ({ ...finding(f), suppressions: (f.suppressions ?? []).map((s) => ({ kind: s.kind, via: s.via, ...(s.justification ? { justification: s.justification } : {}), ...(s.location ? { file: s.location.file, line: s.location.line, column: s.location.column } : {}) })) })),
    ...(result.baseline ? { baseline: { file: result.baseline.file, matched: result.baseline.matched, absent: result.baseline.absent } } : {}),
    routes,
    budget,
    traces: traces.items,
    errors: result.errors,
    coverage: options.coverage ?? [],
    ...(options.cluster ? { cluster: options.cluster } : {}),
    ...(options.clusters ? { clusters: options.clusters } : {}),
    ...(result.nodePorts ? { nodePorts: nodePortsJson(result.nodePorts) } : {}),
  };
}

/** An indented array of integers (`[\n  3,\n  17\n]`); JSON strings hold no raw newline, so only arrays match. */
const INTEGER_ARRAY = /\[\n +(-?\d+(?:,\n +-?\d+)*)\n *\]/g;

/**
 * The JSON report as text: two-space indented, trailing newline, arrays of integers (trace references) kept on
 * one line: one line per index would make them the largest part of the report.
 */
export function json(result: AnalysisResult, options: ReportOptions): string {
  const text = JSON.stringify(toJsonReport(result, options), null, 2);
  return text.replace(INTEGER_ARRAY, (_, items: string) => `[${items.replace(/,\n +/g, ', ')}]`) + '\n';
}
