/**
 * The connection multiplier: for every route the input defines, the legs a logical request takes, the tries
 * and new TCP connections on each, and the port budget each leg draws from. It reads the neutral records the
 * adapters build (`adapters/istio/connection-policy.ts`, `adapters/istio/retries.ts`,
 * `adapters/workloads/ports.ts`); `docs/model.md` is the reference for every figure.
 */
import type { ManifestObject } from '../load/objects.js';
import type { AppCallSite } from '../source/types.js';
import type { FieldPath } from '../types.js';
import { DEFAULT_EPHEMERAL_PORTS, DEFAULT_PORT_RANGE_HIGH, DEFAULT_PORT_RANGE_LOW, TIME_WAIT_SECONDS } from '../facts.js';
import type { MeshModel, MergedDestinationRule } from './mesh.js';
import { appliesToMesh, httpRouteGateways } from './mesh.js';
import { type CallSiteLink, type UnlinkedCallSite, linkCallSites } from './link.js';
import { asArray, asNumber, asString, dig } from './values.js';
import type { BudgetScope, ConnectionPolicy, DataPlane, PortBudget, RetryPolicy, RouteMirror, TraceItem, TrafficRoute } from './traffic.js';
import { traceAt } from './trace.js';
import { fieldKey } from './traffic.js';
import { ConnectionPolicies, addDestinationRulePolicies } from './adapters/istio/connection-policy.js';
import { defaultRetryPolicy, inboundRetriesFor, retryPolicyOf } from './adapters/istio/retries.js';
import { allHttpRoutes, httpRoutesOf } from './adapters/istio/virtual-service.js';
import { declaredPorts } from './adapters/workloads/ports.js';
import { ambientEnrolment, waypointFor } from './adapters/workloads/ambient.js';
import { gatewayApiRoutes, type GatewayApiRoute } from './adapters/gateway-api/routes.js';

export type { TraceItem } from './traffic.js';
export { traceAt } from './trace.js';

/**
 * One TCP leg of a request (`docs/model.md`, "Legs"): who opens it, how often, and whose ephemeral ports its
 * new connections consume.
 */
export interface Leg {
  /** e.g. `app → sidecar`, `sidecar → api.example.com:80`, `egress gateway → api.example.com:443`. */
  name: string;
  /** Which proxy opens this leg's connections (`none`: the application itself). */
  dataPlane: DataPlane;
  /** Tries on this leg per logical request: the product of every retry factor at or before it. */
  tries: number;
  /** New TCP connections per try: 1 when keep-alive is off, 1/N for `maxRequestsPerConnection: N`, 0 when pooled. */
  connectionsPerTry: number;
  /** The port budget the leg's connections are charged to: the pod's network namespace, or the node's SNAT address. */
  budget: BudgetScope;
  /** True when this leg leaves the node towards an external address: SNAT'd onto the node's ports (`budget` is `node`). */
  snat: boolean;
  /** The effective connection policy the proxy applies on this leg (proxy legs only; not PassthroughCluster). */
  policy?: ConnectionPolicy;
  trace: TraceItem[];
  /**
   * The receiving sidecar's own retries (Istio ≥ 1.24: `reset-before-request`, 2 retries) on the last leg of an
   * in-mesh HTTP route: up to `tries × (1 + attempts)` tries from the server's sidecar to its application. They
   * open connections in the server's pod, so they multiply that hop, not this row's budgets.
   */
  inboundRetries?: { attempts: number; retryOn: string };
}

/** The connection multiplier of one route: a client scope (and call site) calling one destination port. */
export interface RouteMultiplier {
  /** Client namespace; rows are computed for clients in the namespace of the VirtualService (or ServiceEntry) that defines the route. */
  clientNamespace: string;
  /** North-south rows: the gateway proxy that is the client, `<namespace>/<deployment>` (e.g. `infra/ingress-istio`). */
  client?: string;
  sidecar: boolean | undefined;
  sidecarReason: string;
  /** Destination host (FQDN) the client calls. */
  host: string;
  /** Destination the route sends to, when it differs from `host` (e.g. an egress gateway). */
  destination: string;
  subset?: string;
  /** Destination port: `destination.port.number`, else each port the destination declares (one row per port). */
  port?: number;
  /** `http` when the sidecar sees HTTP (retries and `http` pool settings apply), else `tcp` (opaque TLS, TCP). */
  protocol: 'http' | 'tcp';
  external: boolean;
  /** The object and field that defines the route: a VirtualService `http[i]` or a ServiceEntry host. */
  definedBy: { object: ManifestObject; path: FieldPath };
  legs: Leg[];
  /** Extra new connections per request from mirroring: mirrorPercentage × the mirror destination's figure. */
  mirrors: { host: string; subset?: string; port?: number; percentage: number; connections: number; budget: BudgetScope; trace: TraceItem[] }[];
  /** Worst-case new connections per logical request, M: Σ legs tries × connectionsPerTry + mirrors. */
  total: number;
  /** New connections per request SNAT'd onto the node's ports (the share of M on `node`-budget legs). */
  snatConnections: number;
  /** Each budget the route draws from, with its exhaustion rate; set by `computeMultipliers`. */
  budgets: PortBudget[];
  /** The tightest budget (lowest exhaustion rate; with no churn, `node` when any leg is SNAT'd, else `pod`). */
  budgetScope: BudgetScope;
  /** New connections per request that draw on the tightest budget. */
  budgetConnections: number;
  /** Usable ephemeral ports of the tightest budget (range less reserved); set by `computeMultipliers`. */
  budgetPorts?: number;
  /** Where `budgetPorts` came from: each sysctl with its file:line, or the default that applied. */
  budgetTrace?: TraceItem[];
  /** Requests/s at which TIME_WAIT fills the tightest budget: ports / (budgetConnections × TIME_WAIT seconds); null when nothing churns. */
  exhaustionRps: number | null;
  /** Request rate of this route, requests/s (`--rps`, or the configuration's `rps` entry for its host or workload); absent when none is given. */
  rps?: number;
  /** Ports held in TIME_WAIT at the route's request rate on the tightest budget: rps × budgetConnections × TIME_WAIT seconds; absent without a rate. */
  portsHeld?: number;
  /** The application call site of this row (one row per linked call site), or null when the app leg was not analysed. */
  appLeg: AppCallSite | null;
  /** The client calls a port the host does not declare: PassthroughCluster, no DestinationRule or VirtualService applies. */
  passthrough?: boolean;
  /** The effective policy of the client proxy's upstream hop, when a proxy makes it (not for PassthroughCluster). */
  connectionPolicy?: ConnectionPolicy;
  /** The retry policy of the route, for HTTP routes through a proxy. */
  retryPolicy?: RetryPolicy;
  /** Human notes (assumptions that applied). */
  notes: string[];
}

