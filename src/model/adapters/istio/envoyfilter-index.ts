/**
 * The EnvoyFilter index: parses and matches patches (this file); `envoyfilter-overrides.ts` turns the matched
 * overrides into the neutral model's `PolicyOverride` records (`traffic.ts`) for one connection policy.
 *
 * EnvoyFilter (`networking.istio.io/v1alpha3`, istio/api `networking/v1alpha3/envoy_filter.proto`) patches that
 * change what meshlint computes: connection reuse and retry limits of a proxy's clusters, and the idle timeouts
 * of its HTTP listeners. Each patch is parsed once into {@link EnvoyFilterOverride} records (which setting, to
 * what value, at which field of which object); {@link EnvoyFilterIndex} answers which of them apply to one
 * proxy's cluster or listener. A patch meshlint does not model is counted in {@link EnvoyFilterIndex.unmodelled}
 * with the reason, never guessed at.
 *
 * How istiod applies the patches (istio/istio `pilot/pkg/networking/core/envoyfilter/cluster_patch.go`,
 * `pkg/proto/merge/merge.go`):
 * - which proxies: an EnvoyFilter in the root namespace (`meshConfig.rootNamespace`) applies to every proxy of
 *   the mesh, one elsewhere to the proxies of its own namespace; `workloadSelector.labels` narrows to the pods
 *   with those labels, `targetRefs` to the referenced Gateway's proxies. Root-namespace filters apply first,
 *   then the proxy's namespace, each in `priority` then creation order (input order stands in for it);
 * - which clusters (`applyTo: CLUSTER`): `match.context` (`ANY` or the proxy's: `SIDECAR_OUTBOUND` for a
 *   sidecar's outbound clusters, `GATEWAY` for a gateway's), `match.cluster.name` exactly, else `service`
 *   (the host, exactly), `portNumber` and `subset` against the cluster name `outbound|<port>|<subset>|<host>`;
 * - what `MERGE` does: fields are set, messages merged, but lists are appended to and map entries replaced.
 *   So `circuit_breakers.thresholds` from a patch lands after the thresholds istiod writes for every cluster,
 *   and Envoy uses the first thresholds of a priority (envoy `api/envoy/config/cluster/v3/circuit_breaker.proto`):
 *   the patch has no effect. A `typed_extension_protocol_options` entry replaces the whole
 *   `envoy.extensions.upstreams.http.v3.HttpProtocolOptions` istiod wrote, so what the DestinationRule set there
 *   and the patch leaves out is gone.
 */
import type { ManifestObject } from '../../../load/objects.js';
import type { FieldPath } from '../../../types.js';
import { asArray, asNumber, asRecord, asString, dig, parseDurationSeconds } from '../../values.js';
import { formatIstioVersion, type IstioVersion } from './versions.js';
import type { UnmodelledPatch } from '../../traffic.js';

/** `match.context` of a patch (istio/api `EnvoyFilter.PatchContext`). */
export type PatchContext = 'ANY' | 'SIDECAR_INBOUND' | 'SIDECAR_OUTBOUND' | 'GATEWAY' | 'WAYPOINT';

/**
 * A setting an EnvoyFilter patch changes, in meshlint's terms:
 * - `maxRequestsPerConnection`, `idleTimeout`, `maxConnectionDuration`: the cluster's
 *   `HttpProtocolOptions.common_http_protocol_options` (what `connectionPool.http.maxRequestsPerConnection`,
 *   `http.idleTimeout` and `tcp.maxConnectionDuration` become; Envoy applies them to HTTP upstreams);
 * - `clusterMaxRequestsPerConnection`: the deprecated cluster-level `max_requests_per_connection`;
 * - `maxConnections`, `maxPendingRequests`, `maxRequests`, `maxRetries`, `retryBudget`: circuit-breaker thresholds;
 * - `downstreamIdleTimeout`, `streamIdleTimeout`: an HTTP connection manager's
 *   `common_http_protocol_options.idle_timeout` and `stream_idle_timeout` (the listener side: connections
 *   from the application or the calling proxy).
 */
