import type { ManifestObject } from '../load/objects.js';
import { locate } from '../load/objects.js';
import type { ConnectionPolicy, MeshFacts, RetryPolicy, RouteMultiplier, TrafficModel, TrafficRoute, WaypointBinding } from '../model/traffic.js';
import type { NodePortRow } from '../live/nodes.js';
import { TIME_WAIT_SECONDS } from '../facts.js';
import type { NodeSettings } from '../node/settings.js';
import type { SysctlSetting } from '../node/sysctl.js';
import type { ConfiguredSeverity, FieldPath, Finding, FixEdit, Location, Severity } from '../types.js';
import type { RuleMeta } from './meta.js';

/** What a rule passes to `context.report`: the place (an object's field, or a file position) and the finding. */
export type ReportDescriptor = {
  message: string;
  hint?: string;
  /** Value that triggered the finding (baseline fingerprints key on it). */
  value?: unknown;
  /** Overrides the configured severity for this finding only when the rule's own logic grades it (e.g. internal vs MESH_EXTERNAL). */
  severity?: Severity;
  /**
   * A fix (rules with `meta.fixable` only): edits with paths relative to `object` (default: the finding's
   * object). Dropped for objects that have no file to edit (standard input, a cluster, JSON files).
   */
  fix?: { description: string; object?: ManifestObject; edits: FixEdit[] };
} & (
  | {
      /** The object the finding is about, and the field inside it (its line is the finding's line). */
      object: ManifestObject;
      path: FieldPath;
    }
  | {
      /** A position outside any Kubernetes object, e.g. a line of a sysctl.d file. */
      location: Location;
    }
);

/** Extensions of the files `--fix` edits: YAML only (JSON files keep their formatting; their findings stay unfixed). */
const FIXABLE_FILE = /\.ya?ml$/i;

/** The finding's fix against its target's document, or undefined when the target cannot be edited. */
function fixFor(d: ReportDescriptor): Finding['fix'] {
  if (!d.fix) return undefined;
  const target = d.fix.object ?? ('object' in d ? d.object : undefined);
  if (!target) return undefined;
  const { origin } = target;
  if (!origin.positions || !FIXABLE_FILE.test(origin.file) || origin.file.startsWith('cluster://')) return undefined;
  return {
    description: d.fix.description,
    file: origin.file,
    docIndex: origin.docIndex,
    object: target.ref,
    objectPath: origin.basePath,
    edits: d.fix.edits.map((e) => ({ ...e, path: [...origin.basePath, ...e.path] })),
  };
}

/**
 * What a config or node rule sees: the data-plane-neutral model (mesh-wide facts, the multiplier rows, the traffic
 * model's records, node settings), its options, and `report`. Never the adapters' objects: rules judge the
 * model, the adapters decide what applies where (docs/architecture.md, "Rules and the neutral model").
 */
export interface RuleContext {
  /** Mesh-wide facts as plain values: HTTP/2 upgrade default, release facts, unmodelled patches, listening ports. */
  readonly mesh: MeshFacts;
  readonly routes: readonly RouteMultiplier[];
  /** The traffic model: rows, effective connection and retry policies, and the TIME_WAIT the arithmetic used. */
  readonly traffic: TrafficModel;
  /** Node settings: every sysctl the input sets, and the port budgets (`src/node/settings.ts`). */
  readonly node: NodeSettings;
  /** The rule's options: its `defaultOptions` overlaid with the user's. */
  readonly options: Readonly<Record<string, unknown>>;
  /** The severity configured for this rule. */
  readonly severity: Severity;
  report(descriptor: ReportDescriptor): void;
}

/**
 * Visitors a config or node rule returns from `create` (ESLint style): one per record kind of the neutral model,
 * `route` for each multiplier row, `sysctl` for each node setting, and `end` after everything was visited.
 */
export interface RuleVisitors {
  route?(route: RouteMultiplier): void;
  /** Each effective connection policy, one per (client, destination host, subset, port) (`src/model/traffic.ts`). */
  ConnectionPolicy?(policy: ConnectionPolicy): void;
  /** Each route's retry policy (`src/model/traffic.ts`). */
  RetryPolicy?(policy: RetryPolicy): void;
  /** Each HTTP route of the input, mesh- or gateway-bound (`src/model/traffic.ts`). */
  TrafficRoute?(route: TrafficRoute): void;
  /** Each `istio.io/use-waypoint` label of the input and what it binds (`src/model/traffic.ts`). */
  WaypointBinding?(binding: WaypointBinding): void;
  /** Each sysctl assignment of the input (sysctl.d files, pod specs, container commands), in input order. */
  sysctl?(setting: SysctlSetting): void;
  /** Each node's port budget, predicted from live rates (`audit --prometheus` only). */
  nodePort?(row: NodePortRow): void;
  end?(): void;
}

/** A rule: metadata plus, for config rules, `create`. Input and source rules carry metadata only here; their findings come from the loader, validator and source scanners. */
export interface Rule {
  meta: RuleMeta;
  create?(context: RuleContext): RuleVisitors;
}

