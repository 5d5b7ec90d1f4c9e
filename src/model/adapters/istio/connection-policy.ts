/**
 * Istio adapter: the effective {@link ConnectionPolicy} of a client proxy for one (host, subset, port), from
 * the DestinationRule that wins precedence for the client (`MeshModel.destinationRuleFor`), its layers
 * (`MeshModel.effectivePolicy`: top level → `portLevelSettings[port]` → `subsets[].trafficPolicy` → that
 * subset's `portLevelSettings[port]`, each replacing whole blocks; istio/istio
 * `pilot/pkg/networking/util/util.go` `MergeTrafficPolicy`), `meshConfig.defaultTrafficPolicy`,
 * the port's protocol, then EnvoyFilter overrides (`envoyfilter-overrides.ts`).
 *
 * HTTP pool settings apply only where the proxy sees HTTP: istiod sets them through the cluster's
 * `HttpProtocolOptions` (`common_http_protocol_options.max_requests_per_connection`, `idle_timeout`), which Envoy
 * uses only for HTTP connections (Envoy `envoy.extensions.upstreams.http.v3.HttpProtocolOptions`). On a TLS or
 * TCP port they are recorded in `ignored`.
 */
import type { FieldPath } from '../../../types.js';
import type { MeshModel, MergedDestinationRule } from '../../mesh.js';
import type { ConnectionPolicy, DataPlane, HttpPoolFigures, PolicyFigure, IgnoredSetting, ListenerFigures, PolicyOverride, PoolField, PortProtocol, RetryBudgetFigure, Sourced, TcpPoolFigures, TraceItem } from '../../traffic.js';
import { RETRY_BUDGET_DEFAULT_MIN_CONCURRENCY, RETRY_BUDGET_DEFAULT_PERCENT } from './versions.js';
import { asArray, asNumber, asRecord, asString, dig, parseDurationSeconds } from '../../values.js';
import { traceAt } from '../../trace.js';
import { declaredPort, declaredPorts, type DeclaredPort } from '../workloads/ports.js';
import { envoyFilterOverrides, listenerTimeoutOverrides, type OverrideQuery } from './envoyfilter-overrides.js';
import { backendTrafficPolicyBudget } from '../gateway-api/backend-traffic-policy.js';

/** What a {@link ConnectionPolicies.get} call asks for. */
export interface PolicyQuery {
  clientNamespace: string;
  /** Client workload name and pod labels, when the client is one workload (for `workloadSelector` rules). */
  clientWorkload?: { name: string; labels: Record<string, string> };
  host: string;
  subset?: string;
  port?: number;
  /** The protocol when the caller knows better than the declared port (e.g. the app originates TLS). */
  protocol?: { value: PortProtocol; reason: string };
  dataPlane?: DataPlane;
  /** `GATEWAY` for a gateway proxy's hop (EnvoyFilter context). */
  context?: OverrideQuery['context'];
  /** Another version of the same DestinationRule object (same namespace and name, another file: an overlay), analysed as if deployed. */
  version?: MergedDestinationRule;
}

/**
 * Every effective connection policy the run asked for, each built once (keyed by client, workload, host,
 * subset, port, protocol), in the order first asked. The multiplier asks for the policy of each hop it charges;
 * {@link addDestinationRulePolicies} adds the (host, subset, port) cells each DestinationRule addresses, so a
 * rule sees a setting even where no route of the input sends traffic yet.
 */
export class ConnectionPolicies {
  private readonly byKey = new Map<string, ConnectionPolicy>();

  constructor(private readonly model: MeshModel) {}

  /** The effective policy for `query`; the same record for the same question. */
  get(query: PolicyQuery): ConnectionPolicy {
    const declared = declaredPort(this.model, query.host, query.port);
    const protocol = query.protocol ?? (declared ? { value: declared.protocol, reason: declared.reason } : { value: 'http' as const, reason: query.port === undefined ? 'no port declared for the host: HTTP assumed (Istio sniffs the protocol)' : `port ${query.port} not declared for the host: HTTP assumed` });
    const key = `${query.version ? `${query.version.primary.object.origin.file}#${query.version.primary.object.origin.docIndex}|` : ''}${query.clientNamespace}|${query.clientWorkload?.name ?? ''}|${query.host}|${query.subset ?? ''}|${query.port ?? ''}|${protocol.value}|${query.context ?? ''}`;
    let policy = this.byKey.get(key);
    if (!policy) {
      policy = this.build(key, query, protocol, declared);
      this.byKey.set(key, policy);
    }
    return policy;
  }