export type EnvoyFilterSetting =
  | 'maxRequestsPerConnection'
  | 'idleTimeout'
  | 'maxConnectionDuration'
  | 'clusterMaxRequestsPerConnection'
  | 'maxConnections'
  | 'maxPendingRequests'
  | 'maxRequests'
  | 'maxRetries'
  | 'retryBudget'
  | 'downstreamIdleTimeout'
  | 'streamIdleTimeout';

/** Value of a `retry_budget` threshold: percent of active plus pending requests, and the floor (Envoy defaults 20 %, 3). */
export interface RetryBudgetValue {
  percent?: number;
  minRetryConcurrency?: number;
}

/**
 * One setting one patch makes, with where it is written. Durations are in seconds.
 * `effective: false` with `reason` when istiod's merge leaves it without effect (see the module comment).
 */
export interface EnvoyFilterOverride {
  filter: ManifestObject;
  /** Index of the patch in `spec.configPatches`. */
  patchIndex: number;
  setting: EnvoyFilterSetting;
  /** The Envoy field as written in the patch, e.g. `common_http_protocol_options.idle_timeout`. */
  envoyField: string;
  value: number | RetryBudgetValue;
  /** Path of the value inside the EnvoyFilter, for file:line. */
  path: FieldPath;
  effective: boolean;
  /** Why it has no effect (set when `effective` is false). */
  reason?: string;
  /** A warning about a patch that does take effect (e.g. an entry Envoy may reject). */
  caveat?: string;
  /**
   * For the HttpProtocolOptions settings: the patch replaces the whole entry, so settings of the entry it
   * does not write go back to Envoy's defaults (unlimited requests per connection, 1 h idle timeout, no
   * maximum duration).
   */
  replacesEntry?: boolean;
}

/** The cluster a patch selects, as written. */
export interface ClusterMatch {
  name?: string;
  service?: string;
  portNumber?: number;
  subset?: string;
}

/** A parsed patch of a modelled kind (`CLUSTER` `MERGE`, or `NETWORK_FILTER` `MERGE` on the HTTP connection manager). */
export interface EnvoyFilterPatch {
  filter: ManifestObject;
  index: number;
  applyTo: 'CLUSTER' | 'NETWORK_FILTER';
  context: PatchContext;
  cluster?: ClusterMatch;
  /** `match.listener.portNumber` of a NETWORK_FILTER patch. */
  listenerPort?: number;
  /** `match.proxy.proxyVersion` (RE2), when set. */
  proxyVersion?: string;
  overrides: EnvoyFilterOverride[];
  /** Fields the patch also sets that meshlint does not model (e.g. `connect_timeout`). */
  otherFields: string[];
}

/** A patch meshlint does not model, with why: the neutral model's record (`traffic.ts`), which rules read. */
export type { UnmodelledPatch };

/** An EnvoyFilter with what decides which proxies it applies to. */
export interface EnvoyFilterView {
  object: ManifestObject;
  namespace: string;
  workloadSelector?: Record<string, string>;
  targetRefs?: { kind: string; group: string; name: string }[];
  /** `spec.priority`; lower applies first (default 0). */
  priority: number;
  patches: EnvoyFilterPatch[];
}

/** The proxy and cluster overrides are looked up for (the cluster name is `outbound|<port>|<subset>|<host>`). */
export interface ClusterQuery {
  /** Namespace of the proxy that opens the connections (the client's sidecar, or the gateway's). */
  proxyNamespace: string;
  /** Labels of the proxy's pod when known. Without labels, filters with a `workloadSelector` are taken to apply (the worst case) and say so. */
  proxyLabels?: Record<string, string>;
  context: 'SIDECAR_OUTBOUND' | 'GATEWAY' | 'WAYPOINT';
  host: string;
  subset?: string;
  port?: number;
}

