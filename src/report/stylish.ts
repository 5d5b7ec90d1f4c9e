import { styleText } from 'node:util';
import type { AnalysisResult } from './result.js';
import type { RouteMultiplier } from '../model/traffic.js';
import type { Finding, RenderedPosition, Severity } from '../types.js';
import { isClusterUri } from '../load/objects.js';
import { nodePortLines } from './nodes.js';
import { countBySeverity, escapeControl as e, formatConnectionsPerTry, formatExhaustion, formatLocation, formatNumber, groupThousands, worstRoutes, type ReportOptions } from './format.js';

type Style = Parameters<typeof styleText>[0];

/**
 * ESLint-style text: findings grouped by file (`line:col  severity  message  rule-id`, hint below), a
 * summary line, then the connection-multiplier table (the worst routes), or with `explain` every route's
 * legs and the file:line each figure came from. Text from the input (file names, hosts, names, messages quoting
 * values) has its control characters escaped (`escapeControl`): a newline or ESC byte in a file name cannot
 * forge report lines or drive the terminal.
 */
export function stylish(result: AnalysisResult, options: ReportOptions): string {
  // Every painted text is escaped here; unpainted input text is escaped where it is written (`e(…)`).
  const paint = (style: Style, text: string) => (options.color ? styleText(style, e(text)) : e(text));
  const lines: string[] = [];
  const byFile = new Map<string, Finding[]>();
  for (const f of result.findings) {
    const list = byFile.get(f.location.file) ?? [];
    list.push(f);
    byFile.set(f.location.file, list);
  }
  const sevStyle: Record<Severity, Style> = { error: 'red', warn: 'yellow', info: 'blue' };
  const sevText: Record<Severity, string> = { error: 'error', warn: 'warning', info: 'info' };
  for (const [file, findings] of byFile) {
    lines.push('', paint('underline', file));
    for (const f of findings) {
      // Objects read from a cluster have no lines: the field path says where, on its own line.
      if (isClusterUri(f.location.file)) lines.push(`  ${paint('dim', f.location.fieldPath ?? '(the whole object)')}`);
      const pos = isClusterUri(f.location.file) ? ' '.repeat(8) : `${f.location.line}:${f.location.column}`.padEnd(8);
      lines.push(`  ${paint('dim', pos)}${paint(sevStyle[f.severity], sevText[f.severity].padEnd(8))}${e(f.message)}  ${paint('dim', f.ruleId)}`);
      if (f.location.rendered) lines.push(`  ${' '.repeat(16)}${paint('dim', renderedNote(f.location.rendered))}`);
      if (f.hint) lines.push(`  ${' '.repeat(16)}${paint('dim', `→ ${f.hint}`)}`);
    }
  }
  const c = countBySeverity(result.findings);
  const total = c.error + c.warn + c.info;
  const silenced = silencedSummary(result);
  lines.push('');
  // A run with errors (a path that does not exist, a chart helm could not render) was not fully checked.
  if (total === 0 && result.errors.length) lines.push(paint('red', `✖ no findings, but ${plural(result.errors.length, 'run error')} (on standard error): the input was not fully checked`));
  else if (total === 0) lines.push(paint('green', `✔ no problems${silenced ? ` (${silenced})` : ''}`));
  else lines.push(paint(c.error ? 'red' : c.warn ? 'yellow' : 'blue', `✖ ${total} problem${total === 1 ? '' : 's'} (${c.error} error${c.error === 1 ? '' : 's'}, ${c.warn} warning${c.warn === 1 ? '' : 's'}, ${c.info} info)${silenced ? `; ${silenced}` : ''}`));
  if (result.baseline?.absent) lines.push(paint('dim', `${plural(result.baseline.absent, 'baselined finding')} no longer found: refresh ${result.baseline.file} with --baseline-write`));
  const s = result.stats;
  const skipped = Object.values(s.skipped).reduce((a, b) => a + b, 0);
  const read = options.clusters
    ? `${plural(s.objects, 'object')} analysed from ${plural(options.clusters.filter((c) => !c.error).length, 'cluster')} of ${options.clusters.length}${options.clusters[0]?.namespaces.length ? ` (namespaces ${options.clusters[0].namespaces.join(', ')})` : ', all namespaces'}`
    : options.cluster
    ? `${plural(s.objects, 'object')} analysed, read from ${options.cluster.server} (context ${options.cluster.context}${options.cluster.namespaces.length ? `, namespaces ${options.cluster.namespaces.join(', ')}` : ', all namespaces'})`
    : `${plural(s.files, 'file')}, ${plural(s.documents, 'document')}, ${plural(s.objects, 'object')} analysed`;
  lines.push(paint('dim', `${read}${skipped ? `, ${skipped} skipped (${Object.entries(s.skipped).sort((a, b) => b[1] - a[1]).slice(0, 5).map(([k, n]) => `${k} ${n}`).join(', ')}${Object.keys(s.skipped).length > 5 ? ', …' : ''})` : ''}`));
  for (const c of options.clusters ?? []) {
    lines.push(c.error ? paint('red', `context ${c.context}: not audited: ${c.error}`) : paint('dim', `context ${c.context}: ${plural(c.objects, 'object')} analysed, read from ${c.server}, ${plural((options.coverage ?? []).filter((n) => n.cluster === c.context).length, 'coverage note')}`));
  }
  for (const line of skippedPathLines(s.skippedPaths ?? [])) lines.push(paint('dim', line));
  for (const note of options.coverage ?? []) lines.push(paint('yellow', `coverage: ${note.message}`));
  if (result.sources) for (const l of sourceLines(result, options.explain, paint)) lines.push(l);
  if (result.routes.length) {
    lines.push('');
    for (const l of options.explain ? explainRoutes(result, paint) : routeTable(result, options.tableRows ?? 10, paint)) lines.push(l);
  }
  if (result.nodePorts) lines.push('', ...nodePortLines(result.nodePorts, options.explain ? result.nodePorts.nodes.length : (options.tableRows ?? 10)));
  return lines.join('\n') + '\n';
}