  /** Every policy built so far, in the order first asked. */
  all(): ConnectionPolicy[] {
    return [...this.byKey.values()];
  }

  private build(key: string, query: PolicyQuery, protocol: { value: PortProtocol; reason: string }, declared: DeclaredPort | undefined): ConnectionPolicy {
    const model = this.model;
    const dr = query.version ?? model.destinationRuleFor(query.clientNamespace, query.host, query.clientWorkload?.labels);
    const effective = model.effectivePolicy(dr, query.subset, query.port);
    const pool = effective.connectionPool;
    const http: HttpPoolFigures = {};
    const tcp: TcpPoolFigures = {};
    const listener: ListenerFigures = {};
    const ignored: IgnoredSetting[] = [];
    if (pool) {
      const at = (field: string[]): FieldPath => [...pool.path, ...field];
      // Every figure of the pool comes from the same layer: the label is computed once per policy.
      const layer = layerLabel(pool);
      const num = (block: 'http' | 'tcp', field: string) => sourcedNumber(pool, layer, block, field, asNumber);
      const dur = (block: 'http' | 'tcp', field: string) => withWritten(sourcedNumber(pool, layer, block, field, parseDurationSeconds));
      tcp.maxConnections = num('tcp', 'maxConnections');
      tcp.maxConnectionDuration = dur('tcp', 'maxConnectionDuration');
      tcp.idleTimeout = dur('tcp', 'idleTimeout');
      const httpFigures: HttpPoolFigures = {
        maxRequestsPerConnection: num('http', 'maxRequestsPerConnection'),
        idleTimeout: dur('http', 'idleTimeout'),
        maxRetries: num('http', 'maxRetries'),
      };
      const h2 = asString(dig(pool.value, 'http', 'h2UpgradePolicy'));
      if (h2 !== undefined) httpFigures.h2UpgradePolicy = { value: h2, object: pool.object, path: at(['http', 'h2UpgradePolicy']), layer };
      const ucp = dig(pool.value, 'http', 'useClientProtocol');
      if (typeof ucp === 'boolean') httpFigures.useClientProtocol = { value: ucp, object: pool.object, path: at(['http', 'useClientProtocol']), layer };
      for (const [name, figure] of Object.entries(httpFigures) as [keyof HttpPoolFigures, Sourced<never> | undefined][]) {
        if (!figure) continue;
        if (protocol.value === 'http') (http as Record<string, unknown>)[name] = figure;
        else ignored.push({ field: `http.${name}`, value: figure.value, at: { object: figure.object, path: figure.path }, layer, reason: `port ${query.port ?? '?'} is ${protocol.value.toUpperCase()} (${protocol.reason}): HTTP settings do not apply` });
      }
      for (const k of Object.keys(tcp) as (keyof TcpPoolFigures)[]) if (tcp[k] === undefined) delete tcp[k];
      for (const k of Object.keys(http) as (keyof HttpPoolFigures)[]) if (http[k] === undefined) delete http[k];
    }
    // A DestinationRule's retryBudget, else the one istiod converts from a Gateway API XBackendTrafficPolicy.
    const retryBudget = effective.retryBudget ?? backendTrafficPolicyBudget(model, query.host);
    if (retryBudget) {
      const budget = retryBudgetFigure(retryBudget);
      const istio = model.settings.istio;
      const fromGatewayApi = budget.object.ref.kind === 'XBackendTrafficPolicy';
      if (protocol.value !== 'http') ignored.push({ field: 'http.retryBudget', value: budget.value, at: { object: budget.object, path: budget.path }, layer: budget.layer, reason: `port ${query.port ?? '?'} is ${protocol.value.toUpperCase()} (${protocol.reason}): retries are HTTP` });
      else if (!istio.retryBudgetField) ignored.push({ field: 'http.retryBudget', value: budget.value, at: { object: budget.object, path: budget.path }, layer: budget.layer, reason: fromGatewayApi ? `Istio ${istio.version.major}.${istio.version.minor} does not apply XBackendTrafficPolicy retryConstraint: istiod converts it to DestinationRule trafficPolicy.retryBudget, which exists from 1.27 (istio/api#3512)` : `Istio ${istio.version.major}.${istio.version.minor} has no trafficPolicy.retryBudget (added in 1.27, istio/api#3512): the API server rejects or prunes it` });
      else http.retryBudget = budget;
    }
    const overrides = envoyFilterOverrides(model, { proxyNamespace: query.clientNamespace, proxyLabels: query.clientWorkload?.labels, context: query.context ?? 'SIDECAR_OUTBOUND', host: query.host, subset: query.subset, port: query.port });
    for (const o of overrides) applyOverride({ http, tcp, listener }, o, protocol.value, ignored);
    // HTTP connection manager timeouts: only HTTP ports have one, and only sidecars and gateways (not ambient's ztunnel or waypoints, modelled elsewhere).
    const dataPlane = query.dataPlane ?? 'sidecar';
    if (protocol.value === 'http' && (dataPlane === 'sidecar' || dataPlane === 'gateway')) {
      for (const o of listenerTimeoutOverrides(model, { proxyNamespace: query.clientNamespace, proxyLabels: query.clientWorkload?.labels, context: query.context ?? 'SIDECAR_OUTBOUND', host: query.host, port: query.port })) {
        applyOverride({ http, tcp, listener }, o, protocol.value, ignored);
        overrides.push(o);
      }
    }
    const { value: connectionsPerTry, trace: connectionsTrace } = connectionsOf(dr, http, protocol.value, pool);
    return {
      key,
      clientNamespace: query.clientNamespace,
      ...(query.clientWorkload ? { clientWorkload: query.clientWorkload.name } : {}),
      host: query.host,
      subset: query.subset,
      port: query.port,
      protocol: protocol.value,
      protocolReason: protocol.reason,
      ...(declared?.declared ? { declaredProtocol: declared.declared } : {}),
      external: model.isExternal(query.host),
      dataPlane: query.dataPlane ?? 'sidecar',
      ...(pool ? { connectionPool: pool } : {}),
      ...(dr ? { destinationRule: { object: dr.primary.object, path: ['spec', 'host'] } } : {}),
      http,
      tcp,
      listener,
      connectionsPerTry,
      connectionsTrace,
      ignored,
      overrides,
    };
  }
}