/** The proxy and listener port HTTP connection manager overrides are looked up for. */
export interface ListenerQuery {
  proxyNamespace: string;
  proxyLabels?: Record<string, string>;
  context: 'SIDECAR_OUTBOUND' | 'SIDECAR_INBOUND' | 'GATEWAY' | 'WAYPOINT';
  port?: number;
}

/** An override that applies to a query, with whether the workload selection was assumed. */
export interface MatchedOverride extends EnvoyFilterOverride {
  /** Set when the filter has a `workloadSelector` and the query gave no labels: applied as the worst case. */
  assumed?: string;
}

const HTTP_PROTOCOL_OPTIONS = 'envoy.extensions.upstreams.http.v3.HttpProtocolOptions';
const HCM_NAMES = new Set(['envoy.filters.network.http_connection_manager', 'envoy.http_connection_manager']);
const HCM_TYPE = 'envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager';
const CONTEXTS: readonly PatchContext[] = ['ANY', 'SIDECAR_INBOUND', 'SIDECAR_OUTBOUND', 'GATEWAY', 'WAYPOINT'];

/** Every EnvoyFilter of the input, parsed; lookups by proxy namespace. Built once per run. */
export class EnvoyFilterIndex {
  readonly filters: EnvoyFilterView[] = [];
  /** Patches meshlint does not model (other `applyTo`, other operations, settings it does not read). */
  readonly unmodelled: UnmodelledPatch[] = [];
  private readonly byNamespace = new Map<string, EnvoyFilterView[]>();

  /**
   * @param objects the run's objects (only `networking.istio.io` `EnvoyFilter`s are read)
   * @param rootNamespace `meshConfig.rootNamespace` (filters there apply to every proxy)
   * @param istioVersion the Istio release whose proxies are matched against `match.proxy.proxyVersion`
   */
  constructor(
    objects: readonly ManifestObject[],
    readonly rootNamespace: string,
    readonly istioVersion?: IstioVersion,
  ) {
    for (const object of objects) {
      if (object.ref.kind !== 'EnvoyFilter' || object.group !== 'networking.istio.io') continue;
      const view = this.parse(object);
      this.filters.push(view);
      const list = this.byNamespace.get(view.namespace);
      if (list) list.push(view);
      else this.byNamespace.set(view.namespace, [view]);
    }
    for (const list of this.byNamespace.values()) list.sort((a, b) => a.priority - b.priority || a.object.order - b.object.order);
  }

  /**
   * The cluster overrides that apply to `query`, in the order istiod applies them (root namespace first, then
   * the proxy's namespace; `priority`, then creation order): for one setting, the last effective one wins.
   */
  clusterOverrides(query: ClusterQuery): MatchedOverride[] {
    return this.matching(query, 'CLUSTER', (patch) => clusterMatches(patch.cluster, query));
  }

  /** The HTTP connection manager overrides (downstream idle timeouts) that apply to a listener of `query`'s proxy, in application order. */
  listenerOverrides(query: ListenerQuery): MatchedOverride[] {
    return this.matching(query, 'NETWORK_FILTER', (patch) => patch.listenerPort === undefined || query.port === undefined || patch.listenerPort === query.port);
  }

  /** Overrides of the `applyTo` patches whose filter selects the proxy, whose context and proxy version match, and that `matches`. */
  private matching(query: ListenerQuery, applyTo: EnvoyFilterPatch['applyTo'], matches: (patch: EnvoyFilterPatch) => boolean): MatchedOverride[] {
    const out: MatchedOverride[] = [];
    for (const view of this.filtersFor(query.proxyNamespace)) {
      const assumed = this.selects(view, query.proxyNamespace, query.proxyLabels, query.context);
      if (assumed === false) continue;
      for (const patch of view.patches) {
        if (patch.applyTo !== applyTo || !contextMatches(patch.context, query.context) || !this.versionMatches(patch) || !matches(patch)) continue;
        for (const o of patch.overrides) out.push(assumed === true ? o : { ...o, assumed });
      }
    }
    return out;
  }