/** Inputs of the arithmetic besides the model. */
export interface MultiplierOptions {
  /** Request rate per route, requests/s (`--rps`). */
  rps?: number;
  /** Rate of one route, requests/s, where it differs from `rps` (the configuration's per-host / per-workload `rps`); undefined → `rps`. */
  rpsFor?: (route: RouteMultiplier) => number | undefined;
  /** Usable ephemeral ports per source IP (range less reserved); default 28,232 (Linux 32768–60999). */
  ports?: number;
  /** Seconds a port stays in TIME_WAIT; default 60 (`TCP_TIMEWAIT_LEN`). */
  timeWaitSeconds?: number;
  /**
   * Application call sites from source scanning. Each is linked to the route its host and port reach
   * (see `link.ts`); each (route, call site) pair is a row of its own. Call sites whose client or route no
   * row covers yet get rows of their own.
   */
  callSites?: readonly AppCallSite[];
  /** Receives the call sites that could not be linked to the mesh, with the reason. */
  onUnlinked?: (unlinked: UnlinkedCallSite) => void;
  /**
   * The port budget of a route from the node settings (`NodeSettings.budgetFor` in `src/node/settings.ts`):
   * the node's for `node` scope, the client pods' for `pod` scope. `ports`, when given, wins over it.
   */
  budgetFor?: (scope: 'node' | 'pod', clientNamespace: string) => PortBudgetFigure;
}

/** Usable ephemeral ports for a route's budget, with the facts behind the figure and notes (e.g. `tcp_tw_reuse = 1`). */
export interface PortBudgetFigure {
  /** Ports (range less reserved). */
  ports: number;
  trace: TraceItem[];
  notes: string[];
}

/**
 * The traffic model of one run: the multiplier rows and every effective connection and retry policy the
 * rules visit. `timeWaitSeconds` is the TIME_WAIT the arithmetic used (findings quote it).
 */
export interface TrafficModel {
  routes: RouteMultiplier[];
  /** Every HTTP route of the input (mesh- and gateway-bound), extracted once. */
  trafficRoutes: TrafficRoute[];
  connectionPolicies: ConnectionPolicy[];
  retryPolicies: RetryPolicy[];
  /** Seconds (`--time-wait`, default 60). */
  timeWaitSeconds: number;
}

/**
 * Builds the traffic model: {@link computeMultipliers} plus the connection policies each DestinationRule
 * addresses (so rules see a setting where no route of the input reaches yet) and the retry policies of the rows.
 */
export function buildTrafficModel(model: MeshModel, options: MultiplierOptions = {}): TrafficModel {
  const policies = new ConnectionPolicies(model);
  const routes = computeRows(model, options, policies);
  addDestinationRulePolicies(model, policies);
  const trafficRoutes = [...allHttpRoutes(model), ...modelledGatewayApiRoutes(model)];
  // Every route's policy once (by the route field it is defined at), then the defaults of hosts no route covers.
  const retryPolicies: RetryPolicy[] = [];
  const seen = new Set<string>();
  const add = (p: RetryPolicy | undefined) => {
    if (!p) return;
    const key = fieldKey(p.route);
    if (seen.has(key)) return;
    seen.add(key);
    retryPolicies.push(p);
  };
  for (const r of trafficRoutes) add(r.retryPolicy);
  for (const r of routes) add(r.retryPolicy);
  return { routes, trafficRoutes, connectionPolicies: policies.all(), retryPolicies, timeWaitSeconds: options.timeWaitSeconds ?? TIME_WAIT_SECONDS };
}

/**
 * Computes the connection multiplier for every route the input defines: each HTTP route destination of a
 * mesh-bound VirtualService (client scope: the VirtualService's namespace), one row per destination port it can
 * reach, and each `MESH_EXTERNAL` ServiceEntry host and port that no VirtualService routes (client scope: the
 * entry's namespace; Istio's default route with its default retries applies). Stated assumptions: the client
 * side closes first (worst case), `tcp_tw_reuse` ≠ 1, one destination `ip:port`.
 */
export function computeMultipliers(model: MeshModel, options: MultiplierOptions = {}): RouteMultiplier[] {
  return computeRows(model, options, new ConnectionPolicies(model));
}

