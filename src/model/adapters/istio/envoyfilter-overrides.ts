/**
 * EnvoyFilter overrides of the effective connection policy: the hook the connection-policy builder calls after
 * the DestinationRule layers (an EnvoyFilter patch is applied to the generated cluster, after istiod turned the
 * DestinationRule into it, so its value wins; istio/api `networking/v1alpha3/envoy_filter.proto`).
 *
 * The patches are parsed and matched by `envoyfilter-index.ts` ({@link EnvoyFilterIndex}); this file turns the
 * overrides that apply to one proxy's cluster into {@link PolicyOverride}s on the neutral model's fields:
 * - `common_http_protocol_options.max_requests_per_connection` and the deprecated cluster-level
 *   `max_requests_per_connection` → `http.maxRequestsPerConnection`; `idle_timeout` → `http.idleTimeout`;
 *   `max_connection_duration` → `tcp.maxConnectionDuration` (HTTP ports: these live in the cluster's
 *   `HttpProtocolOptions`, which Envoy uses for HTTP upstreams only);
 * - an `HttpProtocolOptions` entry replaces the one istiod wrote, so what the DestinationRule set there and the
 *   patch leaves out goes back to Envoy's default: an override to that default, saying so;
 * - circuit-breaker thresholds written by MERGE have no effect (`noEffect`: they land in `ignored`).
 */
import type { MeshModel } from '../../mesh.js';
import type { PolicyOverride, PoolField } from '../../traffic.js';
import { asRecord, dig, parseDurationSeconds } from '../../values.js';
import { declaredPort } from '../workloads/ports.js';
import { serviceNamespaceOfHost } from '../../hosts.js';
import { describeOverride, type EnvoyFilterSetting, type MatchedOverride } from './envoyfilter-index.js';

/** The proxy and cluster an override is looked up for (the cluster name is `outbound|<port>|<subset>|<host>`). */
export interface OverrideQuery {
  /** Namespace of the proxy that opens the connections (the client's sidecar, or the gateway's). */
  proxyNamespace: string;
  /** Labels of the proxy's workload when known (for `workloadSelector` / `targetRefs`). */
  proxyLabels?: Record<string, string>;
  /** `SIDECAR_OUTBOUND` for a client sidecar, `GATEWAY` for a gateway proxy. */
  context: 'SIDECAR_OUTBOUND' | 'GATEWAY';
  host: string;
  subset?: string;
  port?: number;
}

/** Envoy's value when a field of `HttpProtocolOptions.common_http_protocol_options` is unset (envoy `config/core/v3/protocol.proto`). */
const ENVOY_DEFAULTS: Partial<Record<PoolField, number>> = {
  // max_requests_per_connection unset: no limit.
  'http.maxRequestsPerConnection': 0,
  // idle_timeout unset: 1 hour.
  'http.idleTimeout': 3600,
  // max_connection_duration unset: no maximum (0 here, as the rules read it).
  'tcp.maxConnectionDuration': 0,
};

const FIELD_OF: Partial<Record<EnvoyFilterSetting, PoolField>> = {
  maxRequestsPerConnection: 'http.maxRequestsPerConnection',
  clusterMaxRequestsPerConnection: 'http.maxRequestsPerConnection',
  idleTimeout: 'http.idleTimeout',
  maxConnectionDuration: 'tcp.maxConnectionDuration',
  maxConnections: 'tcp.maxConnections',
  maxRetries: 'http.maxRetries',
  retryBudget: 'http.retryBudget',
};

/**
 * The overrides EnvoyFilters apply to the cluster of `query`, in the order istiod applies them (the last one
 * for a field wins). Never throws; a patch meshlint cannot interpret is not returned (the index counts it in
 * `EnvoyFilterIndex.unmodelled` instead).
 */