  /** Every parsed override of every filter, for rules that look at each patch once. */
  allOverrides(): EnvoyFilterOverride[] {
    return this.filters.flatMap((f) => f.patches.flatMap((p) => p.overrides));
  }

  private filtersFor(namespace: string): EnvoyFilterView[] {
    const root = this.byNamespace.get(this.rootNamespace) ?? [];
    if (namespace === this.rootNamespace) return root;
    return [...root, ...(this.byNamespace.get(namespace) ?? [])];
  }

  /**
   * Whether `view` applies to a proxy in `namespace` with `labels`: true, false, or a string saying the
   * match was assumed (a `workloadSelector` and no labels to compare).
   */
  private selects(view: EnvoyFilterView, namespace: string, labels: Record<string, string> | undefined, context: ListenerQuery['context']): boolean | string {
    if (view.namespace !== this.rootNamespace && view.namespace !== namespace) return false;
    if (view.targetRefs?.length) {
      // targetRefs name Gateway API Gateways (or waypoint Services): their proxies carry the gateway-name label.
      const gatewayName = labels?.['gateway.networking.k8s.io/gateway-name'];
      if (context !== 'GATEWAY' && context !== 'WAYPOINT') return false;
      return view.targetRefs.some((ref) => (ref.kind === 'Gateway' || ref.kind === 'Service') && gatewayName !== undefined && ref.name === gatewayName);
    }
    const selector = view.workloadSelector;
    if (!selector || Object.keys(selector).length === 0) return true;
    if (!labels) return `EnvoyFilter ${view.namespace}/${view.object.ref.name} selects pods by labels (${Object.entries(selector).map(([k, v]) => `${k}=${v}`).join(', ')}); the client's labels are unknown, so it is assumed to apply`;
    return Object.entries(selector).every(([k, v]) => labels[k] === v);
  }

  /** `match.proxy.proxyVersion` against the modelled Istio release (patch 0 when the version names none). */
  private versionMatches(patch: EnvoyFilterPatch): boolean {
    if (patch.proxyVersion === undefined || !this.istioVersion) return true;
    const v = this.istioVersion;
    const text = formatIstioVersion({ ...v, patch: v.patch ?? 0 });
    try {
      return new RegExp(patch.proxyVersion).test(text);
    } catch {
      return false;
    }
  }

  private parse(object: ManifestObject): EnvoyFilterView {
    const spec = asRecord(object.raw.spec) ?? {};
    const view: EnvoyFilterView = {
      object,
      namespace: object.ref.namespace,
      priority: asNumber(spec.priority) ?? 0,
      patches: [],
    };
    const selector = asRecord(dig(spec, 'workloadSelector', 'labels'));
    if (selector) view.workloadSelector = Object.fromEntries(Object.entries(selector).map(([k, v]) => [k, String(v)]));
    const refs = [...asArray(spec.targetRefs), ...(asRecord(spec.targetRef) ? [spec.targetRef] : [])];
    if (refs.length) view.targetRefs = refs.map((r) => ({ kind: asString(dig(r, 'kind')) ?? '', group: asString(dig(r, 'group')) ?? '', name: asString(dig(r, 'name')) ?? '' }));
    asArray(spec.configPatches).forEach((raw, index) => {
      const parsed = parsePatch(object, raw, index);
      if ('reason' in parsed) this.unmodelled.push(parsed);
      else view.patches.push(parsed);
    });
    return view;
  }
}

/** `outbound|9080|v1|reviews.default.svc.cluster.local` → its parts; undefined for other names. */
export function parseClusterName(name: string): { direction: string; port: number; subset: string; host: string } | undefined {
  const parts = name.split('|');
  if (parts.length !== 4) return undefined;
  const port = Number(parts[1]);
  if (!Number.isInteger(port)) return undefined;
  return { direction: parts[0], port, subset: parts[2], host: parts[3] };
}

