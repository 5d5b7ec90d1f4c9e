import { DEFAULT_EPHEMERAL_PORTS, DEFAULT_UNPRIVILEGED_PORT_START, NODEPORT_RANGE, TIME_WAIT_SECONDS } from '../src/facts.js';
import { defineRule } from '../src/rules/engine.js';
import { reportSetting, settingOrigin } from '../src/node/rule-support.js';
import { mergeRanges, parsePortRange, portBudget, PORT_RANGE_SYSCTL, type PortRange } from '../src/node/sysctl.js';

/** Ports of `a` inside `b`, less those in `reserved`: the overlap as disjoint ranges. */
function overlapOutside(a: PortRange, b: PortRange, reserved: readonly PortRange[]): PortRange[] {
  const low = Math.max(a.low, b.low);
  const high = Math.min(a.high, b.high);
  if (low > high) return [];
  const out: PortRange[] = [];
  let from = low;
  for (const r of mergeRanges(reserved)) {
    if (r.high < from || r.low > high) continue;
    if (r.low > from) out.push({ low: from, high: r.low - 1 });
    from = Math.max(from, r.high + 1);
  }
  if (from <= high) out.push({ low: from, high });
  return out;
}

const count = (ranges: readonly PortRange[]): number => ranges.reduce((n, r) => n + r.high - r.low + 1, 0);
const text = (ranges: readonly PortRange[]): string => ranges.map((r) => (r.low === r.high ? `${r.low}` : `${r.low}-${r.high}`)).join(',');

/**
 * `net.ipv4.ip_local_port_range` set to a range the kernel rejects, narrower than the Linux default, or
 * overlapping ports that something listens on — the NodePort range (30000–32767) on the node, `hostPort`s,
 * `hostNetwork` container ports, Service `nodePort`s, or (in a pod's own network namespace) the pod's container
 * ports — without `ip_local_reserved_ports` covering them (kernel `Documentation/networking/ip-sysctl.rst`, `ip_local_port_range`, `ip_local_reserved_ports`).
 */
export default defineRule({
  meta: {
    id: 'sysctl-port-range',
    code: 'MSH301',
    family: 'node',
    description: 'ip_local_port_range invalid, narrow, or overlapping NodePorts or listening ports without ip_local_reserved_ports',
    defaultSeverity: 'warn',
    docs: 'docs/rules/sysctl-port-range.md',
    inputs: ['sysctl.d', 'Pod', 'Deployment', 'StatefulSet', 'DaemonSet', 'Job', 'CronJob', 'Service'],
    defaultOptions: { minPorts: DEFAULT_EPHEMERAL_PORTS, nodePortRange: `${NODEPORT_RANGE.low}-${NODEPORT_RANGE.high}` },
  },
  create(context) {
    const minPorts = Number(context.options.minPorts);
    const np = /^(\d+)-(\d+)$/.exec(String(context.options.nodePortRange));
    const nodePorts: PortRange = np ? { low: Number(np[1]), high: Number(np[2]) } : { ...NODEPORT_RANGE };
    return {
      sysctl(setting) {
        if (setting.name !== PORT_RANGE_SYSCTL) return;
        const range = parsePortRange(setting.value);
        const origin = settingOrigin(setting);
        if (!range) {
          reportSetting(context, setting, {
            value: setting.value,
            severity: 'error',
            message: `${PORT_RANGE_SYSCTL} = ${JSON.stringify(setting.value)} is not a range "LOW HIGH" with 1 <= LOW <= HIGH <= 65535: the kernel rejects the write (EINVAL) and keeps the previous range`,
            hint: 'write two port numbers separated by white space, e.g. "32768 60999"',
          });
          return;
        }
        // Settings of the same scope (the node's, or this workload's pods') decide what is reserved.
        const sameScope = context.node.settings.filter((s) => s.scope === setting.scope && (setting.scope === 'node' || s.object === setting.object));
        const unprivileged = Number(sameScope.filter((s) => s.name === 'net.ipv4.ip_unprivileged_port_start').at(-1)?.value ?? DEFAULT_UNPRIVILEGED_PORT_START);
        if (Number.isFinite(unprivileged) && range.low < unprivileged) {
          reportSetting(context, setting, {
            value: setting.value,
            severity: 'error',
            message: `${PORT_RANGE_SYSCTL} = ${range.low} ${range.high} starts below net.ipv4.ip_unprivileged_port_start (${unprivileged}): the kernel rejects the write (EINVAL) and keeps the previous range`,
            hint: `start the range at ${unprivileged} or above`,
          });
          return;
        }
        const reserved = setting.scope === 'node' ? context.node.node.reservedRanges : portBudget(sameScope).reservedRanges;
        const usable = count(overlapOutside(range, range, reserved));
        if (usable < minPorts) {
          reportSetting(context, setting, {
            value: setting.value,
            message: `${PORT_RANGE_SYSCTL} = ${range.low} ${range.high} leaves ${usable.toLocaleString('en-US')} usable ephemeral ports (${minPorts === DEFAULT_EPHEMERAL_PORTS ? `the Linux default range has ${DEFAULT_EPHEMERAL_PORTS.toLocaleString('en-US')}` : `fewer than ${minPorts.toLocaleString('en-US')}`}) in ${origin}: connect() fails with EADDRNOTAVAIL at ${Math.floor(usable / TIME_WAIT_SECONDS).toLocaleString('en-US')} new connections/s to one destination (${usable} ports / ${TIME_WAIT_SECONDS} s in TIME_WAIT)`,
            hint: 'widen the range (e.g. "1024 65535" with the NodePort range reserved), and cut the churn itself: keep-alive, connection pools',
          });
        }
        const inside = (ranges: readonly PortRange[], port: number): boolean => ranges.some((r) => port >= r.low && port <= r.high);
        // On the node, the NodePort range; listening ports inside it are already part of that overlap.
        const nodePortOverlap = setting.scope === 'node' ? overlapOutside(range, nodePorts, reserved) : [];
        const listeners = setting.scope === 'node' ? context.mesh.nodeListeningPorts() : setting.object ? context.mesh.podListeningPorts(setting.object) : [];
        const open = listeners.filter((l) => inside([range], l.port) && !inside(reserved, l.port) && !inside(nodePortOverlap, l.port));
        const clashes: string[] = [];
        if (nodePortOverlap.length) clashes.push(`the NodePort range ${nodePorts.low}-${nodePorts.high} (${count(nodePortOverlap).toLocaleString('en-US')} ports: ${text(nodePortOverlap)})`);
        if (open.length) {
          const shown = open.slice(0, 5).map((l) => `${l.port} (${l.what})`);
          clashes.push(`listening port${open.length === 1 ? '' : 's'} ${shown.join(', ')}${open.length > 5 ? `, and ${open.length - 5} more` : ''}`);
        }
        if (clashes.length === 0) return;
        const needed = mergeRanges([...nodePortOverlap, ...open.map((l) => ({ low: l.port, high: l.port }))]);
        reportSetting(context, setting, {
          value: setting.value,
          message: `${PORT_RANGE_SYSCTL} = ${range.low} ${range.high} in ${origin} overlaps ${clashes.join(' and ')} not in ip_local_reserved_ports: an outbound connection can take such a port, so a server binding it fails (EADDRINUSE) and replies arriving on a NodePort are forwarded to the Service instead`,
          hint: `reserve them: net.ipv4.ip_local_reserved_ports = ${text(needed)} (in the same place), or move the range clear of them`,
        });
      },
    };
  },
});