export function envoyFilterOverrides(model: MeshModel, query: OverrideQuery): PolicyOverride[] {
  const index = model.envoyFilterIndex();
  if (!index.filters.length) return [];
  const matched = index.clusterOverrides(query);
  if (!matched.length) return [];
  const declared = declaredPort(model, query.host, query.port);
  const httpPort = !declared || declared.protocol === 'http';
  const out: PolicyOverride[] = [];
  // What the DestinationRule wrote into the cluster's HttpProtocolOptions (an EnvoyFilter entry replaces it whole).
  const pool = model.effectivePolicy(model.destinationRuleFor(query.proxyNamespace, query.host, query.proxyLabels), query.subset, query.port).connectionPool;
  const drWrote: PoolField[] = [];
  if (pool) {
    if (dig(pool.value, 'http', 'maxRequestsPerConnection') !== undefined) drWrote.push('http.maxRequestsPerConnection');
    // http.idleTimeout, else tcp.idleTimeout, becomes common_http_protocol_options.idle_timeout (cluster_traffic_policy.go).
    if (dig(pool.value, 'http', 'idleTimeout') !== undefined || dig(pool.value, 'tcp', 'idleTimeout') !== undefined) drWrote.push('http.idleTimeout');
    if (parseDurationSeconds(dig(pool.value, 'tcp', 'maxConnectionDuration')) !== undefined) drWrote.push('tcp.maxConnectionDuration');
  }
  const byPatch = new Map<string, MatchedOverride[]>();
  for (const o of matched) {
    const key = `${o.filter.order}\u0000${o.patchIndex}`;
    const list = byPatch.get(key);
    if (list) list.push(o);
    else byPatch.set(key, [o]);
  }
  for (const patch of byPatch.values()) {
    for (const o of patch) {
      const field = FIELD_OF[o.setting];
      if (!field) continue;
      if (field === 'tcp.maxConnectionDuration' && !httpPort) continue; // HttpProtocolOptions: HTTP upstreams only
      const text = `${describeOverride(o)}${o.assumed ? ` (${o.assumed})` : ''}${o.caveat ? `; ${o.caveat}` : ''}${o.setting === 'clusterMaxRequestsPerConnection' && drWrote.includes('http.maxRequestsPerConnection') ? '; Envoy rejects a cluster that sets max_requests_per_connection both here and in HttpProtocolOptions (as the DestinationRule does)' : ''}`;
      const value = typeof o.value === 'number' ? o.value : asRecord(o.value) ? `percent ${o.value.percent ?? 20}, minRetryConcurrency ${o.value.minRetryConcurrency ?? 3}` : String(o.value);
      out.push({ field, value, at: { object: o.filter, path: o.path }, text, ...(o.effective ? {} : { noEffect: o.reason ?? 'no effect' }) });
    }
    const replacing = patch.find((o) => o.replacesEntry && o.effective);
    if (!replacing) continue;
    const set = new Set(patch.filter((o) => o.replacesEntry).map((o) => FIELD_OF[o.setting]));
    for (const field of drWrote) {
      if (set.has(field) || (field === 'tcp.maxConnectionDuration' && !httpPort)) continue;
      const path = replacing.path.slice(0, replacing.path.lastIndexOf('common_http_protocol_options') >= 0 ? replacing.path.lastIndexOf('common_http_protocol_options') : replacing.path.length);
      out.push({
        field,
        value: ENVOY_DEFAULTS[field]!,
        at: { object: replacing.filter, path },
        text: `EnvoyFilter ${replacing.filter.ref.namespace}/${replacing.filter.ref.name} configPatches[${replacing.patchIndex}] replaces the cluster's whole HttpProtocolOptions without ${field.split('.')[1]}: the DestinationRule's value is dropped and Envoy's default applies`,
      });
    }
  }
  return out;
}

/** The hop HTTP connection manager overrides are looked up for: the client proxy and the destination port it calls. */
export interface ListenerOverrideQuery {
  /** Namespace of the client proxy. */
  proxyNamespace: string;
  proxyLabels?: Record<string, string>;
  /** `SIDECAR_OUTBOUND` for a client sidecar; `GATEWAY` for a gateway's upstream hop (its own listeners face its downstream, not this hop). */
  context: 'SIDECAR_OUTBOUND' | 'GATEWAY';
  host: string;
  /** The destination's service port (`match.listener.portNumber` names the service port on both sides: istio/api `envoy_filter.proto`, `ListenerMatch.port_number`). */
  port?: number;
}

const LISTENER_FIELD: Partial<Record<EnvoyFilterSetting, 'IdleTimeout' | 'StreamIdleTimeout'>> = {
  downstreamIdleTimeout: 'IdleTimeout',
  streamIdleTimeout: 'StreamIdleTimeout',
};

/**
 * The HTTP connection manager timeouts EnvoyFilter `NETWORK_FILTER` patches set at the two ends of one HTTP hop
 * (see `ListenerFigures` in `traffic.ts` for which leg each one closes), in the order istiod applies them:
 * - `listener.outbound*`: patches with context `SIDECAR_OUTBOUND` (or `ANY`) that select the client's sidecar and
 *   match the destination port (its outbound listener `0.0.0.0_<port>`);
 * - `listener.inbound*`: patches with context `SIDECAR_INBOUND` (`GATEWAY` when the destination's pods are a
 *   gateway) that select the destination's pods (the Service's `selector` against the input's workloads) and
 *   match the port. External hosts and destinations whose every pod has no sidecar have no such listener.
 * A workload-selecting filter whose pods the input does not show is applied as the worst case, and says so.
 * Never throws.
 */