/** istio/istio `clusterMatch`: the exact name when given, else service (exact host), subset and port of the cluster name. */
function clusterMatches(match: ClusterMatch | undefined, query: ClusterQuery): boolean {
  if (!match) return true;
  if (match.name) {
    const parsed = parseClusterName(match.name);
    return parsed !== undefined && parsed.direction === 'outbound' && parsed.host === query.host && parsed.subset === (query.subset ?? '') && (query.port === undefined || parsed.port === query.port);
  }
  if (match.subset && match.subset !== (query.subset ?? '')) return false;
  if (match.service && match.service !== query.host) return false;
  if (match.portNumber && query.port !== undefined && match.portNumber !== query.port) return false;
  return true;
}

function contextMatches(patch: PatchContext, proxy: ListenerQuery['context']): boolean {
  return patch === 'ANY' || patch === proxy;
}

/** Reads one `configPatches[i]`; a kind meshlint does not model comes back with the reason. */
function parsePatch(filter: ManifestObject, raw: unknown, index: number): EnvoyFilterPatch | UnmodelledPatch {
  const base: FieldPath = ['spec', 'configPatches', index];
  const applyTo = asString(dig(raw, 'applyTo')) ?? '';
  const operation = asString(dig(raw, 'patch', 'operation')) ?? '';
  const unmodelled = (reason: string): UnmodelledPatch => ({ filter, index, path: base, applyTo, operation, reason });
  const contextRaw = asString(dig(raw, 'match', 'context')) ?? 'ANY';
  const context = (CONTEXTS as readonly string[]).includes(contextRaw) ? (contextRaw as PatchContext) : undefined;
  if (!context) return unmodelled(`match.context ${contextRaw} is not one meshlint knows`);
  if (asRecord(dig(raw, 'match', 'proxy', 'metadata'))) return unmodelled('matches on proxy metadata, which the input does not show');
  const proxyVersion = asString(dig(raw, 'match', 'proxy', 'proxyVersion'));
  const value = asRecord(dig(raw, 'patch', 'value'));
  const valuePath: FieldPath = [...base, 'patch', 'value'];

  if (applyTo === 'CLUSTER') {
    if (operation !== 'MERGE') return unmodelled(operation === 'ADD' ? 'adds a cluster of its own; meshlint models only the clusters istiod generates' : `operation ${operation || '(none)'} on a cluster is not modelled (only MERGE changes a generated cluster's settings)`);
    if (context === 'SIDECAR_INBOUND') return unmodelled('patches inbound clusters (the server side); meshlint models the client side of each hop');
    const clusterRaw = asRecord(dig(raw, 'match', 'cluster'));
    const cluster: ClusterMatch | undefined = clusterRaw
      ? {
          ...(asString(clusterRaw.name) ? { name: asString(clusterRaw.name) } : {}),
          ...(asString(clusterRaw.service) ? { service: asString(clusterRaw.service) } : {}),
          ...(asNumber(clusterRaw.portNumber) !== undefined ? { portNumber: asNumber(clusterRaw.portNumber) } : {}),
          ...(asString(clusterRaw.subset) ? { subset: asString(clusterRaw.subset) } : {}),
        }
      : undefined;
    if (cluster?.name && parseClusterName(cluster.name)?.direction !== 'outbound') return unmodelled(`matches cluster ${cluster.name}, not an outbound service cluster`);
    const { overrides, otherFields } = clusterSettings(filter, index, value ?? {}, valuePath);
    if (!overrides.length) return unmodelled(otherFields.length ? `sets ${otherFields.join(', ')}; meshlint models connection reuse and retry limits only` : 'sets nothing meshlint models');
    return { filter, index, applyTo: 'CLUSTER', context, ...(cluster ? { cluster } : {}), ...(proxyVersion ? { proxyVersion } : {}), overrides, otherFields };
  }

  if (applyTo === 'NETWORK_FILTER') {
    const filterName = asString(dig(raw, 'match', 'listener', 'filterChain', 'filter', 'name'));
    if (!filterName || !HCM_NAMES.has(filterName)) return unmodelled(`patches network filter ${filterName ?? '(any)'}; only the HTTP connection manager's idle timeouts are modelled`);
    if (operation !== 'MERGE') return unmodelled(`operation ${operation || '(none)'} on the HTTP connection manager is not modelled (only MERGE)`);
    const { overrides, otherFields } = connectionManagerSettings(filter, index, value ?? {}, valuePath);
    if (!overrides.length) return unmodelled(otherFields.length ? `sets ${otherFields.join(', ')} on the HTTP connection manager; meshlint models its idle timeouts only` : 'sets nothing meshlint models');
    const listenerPort = asNumber(dig(raw, 'match', 'listener', 'portNumber'));
    return { filter, index, applyTo: 'NETWORK_FILTER', context, ...(listenerPort !== undefined ? { listenerPort } : {}), ...(proxyVersion ? { proxyVersion } : {}), overrides, otherFields };
  }

  return unmodelled(`applyTo ${applyTo || '(none)'} is not modelled`);
}

