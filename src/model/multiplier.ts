import type { ManifestObject } from '../load/objects.js';
import { locate } from '../load/objects.js';
import type { AppCallSite } from '../source/types.js';
import type { FieldPath, Location } from '../types.js';
import { DEFAULT_EPHEMERAL_PORTS, DEFAULT_PORT_RANGE_HIGH, DEFAULT_PORT_RANGE_LOW, TIME_WAIT_SECONDS } from '../facts.js';
import type { MeshModel, MergedDestinationRule } from './mesh.js';
import { appliesToMesh, httpRouteGateways } from './mesh.js';
import { serviceNamespaceOfHost } from './hosts.js';
import { type CallSiteLink, type UnlinkedCallSite, linkCallSites } from './link.js';
import { asArray, asNumber, asRecord, asString, dig } from './values.js';

/** One fact behind a figure: what was read and where (file:line), or a default that applied. */
export interface TraceItem {
  text: string;
  location?: Location;
}

/**
 * A trace item for a field of `object`, whose `location` is resolved (`locate(object, path)`) on first read
 * and then kept as a plain data property. Only `explain` and the json/sarif reports read trace locations, so a
 * `check` of 7,000 routes no longer resolves three positions per route it never prints. The property is an own,
 * enumerable accessor: `JSON.stringify`, spreading and `Object.keys` see `{ text, location }` in that order,
 * exactly as for an eagerly built item.
 */
export function traceAt(text: string, object: ManifestObject, path: FieldPath): TraceItem {
  return {
    text,
    get location(): Location {
      const value = locate(object, path);
      Object.defineProperty(this, 'location', { value, writable: true, enumerable: true, configurable: true });
      return value;
    },
    set location(value: Location | undefined) {
      Object.defineProperty(this, 'location', { value, writable: true, enumerable: true, configurable: true });
    },
  };
}

/** One TCP leg of a request (DESIGN.md §2, "Legs"). */
export interface Leg {
  /** e.g. `app → sidecar`, `sidecar → api.example.com:80`, `egress gateway → api.example.com:443`. */
  name: string;
  /** Tries on this leg per logical request: the product of every retry factor at or before it. */
  tries: number;
  /** New TCP connections per try: 1 when keep-alive is off, 1/N for `maxRequestsPerConnection: N`, 0 when pooled. */
  connectionsPerTry: number;
  /** True when this leg leaves the node towards an external address: SNAT'd onto the node's ports. */
  snat: boolean;
  trace: TraceItem[];
}

/** The connection multiplier of one route: a client scope calling one destination (DESIGN.md §3). */
export interface RouteMultiplier {
  /** Client namespace; rows are computed for clients in the namespace of the VirtualService (or ServiceEntry) that defines the route. */
  clientNamespace: string;
  sidecar: boolean | undefined;
  sidecarReason: string;
  /** Destination host (FQDN) the client calls. */
  host: string;
  /** Destination the route sends to, when it differs from `host` (e.g. an egress gateway). */
  destination: string;
  subset?: string;
  port?: number;
  /** `http` when the sidecar sees HTTP (retries and `http` pool settings apply), else `tcp` (opaque TLS, TCP). */
  protocol: 'http' | 'tcp';
  external: boolean;
  /** The object and field that defines the route: a VirtualService `http[i]` or a ServiceEntry host. */
  definedBy: { object: ManifestObject; path: FieldPath };
  legs: Leg[];
  /** Extra new connections per request from mirroring: mirrorPercentage × the mirror destination's figure. */
  mirrors: { host: string; percentage: number; connections: number; trace: TraceItem[] }[];
  /** Worst-case new connections per logical request, M: Σ legs tries × connectionsPerTry + mirrors. */
  total: number;
  /** Whose ephemeral ports the budget is: the node's (SNAT'd legs to external addresses) or the pod's. */
  budgetScope: 'node' | 'pod';
  /** New connections per request that draw on that budget (M_snat, or the pod-leaving legs for in-mesh traffic). */
  budgetConnections: number;
  /** Usable ephemeral ports of that budget (range less reserved); set by `computeMultipliers`. */
  budgetPorts?: number;
  /** Where `budgetPorts` came from: each sysctl with its file:line, or the default that applied. */
  budgetTrace?: TraceItem[];
  /** Requests/s at which TIME_WAIT fills the port range: ports / (budgetConnections × TIME_WAIT seconds); null when pooled (no churn). */
  exhaustionRps: number | null;
  /** Request rate of this route, requests/s (`--rps`, or the configuration's `rps` entry for its host or workload); absent when none is given. */
  rps?: number;
  /** Ports held in TIME_WAIT at the route's request rate: rps × budgetConnections × TIME_WAIT seconds; absent without a rate. */
  portsHeld?: number;
  /** The application call site linked to this route, or a note that the app leg was not analysed. */
  appLeg: AppCallSite | null;
  /** The client calls a port the host does not declare: PassthroughCluster, no DestinationRule or VirtualService applies. */
  passthrough?: boolean;
  /** Human notes (assumptions that applied). */
  notes: string[];
}

