import ipaddr from 'ipaddr.js';
import type { ManifestObject } from '../load/objects.js';
import type { FieldPath } from '../types.js';
import { DEFAULT_CLUSTER_DOMAIN, ISTIO_DEFAULT_RETRY_ATTEMPTS, ISTIO_DEFAULT_ROOT_NAMESPACE } from '../facts.js';
import { hostMatches, hostSpecificity, isExportedTo, resolveHost, serviceNamespaceOfHost } from './hosts.js';
import { asArray, asNumber, asRecord, asString, dig } from './values.js';
import { defaultIstioSemantics, type IstioSemantics } from './adapters/istio/versions.js';
import { EnvoyFilterIndex } from './adapters/istio/envoyfilter-index.js';
import { linkerdInjection, type LinkerdInjection } from './adapters/linkerd/injection.js';

/** Kinds that run pods: the workloads a call site's `source.workloads` entry can name. */
export const WORKLOAD_VIEW_KINDS: ReadonlySet<string> = new Set(['Deployment', 'StatefulSet', 'DaemonSet', 'Pod', 'ReplicaSet', 'Job', 'CronJob']);

/** Mesh-wide settings that change the model; from meshConfig (the `istio` ConfigMap) or meshlint's config. */
export interface MeshSettings {
  /** `meshConfig.rootNamespace`; default `istio-system`. */
  rootNamespace: string;
  clusterDomain: string;
  /** Retries applied to routes with no `retries` block (`meshConfig.defaultHttpRetryPolicy.attempts`); default 2. */
  defaultRetryAttempts: number;
  /** `meshConfig.h2UpgradePolicy`; Istio's default is `DO_NOT_UPGRADE`. */
  h2UpgradePolicy: 'DO_NOT_UPGRADE' | 'UPGRADE';
  /**
   * `meshConfig.defaultTrafficPolicy` (Istio ≥ 1.31, istio/api#3720): a mesh-wide baseline whose `connectionPool` and
   * `outlierDetection` fill the blocks no DestinationRule layer sets, including for hosts no DestinationRule
   * applies to. Absent (Istio's default): no baseline. `object`/`path` say where it was read (the `istio` ConfigMap).
   */
  defaultTrafficPolicy?: Sourced<Record<string, unknown>>;
  /**
   * `meshConfig.defaultHttpRetryPolicy` as written (an `HTTPRetry`), when the mesh config sets one: its `retryOn`
   * replaces Istio's default conditions mesh-wide, and traces point at it. `defaultRetryAttempts` holds its attempts.
   */
  defaultHttpRetryPolicy?: Sourced<Record<string, unknown>>;
  /**
   * What the Istio release of the mesh does where the figures depend on it (default retries and the 503
   * exclusion, inbound retries, `retryBudget`): from `--istio-version`, `istio.version`, the install objects
   * of the input, else the newest release meshlint models (`adapters/istio/versions.ts`).
   */
  istio: IstioSemantics;
}

/** Defaults of {@link MeshSettings}, from the Istio API reference (MeshConfig). */
export const DEFAULT_MESH_SETTINGS: MeshSettings = {
  rootNamespace: ISTIO_DEFAULT_ROOT_NAMESPACE,
  clusterDomain: DEFAULT_CLUSTER_DOMAIN,
  defaultRetryAttempts: ISTIO_DEFAULT_RETRY_ATTEMPTS,
  h2UpgradePolicy: 'DO_NOT_UPGRADE',
  istio: defaultIstioSemantics(),
};

import type { Sourced } from './traffic.js';
export type { Sourced } from './traffic.js';

/** A DestinationRule with its host resolved. */
export interface DestinationRuleView {
  object: ManifestObject;
  host: string;
  namespace: string;
  exportTo: unknown;
  workloadSelector: Record<string, string> | undefined;
}

/**
 * The DestinationRule configuration a client sees for a host: after precedence across namespaces and the
 * merge of same-host rules in the winning namespace (istio/istio `pilot/pkg/model/destination_rule.go`, `PushContext.mergeDestinationRule`; docs/model.md, "Resolution order").
 */
export interface MergedDestinationRule {
  host: string;
  /** The rule whose top-level `trafficPolicy` applies: the oldest of the merged ones. */
  primary: DestinationRuleView;
  /** All merged rules, oldest first; subsets are taken from all of them, first name wins. */
  rules: DestinationRuleView[];
}

/** Whole blocks of a traffic policy that each layer replaces (istio/istio `pilot/pkg/networking/util/util.go`, `MergeTrafficPolicy`). */
export type PolicyBlock = 'connectionPool' | 'outlierDetection' | 'loadBalancer' | 'tls' | 'retryBudget';

/** Effective traffic policy for one (host, subset, port): each block from the layer that set it last. */
export type EffectivePolicy = Partial<Record<PolicyBlock, Sourced<Record<string, unknown>>>>;

/** Blocks of `meshConfig.defaultTrafficPolicy` Istio honours (istio/istio#60664): the others are ignored with a warning. */
export const MESH_DEFAULT_POLICY_BLOCKS = ['connectionPool', 'outlierDetection'] as const;