/** A protobuf JSON field in either spelling (`max_retries` or `maxRetries`), with the key used. */
function field(record: Record<string, unknown>, snake: string): { key: string; value: unknown } | undefined {
  if (record[snake] !== undefined) return { key: snake, value: record[snake] };
  const camel = snake.replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase());
  if (record[camel] !== undefined) return { key: camel, value: record[camel] };
  return undefined;
}

/** A `google.protobuf.UInt32Value` as protobuf JSON writes it (a number), or `{ value: n }`. */
function wrappedNumber(value: unknown): number | undefined {
  return asNumber(value) ?? asNumber(dig(value, 'value'));
}

/** A `google.protobuf.Duration` as protobuf JSON writes it (`"30s"`), or `{ seconds, nanos }`, in seconds. */
function durationSeconds(value: unknown): number | undefined {
  const text = parseDurationSeconds(value);
  if (text !== undefined) return text;
  const seconds = asNumber(dig(value, 'seconds'));
  return seconds === undefined ? undefined : seconds + (asNumber(dig(value, 'nanos')) ?? 0) / 1e9;
}

/**
 * The body of an `Any` for `typeName`: the object itself when its `@type` names it, or the `value` of a
 * `TypedStruct` (`udpa.type.v1` / `xds.type.v3`) whose `type_url` names it; undefined otherwise.
 */
function anyBody(value: unknown, typeName: string): { body: Record<string, unknown>; path: FieldPath } | undefined {
  const record = asRecord(value);
  if (!record) return undefined;
  const type = asString(record['@type']) ?? '';
  if (type.endsWith(`/${typeName}`) || type === typeName) return { body: record, path: [] };
  if (type.endsWith('TypedStruct')) {
    const url = field(record, 'type_url');
    const inner = asRecord(record.value);
    if (typeof url?.value === 'string' && url.value.endsWith(typeName) && inner) return { body: inner, path: ['value'] };
  }
  return undefined;
}