/**
 * One proxy-to-upstream hop of a route, as DestinationRule lookups see it: the namespace of the proxy that
 * makes the hop (whose DestinationRules apply, DESIGN.md §2) and the host it connects to.
 */
export interface UpstreamHop {
  /** Namespace of the proxy: the client's for its sidecar; the egress gateway Service's for the gateway. */
  proxyNamespace: string;
  /** Host the proxy connects to (FQDN). */
  host: string;
  subset?: string;
  port?: number;
  /** The hop leaves the mesh (MESH_EXTERNAL host): its connections are SNAT'd onto the node's ports. */
  external: boolean;
}

/**
 * The hops of a route whose pools a DestinationRule sets. A direct route has one: client sidecar →
 * destination. A route through an egress gateway has two: client sidecar → gateway Service (in the mesh), and
 * gateway → external host, looked up from the gateway's own namespace (the namespace of its Service, e.g.
 * `istio-system` for `istio-egressgateway.istio-system.svc.cluster.local`).
 */
export function upstreamHops(route: RouteMultiplier, clusterDomain?: string): UpstreamHop[] {
  if (route.legs.length <= 2 || route.destination === route.host) {
    return [{ proxyNamespace: route.clientNamespace, host: route.destination, subset: route.subset, port: route.port, external: route.external }];
  }
  const gatewayNamespace = serviceNamespaceOfHost(route.destination, clusterDomain) ?? route.clientNamespace;
  return [
    { proxyNamespace: route.clientNamespace, host: route.destination, subset: route.subset, port: route.port, external: false },
    { proxyNamespace: gatewayNamespace, host: route.host, external: route.external },
  ];
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
   * (see `link.ts`); the route's application leg then comes from the code. Call sites whose client or
   * route no row covers yet get a row of their own.
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
 * Computes the connection multiplier (DESIGN.md §3) for every route the input defines: each HTTP route
 * destination of a mesh-bound VirtualService (client scope: the VirtualService's namespace), and each
 * `MESH_EXTERNAL` ServiceEntry host and port that no VirtualService routes (client scope: the entry's
 * namespace; Istio's default route with its default retries applies). Stated assumptions: the client side
 * closes first (worst case), `tcp_tw_reuse` ≠ 1, one destination `ip:port`.
 */
export function computeMultipliers(model: MeshModel, options: MultiplierOptions = {}): RouteMultiplier[] {
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
          retries: protocol === 'http' ? defaultRetries(model, se, ['spec', 'hosts', hi], 'no VirtualService routes this host') : undefined,
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

  const rows = specs.map((spec) => buildRow(model, spec, worstLink(linked.get(spec))));
  for (const row of rows) {
    const figure: PortBudgetFigure =
      options.ports !== undefined || !options.budgetFor ? { ports, trace: [{ text: options.ports !== undefined ? `ports = ${ports} (--port-range / ports option)` : `ports = ${ports} (Linux default range ${DEFAULT_PORT_RANGE_LOW}-${DEFAULT_PORT_RANGE_HIGH})` }], notes: [] } : options.budgetFor(row.budgetScope, row.clientNamespace);
    row.budgetPorts = figure.ports;
    row.budgetTrace = figure.trace;
    for (const note of figure.notes) if (!row.notes.includes(note)) row.notes.push(note);
    row.exhaustionRps = row.budgetConnections > 0 ? figure.ports / (row.budgetConnections * tw) : null;
    const rate = options.rpsFor?.(row) ?? options.rps;
    if (rate !== undefined) {
      row.rps = rate;
      row.portsHeld = rate * row.budgetConnections * tw;
    }
  }
  return rows;
}

/** One row per destination of the mesh VirtualService's `http[i]` route, for clients in `clientNamespace`. */
function routeSpecs(model: MeshModel, vs: ManifestObject, i: number, clientNamespace: string, callHost: string | undefined): RowInput[] {
  const ns = vs.ref.namespace;
  const routePath: FieldPath = ['spec', 'http', i];
  const route = dig(vs.raw, ...routePath);
  if (!httpRouteGateways(vs, route).includes('mesh')) return []; // a route only for gateways (match.gateways)
  const retries = retriesOf(model, vs, routePath);
  const matchPorts = asArray(dig(route, 'match')).map((m) => asNumber(dig(m, 'port')));
  const callPort = matchPorts.length && matchPorts.every((p) => p !== undefined && p === matchPorts[0]) ? matchPorts[0] : undefined;
  const out: RowInput[] = [];
  asArray(dig(route, 'route')).forEach((dest, j) => {
    const destHost = asString(dig(dest, 'destination', 'host'));
    if (!destHost) return;
    const destination = model.resolve(destHost, ns);
    out.push({
      clientNamespace,
      host: callHost ?? destination,
      destination,
      subset: asString(dig(dest, 'destination', 'subset')),
      port: asNumber(dig(dest, 'destination', 'port', 'number')),
      callPort,
      protocol: 'http',
      definedBy: { object: vs, path: [...routePath, 'route', j, 'destination', 'host'] },
      retries,
      mirrors: mirrorsOf(model, vs, routePath),
    });
  });
  return out;
}

/** Whether an existing row is the route a linked call site takes: same client namespace (when known), host, protocol and port. */
function specMatches(spec: RowInput, link: CallSiteLink): boolean {
  if (link.clientNamespace !== undefined && spec.clientNamespace !== link.clientNamespace) return false;
  if (spec.host !== link.host || spec.protocol !== link.protocol || Boolean(spec.passthrough) !== link.passthrough) return false;
  return spec.callPort === undefined || link.port === undefined || spec.callPort === link.port;
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
      const specs = routeSpecs(model, vs, i, clientNamespace, link.host);
      for (const spec of specs) spec.callPort = spec.callPort ?? link.port;
      if (specs.length) return specs;
    }
  }
  return [{ ...base, protocol: 'http', retries: defaultRetries(model, link.declaredBy.object, link.declaredBy.path, `no VirtualService route for ${link.host}${link.port ? `:${link.port}` : ''}`) }];
}

/** New connections per try the application makes at a call site: 1 for a client built per request or keep-alive off, else pooled (0). */
function appConnectionsPerTry(site: AppCallSite): number {
  return site.clientPerRequest || site.keepAliveOff ? 1 : 0;
}

/** Worst case among the call sites linked to one row: the one that opens the most connections, then the most tries. */
function worstLink(links: readonly CallSiteLink[] | undefined): CallSiteLink | undefined {
  if (!links?.length) return undefined;
  return [...links].sort((a, b) => appConnectionsPerTry(b.site) - appConnectionsPerTry(a.site) || b.site.appTries - a.site.appTries)[0];
}

/** Protocols on which the sidecar sees HTTP (Istio protocol selection: HTTP, HTTP2, GRPC, GRPC-Web). */
export function isHttpProtocol(protocol: string | undefined): boolean {
  const p = (protocol ?? '').toUpperCase();
  return p === 'HTTP' || p === 'HTTP2' || p === 'GRPC' || p === 'GRPC-WEB' || p === 'HTTP_PROXY';
}

interface RetryFactor {
  attempts: number;
  trace: TraceItem;
}

/**
 * Retries of an HTTP route (Istio API reference, `HTTPRetry`): `retries.attempts` retries, i.e. 1 + attempts
 * tries; no `retries` block → the mesh default (2); a `retries` block without `attempts`, or `attempts: 0`,
 * → none; a route with `fault` injection → none.
 */
export function retriesOf(model: MeshModel, vs: ManifestObject, routePath: FieldPath): RetryFactor {
  const route = asRecord(dig(vs.raw, ...routePath)) ?? {};
  if (route.fault !== undefined) return { attempts: 0, trace: traceAt('fault injection on the route disables retries', vs, [...routePath, 'fault']) };
  const retries = asRecord(route.retries);
  if (!retries) return defaultRetries(model, vs, routePath, 'no retries block');
  const attempts = asNumber(retries.attempts);
  if (attempts === undefined) return { attempts: 0, trace: traceAt('retries block without attempts: no retries', vs, [...routePath, 'retries']) };
  return { attempts: Math.max(0, attempts), trace: traceAt(`retries.attempts: ${attempts}`, vs, [...routePath, 'retries', 'attempts']) };
}

function defaultRetries(model: MeshModel, object: ManifestObject, path: FieldPath, why: string): RetryFactor {
  const n = model.settings.defaultRetryAttempts;
  return { attempts: n, trace: traceAt(`${why}: Istio's default of ${n} retries applies`, object, path) };
}

function mirrorsOf(model: MeshModel, vs: ManifestObject, routePath: FieldPath): { host: string; percentage: number; path: FieldPath }[] {
  const out: { host: string; percentage: number; path: FieldPath }[] = [];
  const route = asRecord(dig(vs.raw, ...routePath)) ?? {};
  const single = asString(dig(route, 'mirror', 'host'));
  if (single) {
    const pct = asNumber(dig(route, 'mirrorPercentage', 'value')) ?? 100;
    out.push({ host: model.resolve(single, vs.ref.namespace), percentage: pct, path: [...routePath, 'mirror'] });
  }
  asArray(route.mirrors).forEach((m, i) => {
    const host = asString(dig(m, 'destination', 'host'));
    if (!host) return;
    const pct = asNumber(dig(m, 'percentage', 'value')) ?? 100;
    out.push({ host: model.resolve(host, vs.ref.namespace), percentage: pct, path: [...routePath, 'mirrors', i] });
  });
  return out;
}

/**
 * New connections per try on the sidecar's upstream leg from the effective `connectionPool`:
 * `http.maxRequestsPerConnection` 1 → 1 (keep-alive off), N → 1/N, unset or 0 → pooled (0).
 */
export function sidecarConnectionsPerTry(model: MeshModel, dr: MergedDestinationRule | null, subset: string | undefined, port: number | undefined): { value: number; trace: TraceItem } {
  const pool = model.effectivePolicy(dr, subset, port).connectionPool;
  if (!dr && !pool) return { value: 0, trace: { text: 'no DestinationRule: pooled (keep-alive on by default)' } };
  const mrpc = pool ? asNumber(dig(pool.value, 'http', 'maxRequestsPerConnection')) : undefined;
  if (!pool || mrpc === undefined || mrpc <= 0) {
    return { value: 0, trace: pool ? traceAt('keep-alive on (maxRequestsPerConnection unset): pooled', pool.object, pool.path) : traceAt('keep-alive on (maxRequestsPerConnection unset): pooled', dr!.primary.object, ['spec', 'host']) };
  }
  return { value: 1 / mrpc, trace: traceAt(`maxRequestsPerConnection: ${mrpc}${mrpc === 1 ? ' (keep-alive off)' : ''}`, pool!.object, [...pool!.path, 'http', 'maxRequestsPerConnection']) };
}

interface RowInput {
  clientNamespace: string;
  host: string;
  destination: string;
  subset?: string;
  /** Upstream port the route sends to (`destination.port.number`, the ServiceEntry port). */
  port?: number;
  /** Port the client calls, when the route is limited to one (ServiceEntry port, `match[].port`); undefined = any HTTP port of the host. */
  callPort?: number;
  protocol: 'http' | 'tcp';
  /** The port is not declared for the host: the sidecar passes the connection through (PassthroughCluster). */
  passthrough?: boolean;
  definedBy: { object: ManifestObject; path: FieldPath };
  retries?: RetryFactor;
  mirrors: { host: string; percentage: number; path: FieldPath }[];
}

function buildRow(model: MeshModel, input: RowInput, link: CallSiteLink | undefined): RouteMultiplier {
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
  if (sidecar === undefined) notes.push(`sidecar ${reason}`);
  const viaGateway = hasSidecar && /egressgateway/.test(input.destination) && input.destination !== input.host;

  if (!hasSidecar) {
    legs.push({ name: `app → ${input.host}`, tries: appTries, connectionsPerTry: appConns, snat: external, trace: [...appTrace, { text: `no sidecar: ${reason}; mesh settings do not apply` }] });
  } else {
    legs.push({ name: 'app → sidecar', tries: appTries, connectionsPerTry: appConns, snat: false, trace: appTrace });
    const sidecarTries = input.protocol === 'http' && input.retries ? appTries * (1 + input.retries.attempts) : appTries;
    const dr = input.passthrough ? null : model.destinationRuleFor(input.clientNamespace, input.destination, link?.client?.podLabels);
    const conns = input.passthrough
      ? { value: appConns, trace: { text: 'PassthroughCluster: one upstream connection per app connection; no VirtualService or DestinationRule settings apply' } }
      : input.protocol === 'http'
        ? sidecarConnectionsPerTry(model, dr, input.subset, input.port)
        : { value: appConns, trace: { text: 'TCP/opaque TLS: one upstream connection per app connection' } };
    const trace: TraceItem[] = [];
    if (input.retries && input.protocol === 'http') trace.push(input.retries.trace);
    trace.push(conns.trace);
    const target = input.passthrough ? `PassthroughCluster (${input.destination}${input.port ? `:${input.port}` : ''})` : `${input.destination}${input.port ? `:${input.port}` : ''}`;
    legs.push({ name: `sidecar → ${target}`, tries: sidecarTries, connectionsPerTry: conns.value, snat: external && !viaGateway, trace });
    if (viaGateway) {
      const gw = gatewayRoute(model, input.host);
      const gwTries = sidecarTries * (1 + (gw?.retries.attempts ?? 0));
      const gwNs = gw?.vs.ref.namespace ?? model.settings.rootNamespace;
      const gwDr = model.destinationRuleFor(gwNs, input.host);
      const gwConns = sidecarConnectionsPerTry(model, gwDr, gw?.subset, gw?.port);
      legs.push({
        name: `egress gateway → ${input.host}${gw?.port ? `:${gw.port}` : ''}`,
        tries: gwTries,
        connectionsPerTry: gwConns.value,
        snat: external,
        trace: [gw ? gw.retries.trace : { text: 'no gateway VirtualService found for this host: 1 try' }, gwConns.trace],
      });
    }
  }
  const mirrors = input.mirrors.map((m) => {
    const dr = model.destinationRuleFor(input.clientNamespace, m.host);
    const conns = sidecarConnectionsPerTry(model, dr, undefined, undefined);
    return { host: m.host, percentage: m.percentage, connections: (m.percentage / 100) * appTries * conns.value, trace: [traceAt(`mirror ${m.percentage}% to ${m.host}`, input.definedBy.object, m.path), conns.trace] };
  });
  const total = legs.reduce((sum, leg) => sum + leg.tries * leg.connectionsPerTry, 0) + mirrors.reduce((s, m) => s + m.connections, 0);
  const snatLegs = legs.filter((l) => l.snat);
  const budgetScope = snatLegs.length ? 'node' : 'pod';
  const budgetLegs = snatLegs.length ? snatLegs : legs.slice(hasSidecar ? 1 : 0);
  const budgetConnections = budgetLegs.reduce((sum, leg) => sum + leg.tries * leg.connectionsPerTry, 0) + mirrors.filter((m) => model.isExternal(m.host) === (budgetScope === 'node')).reduce((s, m) => s + m.connections, 0);
  return {
    clientNamespace: input.clientNamespace,
    sidecar,
    sidecarReason: reason,
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
    budgetScope,
    budgetConnections,
    exhaustionRps: null,
    appLeg,
    ...(input.passthrough ? { passthrough: true } : {}),
    notes,
  };
}

/** The gateway-bound VirtualService route for `host` (egress pattern): its retries and destination port. */
function gatewayRoute(model: MeshModel, host: string): { vs: ManifestObject; retries: RetryFactor; port?: number; subset?: string } | null {
  for (const vs of model.virtualServicesWithHost(host)) {
    const http = asArray(dig(vs.raw, 'spec', 'http'));
    const onGateway = (r: unknown) => httpRouteGateways(vs, r).some((g) => g !== 'mesh');
    const i = http.findIndex((r) => onGateway(r) && asArray(dig(r, 'route')).some((d) => model.resolve(asString(dig(d, 'destination', 'host')) ?? '', vs.ref.namespace) === host));
    if (i < 0) continue;
    const dest = asArray(dig(http[i], 'route')).find((d) => model.resolve(asString(dig(d, 'destination', 'host')) ?? '', vs.ref.namespace) === host);
    return { vs, retries: retriesOf(model, vs, ['spec', 'http', i]), port: asNumber(dig(dest, 'destination', 'port', 'number')), subset: asString(dig(dest, 'destination', 'subset')) };
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