/** A workload (Deployment, StatefulSet, DaemonSet, Pod, …) with what the model needs of it. */
export interface WorkloadView {
  object: ManifestObject;
  namespace: string;
  podLabels: Record<string, string>;
  podAnnotations: Record<string, string>;
  replicas: number | undefined;
  /** Sidecar injected: true/false, or undefined when neither the pod nor its namespace (if present) says. */
  sidecar: boolean | undefined;
  /** Why the sidecar decision was made, e.g. `namespace label istio-injection=enabled`. */
  sidecarReason: string;
  hostNetwork: boolean;
  /** Outbound traffic the pod sends around its sidecar (`traffic.sidecar.istio.io/*` annotations). */
  bypass: OutboundBypass;
  /** `linkerd.io/inject` of the pod template or its namespace, when either has one (`adapters/linkerd/injection.ts`). */
  linkerd?: LinkerdInjection;
}

/**
 * Outbound redirection annotations of a pod (Istio "Resource Annotations" reference):
 * `traffic.sidecar.istio.io/excludeOutboundPorts` (comma-separated ports), `…/excludeOutboundIPRanges`
 * (CIDRs), `…/includeOutboundIPRanges` (CIDRs, `*` for all; an empty value disables outbound redirection).
 * Traffic that bypasses the sidecar makes one leg from the app, and no mesh setting applies to it.
 */
export interface OutboundBypass {
  excludePorts: ReadonlySet<number>;
  excludeRanges: readonly string[];
  /** Undefined when the annotation is absent (the mesh default, `*`, applies). */
  includeRanges: readonly string[] | undefined;
}

/** A destination as far as sidecar bypass is concerned: its port and the addresses the input gives for it. */
export interface BypassTarget {
  port?: number;
  /** IPs or CIDRs of the destination (ServiceEntry `addresses` and STATIC `endpoints[].address`); empty when unknown. */
  addresses: readonly string[];
}

/** A ServiceEntry host with the entry's properties. */
export interface ServiceEntryHost {
  object: ManifestObject;
  host: string;
  index: number;
  location: 'MESH_EXTERNAL' | 'MESH_INTERNAL';
  ports: { number: number; protocol: string; name: string; index: number }[];
}

/**
 * The mesh as the input defines it: indexes over the Istio and workload objects, and the lookups the
 * rules and the multiplier need. Built once per run; every lookup is an index access plus a scan of the
 * (few) wildcard rules of one namespace, so the cost grows linearly with the input.
 */
export class MeshModel {
  readonly destinationRules: DestinationRuleView[] = [];
  readonly virtualServices: ManifestObject[] = [];
  readonly serviceEntries: ManifestObject[] = [];
  readonly sidecars: ManifestObject[] = [];
  readonly gateways: ManifestObject[] = [];
  /** `EnvoyFilter`s of the input (networking.istio.io/v1alpha3), parsed on first use by {@link envoyFilterIndex}. */
  readonly envoyFilters: ManifestObject[] = [];
  /** Gateway API objects (`gateway.networking.k8s.io` and `gateway.networking.x-k8s.io`), read by `adapters/gateway-api`. */
  readonly gatewayApi: ManifestObject[] = [];
  /** Linkerd objects (`linkerd.io` ServiceProfiles, `policy.linkerd.io` routes), read by `adapters/linkerd`. */
  readonly linkerd: ManifestObject[] = [];
  readonly services: ManifestObject[] = [];
  readonly workloads: WorkloadView[] = [];
  readonly namespaces = new Map<string, ManifestObject>();
  /** ServiceEntry hosts by exact host (wildcard hosts in `serviceEntryWildcards`). */
  readonly serviceEntryHosts = new Map<string, ServiceEntryHost[]>();
  readonly serviceEntryWildcards: ServiceEntryHost[] = [];
  private readonly drByNamespace = new Map<string, { exact: Map<string, DestinationRuleView[]>; wildcard: DestinationRuleView[] }>();
  private readonly servicesByHost = new Map<string, ManifestObject>();

  constructor(
    readonly objects: readonly ManifestObject[],
    readonly settings: MeshSettings = DEFAULT_MESH_SETTINGS,
  ) {
    for (const object of objects) {
      if (object.group === 'gateway.networking.k8s.io' || object.group === 'gateway.networking.x-k8s.io') {
        this.gatewayApi.push(object);
        continue;
      }
      if (object.group === 'linkerd.io' || object.group === 'policy.linkerd.io') {
        this.linkerd.push(object);
        continue;
      }
      switch (object.ref.kind) {
        case 'DestinationRule':
          this.addDestinationRule(object);
          break;
        case 'VirtualService':
          this.virtualServices.push(object);
          break;
        case 'ServiceEntry':
          this.addServiceEntry(object);
          break;
        case 'Sidecar':
          this.sidecars.push(object);
          break;
        case 'EnvoyFilter':
          this.envoyFilters.push(object);
          break;
        case 'Gateway':
          this.gateways.push(object);
          break;
        case 'Namespace':
          this.namespaces.set(object.ref.name, object);
          break;
        case 'Service':
          this.services.push(object);
          this.servicesByHost.set(`${object.ref.name}.${object.ref.namespace}.svc.${settings.clusterDomain}`, object);
          break;
        default:
          break;
      }
    }
    for (const object of objects) {
      if (WORKLOAD_VIEW_KINDS.has(object.ref.kind)) {
        this.workloads.push(this.workloadView(object));
      }
    }
  }

  /** Host of a rule field resolved against the rule's namespace. */
  resolve(host: string, namespace: string): string {
    return resolveHost(host, namespace, this.settings.clusterDomain);
  }