/** `rendered by helm template (charts/shop), output line 14:9; template line matched`: where a finding on a rendered object is in the output. */
export function renderedNote(r: RenderedPosition): string {
  const how = { line: 'template line matched', key: 'key matched, value templated', object: "the object's kind: line", file: 'no template line matched' }[r.match];
  return `rendered by ${r.by === 'helm' ? 'helm template' : 'kustomize'} (${r.input}), output line ${r.line}:${r.column}; ${how}`;
}

/** `2 suppressed, 5 in the baseline`, or '' when nothing was silenced. */
function silencedSummary(result: AnalysisResult): string {
  const silenced = result.suppressed ?? [];
  const baselined = silenced.filter((f) => f.suppressions?.some((s) => s.via === 'baseline')).length;
  const inSource = silenced.length - baselined;
  return [inSource ? `${inSource} suppressed` : '', baselined ? `${baselined} in the baseline` : ''].filter(Boolean).join(', ');
}

/** The source-scanning summary: files per language, call sites, and (with explain) the call sites not linked to the mesh. */
function sourceLines(result: AnalysisResult, explain: boolean, paint: (s: Style, t: string) => string): string[] {
  const src = result.sources!;
  const out: string[] = [];
  const byLang = Object.entries(src.filesByLanguage);
  const files = byLang.reduce((n, [, c]) => n + (c ?? 0), 0);
  const unlinked = new Set(src.unlinked.map((u) => u.site));
  const parts = [`source: ${plural(files, 'file')}${byLang.length ? ` (${byLang.map(([l, c]) => `${l} ${c}`).join(', ')})` : ''}`, plural(src.callSites, 'outbound call site')];
  if (unlinked.size) parts.push(`${unlinked.size} not linked to a mesh host${explain ? '' : ' (meshlint explain lists them)'}`);
  out.push(paint('dim', parts.join(', ')));
  for (const [lang, n] of Object.entries(src.notScanned)) out.push(paint('yellow', `source: ${plural(n ?? 0, `${lang} file`)} not scanned: this build has no ${lang} scanner`));
  if (explain) {
    for (const u of src.unlinked) out.push(paint('dim', `  not linked: ${u.site.file}:${u.site.line}:${u.site.column} ${u.site.host ?? u.site.url ?? ''} — ${u.reason}`.replace('  — ', ' — ')));
  }
  return out;
}

/** Names shown per reason in the skipped-paths summary; `-f json` lists them all (`summary.skippedPaths`). */
const SKIPPED_NAMES_SHOWN = 20;