function computeRows(model: MeshModel, options: MultiplierOptions, policies: ConnectionPolicies): RouteMultiplier[] {
  const ports = options.ports ?? DEFAULT_EPHEMERAL_PORTS;
  const tw = options.timeWaitSeconds ?? TIME_WAIT_SECONDS;
  const specs: RowInput[] = [];
  const routedHosts = new Set<string>();

  for (const vs of model.virtualServices) {
    if (!appliesToMesh(vs)) continue;
    const ns = vs.ref.namespace;
    const vsHosts = asArray(dig(vs.raw, 'spec', 'hosts')).filter((h): h is string => typeof h === 'string').map((h) => model.resolve(h, ns));
    vsHosts.forEach((h) => routedHosts.add(h));
    const callHost = vsHosts.find((h) => !h.startsWith('*'));
    asArray(dig(vs.raw, 'spec', 'http')).forEach((_route, i) => { for (const s of routeSpecs(model, vs, i, ns, callHost)) specs.push(s); });
  }

  specs.push(...gatewayApiRowInputs(model, routedHosts));

  for (const se of model.serviceEntries) {
    if (asString(dig(se.raw, 'spec', 'location')) === 'MESH_INTERNAL') continue;
    const ns = se.ref.namespace;
    asArray(dig(se.raw, 'spec', 'hosts')).forEach((h, hi) => {
      const host = asString(h)?.toLowerCase();
      if (!host || host.startsWith('*') || routedHosts.has(host)) return;
      asArray(dig(se.raw, 'spec', 'ports')).forEach((p) => {
        const port = asNumber(dig(p, 'number'));
        const protocol = isHttpProtocol(asString(dig(p, 'protocol'))) ? 'http' : 'tcp';
        specs.push({
          clientNamespace: ns,
          host,
          destination: host,
          port,
          callPort: port,
          protocol,
          definedBy: { object: se, path: ['spec', 'hosts', hi] },
          retries: protocol === 'http' ? defaultRetryPolicy(model, se, ['spec', 'hosts', hi], 'no VirtualService routes this host', { clientNamespace: ns, host }) : undefined,
          mirrors: [],
        });
      });
    });
  }

  // Application call sites: join the rows their host/port/client reach, or get rows of their own.
  const linked = new Map<RowInput, CallSiteLink[]>();
  if (options.callSites?.length) {
    const { links, unlinked } = linkCallSites(model, options.callSites);
    for (const u of unlinked) options.onUnlinked?.(u);
    for (const link of links) {
      let targets = specs.filter((spec) => specMatches(spec, link));
      if (!targets.length) {
        targets = specsForLink(model, link);
        for (const t of targets) specs.push(t);
      }
      for (const t of targets) linked.set(t, [...(linked.get(t) ?? []), link]);
    }
  }

  // Each (route, call site) pair is its own row: a second call site never hides the first one's figure.
  const rows = specs.flatMap((spec) => {
    const links = distinctSites(linked.get(spec));
    return links.length ? links.map((link) => buildRow(model, policies, spec, link)) : [buildRow(model, policies, spec, undefined)];
  });
  for (const row of rows) {
    const figureFor = (scope: BudgetScope): PortBudgetFigure =>
      options.ports !== undefined || !options.budgetFor ? { ports, trace: [{ text: options.ports !== undefined ? `ports = ${ports} (--port-range / ports option)` : `ports = ${ports} (Linux default range ${DEFAULT_PORT_RANGE_LOW}-${DEFAULT_PORT_RANGE_HIGH})` }], notes: [] } : options.budgetFor(scope, row.clientNamespace);
    chargeBudgets(row, figureFor, tw);
    const rate = options.rpsFor?.(row) ?? options.rps;
    if (rate !== undefined) {
      row.rps = rate;
      row.portsHeld = rate * row.budgetConnections * tw;
    }
  }
  return rows;
}

/**
 * Charges every leg's (and mirror's) new connections to the budget it draws from and picks the tightest:
 * the lowest exhaustion rate; with nothing churning, the node's when any leg is SNAT'd, else the pod's.
 */
function chargeBudgets(row: RouteMultiplier, figureFor: (scope: BudgetScope) => PortBudgetFigure, tw: number): void {
  const connections: Record<BudgetScope, number> = { pod: 0, node: 0 };
  const present = new Set<BudgetScope>();
  for (const leg of row.legs) {
    connections[leg.budget] += leg.tries * leg.connectionsPerTry;
    present.add(leg.budget);
  }
  for (const m of row.mirrors) {
    connections[m.budget] += m.connections;
    present.add(m.budget);
  }
  row.budgets = (['pod', 'node'] as const).filter((scope) => present.has(scope)).map((scope) => {
    const figure = figureFor(scope);
    for (const note of figure.notes) if (!row.notes.includes(note)) row.notes.push(note);
    return { scope, ports: figure.ports, connections: connections[scope], exhaustionRps: connections[scope] > 0 ? figure.ports / (connections[scope] * tw) : null, trace: figure.trace };
  });
  const churning = row.budgets.filter((b) => b.exhaustionRps !== null).sort((a, b) => a.exhaustionRps! - b.exhaustionRps!);
  const tightest = churning[0] ?? row.budgets.find((b) => b.scope === 'node') ?? row.budgets[0]!;
  row.snatConnections = connections.node;
  row.budgetScope = tightest.scope;
  row.budgetConnections = tightest.connections;
  row.budgetPorts = tightest.ports;
  row.budgetTrace = tightest.trace;
  row.exhaustionRps = tightest.exhaustionRps;
}

/**
 * Ports a route destination without `port` reaches: the route's `match[].port` when it names one; else each
 * HTTP port the destination declares (Istio builds a cluster per port, `outbound|<port>|<subset>|<host>`, each
 * with its own `portLevelSettings`); a destination with only TLS/TCP ports gets a row per port; none declared → one row, port unknown.
 */
function destinationPorts(model: MeshModel, destination: string, callPort: number | undefined): (number | undefined)[] {
  if (callPort !== undefined) return [callPort];
  const declared = declaredPorts(model, destination);
  const http = declared.filter((p) => p.protocol === 'http');
  const chosen = http.length ? http : declared;
  return chosen.length ? chosen.map((p) => p.number) : [undefined];
}

