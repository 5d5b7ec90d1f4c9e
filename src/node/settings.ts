/**
 * The node settings of one analysis: every sysctl the input sets (sysctl.d files, pod specs, container
 * commands), the values the user states for the nodes (`AnalysisOptions.node`), and the ephemeral-port budget
 * they give to each route of the connection multiplier (docs/model.md, "Budgets"; kernel `Documentation/networking/ip-sysctl.rst`).
 */
import { DEFAULT_PORT_RANGE_HIGH, DEFAULT_PORT_RANGE_LOW } from '../facts.js';
import type { ManifestObject } from '../load/objects.js';
import type { PortBudgetFigure, TraceItem } from '../model/traffic.js';
import {
  portBudgetFromValues,
  formatLocation,
  PORT_RANGE_SYSCTL,
  RESERVED_PORTS_SYSCTL,
  sysctlsOfWorkload,
  TW_REUSE_SYSCTL,
  type BudgetValue,
  type PortBudget,
  type SysctlSetting,
} from './sysctl.js';

/**
 * Node settings the user states (configuration file `node:` block, mapped by the CLI), in the kernel's text form.
 * They describe the nodes' own network namespace and win over settings found in the input.
 */
export interface NodeOptions {
  /** `net.ipv4.ip_local_port_range`, `"LOW HIGH"` (ports), e.g. `"1024 65535"`. */
  ip_local_port_range?: string;
  /** `net.ipv4.ip_local_reserved_ports`, comma-separated ports and ranges, e.g. `"30000-32767,8080"`. */
  ip_local_reserved_ports?: string;
  /** `net.ipv4.tcp_tw_reuse`: 0 off, 1 on, 2 loopback only (the kernel default). */
  tcp_tw_reuse?: number;
}

/** Kinds whose pod spec is read for sysctls. */
const WORKLOAD_KINDS = new Set(['Pod', 'Deployment', 'StatefulSet', 'DaemonSet', 'ReplicaSet', 'Job', 'CronJob']);

const BUDGET_SYSCTLS = [PORT_RANGE_SYSCTL, RESERVED_PORTS_SYSCTL, TW_REUSE_SYSCTL] as const;
type BudgetKey = 'ip_local_port_range' | 'ip_local_reserved_ports' | 'tcp_tw_reuse';
const KEY_OF: Record<string, BudgetKey> = {
  [PORT_RANGE_SYSCTL]: 'ip_local_port_range',
  [RESERVED_PORTS_SYSCTL]: 'ip_local_reserved_ports',
  [TW_REUSE_SYSCTL]: 'tcp_tw_reuse',
};

/**
 * Budget values from settings applied in order (the last one wins), then `overrides` on top.
 * Returns the values and notes on settings that were overridden.
 */
function budgetValues(settings: readonly SysctlSetting[], overrides: Partial<Record<BudgetKey, BudgetValue>> = {}): Partial<Record<BudgetKey, BudgetValue>> {
  const values: Partial<Record<BudgetKey, BudgetValue>> = {};
  for (const s of settings) {
    const key = KEY_OF[s.name];
    if (key) values[key] = { value: s.value, from: formatLocation(s.location), location: s.location };
  }
  return { ...values, ...overrides };
}

/** The usable-port figure of a budget, with the facts behind it, for one route. */
function figureOf(budget: PortBudget, scopeText: string): PortBudgetFigure {
  const trace: TraceItem[] = [{ text: scopeText }, ...budget.trace];
  trace.push({ text: `usable ports = ${budget.high} − ${budget.low} + 1${budget.reserved ? ` − ${budget.reserved} reserved` : ''} = ${budget.usable}` });
  const notes = [...budget.notes];
  if (budget.twReuse === 1) {
    const where = budget.trace.find((t) => t.text.startsWith(TW_REUSE_SYSCTL));
    notes.push(
      `tcp_tw_reuse = 1${where?.location ? ` (${formatLocation(where.location)})` : ''}: the kernel may give a new outbound connection a port still in TIME_WAIT when TCP timestamps make it safe, so TIME_WAIT holds fewer ports than counted here and the exhaustion rate is a lower bound`,
    );
  }
  return { ports: budget.usable, trace, notes };
}