  private addDestinationRule(object: ManifestObject): void {
    const host = asString(dig(object.raw, 'spec', 'host'));
    if (!host) return;
    const view: DestinationRuleView = {
      object,
      host: this.resolve(host, object.ref.namespace),
      namespace: object.ref.namespace,
      exportTo: dig(object.raw, 'spec', 'exportTo'),
      workloadSelector: stringMap(dig(object.raw, 'spec', 'workloadSelector', 'matchLabels')),
    };
    this.destinationRules.push(view);
    let index = this.drByNamespace.get(view.namespace);
    if (!index) {
      index = { exact: new Map(), wildcard: [] };
      this.drByNamespace.set(view.namespace, index);
    }
    if (view.host.startsWith('*')) index.wildcard.push(view);
    else {
      const list = index.exact.get(view.host) ?? [];
      list.push(view);
      index.exact.set(view.host, list);
    }
  }

  private addServiceEntry(object: ManifestObject): void {
    this.serviceEntries.push(object);
    const location = asString(dig(object.raw, 'spec', 'location')) === 'MESH_INTERNAL' ? 'MESH_INTERNAL' : 'MESH_EXTERNAL';
    const ports = asArray(dig(object.raw, 'spec', 'ports')).flatMap((p, index) => {
      const number = asNumber(dig(p, 'number'));
      return number === undefined ? [] : [{ number, protocol: (asString(dig(p, 'protocol')) ?? '').toUpperCase(), name: asString(dig(p, 'name')) ?? '', index }];
    });
    asArray(dig(object.raw, 'spec', 'hosts')).forEach((h, index) => {
      const host = asString(h);
      if (!host) return;
      const entry: ServiceEntryHost = { object, host: host.toLowerCase(), index, location, ports };
      if (entry.host.startsWith('*')) this.serviceEntryWildcards.push(entry);
      else {
        const list = this.serviceEntryHosts.get(entry.host) ?? [];
        list.push(entry);
        this.serviceEntryHosts.set(entry.host, list);
      }
    });
  }

  /** ServiceEntry hosts that define `host` (exact first, then wildcards), visible to `clientNamespace` when given. */
  serviceEntriesFor(host: string, clientNamespace?: string): ServiceEntryHost[] {
    const visible = (e: ServiceEntryHost) => clientNamespace === undefined || isExportedTo(dig(e.object.raw, 'spec', 'exportTo'), e.object.ref.namespace, clientNamespace);
    const exact = (this.serviceEntryHosts.get(host) ?? []).filter(visible);
    if (exact.length) return exact;
    return this.serviceEntryWildcards.filter((e) => hostMatches(e.host, host) && visible(e));
  }

  /** The Kubernetes Service object for a cluster host, when the input has it. */
  serviceFor(host: string): ManifestObject | undefined {
    return this.servicesByHost.get(host);
  }

  /**
   * True when `host` is outside the mesh: a host with an exact `MESH_EXTERNAL` ServiceEntry (the default
   * `location`), a host outside the cluster domain that no `MESH_INTERNAL` entry claims, or a Service of type
   * `ExternalName` naming a host outside the cluster domain ({@link externalNameTarget}).
   */
  isExternal(host: string): boolean {
    let external = this.externalCache.get(host);
    if (external === undefined) {
      external = this.computeIsExternal(host);
      this.externalCache.set(host, external);
    }
    return external;
  }

  private readonly externalCache = new Map<string, boolean>();

  private computeIsExternal(host: string): boolean {
    const inCluster = host.endsWith(`.${this.settings.clusterDomain}`);
    const exact = this.serviceEntryHosts.get(host);
    if (exact?.length) return exact.some((e) => e.location === 'MESH_EXTERNAL');
    if (inCluster) return externalNameTarget(this.serviceFor(host), this.settings.clusterDomain) !== undefined; // a wildcard ServiceEntry does not make a cluster Service external
    const wildcard = this.serviceEntryWildcards.filter((e) => hostMatches(e.host, host));
    if (wildcard.length) return wildcard.some((e) => e.location === 'MESH_EXTERNAL');
    return true;
  }

  /**
   * DestinationRule configuration a client in `clientNamespace` (optionally a workload with `clientLabels`)
   * gets for `host` (docs/model.md, "Resolution order"; istio/istio `pilot/pkg/model/push_context.go`, `PushContext.destinationRule`): the client's namespace first (any exportTo; rules with a
   * `workloadSelector` only for matching workloads, and before selector-less ones), then the host's namespace
   * (the Service's, or the ServiceEntry's) if exported to the client, then the root namespace if exported;
   * the first namespace with a match wins and nothing merges across namespaces. Within it the exact host
   * beats the most specific wildcard, and rules for the same host merge (oldest first).
   * Returns null when no DestinationRule applies.
   */
  destinationRuleFor(clientNamespace: string, host: string, clientLabels?: Record<string, string>): MergedDestinationRule | null {
    if (clientLabels !== undefined) return this.findDestinationRule(clientNamespace, host, clientLabels);
    // Without workload labels the answer depends only on (namespace, host): the multiplier and several rules ask
    // the same question for every route of a namespace, so it is kept (the model does not change once built).
    let byHost = this.drCache.get(clientNamespace);
    if (!byHost) {
      byHost = new Map();
      this.drCache.set(clientNamespace, byHost);
    }
    let found = byHost.get(host);
    if (found === undefined) {
      found = this.findDestinationRule(clientNamespace, host, undefined);
      byHost.set(host, found);
    }
    return found;
  }