/** `skipped 2 paths (dot-directory): .git, .github`: one line per reason, every skipped path counted and named. */
function skippedPathLines(skipped: readonly { path: string; reason: string }[]): string[] {
  const byReason = new Map<string, string[]>();
  for (const s of skipped) {
    const list = byReason.get(s.reason) ?? [];
    list.push(s.path);
    byReason.set(s.reason, list);
  }
  const out: string[] = [];
  for (const [reason, paths] of byReason) {
    const more = paths.length - SKIPPED_NAMES_SHOWN;
    out.push(`skipped ${plural(paths.length, 'path')} (${reason}): ${paths.slice(0, SKIPPED_NAMES_SHOWN).join(', ')}${more > 0 ? `, and ${groupThousands(more)} more (-f json lists them all)` : ''}`);
  }
  return out;
}

/** `1 file`, `2 files`. */
function plural(n: number, noun: string): string {
  return `${groupThousands(n)} ${noun}${n === 1 ? '' : 's'}`;
}

function describeLegs(route: RouteMultiplier): string {
  return route.legs.map((l) => `${formatNumber(l.tries)}×${formatConnectionsPerTry(l.connectionsPerTry)}`).join(' + ') + (route.mirrors.length ? ` + mirror ${formatNumber(route.mirrors.reduce((s, m) => s + m.connections, 0))}` : '');
}

function routeTable(result: AnalysisResult, rows: number, paint: (s: Style, t: string) => string): string[] {
  const routes = worstRoutes(result.routes);
  const header = ['client → destination', 'legs (tries×new conns/try)', 'M', "M SNAT'd", 'budget', 'exhausts at'];
  const perRoute = routes.some((r) => r.rps !== undefined && r.rps !== result.budget.rps);
  const withRate = routes.some((r) => r.portsHeld !== undefined);
  if (withRate) header.push(perRoute ? 'TIME_WAIT at the route’s rps' : `TIME_WAIT @${formatNumber(result.budget.rps ?? 0)} rps`);
  const body = routes.slice(0, rows).map((r) => {
    const row = [
      e(`${r.client ?? r.clientNamespace} → ${r.host}${r.port ? `:${r.port}` : ''}${r.subset ? ` (${r.subset})` : ''}`),
      describeLegs(r),
      formatNumber(r.total),
      formatNumber(r.snatConnections),
      r.budgetScope === 'node' ? 'node (SNAT)' : 'pod',
      formatExhaustion(r),
    ];
    if (withRate) row.push(r.portsHeld === undefined ? '–' : `${formatNumber(Math.round(r.portsHeld))} / ${formatNumber(r.budgetPorts ?? result.budget.ports)} ports${perRoute ? ` @${formatNumber(r.rps!)} rps` : ''}`);
    return row;
  });
  const widths = header.map((h, i) => Math.min(60, body.reduce((w, r) => Math.max(w, r[i].length), h.length)));
  const fmt = (cells: string[]) => cells.map((c, i) => (c.length > widths[i] ? c.slice(0, widths[i] - 1) + '…' : c.padEnd(widths[i]))).join('  ').trimEnd();
  const out = [paint('bold', 'Connection multiplier (new connections per logical request, worst case)'), paint('dim', fmt(header))];
  for (const r of body) out.push(fmt(r));
  if (routes.length > rows) out.push(paint('dim', `… ${routes.length - rows} more route${routes.length - rows === 1 ? '' : 's'}: meshlint explain for all`));
  out.push(paint('dim', `ports = ${formatNumber(result.budget.ports)} ephemeral ports on the nodes${sourcesText(result.budget.trace)}, TIME_WAIT = ${result.budget.timeWaitSeconds} s; M SNAT'd = new connections per request on the node's SNAT ports; budget = the tightest budget (pod or node); exhausts at = its ports / (its new connections per request × TIME_WAIT). Details: meshlint explain`));
  return out;
}

/** ` (net.ipv4.ip_local_port_range = 1024 65535 at node.conf:3:1; …)` for the budget's figures read from input files; empty when all are defaults. */
function sourcesText(trace: AnalysisResult['budget']['trace']): string {
  const read = (trace ?? []).filter((t) => t.location);
  return read.length ? ` (${read.map((t) => `${t.text} at ${t.location!.file}:${t.location!.line}:${t.location!.column}`).join('; ')})` : ''; // painted (escaped) by the caller
}