/** One row per backend (and per port it reaches) of the mesh VirtualService's `http[i]` route, for clients in `clientNamespace`. */
function routeSpecs(model: MeshModel, vs: ManifestObject, i: number, clientNamespace: string, callHost: string | undefined): RowInput[] {
  const route = httpRoutesOf(model, vs)[i];
  if (!route || !route.gateways.includes('mesh')) return []; // a route only for gateways (match.gateways)
  const out: RowInput[] = [];
  for (const backend of route.backends) {
    const host = callHost ?? backend.host;
    const retries = route.retryPolicy && (route.retryPolicy.host === host ? route.retryPolicy : { ...route.retryPolicy, clientNamespace, host });
    for (const port of backend.port !== undefined ? [backend.port] : destinationPorts(model, backend.host, route.matchPort)) {
      out.push({
        clientNamespace,
        host,
        destination: backend.host,
        subset: backend.subset,
        port,
        callPort: route.matchPort,
        protocol: 'http',
        definedBy: backend.at,
        retries,
        mirrors: route.mirrors,
      });
    }
  }
  return out;
}

/** Whether an existing row is the route a linked call site takes: same client namespace (when known), host, protocol and port. */
function specMatches(spec: RowInput, link: CallSiteLink): boolean {
  if (link.clientNamespace !== undefined && spec.clientNamespace !== link.clientNamespace) return false;
  if (spec.host !== link.host || spec.protocol !== link.protocol || Boolean(spec.passthrough) !== link.passthrough) return false;
  const port = spec.callPort ?? (spec.destination === spec.host ? spec.port : undefined);
  return port === undefined || link.port === undefined || port === link.port;
}

/**
 * Rows for a call site that no existing row covers: PassthroughCluster for an undeclared port; for HTTP, the
 * first mesh VirtualService route the client's namespace sees for the host whose `match` allows the port
 * (Istio's default route with its default retries when there is none); for TCP, the host itself.
 */
function specsForLink(model: MeshModel, link: CallSiteLink): RowInput[] {
  if (!link.declaredBy) return [];
  const clientNamespace = link.clientNamespace ?? link.declaredBy.object.ref.namespace;
  const base = { clientNamespace, host: link.host, destination: link.host, port: link.port, callPort: link.port, definedBy: link.declaredBy, mirrors: [] };
  if (link.passthrough) return [{ ...base, protocol: 'tcp', passthrough: true }];
  if (link.protocol === 'tcp') return [{ ...base, protocol: 'tcp' }];
  for (const vs of model.virtualServicesFor(clientNamespace, link.host)) {
    const i = asArray(dig(vs.raw, 'spec', 'http')).findIndex((route) => {
      if (!httpRouteGateways(vs, route).includes('mesh')) return false;
      const matches = asArray(dig(route, 'match'));
      return matches.length === 0 || matches.some((m) => {
        const p = asNumber(dig(m, 'port'));
        return p === undefined || link.port === undefined || p === link.port;
      });
    });
    if (i >= 0) {
      const specs = routeSpecs(model, vs, i, clientNamespace, link.host).filter((spec) => link.port === undefined || spec.port === undefined || spec.destination !== link.host || spec.port === link.port);
      for (const spec of specs) spec.callPort = spec.callPort ?? link.port;
      if (specs.length) return specs;
    }
  }
  return [{ ...base, protocol: 'http', retries: defaultRetryPolicy(model, link.declaredBy.object, link.declaredBy.path, `no VirtualService route for ${link.host}${link.port ? `:${link.port}` : ''}`, { clientNamespace, host: link.host }) }];
}

/** New connections per try the application makes at a call site: 1 for a client built per request or keep-alive off, else pooled (0). */
function appConnectionsPerTry(site: AppCallSite): number {
  return site.clientPerRequest || site.keepAliveOff ? 1 : 0;
}