/** Per-rule settings of one run. */
export interface RuleSetting {
  severity: ConfiguredSeverity;
  options?: Record<string, unknown>;
}

/** Identity helper that gives a rule module its type. */
export function defineRule(rule: Rule): Rule {
  return rule;
}

/**
 * Runs config and node rules over the neutral model in one pass per record kind (connection policies, retry
 * policies, HTTP routes, waypoint bindings), then the multiplier rows, then the node settings: every rule's
 * visitor for a record is called before the next record. A rule that throws does not stop the others: its error
 * becomes an `error` finding naming the rule and the record's object (and should be reported as a meshlint bug).
 * `mesh` holds the mesh-wide facts (`adapters/istio/mesh-facts.ts` builds them); `traffic` is the neutral traffic
 * model (effective connection and retry policies, HTTP routes); `nodePorts` the per-node port budgets of a live
 * audit with Prometheus (empty otherwise).
 * @returns findings in the order rules reported them.
 */
export function runRules(
  rules: readonly Rule[],
  mesh: MeshFacts,
  routes: readonly RouteMultiplier[],
  settings: ReadonlyMap<string, RuleSetting>,
  node: NodeSettings,
  traffic: TrafficModel = { routes: [...routes], trafficRoutes: [], connectionPolicies: [], retryPolicies: [], waypointBindings: [], timeWaitSeconds: TIME_WAIT_SECONDS },
  nodePorts: readonly NodePortRow[] = [],
): Finding[] {
  const findings: Finding[] = [];
  const active: { rule: Rule; visitors: RuleVisitors }[] = [];
  for (const rule of rules) {
    if (!rule.create) continue;
    const setting = settings.get(rule.meta.id);
    const severity = setting?.severity ?? rule.meta.defaultSeverity;
    if (severity === 'off') continue;
    const context: RuleContext = {
      mesh,
      routes,
      traffic,
      node,
      options: { ...rule.meta.defaultOptions, ...(setting?.options ?? {}) },
      severity,
      report(d) {
        const location = 'location' in d ? d.location : locate(d.object, d.path);
        const finding: Finding = { ruleId: rule.meta.id, severity: d.severity ?? severity, message: d.message, location };
        if (d.hint) finding.hint = d.hint;
        if (d.value !== undefined) finding.value = d.value;
        const fix = rule.meta.fixable ? fixFor(d) : undefined;
        if (fix) finding.fix = fix;
        findings.push(finding);
      },
    };
    active.push({ rule, visitors: rule.create(context) });
  }
  const failed = (rule: Rule, object: ManifestObject | Location | undefined, error: unknown) => {
    const where = !object ? { file: '<meshlint>', line: 1, column: 1 } : 'ref' in object ? locate(object, []) : object;
    findings.push({ ruleId: rule.meta.id, severity: 'error', message: `internal error in rule ${rule.meta.id}: ${error instanceof Error ? error.message : String(error)} (please report this)`, location: where });
  };
  // The visitors of each kind are collected once, and each visit is a direct call in a try/catch: no closure
  // per object and rule (those were about 7 MB of garbage for 10,000 objects, in code V8 has not optimised yet).
  const visitorsOf = (kind: keyof RuleVisitors) => {
    const out: { rule: Rule; visit: (item: never) => void }[] = [];
    for (let i = 0; i < active.length; i++) {
      const visit = active[i]!.visitors[kind];
      if (visit) out.push({ rule: active[i]!.rule, visit });
    }
    return out;
  };
  /** Calls every visitor on every item, in that order per item; `at` places an internal error. */
  const visitAll = <T>(items: readonly T[], kind: keyof RuleVisitors, at: (item: T) => ManifestObject | Location | undefined) => {
    const visitors = visitorsOf(kind) as { rule: Rule; visit: (item: T) => void }[];
    for (let i = 0; i < items.length; i++) {
      for (let v = 0; v < visitors.length; v++) {
        try {
          visitors[v]!.visit(items[i]!);
        } catch (error) {
          failed(visitors[v]!.rule, at(items[i]!), error);
        }
      }
    }
  };
  visitAll(traffic.connectionPolicies, 'ConnectionPolicy', (policy) => policy.connectionPool?.object ?? policy.destinationRule?.object);
  visitAll(traffic.retryPolicies, 'RetryPolicy', (policy) => policy.route.object);
  visitAll(traffic.trafficRoutes, 'TrafficRoute', (route) => route.at.object);
  visitAll(traffic.waypointBindings, 'WaypointBinding', (binding) => binding.at.object);
  visitAll(routes, 'route', (route) => route.definedBy.object);
  visitAll(node.settings, 'sysctl', (setting) => setting.location);
  visitAll(nodePorts, 'nodePort', (row) => ({ file: row.uri, line: 1, column: 1 }));
  visitAll([undefined], 'end', () => undefined);
  return findings;
}