function explainRoutes(result: AnalysisResult, paint: (s: Style, t: string) => string): string[] {
  const out: string[] = [paint('bold', 'Connection multiplier, every route'), paint('dim', `Assumptions: the client side closes first (worst case), tcp_tw_reuse ≠ 1, one destination ip:port; ports = ${formatNumber(result.budget.ports)}, TIME_WAIT = ${result.budget.timeWaitSeconds} s.`)];
  for (const r of worstRoutes(result.routes)) {
    const def = r.definedBy.object;
    out.push('', paint('bold', `${r.client ?? r.clientNamespace} → ${r.host}${r.port ? `:${r.port}` : ''}${r.subset ? ` subset ${r.subset}` : ''} (${r.protocol}${r.external ? ', MESH_EXTERNAL' : ''})`));
    out.push(e(`  route: ${def.ref.kind} ${def.ref.namespace}/${def.ref.name} at ${def.origin.file}`));
    out.push(e(`  sidecar: ${r.sidecar === false ? 'no' : r.sidecar ? 'yes' : 'assumed'} (${r.sidecarReason})`));
    // Which data plane carries each leg (sidecar, ambient ztunnel, waypoint, gateway, or the app alone).
    out.push(e(`  data plane: ${r.legs.map((l) => `${l.name} [${l.dataPlane === 'none' ? 'app' : l.dataPlane}]`).join(', ')}`));
    // Why each leg's data plane carries it: the label or annotation that decided, at its object's line.
    for (const l of r.legs) if (l.carriedBy) out.push(paint('dim', `      ${l.name}: ${l.carriedBy.text}${l.carriedBy.location ? `  (${formatLocation(l.carriedBy.location)})` : ''}`));
    for (const leg of r.legs) {
      out.push(e(`  leg ${leg.name}: ${formatNumber(leg.tries)} tries × ${formatConnectionsPerTry(leg.connectionsPerTry)} new conns/try = ${formatNumber(leg.tries * leg.connectionsPerTry)}${leg.snat ? ' [SNAT: node ports]' : ''}`));
      for (const t of leg.trace) out.push(paint('dim', `      ${t.text}${t.location ? `  (${formatLocation(t.location)})` : ''}`));
    }
    for (const m of r.mirrors) {
      out.push(e(`  mirror ${m.host}: ${formatNumber(m.percentage)}% → +${formatNumber(m.connections)}`));
      for (const t of m.trace) out.push(paint('dim', `      ${t.text}${t.location ? `  (${formatLocation(t.location)})` : ''}`));
    }
    out.push(`  M = ${formatNumber(r.total)} new connections per request; ${r.budgets.map((b) => `${b.scope === 'node' ? "SNAT'd onto the node's ports" : "from the pod's ports"}: ${formatNumber(b.connections)}`).join('; ')}`);
    const ports = r.budgetPorts ?? result.budget.ports;
    if (r.exhaustionRps !== null) out.push(`  ports = ${formatNumber(ports)}`);
    if (r.exhaustionRps !== null) for (const t of r.budgetTrace ?? []) out.push(paint('dim', `      ${t.text}${t.location ? `  (${t.location.file}:${t.location.line}:${t.location.column})` : ''}`));
    out.push(`  exhausts at ${formatExhaustion(r)}${r.exhaustionRps !== null ? ` = ${formatNumber(ports)} / (${formatNumber(r.budgetConnections)} × ${result.budget.timeWaitSeconds} s), the ${r.budgetScope === 'node' ? "node's SNAT ports" : "pod's ports"}${r.budgets.filter((b) => b.exhaustionRps !== null).length > 1 ? ' (the tightest budget)' : ''}` : ''}`);
    if (r.portsHeld !== undefined) out.push(`  at ${formatNumber(r.rps ?? result.budget.rps!)} req/s: ${formatNumber(Math.round(r.portsHeld))} ports in TIME_WAIT (${formatNumber((100 * r.portsHeld) / ports)}% of the range)`);
    for (const n of r.notes) out.push(paint('dim', `  note: ${n}`));
  }
  return out;
}
