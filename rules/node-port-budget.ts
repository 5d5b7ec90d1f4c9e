import { defineRule } from '../src/rules/engine.js';
import type { NodePortRow } from '../src/live/nodes.js';

function pct(f: number): string {
  return `${Math.round(f * 1000) / 10} %`;
}

function duration(seconds: number): string {
  return seconds < 1 ? 'under a second' : seconds < 120 ? `${Math.round(seconds)} s` : `${Math.round(seconds / 60)} min`;
}

/** The drivers named in a message: up to three routes, each with its workload, pods on the node and share. */
function drivers(row: NodePortRow): string {
  const total = row.peak.connectionsPerSecond || 1;
  return row.drivers
    .slice(0, 3)
    .map((d) => `${d.clientNamespace}/${d.workload} → ${d.host} (${d.pods.length} pod${d.pods.length === 1 ? '' : 's'}, M = ${+d.connectionsPerRequest.toFixed(2)}, ${pct(d.connectionsPerSecond.peak / total)})`)
    .join('; ');
}

/**
 * A node whose pods, at the peak request rate Prometheus recorded, open enough SNAT'd connections that their
 * TIME_WAIT ports fill `warnAt` (default 80 %) or `errorAt` (default 100 %) of the node's ephemeral port range.
 * Only `meshlint audit --prometheus` has the rates and the placement this rule needs.
 */
export default defineRule({
  meta: {
    id: 'node-port-budget',
    code: 'MSH305',
    family: 'node',
    description: "a node's pods, at the peak live request rate, hold most or all of the node's SNAT'd ephemeral ports in TIME_WAIT",
    defaultSeverity: 'warn',
    docs: 'docs/rules/node-port-budget.md',
    inputs: ['Pod', 'Node', 'Prometheus'],
    defaultOptions: { warnAt: 0.8, errorAt: 1 },
  },
  create(context) {
    const warnAt = Number(context.options.warnAt);
    const errorAt = Number(context.options.errorAt);
    return {
      nodePort(row) {
        const u = row.peak.utilisation;
        if (!(u >= warnAt)) return;
        const severity = u >= errorAt ? 'error' : context.severity;
        const when = row.exhaustsInSeconds === null ? '' : row.exhaustsInSeconds === 0 ? '; the range is full already' : `; at the peak rate the range is full ${duration(row.exhaustsInSeconds)} after traffic reaches it`;
        context.report({
          location: { file: row.uri, line: 1, column: 1, object: { apiVersion: 'v1', kind: 'Node', namespace: '', name: row.node } },
          severity,
          value: Math.round(u * 100),
          message: `node ${row.node}: at the peak rate its pods open ${+row.peak.connectionsPerSecond.toFixed(1)} SNAT'd connections/s, holding ${Math.round(row.peak.timeWait)} of ${row.ports} ephemeral ports in TIME_WAIT (${pct(u)})${when}; driven by ${drivers(row)}`,
          hint: 'pool connections on the routes named (keep-alive, fewer retries), spread the pods over more nodes, or widen net.ipv4.ip_local_port_range; see docs/audit.md for what each buys',
        });
      },
    };
  },
});