  /** Answers of {@link destinationRuleFor} without client labels, by client namespace, then host. */
  private readonly drCache = new Map<string, Map<string, MergedDestinationRule | null>>();

  private findDestinationRule(clientNamespace: string, host: string, clientLabels: Record<string, string> | undefined): MergedDestinationRule | null {
    const order: string[] = [clientNamespace];
    const hostNs = serviceNamespaceOfHost(host, this.settings.clusterDomain) ?? this.serviceEntriesFor(host)[0]?.object.ref.namespace;
    if (hostNs && !order.includes(hostNs)) order.push(hostNs);
    if (!order.includes(this.settings.rootNamespace)) order.push(this.settings.rootNamespace);
    for (const ns of order) {
      const index = this.drByNamespace.get(ns);
      if (!index) continue;
      const usable = (dr: DestinationRuleView) => {
        if (dr.workloadSelector) return ns === clientNamespace && clientLabels !== undefined && selects(dr.workloadSelector, clientLabels);
        return ns === clientNamespace || isExportedTo(dr.exportTo, ns, clientNamespace);
      };
      let candidates = (index.exact.get(host) ?? []).filter(usable);
      if (!candidates.length) {
        let best = -1;
        for (const dr of index.wildcard) {
          if (!hostMatches(dr.host, host) || !usable(dr)) continue;
          const s = hostSpecificity(dr.host);
          if (s > best) {
            best = s;
            candidates = [dr];
          } else if (s === best && candidates[0]?.host === dr.host) candidates.push(dr);
        }
      }
      if (!candidates.length) continue;
      const withSelector = candidates.filter((c) => c.workloadSelector);
      const chosen = (withSelector.length ? withSelector : candidates).slice().sort(byAge);
      return { host: chosen[0].host, primary: chosen[0], rules: chosen };
    }
    return null;
  }

  /**
   * Effective traffic policy for (subset, port) of a merged DestinationRule: layers top level →
   * `portLevelSettings[port]` → `subsets[].trafficPolicy` → that subset's `portLevelSettings[port]`; each
   * layer replaces `connectionPool`, `outlierDetection`, `loadBalancer` and `tls` as whole blocks. Blocks no
   * layer sets (all of them when `dr` is null: no DestinationRule applies) come from
   * `meshConfig.defaultTrafficPolicy` when the mesh has one ({@link MESH_DEFAULT_POLICY_BLOCKS}).
   */
  effectivePolicy(dr: MergedDestinationRule | null, subset?: string, port?: number): Readonly<EffectivePolicy> {
    // The answer depends only on (dr, subset, port), and the multiplier and three rules ask it for every route:
    // it is kept per merged DestinationRule (the model does not change once built). Callers only read it.
    if (!dr) return (this.noDestinationRulePolicy ??= this.computeEffectivePolicy(null));
    let bySubset = this.policyCache.get(dr);
    if (!bySubset) this.policyCache.set(dr, (bySubset = new Map()));
    let byPort = bySubset.get(subset);
    if (!byPort) bySubset.set(subset, (byPort = new Map()));
    let policy = byPort.get(port);
    if (!policy) byPort.set(port, (policy = this.computeEffectivePolicy(dr, subset, port)));
    return policy;
  }

  /** Answers of {@link effectivePolicy} by merged DestinationRule, subset, port. */
  private readonly policyCache = new WeakMap<MergedDestinationRule, Map<string | undefined, Map<number | undefined, EffectivePolicy>>>();
  private noDestinationRulePolicy: EffectivePolicy | undefined;

  private computeEffectivePolicy(dr: MergedDestinationRule | null, subset?: string, port?: number): EffectivePolicy {
    const policy: EffectivePolicy = {};
    if (!dr) return this.withMeshDefaults(policy);
    const apply = (object: ManifestObject, layerPath: FieldPath) => {
      const layer = asRecord(dig(object.raw, ...layerPath));
      if (!layer) return;
      // `retryBudget` (Istio ≥ 1.27) sits beside connectionPool in a TrafficPolicy (top level and subsets; not in
      // portLevelSettings, istio/api destination_rule.proto) and layers like the other blocks.
      for (const block of ['connectionPool', 'outlierDetection', 'loadBalancer', 'tls', 'retryBudget'] as const) {
        const value = asRecord(layer[block]);
        if (value) policy[block] = { value, object, path: [...layerPath, block] };
      }
    };
    const applyWithPorts = (object: ManifestObject, tpPath: FieldPath) => {
      apply(object, tpPath);
      if (port === undefined) return;
      asArray(dig(object.raw, ...tpPath, 'portLevelSettings')).forEach((pls, i) => {
        if (asNumber(dig(pls, 'port', 'number')) === port) apply(object, [...tpPath, 'portLevelSettings', i]);
      });
    };
    applyWithPorts(dr.primary.object, ['spec', 'trafficPolicy']);
    if (subset !== undefined) {
      for (const rule of dr.rules) {
        const i = asArray(dig(rule.object.raw, 'spec', 'subsets')).findIndex((s) => asString(dig(s, 'name')) === subset);
        if (i >= 0) {
          applyWithPorts(rule.object, ['spec', 'subsets', i, 'trafficPolicy']);
          break;
        }
      }
    }
    return this.withMeshDefaults(policy);
  }