/**
 * Node settings of one run, built once in `analyzeObjects`.
 *
 * - `settings`: every sysctl assignment in the input, in input order (sysctl.d files first, then objects).
 * - The node budget: node-scope settings of the input (sysctl.d files, commands of `hostNetwork` pods), then
 *   the user's {@link NodeOptions}; unset values take the Linux defaults (32768–60999, nothing reserved).
 * - A pod budget per namespace: pod-scope settings of that namespace's workloads (`securityContext.sysctls`,
 *   commands of pods without `hostNetwork`); without any, the kernel default, because a new network namespace
 *   starts from the defaults rather than the node's values (`inet_init_net()`, `net/ipv4/af_inet.c`).
 */
export class NodeSettings {
  readonly settings: SysctlSetting[];
  /** Things that could not be read (one line each), e.g. scripts when the Bash grammar cannot load. */
  readonly notes: string[] = [];
  /** The nodes' budget: what SNAT'd legs draw on. */
  readonly node: PortBudget;
  private readonly podFigures = new Map<string, PortBudgetFigure>();

  /**
   * @param objects the run's objects; pod specs of workload kinds are read.
   * @param fileSettings settings read from sysctl.d files (`Loaded.sysctl`).
   * @param options values the user states for the nodes.
   */
  constructor(objects: readonly ManifestObject[], fileSettings: readonly SysctlSetting[] = [], options: NodeOptions = {}) {
    this.settings = [...fileSettings];
    for (const object of objects) if (WORKLOAD_KINDS.has(object.ref.kind)) for (const s of sysctlsOfWorkload(object, this.notes)) this.settings.push(s);
    const overrides: Partial<Record<BudgetKey, BudgetValue>> = {};
    const from = (key: BudgetKey): string => `meshlint configuration, node.${key}`;
    if (options.ip_local_port_range !== undefined) overrides.ip_local_port_range = { value: options.ip_local_port_range, from: from('ip_local_port_range') };
    if (options.ip_local_reserved_ports !== undefined) overrides.ip_local_reserved_ports = { value: options.ip_local_reserved_ports, from: from('ip_local_reserved_ports') };
    if (options.tcp_tw_reuse !== undefined) overrides.tcp_tw_reuse = { value: String(options.tcp_tw_reuse), from: from('tcp_tw_reuse') };
    this.node = portBudgetFromValues(budgetValues(this.nodeSettings(), overrides));
  }

  /** Settings that take effect in the node's own network namespace, in input order. */
  nodeSettings(): SysctlSetting[] {
    return this.settings.filter((s) => s.scope === 'node');
  }

  /** Settings a workload's pods set for their own namespaces (`scope: 'pod'`), in input order. */
  podSettings(object: ManifestObject): SysctlSetting[] {
    return this.settings.filter((s) => s.scope === 'pod' && s.object === object);
  }

  /**
   * The port budget a route draws on: the node's for SNAT'd legs (`scope: 'node'`), else the pods' of the
   * client namespace — the smallest among its workloads that set the port sysctls, or the kernel default.
   *
   * @returns usable ports, the trace of where each figure came from (file:line:column where known), and notes
   *   (e.g. `tcp_tw_reuse = 1`).
   */
  budgetFor(scope: 'node' | 'pod', clientNamespace: string): PortBudgetFigure {
    if (scope === 'node') return figureOf(this.node, "node's network namespace (SNAT'd traffic leaves with the node's address)");
    let figure = this.podFigures.get(clientNamespace);
    if (figure) return figure;
    let worst: { budget: PortBudget; object: ManifestObject } | null = null;
    const owners = new Set<ManifestObject>();
    for (const s of this.settings) if (s.scope === 'pod' && s.object && s.object.ref.namespace === clientNamespace && BUDGET_SYSCTLS.includes(s.name as (typeof BUDGET_SYSCTLS)[number])) owners.add(s.object);
    for (const object of owners) {
      const budget = portBudgetFromValues(budgetValues(this.podSettings(object)));
      if (!worst || budget.usable < worst.budget.usable) worst = { budget, object };
    }
    if (worst) {
      const ref = worst.object.ref;
      figure = figureOf(worst.budget, `pod network namespace of ${ref.kind} ${ref.namespace}/${ref.name}${owners.size > 1 ? ` (the smallest of ${owners.size} workloads in ${clientNamespace} that set port sysctls)` : ''}`);
    } else {
      figure = figureOf(
        portBudgetFromValues({}),
        `pod network namespace: kernel default ${DEFAULT_PORT_RANGE_LOW}-${DEFAULT_PORT_RANGE_HIGH} (no workload of ${clientNamespace} sets the port sysctls; node settings do not apply inside a pod's network namespace, inet_init_net() in net/ipv4/af_inet.c)`,
      );
    }
    this.podFigures.set(clientNamespace, figure);
    return figure;
  }
}