export function listenerTimeoutOverrides(model: MeshModel, query: ListenerOverrideQuery): PolicyOverride[] {
  const index = model.envoyFilterIndex();
  if (!index.filters.length) return [];
  const out: PolicyOverride[] = [];
  const port = query.port !== undefined ? ` port ${query.port}` : '';
  const push = (o: MatchedOverride, side: 'outbound' | 'inbound', where: string) => {
    const suffix = LISTENER_FIELD[o.setting];
    if (!suffix || typeof o.value !== 'number') return;
    out.push({ field: `listener.${side}${suffix}`, value: o.value, at: { object: o.filter, path: o.path }, text: `${describeOverride(o)} on ${where}${o.assumed ? ` (${o.assumed})` : ''}` });
  };
  if (query.context === 'SIDECAR_OUTBOUND') {
    for (const o of index.listenerOverrides({ proxyNamespace: query.proxyNamespace, proxyLabels: query.proxyLabels, context: 'SIDECAR_OUTBOUND', port: query.port })) push(o, 'outbound', `the client sidecar's outbound listener${port}`);
  }
  const server = destinationProxies(model, query.host);
  if (server) {
    const seen = new Set<string>();
    for (const labels of server.labels) {
      for (const o of index.listenerOverrides({ proxyNamespace: server.namespace, proxyLabels: labels, context: server.context, port: query.port })) {
        const key = `${o.filter.order}\u0000${o.patchIndex}\u0000${o.setting}`;
        if (seen.has(key)) continue; // several workloads behind one Service: one override per patch field
        seen.add(key);
        push(o, 'inbound', `${server.context === 'GATEWAY' ? 'the gateway' : `${query.host}'s sidecars`}' ${server.context === 'GATEWAY' ? 'listener' : 'inbound listener'}${port}`);
      }
    }
  }
  return out;
}

/**
 * The proxies that receive a hop to `host`: the namespace, the pod labels of each workload the Service selects
 * (`[undefined]` when the input shows none: a workload-selecting filter is then assumed to apply), and the
 * EnvoyFilter context of their listeners. Undefined for external hosts, hosts outside any namespace the input
 * names, and Services whose every selected workload runs without a sidecar.
 */
function destinationProxies(model: MeshModel, host: string): DestinationProxies | undefined {
  // Asked for every policy built: kept per model and host (the model does not change once built), so the
  // workload scan is once per host, not once per (client, subset, port).
  let byHost = proxiesCache.get(model);
  if (!byHost) proxiesCache.set(model, (byHost = new Map()));
  if (!byHost.has(host)) byHost.set(host, findDestinationProxies(model, host));
  return byHost.get(host);
}

interface DestinationProxies {
  namespace: string;
  labels: (Record<string, string> | undefined)[];
  context: 'SIDECAR_INBOUND' | 'GATEWAY';
}

const proxiesCache = new WeakMap<MeshModel, Map<string, DestinationProxies | undefined>>();

function findDestinationProxies(model: MeshModel, host: string): DestinationProxies | undefined {
  if (model.isExternal(host)) return undefined;
  const service = model.serviceFor(host);
  const namespace = service?.ref.namespace ?? serviceNamespaceOfHost(host, model.settings.clusterDomain);
  if (!namespace) return undefined;
  const selector = asRecord(dig(service?.raw, 'spec', 'selector'));
  const workloads = selector && Object.keys(selector).length ? model.workloadsIn(namespace).filter((w) => Object.entries(selector).every(([k, v]) => w.podLabels[k] === String(v))) : [];
  // Istio's gateway charts label their pods istio=ingressgateway / istio=egressgateway; a gateway is its own proxy.
  const isGateway = (labels: Record<string, string>) => /gateway$/.test(labels.istio ?? '');
  const proxied = workloads.filter((w) => w.sidecar !== false || isGateway(w.podLabels));
  if (workloads.length && !proxied.length) return undefined;
  const gateway = proxied.length ? proxied.some((w) => isGateway(w.podLabels)) : /(ingress|egress)gateway/.test(host.split('.')[0] ?? '');
  return { namespace, labels: proxied.length ? proxied.map((w) => w.podLabels) : [undefined], context: gateway ? 'GATEWAY' : 'SIDECAR_INBOUND' };
}