  /** Fills the blocks of `policy` that no layer set from `meshConfig.defaultTrafficPolicy`, when the mesh has one. */
  private withMeshDefaults(policy: EffectivePolicy): EffectivePolicy {
    const base = this.settings.defaultTrafficPolicy;
    if (!base) return policy;
    for (const block of MESH_DEFAULT_POLICY_BLOCKS) {
      const value = asRecord(base.value[block]);
      if (!policy[block] && value) policy[block] = { value, object: base.object, path: [...base.path, block] };
    }
    return policy;
  }

  /**
   * VirtualServices that route `host` for sidecars of clients in `clientNamespace` (gateways absent or
   * including `mesh`, exported to the client). Ordered: client's own namespace first, exact host before
   * wildcard, then oldest; Istio uses the first for a sidecar.
   */
  virtualServicesFor(clientNamespace: string, host: string): ManifestObject[] {
    const index = this.vsIndex();
    const found = new Map<ManifestObject, number>();
    const consider = (vs: ManifestObject, specificity: number) => {
      if (!isExportedTo(dig(vs.raw, 'spec', 'exportTo'), vs.ref.namespace, clientNamespace)) return;
      found.set(vs, Math.max(found.get(vs) ?? -1, specificity));
    };
    for (const vs of index.exact.get(host) ?? []) consider(vs, hostSpecificity(host));
    for (const { pattern, vs } of index.wildcard) if (hostMatches(pattern, host)) consider(vs, hostSpecificity(pattern));
    return [...found.entries()]
      .sort(([a, sa], [b, sb]) => Number(b.ref.namespace === clientNamespace) - Number(a.ref.namespace === clientNamespace) || sb - sa || byAge({ object: a }, { object: b }))
      .map(([vs]) => vs);
  }

  /**
   * `spec.hosts` of a VirtualService resolved against its namespace (`reviews` → `reviews.<ns>.svc.cluster.local`),
   * in the order written, entries that are not strings left out. Read from the object once and kept: the
   * multiplier and both VirtualService indexes ask for every VirtualService.
   */
  virtualServiceHosts(vs: ManifestObject): readonly string[] {
    let hosts = this.vsHostsCache.get(vs);
    if (!hosts) {
      hosts = asArray(dig(vs.raw, 'spec', 'hosts')).filter((h): h is string => typeof h === 'string').map((h) => this.resolve(h, vs.ref.namespace));
      this.vsHostsCache.set(vs, hosts);
    }
    return hosts;
  }
  private readonly vsHostsCache = new Map<ManifestObject, string[]>();

  private vsIndexCache: { exact: Map<string, ManifestObject[]>; wildcard: { pattern: string; vs: ManifestObject }[] } | undefined;

  /** Mesh-bound VirtualServices indexed by resolved host, built on first use. */
  private vsIndex() {
    if (this.vsIndexCache) return this.vsIndexCache;
    const index = { exact: new Map<string, ManifestObject[]>(), wildcard: [] as { pattern: string; vs: ManifestObject }[] };
    for (const vs of this.virtualServices) {
      if (!appliesToMesh(vs)) continue;
      for (const resolved of this.virtualServiceHosts(vs)) {
        if (resolved.startsWith('*')) index.wildcard.push({ pattern: resolved, vs });
        else {
          const list = index.exact.get(resolved) ?? [];
          if (!list.includes(vs)) list.push(vs);
          index.exact.set(resolved, list);
        }
      }
    }
    this.vsIndexCache = index;
    return index;
  }

  private vsByHostIndex: Map<string, ManifestObject[]> | undefined;

  /**
   * Every VirtualService (mesh- or gateway-bound) that lists `host` (resolved against its namespace) in
   * `spec.hosts`, in input order. An index built on first use: O(1) per call instead of a scan per route.
   */
  virtualServicesWithHost(host: string): readonly ManifestObject[] {
    if (!this.vsByHostIndex) {
      const index = new Map<string, ManifestObject[]>();
      for (const vs of this.virtualServices) {
        for (const resolved of this.virtualServiceHosts(vs)) {
          const list = index.get(resolved);
          if (!list) index.set(resolved, [vs]);
          else if (!list.includes(vs)) list.push(vs);
        }
      }
      this.vsByHostIndex = index;
    }
    return this.vsByHostIndex.get(host) ?? [];
  }

  /** Workloads of a namespace (indexed on first use). */
  workloadsIn(namespace: string): WorkloadView[] {
    if (!this.workloadsByNamespace) {
      this.workloadsByNamespace = new Map();
      for (const w of this.workloads) {
        const list = this.workloadsByNamespace.get(w.namespace) ?? [];
        list.push(w);
        this.workloadsByNamespace.set(w.namespace, list);
      }
    }
    return this.workloadsByNamespace.get(namespace) ?? [];
  }
  private workloadsByNamespace: Map<string, WorkloadView[]> | undefined;