/** `connectionPool.<block>.<field>` of `pool` parsed with `parse`, from `layer` (see {@link layerLabel}); undefined when unset or unreadable. */
function sourcedNumber(pool: Sourced<Record<string, unknown>>, layer: string, block: 'http' | 'tcp', field: string, parse: (v: unknown) => number | undefined): PolicyFigure<number> | undefined {
  const value = parse(dig(pool.value, block, field));
  return value === undefined ? undefined : { value, object: pool.object, path: [...pool.path, block, field], layer };
}

/** `figure` with `written`: the value at its object and path as the user wrote it (e.g. `"10s"`), for findings' baseline fingerprints. */
function withWritten<F extends Sourced<unknown>>(figure: F): F;
function withWritten<F extends Sourced<unknown>>(figure: F | undefined): F | undefined;
function withWritten<F extends Sourced<unknown>>(figure: F | undefined): F | undefined {
  if (figure) figure.written = dig(figure.object.raw, ...figure.path);
  return figure;
}

/** `trafficPolicy.retryBudget` with Istio's defaults (percent 20, minRetryConcurrency 3; istio/api `destination_rule.proto`) filled in. */
function retryBudgetFigure(block: Sourced<Record<string, unknown>>): PolicyFigure<RetryBudgetFigure> {
  return {
    value: { percent: asNumber(block.value.percent) ?? RETRY_BUDGET_DEFAULT_PERCENT, minRetryConcurrency: asNumber(block.value.minRetryConcurrency) ?? RETRY_BUDGET_DEFAULT_MIN_CONCURRENCY },
    object: block.object,
    path: block.path,
    layer: layerLabel(block),
  };
}