/** The links of one row, one per distinct call site (file:line:column and workload), in input order. */
function distinctSites(links: readonly CallSiteLink[] | undefined): CallSiteLink[] {
  if (!links?.length) return [];
  const seen = new Set<string>();
  return links.filter((l) => {
    const key = `${l.site.file}:${l.site.line}:${l.site.column}|${l.client?.object.ref.name ?? ''}|${l.clientNamespace ?? ''}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

/** Protocols on which the sidecar sees HTTP (Istio protocol selection: HTTP, HTTP2, GRPC, GRPC-Web). */
export function isHttpProtocol(protocol: string | undefined): boolean {
  const p = (protocol ?? '').toUpperCase();
  return p === 'HTTP' || p === 'HTTP2' || p === 'GRPC' || p === 'GRPC-WEB' || p === 'HTTP_PROXY';
}

/** Retries of the route at `routePath` of `vs` (see `adapters/istio/retries.ts`): attempts and the trace item saying why. */
export function retriesOf(model: MeshModel, vs: ManifestObject, routePath: FieldPath): { attempts: number; trace: TraceItem } {
  const policy = retryPolicyOf(model, vs, routePath, { clientNamespace: vs.ref.namespace, host: '' });
  return { attempts: policy.attempts.value, trace: policy.attempts.trace };
}

/**
 * New connections per try on the sidecar's upstream leg from the effective `connectionPool` of a merged
 * DestinationRule (HTTP port assumed): `http.maxRequestsPerConnection` 1 → 1 (keep-alive off), N → 1/N, unset or 0 → pooled (0).
 */
export function sidecarConnectionsPerTry(model: MeshModel, dr: MergedDestinationRule | null, subset: string | undefined, port: number | undefined): { value: number; trace: TraceItem } {
  const pool = model.effectivePolicy(dr, subset, port).connectionPool;
  if (!dr && !pool) return { value: 0, trace: { text: 'no DestinationRule: pooled (keep-alive on by default)' } };
  const mrpc = pool ? asNumber(dig(pool.value, 'http', 'maxRequestsPerConnection')) : undefined;
  if (!pool || mrpc === undefined || mrpc <= 0) {
    return { value: 0, trace: pool ? traceAt('keep-alive on (maxRequestsPerConnection unset): pooled', pool.object, pool.path) : traceAt('keep-alive on (maxRequestsPerConnection unset): pooled', dr!.primary.object, ['spec', 'host']) };
  }
  return { value: 1 / mrpc, trace: traceAt(`maxRequestsPerConnection: ${mrpc}${mrpc === 1 ? ' (keep-alive off)' : ''}`, pool.object, [...pool.path, 'http', 'maxRequestsPerConnection']) };
}

interface RowInput {
  clientNamespace: string;
  host: string;
  destination: string;
  subset?: string;
  /** Upstream port the route sends to (`destination.port.number`, a declared port of the destination, the ServiceEntry port). */
  port?: number;
  /** Port the client calls, when the route is limited to one (ServiceEntry port, `match[].port`); undefined = any HTTP port of the host. */
  callPort?: number;
  protocol: 'http' | 'tcp';
  /** The port is not declared for the host: the sidecar passes the connection through (PassthroughCluster). */
  passthrough?: boolean;
  definedBy: { object: ManifestObject; path: FieldPath };
  retries?: RetryPolicy;
  mirrors: readonly RouteMirror[];
  /** North-south rows: the Istio gateway whose Envoy applies the route (the client); absent for sidecar/ambient clients. */
  gateway?: GatewayClient;
}

function buildRow(model: MeshModel, policies: ConnectionPolicies, input: RowInput, link: CallSiteLink | undefined): RouteMultiplier {
  const namespaceSidecar = model.sidecarForCall(input.clientNamespace, input.host, input.port);
  const clientSidecar = link?.client?.sidecar;
  const { sidecar, reason } = clientSidecar !== undefined ? { sidecar: clientSidecar, reason: link!.client!.sidecarReason } : namespaceSidecar;
  const external = model.isExternal(input.host);
  const notes: string[] = [];
  const appLeg = link?.site ?? null;
  const appTries = appLeg?.appTries ?? 1;
  const appConns = appLeg ? appConnectionsPerTry(appLeg) : 0;
  const appTrace: TraceItem[] = link ? appLegTrace(link) : [{ text: 'app leg: not analysed (no source given); counted as pooled, 1 try' }];
  if (link?.assumedNamespace) notes.push(`client namespace ${input.clientNamespace} assumed for ${link.site.file}:${link.site.line} (map its directory to a workload in source.workloads)`);
  const legs: Leg[] = [];
  const hasSidecar = sidecar !== false;
  if (sidecar === undefined && !input.gateway && !ambientEnrolment(model, input.clientNamespace, link?.client?.podLabels, sidecar).ambient) notes.push(`sidecar ${reason}`);
  const viaGateway = hasSidecar && /egressgateway/.test(input.destination) && input.destination !== input.host;
  const clientWorkload = link?.client ? { name: `${link.client.object.ref.kind} ${link.client.namespace}/${link.client.object.ref.name}`, labels: link.client.podLabels } : undefined;
  let connectionPolicy: ConnectionPolicy | undefined;
  let retryPolicy: RetryPolicy | undefined;

  const ambient = ambientEnrolment(model, input.clientNamespace, link?.client?.podLabels, sidecar);
  if (input.gateway) {
    ({ connectionPolicy, retryPolicy } = gatewayLegs(model, policies, input, input.gateway, external, legs));
  } else if (ambient.ambient) {
    notes.push(`ambient: ${ambient.reason} (no sidecar; ${waypointFor(model, input.destination) ? 'ztunnel and a waypoint carry' : 'ztunnel carries'} the request)`);
    ({ connectionPolicy, retryPolicy } = ambientLegs(model, policies, input, ambient.reason, { appTries, appConns, appTrace, external, clientWorkload }, legs, notes));
  } else if (!hasSidecar) {
    legs.push({ name: `app → ${input.host}`, dataPlane: 'none', tries: appTries, connectionsPerTry: appConns, budget: external ? 'node' : 'pod', snat: external, trace: [...appTrace, { text: `no sidecar: ${reason}; mesh settings do not apply` }] });
  } else {
    legs.push({ name: 'app → sidecar', dataPlane: 'none', tries: appTries, connectionsPerTry: appConns, budget: 'pod', snat: false, trace: appTrace });
    const http = input.protocol === 'http';
    if (http && input.retries) retryPolicy = input.retries;
    const sidecarTries = http && input.retries ? appTries * (1 + input.retries.attempts.value) : appTries;
    let conns: { value: number; trace: TraceItem };
    if (input.passthrough) {
      conns = { value: appConns, trace: { text: 'PassthroughCluster: one upstream connection per app connection; no VirtualService or DestinationRule settings apply' } };
    } else {
      // The app originating TLS makes the port opaque TLS to the sidecar, whatever the port declares.
      const protocol = !http ? { value: 'tls' as const, reason: 'the sidecar sees TLS or TCP from the application' } : undefined;
      connectionPolicy = policies.get({ clientNamespace: input.clientNamespace, clientWorkload, host: input.destination, subset: input.subset, port: input.port, ...(protocol && (input.port === undefined || declaredHttp(model, input.destination, input.port)) ? { protocol } : {}) });
      conns = connectionPolicy.protocol === 'http' && http ? { value: connectionPolicy.connectionsPerTry, trace: connectionPolicy.connectionsTrace } : { value: appConns, trace: { text: `${connectionPolicy.protocol === 'http' ? 'TCP/opaque TLS' : connectionPolicy.protocol.toUpperCase()} (${connectionPolicy.protocolReason}): one upstream connection per app connection` } };
    }
    const trace: TraceItem[] = [];
    if (retryPolicy) trace.push(retryPolicy.attempts.trace);
    trace.push(conns.trace);
    const target = input.passthrough ? `PassthroughCluster (${input.destination}${input.port ? `:${input.port}` : ''})` : `${input.destination}${input.port ? `:${input.port}` : ''}`;
    const snat = external && !viaGateway;
    // Istio ≥ 1.24: the receiving sidecar retries requests reset before they reached its application (versions.ts).
    const inbound = http && !input.passthrough && !viaGateway ? inboundRetriesFor(model, input.destination, input.port) : undefined;
    if (inbound) trace.push(inbound.trace);
    legs.push({ name: `sidecar → ${target}`, dataPlane: 'sidecar', tries: sidecarTries, connectionsPerTry: conns.value, budget: snat ? 'node' : 'pod', snat, ...(connectionPolicy ? { policy: connectionPolicy } : {}), trace, ...(inbound ? { inboundRetries: { attempts: inbound.attempts, retryOn: inbound.retryOn } } : {}) });
    if (viaGateway) {
      const gw = gatewayRoute(model, input.host);
      const gwTries = sidecarTries * (1 + (gw?.retries.attempts.value ?? 0));
      const gwNs = gw?.vs.ref.namespace ?? model.settings.rootNamespace;
      const gwPolicy = policies.get({ clientNamespace: gwNs, host: input.host, subset: gw?.subset, port: gw?.port, dataPlane: 'gateway', context: 'GATEWAY' });
      legs.push({
        name: `egress gateway → ${input.host}${gw?.port ? `:${gw.port}` : ''}`,
        dataPlane: 'gateway',
        tries: gwTries,
        connectionsPerTry: gwPolicy.connectionsPerTry,
        budget: external ? 'node' : 'pod',
        snat: external,
        policy: gwPolicy,
        trace: [gw ? gw.retries.attempts.trace : { text: 'no gateway VirtualService found for this host: 1 try' }, gwPolicy.connectionsTrace],
      });
    }
  }
  const mirrors = input.mirrors.map((m) => {
    // A mirror without a port goes to the port the request came in on when the mirror host declares it, else its only port.
    const mirrorPorts = declaredPorts(model, m.host);
    const port = m.port ?? (input.port !== undefined && (mirrorPorts.length === 0 || mirrorPorts.some((p) => p.number === input.port)) ? input.port : mirrorPorts.length === 1 ? mirrorPorts[0]!.number : undefined);
    const policy = policies.get({ clientNamespace: input.clientNamespace, clientWorkload, host: m.host, subset: m.subset, port });
    const mirrorExternal = model.isExternal(m.host);
    return {
      host: m.host,
      ...(m.subset ? { subset: m.subset } : {}),
      ...(port !== undefined ? { port } : {}),
      percentage: m.percentage,
      connections: (m.percentage / 100) * appTries * policy.connectionsPerTry,
      budget: (mirrorExternal ? 'node' : 'pod') as BudgetScope,
      trace: [traceAt(`mirror ${m.percentage}% to ${m.host}${m.subset ? ` subset ${m.subset}` : ''}${port !== undefined ? `:${port}` : ''}`, m.at.object, m.at.path), policy.connectionsTrace],
    };
  });
  const total = legs.reduce((sum, leg) => sum + leg.tries * leg.connectionsPerTry, 0) + mirrors.reduce((s, m) => s + m.connections, 0);
  return {
    clientNamespace: input.clientNamespace,
    ...(input.gateway ? { client: `${input.gateway.namespace}/${input.gateway.deployment}` } : {}),
    sidecar: input.gateway ? false : ambient.ambient ? false : sidecar,
    sidecarReason: input.gateway ? `north-south: gateway ${input.gateway.namespace}/${input.gateway.deployment} applies the route (Gateway ${input.gateway.key})` : ambient.ambient ? `ambient: ${ambient.reason}` : reason,
    host: input.host,
    destination: input.destination,
    subset: input.subset,
    port: input.port,
    protocol: input.protocol,
    external,
    definedBy: input.definedBy,
    legs,
    mirrors,
    total,
    snatConnections: 0,
    budgets: [],
    budgetScope: 'pod',
    budgetConnections: 0,
    exhaustionRps: null,
    appLeg,
    ...(input.passthrough ? { passthrough: true } : {}),
    ...(connectionPolicy ? { connectionPolicy } : {}),
    ...(retryPolicy ? { retryPolicy } : {}),
    notes,
  };
}

/** Whether `port` of `host` is declared HTTP (or not declared): then the TLS the app originates is what makes it opaque. */
function declaredHttp(model: MeshModel, host: string, port: number): boolean {
  const declared = declaredPorts(model, host).find((p) => p.number === port);
  return !declared || declared.protocol === 'http';
}

/** The gateway-bound VirtualService route for `host` (egress pattern): its retries and destination port. */
function gatewayRoute(model: MeshModel, host: string): { vs: ManifestObject; retries: RetryPolicy; port?: number; subset?: string } | null {
  for (const vs of model.virtualServicesWithHost(host)) {
    const http = asArray(dig(vs.raw, 'spec', 'http'));
    const onGateway = (r: unknown) => httpRouteGateways(vs, r).some((g) => g !== 'mesh');
    const i = http.findIndex((r) => onGateway(r) && asArray(dig(r, 'route')).some((d) => model.resolve(asString(dig(d, 'destination', 'host')) ?? '', vs.ref.namespace) === host));
    if (i < 0) continue;
    const dest = asArray(dig(http[i], 'route')).find((d) => model.resolve(asString(dig(d, 'destination', 'host')) ?? '', vs.ref.namespace) === host);
    return { vs, retries: retryPolicyOf(model, vs, ['spec', 'http', i], { clientNamespace: vs.ref.namespace, host }), port: asNumber(dig(dest, 'destination', 'port', 'number')), subset: asString(dig(dest, 'destination', 'subset')) };
  }
  return null;
}

/**
 * The trace of an application leg taken from source: the call site (file:line:column) with what was seen
 * there and what it means per try, then how the call was linked to this route (port, protocol).
 */
function appLegTrace(link: CallSiteLink): TraceItem[] {
  const site = link.site;
  const conns = appConnectionsPerTry(site);
  const perTry = conns ? 'a new connection per try' : 'pooled (keep-alive)';
  const tries = site.appTries > 1 ? `, ${site.appTries} tries per request` : ', 1 try';
  const trace: TraceItem[] = [{ text: `app: ${site.evidence} → ${perTry}${tries}`, location: { file: site.file, line: site.line, column: site.column } }];
  for (const t of link.trace) trace.push(t.at ? traceAt(t.text, t.at.object, t.at.path) : { text: t.text });
  return trace;
}

// ---- Gateway API routes → multiplier inputs (adapters/gateway-api) ----

/**
 * The Gateway API route rules of the input. Rules attached only to Gateways of another implementation (or refused by
 * every parent) carry no backends, mirrors or retry policy: meshlint does not model that implementation, and the
 * rule's `notApplied` says why (`adapters/gateway-api/routes.ts`).
 */
export function modelledGatewayApiRoutes(model: MeshModel): readonly GatewayApiRoute[] {
  // The adapter already empties what no modelled parent applies; those rules stay visible for their `notApplied` findings.
  return gatewayApiRoutes(model);
}

/**
 * Multiplier inputs of HTTPRoute/GRPCRoute rules attached to a mesh Service (GAMMA, east-west): the client's
 * sidecar applies them like a VirtualService `http` route (client scope: the route's namespace), one row per
 * backend and port. Hosts they route are added to `routedHosts`. Gateway-attached rules (north-south) are
 * `TrafficRoute` records only: no client sidecar row is built for them.
 */
function gatewayApiRowInputs(model: MeshModel, routedHosts: Set<string>): RowInput[] {
  const out: RowInput[] = [];
  for (const route of gatewayApiRoutes(model)) {
    const meshParents = route.parents.filter((p) => p.kind === 'mesh');
    for (const parent of meshParents) {
      routedHosts.add(parent.name);
      const retries = route.retryPolicy && (route.retryPolicy.host === parent.name ? route.retryPolicy : { ...route.retryPolicy, host: parent.name });
      for (const backend of route.backends) {
        for (const port of backend.port !== undefined ? [backend.port] : destinationPorts(model, backend.host, parent.port)) {
          out.push({ clientNamespace: route.namespace, host: parent.name, destination: backend.host, port, callPort: parent.port, protocol: 'http', definedBy: backend.at, retries, mirrors: route.mirrors });
        }
      }
    }
    // North-south: the Istio gateway's Envoy applies the rule; its Deployment is the client (gatewayLegs).
    for (const parent of route.parents) {
      const gateway = parent.gateway;
      if (parent.kind !== 'gateway' || !parent.applied || !gateway || gateway.implementation !== 'istio') continue;
      const client = { key: gateway.key, deployment: gateway.deployment, namespace: gateway.object.ref.namespace, at: parent.at };
      for (const backend of route.backends) {
        const retries = route.retryPolicy && { ...route.retryPolicy, clientNamespace: client.namespace, host: backend.host };
        for (const port of backend.port !== undefined ? [backend.port] : destinationPorts(model, backend.host, undefined)) {
          out.push({ clientNamespace: client.namespace, host: backend.host, destination: backend.host, port, callPort: port, protocol: 'http', definedBy: backend.at, retries, mirrors: route.mirrors, gateway: client });
        }
      }
    }
  }
  return out;
}

/**
 * The legs of a north-south row (`docs/model.md`, "Gateway API"): downstream clients connect to the gateway's
 * listener (their own ephemeral ports, not the mesh's), then the gateway's Envoy (Istio's Deployment
 * `<gateway>-<class>`) applies the route: 1 + retries tries to the backend, with the connectionPool the
 * gateway's namespace sees for that host (EnvoyFilter context GATEWAY). The gateway pod is in the mesh, so in-mesh
 * backends draw on its pod's ports; an external backend is SNAT'd onto its node's ports.
 */
function gatewayLegs(
  model: MeshModel,
  policies: ConnectionPolicies,
  input: RowInput,
  client: GatewayClient,
  external: boolean,
  legs: Leg[],
): { connectionPolicy: ConnectionPolicy; retryPolicy?: RetryPolicy } {
  const gatewayName = `gateway ${client.namespace}/${client.deployment}`;
  legs.push({ name: `downstream → ${gatewayName}`, dataPlane: 'none', tries: 1, connectionsPerTry: 0, budget: 'pod', snat: false, trace: [traceAt(`north-south: ${gatewayName} (Istio's Deployment for Gateway ${client.key}) accepts downstream connections on its listener; they use the downstream clients' ports`, client.at.object, client.at.path)] });
  const retryPolicy = input.retries;
  const tries = 1 + (retryPolicy?.attempts.value ?? 0);
  const connectionPolicy = policies.get({ clientNamespace: client.namespace, host: input.destination, subset: input.subset, port: input.port, dataPlane: 'gateway', context: 'GATEWAY' });
  const trace: TraceItem[] = [];
  if (retryPolicy) trace.push(retryPolicy.attempts.trace);
  trace.push(connectionPolicy.connectionsTrace);
  const inbound = !external ? inboundRetriesFor(model, input.destination, input.port) : undefined;
  if (inbound) trace.push(inbound.trace);
  trace.push({ text: external ? `${input.destination} is outside the mesh: the gateway pod's connections are SNAT'd onto its node's ports` : "the gateway pod is in the mesh: its own ephemeral ports pay for these connections" });
  const target = `${input.destination}${input.port ? `:${input.port}` : ''}`;
  legs.push({ name: `${gatewayName} → ${target}`, dataPlane: 'gateway', tries, connectionsPerTry: connectionPolicy.connectionsPerTry, budget: external ? 'node' : 'pod', snat: external, policy: connectionPolicy, trace, ...(inbound ? { inboundRetries: { attempts: inbound.attempts, retryOn: inbound.retryOn } } : {}) });
  return { connectionPolicy, ...(retryPolicy ? { retryPolicy } : {}) };
}

/** The gateway proxy that is a north-south row's client. */
interface GatewayClient {
  /** `<namespace>/<name>` of the Gateway. */
  key: string;
  /** Istio's Deployment for it (`<name>-<gatewayClassName>`). */
  deployment: string;
  namespace: string;
  /** The route's parentRef. */
  at: { object: ManifestObject; path: FieldPath };
}

// ---- Ambient data plane (adapters/workloads/ambient) → legs ----

/** ztunnel's HBONE pool: streams per HTTP/2 CONNECT connection (istio/ztunnel `src/config.rs`, `POOL_MAX_STREAMS_PER_CONNECTION`, default 100). */
const HBONE_STREAMS_PER_CONNECTION = 100;

/**
 * The legs of a route whose client is enrolled in ambient (`docs/model.md`, "Ambient"): app → ztunnel in the
 * pod's network namespace (the app's keep-alive decides churn, the pod's ports pay); ztunnel → ztunnel (or →
 * waypoint) over HBONE (HTTP/2 CONNECT on 15008), pooled per {source identity, destination identity, destination
 * IP}; with a waypoint, the waypoint applies the route's retries and the DestinationRule's connectionPool
 * (looked up from the waypoint's namespace). Without one, ztunnel is L4 only: no retries, and every
 * `connectionPool` field of the destination's DestinationRule is recorded in the policy's `ignored` (nothing
 * applies it). An external host without a waypoint: ztunnel passes the app's connections through, SNAT'd at the node.
 */
function ambientLegs(
  model: MeshModel,
  policies: ConnectionPolicies,
  input: RowInput,
  reason: string,
  app: { appTries: number; appConns: number; appTrace: TraceItem[]; external: boolean; clientWorkload?: { name: string; labels: Record<string, string> } },
  legs: Leg[],
  notes: string[],
): { connectionPolicy?: ConnectionPolicy; retryPolicy?: RetryPolicy } {
  const target = `${input.destination}${input.port ? `:${input.port}` : ''}`;
  legs.push({ name: 'app → ztunnel', dataPlane: 'none', tries: app.appTries, connectionsPerTry: app.appConns, budget: 'pod', snat: false, trace: [...app.appTrace, { text: `ambient: ${reason}; ztunnel intercepts in the pod's network namespace` }] });
  const waypoint = waypointFor(model, input.destination);
  const hbone = `HBONE (HTTP/2 CONNECT on 15008) pooled per {source identity, destination identity, destination IP}, ${HBONE_STREAMS_PER_CONNECTION} streams per connection (istio/ztunnel src/config.rs): no new connection per request`;
  if (waypoint) {
    legs.push({ name: `ztunnel → waypoint ${waypoint.name}`, dataPlane: 'ztunnel', tries: app.appTries, connectionsPerTry: 0, budget: 'pod', snat: false, trace: [traceAt(`${hbone}; waypoint chosen by istio.io/use-waypoint`, waypoint.at.object, waypoint.at.path)] });
    const http = input.protocol === 'http';
    const retryPolicy = http ? input.retries : undefined;
    const tries = app.appTries * (retryPolicy ? 1 + retryPolicy.attempts.value : 1);
    const connectionPolicy = policies.get({ clientNamespace: waypoint.namespace, host: input.destination, subset: input.subset, port: input.port, dataPlane: 'waypoint' });
    const conns = http && connectionPolicy.protocol === 'http' ? connectionPolicy.connectionsPerTry : app.appConns;
    const trace: TraceItem[] = [];
    if (retryPolicy) trace.push(retryPolicy.attempts.trace);
    trace.push(connectionPolicy.connectionsTrace, { text: `the waypoint ${waypoint.name} is the L7 leg: its pod's ports pay for these connections` });
    legs.push({ name: `waypoint → ${target}`, dataPlane: 'waypoint', tries, connectionsPerTry: conns, budget: 'pod', snat: false, policy: connectionPolicy, trace });
    return { connectionPolicy, ...(retryPolicy ? { retryPolicy } : {}) };
  }
  if (app.external) {
    legs.push({ name: `ztunnel → ${target} (passthrough)`, dataPlane: 'ztunnel', tries: app.appTries, connectionsPerTry: app.appConns, budget: 'node', snat: true, trace: [{ text: "no egress waypoint serves this host: ztunnel passes the app's connections through, SNAT'd onto the node's ports" }] });
  } else {
    legs.push({ name: `ztunnel → ztunnel ${target}`, dataPlane: 'ztunnel', tries: app.appTries, connectionsPerTry: 0, budget: 'pod', snat: false, trace: [{ text: hbone }, { text: "the destination ztunnel opens one connection to the app per tunnelled connection (charged to the destination pod)" }] });
  }
  notes.push('no waypoint: ambient L4 only; route retries and DestinationRule connectionPool settings are not applied');
  // Nothing applies the destination's DestinationRule pool settings on this path: record them as ignored.
  const policy = policies.get({ clientNamespace: input.clientNamespace, host: input.destination, subset: input.subset, port: input.port, dataPlane: 'ztunnel' });
  ignoreForAmbientL4(policy);
  return {};
}

/** Moves every pool figure of `policy` to `ignored` with the reason "no waypoint: ambient L4 only" (once per policy). */
function ignoreForAmbientL4(policy: ConnectionPolicy): void {
  const reason = 'no waypoint: ambient L4 only (ztunnel applies no connectionPool settings)';
  if (policy.ignored.some((i) => i.reason === reason)) return;
  for (const [group, figures] of [['http', policy.http], ['tcp', policy.tcp]] as const) {
    for (const [name, figure] of Object.entries(figures) as [string, { value: unknown; object: ManifestObject; path: FieldPath } | undefined][]) {
      if (!figure) continue;
      policy.ignored.push({ field: `${group}.${name}` as ConnectionPolicy['ignored'][number]['field'], value: figure.value, at: { object: figure.object, path: figure.path }, reason });
      delete (figures as Record<string, unknown>)[name];
    }
  }
  policy.connectionsPerTry = 0;
  policy.connectionsTrace = { text: reason };
}