  /**
   * Where the input says `host` lives, for sidecar bypass: the `addresses` and STATIC `endpoints[].address` of
   * its ServiceEntries. Empty when unknown (DNS resolution, or no ServiceEntry).
   */
  addressesOf(host: string): string[] {
    const out: string[] = [];
    for (const e of this.serviceEntriesFor(host)) {
      for (const a of asArray(dig(e.object.raw, 'spec', 'addresses'))) if (typeof a === 'string') out.push(a);
      if (asString(dig(e.object.raw, 'spec', 'resolution')) === 'STATIC') {
        for (const ep of asArray(dig(e.object.raw, 'spec', 'endpoints'))) {
          const address = asString(dig(ep, 'address'));
          if (address) out.push(address);
        }
      }
    }
    return out;
  }

  /**
   * {@link namespaceSidecar} for clients in `namespace` calling `host` on `port` (undefined: any port), with the
   * host's ServiceEntry addresses as the bypass target. The answer depends only on the namespace, the port and
   * the addresses (none for most hosts), so it is kept per (namespace, port, addresses): the routes of one
   * namespace share it instead of checking every workload's bypass annotations once per route.
   */
  sidecarForCall(namespace: string, host: string, port: number | undefined): { sidecar: boolean | undefined; reason: string } {
    const addresses = this.addressesOf(host);
    const key = `${namespace}\0${port ?? ''}\0${addresses.join('\0')}`;
    let found = this.sidecarCache.get(key);
    if (!found) {
      found = this.namespaceSidecar(namespace, { port, addresses });
      this.sidecarCache.set(key, found);
    }
    return { sidecar: found.sidecar, reason: found.reason };
  }

  private readonly sidecarCache = new Map<string, { sidecar: boolean | undefined; reason: string }>();

  /** Whether clients in `namespace` run a sidecar: from its workloads when the input has some, else from the namespace's labels, else assumed (undefined). */
  namespaceSidecar(namespace: string, target?: BypassTarget): { sidecar: boolean | undefined; reason: string } {
    if (target) return this.computeNamespaceSidecar(namespace, target);
    // Without a bypass target the answer depends on the namespace alone: asked per route (inbound retries), kept per namespace.
    let found = this.namespaceSidecarCache.get(namespace);
    if (!found) {
      found = this.computeNamespaceSidecar(namespace, undefined);
      this.namespaceSidecarCache.set(namespace, found);
    }
    return { sidecar: found.sidecar, reason: found.reason };
  }

  private readonly namespaceSidecarCache = new Map<string, { sidecar: boolean | undefined; reason: string }>();

  private computeNamespaceSidecar(namespace: string, target: BypassTarget | undefined): { sidecar: boolean | undefined; reason: string } {
    const workloads = this.workloadsIn(namespace);
    if (workloads.length) {
      const injected = workloads.filter((w) => w.sidecar !== false);
      if (injected.length === 0) return { sidecar: false, reason: `no workload of ${namespace} has a sidecar (${workloads[0].sidecarReason})` };
      if (target) {
        const through = injected.filter((w) => bypassReason(w.bypass, target) === null);
        if (through.length === 0) {
          const w = injected[0];
          return { sidecar: false, reason: `${w.object.ref.kind} ${namespace}/${w.object.ref.name} ${bypassReason(w.bypass, target)}` };
        }
        return { sidecar: true, reason: through[0].sidecarReason };
      }
      return { sidecar: true, reason: injected[0].sidecarReason };
    }
    const ns = this.namespaces.get(namespace);
    if (ns) {
      const decision = namespaceInjection(ns);
      if (decision !== undefined) return { sidecar: decision, reason: `namespace ${namespace} ${decision ? 'has' : 'lacks'} injection labels` };
    }
    return { sidecar: undefined, reason: 'assumed: no workload or Namespace object for this namespace in the input' };
  }

  /**
   * The input's EnvoyFilters parsed into override records ({@link EnvoyFilterIndex}), with the mesh's root
   * namespace and Istio release; built on first use and kept.
   */
  envoyFilterIndex(): EnvoyFilterIndex {
    return (this.envoyFilterIndexCache ??= new EnvoyFilterIndex(this.envoyFilters, this.settings.rootNamespace, this.settings.istio.version));
  }
  private envoyFilterIndexCache: EnvoyFilterIndex | undefined;