function clusterSettings(filter: ManifestObject, patchIndex: number, value: Record<string, unknown>, valuePath: FieldPath): { overrides: EnvoyFilterOverride[]; otherFields: string[] } {
  const overrides: EnvoyFilterOverride[] = [];
  const otherFields: string[] = [];
  const add = (setting: EnvoyFilterSetting, envoyField: string, v: number | RetryBudgetValue, path: FieldPath, extra: Partial<EnvoyFilterOverride> = {}) =>
    overrides.push({ filter, patchIndex, setting, envoyField, value: v, path, effective: true, ...extra });
  for (const key of Object.keys(value)) {
    const snake = key.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
    if (snake === 'circuit_breakers') {
      asArray(dig(value[key], 'thresholds')).forEach((threshold, t) => {
        const at: FieldPath = [...valuePath, key, 'thresholds', t];
        const record = asRecord(threshold) ?? {};
        const priority = asString(record.priority) ?? 'DEFAULT';
        // istiod writes a DEFAULT-priority threshold into every cluster; MERGE appends this one after it, and
        // Envoy uses the first threshold of a priority (envoy circuit_breaker.proto, CircuitBreakers.thresholds).
        const noEffect = {
          effective: false,
          reason: priority === 'DEFAULT'
            ? 'MERGE appends circuit_breakers.thresholds after the DEFAULT threshold istiod writes for every cluster, and Envoy uses the first threshold of a priority: no effect (use the DestinationRule connectionPool / retryBudget instead)'
            : `threshold for priority ${priority}: Istio routes use the DEFAULT priority`,
        };
        for (const [name, setting] of [
          ['max_connections', 'maxConnections'],
          ['max_pending_requests', 'maxPendingRequests'],
          ['max_requests', 'maxRequests'],
          ['max_retries', 'maxRetries'],
        ] as const) {
          const f = field(record, name);
          const n = f ? wrappedNumber(f.value) : undefined;
          if (f && n !== undefined) add(setting, `circuit_breakers.thresholds[${t}].${name}`, n, [...at, f.key], noEffect);
        }
        const budget = field(record, 'retry_budget');
        if (budget) {
          const percent = field(asRecord(budget.value) ?? {}, 'budget_percent');
          const min = field(asRecord(budget.value) ?? {}, 'min_retry_concurrency');
          add('retryBudget', `circuit_breakers.thresholds[${t}].retry_budget`, { ...(percent ? { percent: wrappedNumber(percent.value) } : {}), ...(min ? { minRetryConcurrency: wrappedNumber(min.value) } : {}) }, [...at, budget.key], noEffect);
        }
      });
    } else if (snake === 'typed_extension_protocol_options') {
      const options = asRecord(value[key]) ?? {};
      for (const [name, entry] of Object.entries(options)) {
        if (name !== HTTP_PROTOCOL_OPTIONS) {
          otherFields.push(`${key}.${name}`);
          continue;
        }
        const found = anyBody(entry, HTTP_PROTOCOL_OPTIONS);
        const entryPath: FieldPath = [...valuePath, key, name];
        if (!found) {
          otherFields.push(`${key}.${name} (no @type ${HTTP_PROTOCOL_OPTIONS})`);
          continue;
        }
        const common = field(found.body, 'common_http_protocol_options');
        const commonRecord = asRecord(common?.value) ?? {};
        const commonPath: FieldPath = [...entryPath, ...found.path, common?.key ?? 'common_http_protocol_options'];
        const hasProtocol = ['explicit_http_config', 'use_downstream_protocol_config', 'auto_config'].some((n) => field(found.body, n));
        const replaced = {
          replacesEntry: true,
          ...(hasProtocol ? {} : { caveat: 'the entry has no explicit_http_config, use_downstream_protocol_config or auto_config, which Envoy requires (http_protocol_options.proto, upstream_protocol_options)' }),
        };
        const mrpc = field(commonRecord, 'max_requests_per_connection');
        const mrpcValue = mrpc ? wrappedNumber(mrpc.value) : undefined;
        if (mrpc && mrpcValue !== undefined) add('maxRequestsPerConnection', 'common_http_protocol_options.max_requests_per_connection', mrpcValue, [...commonPath, mrpc.key], replaced);
        const idle = field(commonRecord, 'idle_timeout');
        const idleValue = idle ? durationSeconds(idle.value) : undefined;
        if (idle && idleValue !== undefined) add('idleTimeout', 'common_http_protocol_options.idle_timeout', idleValue, [...commonPath, idle.key], replaced);
        const duration = field(commonRecord, 'max_connection_duration');
        const durationValue = duration ? durationSeconds(duration.value) : undefined;
        if (duration && durationValue !== undefined) add('maxConnectionDuration', 'common_http_protocol_options.max_connection_duration', durationValue, [...commonPath, duration.key], replaced);
        if (!mrpc && !idle && !duration) {
          // The entry still replaces istiod's: record it as resetting connection reuse to Envoy's defaults.
          add('maxRequestsPerConnection', 'common_http_protocol_options.max_requests_per_connection', 0, entryPath, replaced);
        }
      }
    } else if (snake === 'max_requests_per_connection') {
      const n = wrappedNumber(value[key]);
      if (n !== undefined) add('clusterMaxRequestsPerConnection', 'max_requests_per_connection (deprecated cluster field)', n, [...valuePath, key]);
      else otherFields.push(key);
    } else {
      otherFields.push(key);
    }
  }
  return { overrides, otherFields };
}