/** An override replaces the field it names (and records the DestinationRule field it shadows). */
function applyOverride(figures: { http: HttpPoolFigures; tcp: TcpPoolFigures; listener: ListenerFigures }, o: PolicyOverride, protocol: PortProtocol, ignored: IgnoredSetting[]): void {
  const [block, name] = o.field.split('.') as ['http' | 'tcp' | 'listener', string];
  const target = figures[block] as Record<string, Sourced<unknown> | undefined>;
  if (o.noEffect) {
    ignored.push({ field: o.field, value: o.value, at: o.at, reason: `${o.text}: ${o.noEffect}` });
    return;
  }
  if (block === 'http' && protocol !== 'http') {
    ignored.push({ field: o.field, value: o.value, at: o.at, reason: `${o.text}: the port is ${protocol.toUpperCase()}, HTTP settings do not apply` });
    return;
  }
  const previous = target[name];
  if (previous) o.replaced = { object: previous.object, path: previous.path };
  target[name] = withWritten({ value: o.value, object: o.at.object, path: o.at.path, layer: layerLabel(o.at) });
}

/**
 * New upstream connections per try from the effective figures: `maxRequestsPerConnection` 1 → 1 (keep-alive
 * off), N → 1/N, unset or 0 → pooled (0); on a TLS/TCP port one upstream connection per downstream connection,
 * which the caller charges from the application leg (0 here).
 */
function connectionsOf(dr: MergedDestinationRule | null, http: HttpPoolFigures, protocol: PortProtocol, pool: Sourced<Record<string, unknown>> | undefined): { value: number; trace: TraceItem } {
  if (protocol !== 'http') return { value: 0, trace: { text: `${protocol.toUpperCase()}: one upstream connection per app connection; HTTP pool settings do not apply` } };
  const mrpc = http.maxRequestsPerConnection;
  const by = mrpc?.object.ref.kind === 'EnvoyFilter' ? ` (${layerLabel(mrpc)})` : '';
  if (mrpc && mrpc.value > 0) return { value: 1 / mrpc.value, trace: traceAt(`maxRequestsPerConnection: ${mrpc.value}${mrpc.value === 1 ? ' (keep-alive off)' : ''}${by}`, mrpc.object, mrpc.path) };
  if (mrpc && by) return { value: 0, trace: traceAt(`keep-alive on: max_requests_per_connection unlimited${by}`, mrpc.object, mrpc.path) };
  if (!dr && !pool) return { value: 0, trace: { text: 'no DestinationRule: pooled (keep-alive on by default)' } };
  return { value: 0, trace: pool ? traceAt('keep-alive on (maxRequestsPerConnection unset): pooled', pool.object, pool.path) : traceAt('keep-alive on (maxRequestsPerConnection unset): pooled', dr!.primary.object, ['spec', 'host']) };
}

/**
 * `top level`, `top level, port 9080`, `subset v2`, `subset v2, port 9080` for a traffic-policy field path of a
 * DestinationRule; `meshConfig.defaultTrafficPolicy` or `IstioOperator spec.meshConfig.defaultTrafficPolicy` for
 * the mesh default; `EnvoyFilter ns/name configPatches[i], over the DestinationRule` for an override. The
 * adapter stores it as each figure's {@link Sourced.layer}; rules read that, never the object.
 */
export function layerLabel(policyField: Sourced<unknown> | { object: Sourced<unknown>['object']; path: FieldPath }): string {
  const path = policyField.path;
  const raw = policyField.object.raw;
  if (policyField.object.ref.kind === 'EnvoyFilter') return `EnvoyFilter ${policyField.object.ref.namespace}/${policyField.object.ref.name} configPatches[${String(path[2] ?? '?')}], over the DestinationRule`;
  if (policyField.object.ref.kind === 'IstioOperator') return 'IstioOperator spec.meshConfig.defaultTrafficPolicy';
  let label = 'top level';
  const s = path.indexOf('subsets');
  if (s >= 0) label = `subset ${asString(dig(raw, 'spec', 'subsets', path[s + 1] as number, 'name')) ?? `#${String(path[s + 1])}`}`;
  const p = path.indexOf('portLevelSettings');
  if (p >= 0) label += `, port ${asNumber(dig(raw, ...path.slice(0, p + 2), 'port', 'number')) ?? '?'}`;
  if (path[0] !== 'spec') label = 'meshConfig.defaultTrafficPolicy';
  return label;
}

/**
 * Adds the policies each DestinationRule addresses, for clients in its own namespace: every subset (and none)
 * × every port its host declares (or, when the input declares none, each `portLevelSettings` port and none).
 * A rule with a `workloadSelector` is asked for with the selector's labels. Wildcard hosts are asked for as written.
 */
