import { locate } from '../load/objects.js';
import type { AnalysisResult } from './result.js';
import type { TraceItem } from '../model/multiplier.js';
import { ruleMeta } from '../rules/registry.js';
import { nodePortsJson } from './nodes.js';
import { countBySeverity, type ReportOptions } from './format.js';
import type { Finding } from '../types.js';

/** Version of the JSON report's shape (`schemas/report.schema.json`); bumped on any incompatible change. */
export const JSON_REPORT_VERSION = 1;

function trace(t: TraceItem) {
  return t.location ? { text: t.text, file: t.location.file, line: t.location.line, column: t.location.column } : { text: t.text };
}

function finding(f: Finding) {
  return {
    ruleId: f.ruleId,
    code: ruleMeta(f.ruleId)?.code ?? null,
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
  return {
    schemaVersion: JSON_REPORT_VERSION,
    tool: { name: 'meshlint', version: options.version },
    summary: { errors: c.error, warnings: c.warn, info: c.info, suppressed: suppressed.filter((f) => !isBaselined(f)).length, baselined: suppressed.filter(isBaselined).length, files: result.stats.files, documents: result.stats.documents, objects: result.stats.objects, byKind: result.stats.byKind, skipped: result.stats.skipped, ...(result.stats.skippedPaths ? { skippedPaths: result.stats.skippedPaths } : {}) },
    findings: result.findings.map(finding),
    suppressed: suppressed.map((f) => ({ ...finding(f), suppressions: (f.suppressions ?? []).map((s) => ({ kind: s.kind, via: s.via, ...(s.justification ? { justification: s.justification } : {}), ...(s.location ? { file: s.location.file, line: s.location.line, column: s.location.column } : {}) })) })),
    ...(result.baseline ? { baseline: { file: result.baseline.file, matched: result.baseline.matched, absent: result.baseline.absent } } : {}),
    routes: result.routes.map((r) => {
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
        legs: r.legs.map((l) => ({ name: l.name, tries: l.tries, connectionsPerTry: l.connectionsPerTry, snat: l.snat, budget: l.budget, ...(l.inboundRetries ? { inboundRetries: l.inboundRetries } : {}), trace: l.trace.map(trace) })),
        mirrors: r.mirrors.map((m) => ({ host: m.host, percentage: m.percentage, connections: m.connections, trace: m.trace.map(trace) })),
        total: r.total,
        snatConnections: r.snatConnections,
        budgets: r.budgets.map((b) => ({ scope: b.scope, ports: b.ports, connections: b.connections, exhaustionRps: b.exhaustionRps })),
        budgetScope: r.budgetScope,
        budgetConnections: r.budgetConnections,
        ...(r.budgetPorts !== undefined ? { budgetPorts: r.budgetPorts, budgetTrace: (r.budgetTrace ?? []).map(trace) } : {}),
        exhaustionRps: r.exhaustionRps,
        rps: r.rps ?? null,
        portsHeld: r.portsHeld ?? null,
        appLeg: r.appLeg ? { file: r.appLeg.file, line: r.appLeg.line, column: r.appLeg.column, evidence: r.appLeg.evidence, appTries: r.appLeg.appTries } : null,
        notes: r.notes,
      };
    }),
    budget: { ports: result.budget.ports, timeWaitSeconds: result.budget.timeWaitSeconds, rps: result.budget.rps ?? null, ...(result.budget.trace ? { trace: result.budget.trace.map(trace) } : {}) },
    errors: result.errors,
    coverage: options.coverage ?? [],
    ...(options.cluster ? { cluster: options.cluster } : {}),
    ...(options.clusters ? { clusters: options.clusters } : {}),
    ...(result.nodePorts ? { nodePorts: nodePortsJson(result.nodePorts) } : {}),
  };
}

/** The JSON report as text (two-space indented, trailing newline). */
export function json(result: AnalysisResult, options: ReportOptions): string {
  return JSON.stringify(toJsonReport(result, options), null, 2) + '\n';
}