function connectionManagerSettings(filter: ManifestObject, patchIndex: number, value: Record<string, unknown>, valuePath: FieldPath): { overrides: EnvoyFilterOverride[]; otherFields: string[] } {
  const overrides: EnvoyFilterOverride[] = [];
  const otherFields: string[] = [];
  const typed = field(value, 'typed_config');
  const found = typed ? anyBody(typed.value, HCM_TYPE) : undefined;
  // Istio's own examples also MERGE HCM fields straight into `value` (without typed_config).
  const body = found ? found.body : value;
  const bodyPath: FieldPath = found ? [...valuePath, typed!.key, ...found.path] : valuePath;
  const add = (setting: EnvoyFilterSetting, envoyField: string, seconds: number, path: FieldPath) => overrides.push({ filter, patchIndex, setting, envoyField, value: seconds, path, effective: true });
  for (const key of Object.keys(body)) {
    const snake = key.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
    if (snake === 'common_http_protocol_options') {
      const idle = field(asRecord(body[key]) ?? {}, 'idle_timeout');
      const seconds = idle ? durationSeconds(idle.value) : undefined;
      if (idle && seconds !== undefined) add('downstreamIdleTimeout', 'common_http_protocol_options.idle_timeout', seconds, [...bodyPath, key, idle.key]);
      for (const other of Object.keys(asRecord(body[key]) ?? {})) if (other !== idle?.key) otherFields.push(`${key}.${other}`);
    } else if (snake === 'stream_idle_timeout') {
      const seconds = durationSeconds(body[key]);
      if (seconds !== undefined) add('streamIdleTimeout', 'stream_idle_timeout', seconds, [...bodyPath, key]);
    } else if (snake === 'idle_timeout') {
      // The v2 HttpConnectionManager field (istio/api envoy_filter.proto example); v3 moved it to common_http_protocol_options.
      const seconds = durationSeconds(body[key]);
      if (seconds !== undefined) add('downstreamIdleTimeout', 'idle_timeout', seconds, [...bodyPath, key]);
    } else if (key !== '@type') {
      otherFields.push(key);
    }
  }
  return { overrides, otherFields };
}

/** One line naming an override for traces and findings: `EnvoyFilter ns/name configPatches[0] common_http_protocol_options.idle_timeout: 5 s`. */
export function describeOverride(o: EnvoyFilterOverride): string {
  const value = typeof o.value === 'number'
    ? o.setting.endsWith('Timeout') || o.setting === 'maxConnectionDuration' ? `${o.value} s` : String(o.value)
    : `percent ${o.value.percent ?? 'default'}, minRetryConcurrency ${o.value.minRetryConcurrency ?? 'default'}`;
  return `EnvoyFilter ${o.filter.ref.namespace}/${o.filter.ref.name} configPatches[${o.patchIndex}] ${o.envoyField}: ${value}`;
}