  private workloadView(object: ManifestObject): WorkloadView {
    const podPath = podTemplatePath(object.ref.kind);
    const pod = asRecord(dig(object.raw, ...podPath)) ?? {};
    const podLabels = stringMap(dig(pod, 'metadata', 'labels')) ?? {};
    const podAnnotations = stringMap(dig(pod, 'metadata', 'annotations')) ?? {};
    const hostNetwork = dig(pod, 'spec', 'hostNetwork') === true;
    let sidecar: boolean | undefined;
    let sidecarReason: string;
    const label = podLabels['sidecar.istio.io/inject'];
    const nsLabels = stringMap(dig(this.namespaces.get(object.ref.namespace)?.raw, 'metadata', 'labels')) ?? {};
    // A workload is in one mesh: Linkerd enrolment (pod annotation, else namespace annotation) decides first.
    const linkerd = linkerdInjection(podAnnotations, this.namespaces.get(object.ref.namespace));
    if (hostNetwork) {
      sidecar = false;
      sidecarReason = 'hostNetwork: true (no sidecar)';
    } else if (linkerd && linkerd.mode !== 'disabled') {
      sidecar = true;
      sidecarReason = `Linkerd proxy: ${linkerd.reason}`;
    } else if (nsLabels['istio-injection'] === 'disabled') {
      // Istio's injection webhook excludes such namespaces in its namespaceSelector: the pod label cannot override it.
      sidecar = false;
      sidecarReason = `namespace ${object.ref.namespace} has istio-injection=disabled`;
    } else if (label === 'true' || label === 'false') {
      sidecar = label === 'true';
      sidecarReason = `pod label sidecar.istio.io/inject=${label}`;
    } else {
      const ns = this.namespaces.get(object.ref.namespace);
      const decision = ns ? namespaceInjection(ns) : undefined;
      if (decision && podAnnotations['sidecar.istio.io/inject'] === 'false') {
        // The webhook only sees pods its selectors admit (the namespace label here); it then honours the older
        // annotation when no label is set (istio/istio pkg/kube/inject/inject.go, injectRequired: "if both are
        // present we prefer the label"). So the annotation can opt a pod out, but never in.
        sidecar = false;
        sidecarReason = 'pod annotation sidecar.istio.io/inject=false';
      } else if (decision !== undefined) {
        sidecar = decision;
        sidecarReason = `namespace ${object.ref.namespace} ${decision ? 'enables' : 'does not enable'} injection`;
      } else if (ns) {
        sidecar = false;
        sidecarReason = `namespace ${object.ref.namespace} has no injection label`;
      } else {
        sidecarReason = 'assumed injected: the namespace is not in the input';
      }
    }
    return { object, namespace: object.ref.namespace, podLabels, podAnnotations, replicas: asNumber(dig(object.raw, 'spec', 'replicas')), sidecar, sidecarReason, hostNetwork, bypass: outboundBypass(podAnnotations), ...(linkerd ? { linkerd } : {}) };
  }
}

/** Path of the pod template in a workload kind. */
export function podTemplatePath(kind: string): FieldPath {
  if (kind === 'Pod') return [];
  if (kind === 'CronJob') return ['spec', 'jobTemplate', 'spec', 'template'];
  return ['spec', 'template'];
}

function namespaceInjection(ns: ManifestObject): boolean | undefined {
  const labels = stringMap(dig(ns.raw, 'metadata', 'labels')) ?? {};
  if (labels['istio-injection'] === 'enabled') return true;
  if (labels['istio-injection'] === 'disabled') return false;
  if (labels['istio.io/rev']) return true;
  return undefined;
}

/** True when a VirtualService applies to sidecars: no `gateways`, or `gateways` includes `mesh`. */
export function appliesToMesh(vs: ManifestObject): boolean {
  return virtualServiceGateways(vs).includes('mesh');
}

/** `spec.gateways` of a VirtualService; absent or empty means `['mesh']` (Istio VirtualService reference). */
export function virtualServiceGateways(vs: ManifestObject): string[] {
  const gateways = asArray(dig(vs.raw, 'spec', 'gateways')).filter((g): g is string => typeof g === 'string');
  return gateways.length ? gateways : ['mesh'];
}

/**
 * Gateways an HTTP route (`spec.http[i]`) applies to. Per the Istio VirtualService reference,
 * `HTTPMatchRequest.gateways` restricts a match to those gateways and overrides the VirtualService's
 * `gateways`; a route with no `match`, or with a match that names no gateways, applies to all of the
 * VirtualService's gateways. Returns gateway names as written (`mesh` for sidecars).
 */
export function httpRouteGateways(vs: ManifestObject, route: unknown): string[] {
  const all = virtualServiceGateways(vs);
  const matches = asArray(dig(route, 'match'));
  if (matches.length === 0) return all;
  const out = new Set<string>();
  for (const m of matches) {
    const named = asArray(dig(m, 'gateways')).filter((g): g is string => typeof g === 'string');
    for (const g of named.length ? named : all) out.add(g);
  }
  return [...out];
}

function selects(selector: Record<string, string>, labels: Record<string, string>): boolean {
  return Object.entries(selector).every(([k, v]) => labels[k] === v);
}

function stringMap(value: unknown): Record<string, string> | undefined {
  const record = asRecord(value);
  if (!record) return undefined;
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(record)) if (v !== null && v !== undefined) out[k] = String(v);
  return out;
}

/** Oldest first: `metadata.creationTimestamp` when both have one, else input order (Istio: the oldest rule wins). */
function byAge(a: { object: ManifestObject }, b: { object: ManifestObject }): number {
  const ta = timestamp(dig(a.object.raw, 'metadata', 'creationTimestamp'));
  const tb = timestamp(dig(b.object.raw, 'metadata', 'creationTimestamp'));
  if (ta !== undefined && tb !== undefined && ta !== tb) return ta - tb;
  return a.object.order - b.object.order;
}

/** Milliseconds of an RFC 3339 timestamp; YAML parses an unquoted one into a `Date`, kubectl quotes it. */
function timestamp(value: unknown): number | undefined {
  const ms = value instanceof Date ? value.getTime() : typeof value === 'string' ? Date.parse(value) : NaN;
  return Number.isFinite(ms) ? ms : undefined;
}

/** One place a DestinationRule sets a traffic policy, with a human label (`subset v2, port 8080`). */
export interface PolicyLayer {
  path: FieldPath;
  label: string;
  subset?: string;
  port?: number;
}

/**
 * Every traffic-policy layer of a DestinationRule: `spec.trafficPolicy`, its `portLevelSettings[i]`,
 * `spec.subsets[j].trafficPolicy` and their `portLevelSettings[k]`; only those present.
 */