export function addDestinationRulePolicies(model: MeshModel, policies: ConnectionPolicies): void {
  for (const view of model.destinationRules) {
    const raw = view.object.raw;
    const subsets: (string | undefined)[] = [undefined];
    for (const s of asArray(dig(raw, 'spec', 'subsets'))) {
      const name = asString(dig(s, 'name'));
      if (name) subsets.push(name);
    }
    let ports: (number | undefined)[] = declaredPorts(model, view.host).map((d) => d.number);
    if (!ports.length) {
      const set = new Set<number | undefined>([undefined]);
      const collect = (tp: unknown) => asArray(dig(tp, 'portLevelSettings')).forEach((pls) => set.add(asNumber(dig(pls, 'port', 'number'))));
      collect(dig(raw, 'spec', 'trafficPolicy'));
      for (const s of asArray(dig(raw, 'spec', 'subsets'))) collect(asRecord(dig(s, 'trafficPolicy')));
      ports = [...set];
    }
    const clientWorkload = view.workloadSelector ? { name: `workloadSelector ${Object.entries(view.workloadSelector).map(([k, v]) => `${k}=${v}`).join(',')}`, labels: view.workloadSelector } : undefined;
    // Two copies of one object (same namespace and name, e.g. kustomize overlays) are alternative versions: each is
    // analysed as if it were the one deployed, instead of the later one merging into the older one.
    const winner = model.destinationRuleFor(view.namespace, view.host, clientWorkload?.labels);
    const sameObject = winner && winner.primary !== view && winner.primary.object.ref.name === view.object.ref.name && winner.primary.namespace === view.namespace;
    const version = sameObject ? { host: view.host, primary: view, rules: [view] } : undefined;
    for (const subset of subsets) for (const port of ports) policies.get({ clientNamespace: view.namespace, clientWorkload, host: view.host, subset, port, ...(version ? { version } : {}) });
  }
}

/** The policy fields a rule reads, by dotted name, for messages and dedup keys. */
export function policyField(policy: ConnectionPolicy, field: PoolField): Sourced<unknown> | undefined {
  const [block, name] = field.split('.') as ['http' | 'tcp' | 'listener', string];
  return (policy[block] as Record<string, Sourced<unknown> | undefined>)[name];
}

/**
 * Adds the policies of the hops an EnvoyFilter HTTP connection manager patch (`NETWORK_FILTER`) reaches, so its
 * timeouts are seen where no route or DestinationRule of the input asks for that hop yet: each HTTP port of each
 * Kubernetes Service in the filter's namespace (every namespace for a root-namespace filter) that the patch's
 * `listener.portNumber` matches. `SIDECAR_OUTBOUND` patches are asked for from clients in the filter's namespace
 * (with its `workloadSelector` labels), `SIDECAR_INBOUND` ones from the Service's own namespace (the callers'
 * namespace does not change the destination's listener); `ANY` both. `GATEWAY` patches change a gateway's
 * listeners, whose downstream is outside the mesh unless a route sends to the gateway (then that row has them).
 * Linear in patches × Services.
 */
export function addEnvoyFilterListenerPolicies(model: MeshModel, policies: ConnectionPolicies): void {
  const index = model.envoyFilterIndex();
  const patches = index.filters.flatMap((view) => view.patches.filter((p) => p.applyTo === 'NETWORK_FILTER' && p.overrides.length).map((patch) => ({ view, patch })));
  if (!patches.length) return;
  for (const { view, patch } of patches) {
    const root = view.namespace === index.rootNamespace;
    const clientWorkload = view.workloadSelector ? { name: `workloadSelector ${Object.entries(view.workloadSelector).map(([k, v]) => `${k}=${v}`).join(',')}`, labels: view.workloadSelector } : undefined;
    for (const service of model.services) {
      if (!root && service.ref.namespace !== view.namespace) continue;
      const host = model.resolve(service.ref.name, service.ref.namespace);
      for (const port of declaredPorts(model, host)) {
        if (port.protocol !== 'http' || (patch.listenerPort !== undefined && patch.listenerPort !== port.number)) continue;
        if (patch.context === 'SIDECAR_OUTBOUND' || patch.context === 'ANY') policies.get({ clientNamespace: root ? service.ref.namespace : view.namespace, ...(clientWorkload ? { clientWorkload } : {}), host, port: port.number });
        if (patch.context === 'SIDECAR_INBOUND' || patch.context === 'ANY') policies.get({ clientNamespace: service.ref.namespace, host, port: port.number });
      }
    }
  }
}
