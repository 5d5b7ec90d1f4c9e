/**
 * The per-node section of a live audit (`audit --prometheus`) in the report formats: a plain JSON shape
 * (`schemas/report.schema.json`, `nodePorts`; also SARIF `run.properties.nodePorts`) and the stylish table.
 */
import type { NodePortReport, NodePortRow } from '../live/nodes.js';
import { formatLocation, formatNumber, groupThousands } from './format.js';

const round2 = (n: number) => Math.round(n * 100) / 100;

/** How long until the range is full, as text. */
export function exhaustionText(row: NodePortRow): string {
  if (row.exhaustsInSeconds === null) return row.peakHeadroom === null ? 'no churn' : `fits at the peak (×${formatNumber(round2(row.peakHeadroom))} headroom)`;
  if (row.exhaustsInSeconds === 0) return 'full now';
  const s = row.exhaustsInSeconds;
  return `full ${s < 120 ? `${Math.round(s)} s` : `${Math.round(s / 60)} min`} into the peak`;
}

/** The JSON shape of the section (rates rounded to 0.01, ports to whole ports). */
export function nodePortsJson(report: NodePortReport) {
  const load = (l: NodePortRow['now']) => ({ connectionsPerSecond: round2(l.connectionsPerSecond), timeWait: Math.round(l.timeWait), utilisation: Math.round(l.utilisation * 10000) / 10000 });
  return {
    prometheus: report.prometheus,
    window: report.window,
    range: report.range,
    at: report.at ?? null,
    timeWaitSeconds: report.timeWaitSeconds,
    nodes: report.nodes.map((n) => ({
      node: n.node,
      uri: n.uri,
      ports: n.ports,
      pods: n.pods,
      now: load(n.now),
      peak: load(n.peak),
      exhaustsInSeconds: n.exhaustsInSeconds === null ? null : Math.round(n.exhaustsInSeconds),
      peakHeadroom: n.peakHeadroom === null ? null : round2(n.peakHeadroom),
      ...(n.measured ? { measured: { ...n.measured, ...(n.measured.activeOpensPerSecond !== undefined ? { activeOpensPerSecond: round2(n.measured.activeOpensPerSecond) } : {}) } } : {}),
      ...(n.gap ? { gap: { ...(n.gap.timeWait !== undefined ? { timeWait: Math.round(n.gap.timeWait) } : {}), ...(n.gap.connectionsPerSecond !== undefined ? { connectionsPerSecond: round2(n.gap.connectionsPerSecond) } : {}) } } : {}),
      drivers: n.drivers.map((d) => ({
        clientNamespace: d.clientNamespace,
        workload: d.workload,
        host: d.host,
        definedBy: { file: d.at.file, line: d.at.line, column: d.at.column, ...(d.at.fieldPath ? { fieldPath: d.at.fieldPath } : {}) },
        connectionsPerRequest: d.connectionsPerRequest,
        pods: d.pods,
        requestsPerSecond: { now: round2(d.requestsPerSecond.now), peak: round2(d.requestsPerSecond.peak) },
        connectionsPerSecond: { now: round2(d.connectionsPerSecond.now), peak: round2(d.connectionsPerSecond.peak) },
      })),
    })),
    unmatched: report.unmatched.map((u) => ({ ...u, peak: round2(u.peak) })),
    upstreamConnections: report.upstreamConnections?.map((u) => ({ cluster: u.cluster, perSecond: round2(u.perSecond) })) ?? null,
    tcpOpened: report.tcpOpened.map((t) => ({ ...t, now: round2(t.now) })),
    notes: report.notes,
  };
}

const pct = (f: number) => `${formatNumber(round2(f * 100))} %`;

/** The stylish section: the top `rows` nodes by peak utilisation, each with the routes and pods that drive it. */
export function nodePortLines(report: NodePortReport, rows: number): string[] {
  const lines = [`Nodes by ephemeral-port use (SNAT'd connections; Prometheus ${report.prometheus}, rate over ${report.window}, peak over ${report.range}${report.at !== undefined ? `, at ${new Date(report.at * 1000).toISOString()}` : ''}):`];
  const top = report.nodes.slice(0, rows);
  if (!top.length) lines.push('  no nodes with running pods');
  for (const n of top) {
    const measured = n.measured
      ? `; measured TIME_WAIT ${n.measured.timeWait === undefined ? '?' : groupThousands(Math.round(n.measured.timeWait))}, ActiveOpens ${n.measured.activeOpensPerSecond === undefined ? '?' : formatNumber(round2(n.measured.activeOpensPerSecond))}/s${n.measured.conntrackEntries !== undefined ? `, conntrack ${groupThousands(n.measured.conntrackEntries)}/${n.measured.conntrackLimit === undefined ? '?' : groupThousands(n.measured.conntrackLimit)}` : ''}${n.gap?.timeWait !== undefined ? ` (gap ${n.gap.timeWait >= 0 ? '+' : ''}${groupThousands(Math.round(n.gap.timeWait))})` : ''}`
      : '; not measured';
    lines.push(
      `  ${n.node.padEnd(16)} ${`${n.pods} pod${n.pods === 1 ? '' : 's'}`.padStart(8)}  now ${formatNumber(round2(n.now.connectionsPerSecond))} conn/s → ${groupThousands(Math.round(n.now.timeWait))} TIME_WAIT (${pct(n.now.utilisation)})  peak ${formatNumber(round2(n.peak.connectionsPerSecond))} conn/s → ${groupThousands(Math.round(n.peak.timeWait))} of ${groupThousands(n.ports)} (${pct(n.peak.utilisation)}): ${exhaustionText(n)}${measured}`,
    );
    for (const d of n.drivers.slice(0, 3)) {
      lines.push(`      ${d.clientNamespace}/${d.workload} → ${d.host}: M = ${formatNumber(round2(d.connectionsPerRequest))}, ${formatNumber(round2(d.requestsPerSecond.peak))} req/s at the peak from ${d.pods.length} pod${d.pods.length === 1 ? '' : 's'} (${d.pods.slice(0, 4).join(', ')}${d.pods.length > 4 ? ', …' : ''}); route ${formatLocation(d.at)}`);
    }
  }
  if (report.nodes.length > rows) lines.push(`  … ${report.nodes.length - rows} more nodes (json output lists them all)`);
  for (const u of report.unmatched.slice(0, 3)) lines.push(`  unmatched: ${u.namespace}/${u.workload} → ${u.destination} (${formatNumber(round2(u.peak))} req/s at the peak) matches no route`);
  for (const note of report.notes) lines.push(`  note: ${note}`);
  return lines;
}