export function trafficPolicyLayers(dr: ManifestObject): PolicyLayer[] {
  const layers: PolicyLayer[] = [];
  const withPorts = (base: FieldPath, label: string, subset?: string) => {
    if (!asRecord(dig(dr.raw, ...base))) return;
    layers.push({ path: base, label, subset });
    asArray(dig(dr.raw, ...base, 'portLevelSettings')).forEach((pls, i) => {
      const port = asNumber(dig(pls, 'port', 'number'));
      layers.push({ path: [...base, 'portLevelSettings', i], label: `${label}, port ${port ?? '?'}`, subset, port });
    });
  };
  withPorts(['spec', 'trafficPolicy'], 'top level');
  asArray(dig(dr.raw, 'spec', 'subsets')).forEach((s, j) => {
    const name = asString(dig(s, 'name')) ?? `#${j}`;
    withPorts(['spec', 'subsets', j, 'trafficPolicy'], `subset ${name}`, name);
  });
  return layers;
}

const BYPASS_PREFIX = 'traffic.sidecar.istio.io/';

/** Reads the outbound redirection annotations of a pod template (see {@link OutboundBypass}). */
export function outboundBypass(annotations: Record<string, string>): OutboundBypass {
  const list = (v: string | undefined) => (v ?? '').split(',').map((x) => x.trim()).filter(Boolean);
  const include = annotations[`${BYPASS_PREFIX}includeOutboundIPRanges`];
  return {
    excludePorts: new Set(list(annotations[`${BYPASS_PREFIX}excludeOutboundPorts`]).map(Number).filter((n) => Number.isInteger(n) && n > 0)),
    excludeRanges: list(annotations[`${BYPASS_PREFIX}excludeOutboundIPRanges`]),
    includeRanges: include === undefined ? undefined : list(include),
  };
}

/**
 * Why traffic to `target` bypasses the sidecar under `bypass`, or null when it goes through the sidecar.
 * Ranges are compared with ipaddr.js; a destination whose addresses the input does not give bypasses only
 * through a port exclusion, an empty `includeOutboundIPRanges`, or a range covering every address (`0.0.0.0/0`).
 */
export function bypassReason(bypass: OutboundBypass, target: BypassTarget): string | null {
  if (target.port !== undefined && bypass.excludePorts.has(target.port)) return `excludes outbound port ${target.port} from its sidecar (${BYPASS_PREFIX}excludeOutboundPorts)`;
  if (bypass.includeRanges !== undefined && bypass.includeRanges.length === 0) return `redirects no outbound traffic to its sidecar (${BYPASS_PREFIX}includeOutboundIPRanges: "")`;
  if (bypass.excludeRanges.some(coversEverything)) return `excludes all outbound IP ranges from its sidecar (${BYPASS_PREFIX}excludeOutboundIPRanges)`;
  if (!target.addresses.length) return null;
  if (target.addresses.every((a) => bypass.excludeRanges.some((r) => cidrContains(r, a)))) return `excludes ${target.addresses.join(', ')} from its sidecar (${BYPASS_PREFIX}excludeOutboundIPRanges)`;
  const include = bypass.includeRanges;
  if (include && !include.includes('*') && target.addresses.every((a) => !include.some((r) => cidrContains(r, a)))) return `redirects only ${include.join(', ')} to its sidecar (${BYPASS_PREFIX}includeOutboundIPRanges)`;
  return null;
}

/** A CIDR, or a single address as its host-length prefix (`/32`, `/128`); null when it is neither. */
function parseRange(text: string): [ipaddr.IPv4 | ipaddr.IPv6, number] | null {
  try {
    if (text.includes('/')) return ipaddr.parseCIDR(text);
    const address = ipaddr.parse(text);
    return [address, address.kind() === 'ipv4' ? 32 : 128];
  } catch {
    return null;
  }
}

function coversEverything(range: string): boolean {
  const r = parseRange(range);
  return r !== null && r[1] === 0;
}

/** True when `range` (CIDR or IP) contains every address of `address` (an IP or a CIDR). */
function cidrContains(range: string, address: string): boolean {
  const r = parseRange(range);
  const a = parseRange(address);
  if (!r || !a || r[0].kind() !== a[0].kind() || a[1] < r[1]) return false;
  return (a[0] as ipaddr.IPv4).match(r as [ipaddr.IPv4, number]);
}

/**
 * The host outside the cluster an `ExternalName` Service sends its clients to (`spec.externalName`), or undefined
 * when `service` is not of that type or names a host under `clusterDomain`. Cluster DNS answers such a Service's
 * name with a CNAME to `spec.externalName` (Kubernetes "Service", type ExternalName), so the client's connections go
 * to that host: outside the cluster they are SNAT'd at the node. Istio marks these Services `MeshExternal`
 * (istio/istio `pilot/pkg/serviceregistry/kube/conversion.go`, `ConvertService`); Linkerd's proxy sees the
 * external address the CNAME resolves to.
 */
export function externalNameTarget(service: ManifestObject | undefined, clusterDomain: string): string | undefined {
  if (!service || dig(service.raw, 'spec', 'type') !== 'ExternalName') return undefined;
  const target = asString(dig(service.raw, 'spec', 'externalName'))?.replace(/\.$/, '').toLowerCase();
  if (!target || target === clusterDomain || target.endsWith(`.${clusterDomain}`)) return undefined;
  return target;
}
