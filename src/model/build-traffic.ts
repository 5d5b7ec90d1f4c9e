/**
 * The builder of the traffic model: for every route the input defines, the legs a logical request takes, the
 * tries and new TCP connections on each, and the port budget each leg draws from, as neutral records
 * (`traffic.ts`: {@link RouteMultiplier}, {@link Leg}, {@link ConnectionPolicy}, {@link RetryPolicy}). It is the
 * one part of the model stage besides the adapters that reads them and the Istio index (`mesh.ts`,
 * `adapters/istio/connection-policy.ts`, `adapters/istio/retries.ts`, `adapters/workloads/ports.ts`,
 * `adapters/gateway-api`, `adapters/linkerd`); the arithmetic over the rows (M, port budgets, exhaustion rate) is
 * `multiplier.ts`, which reads only the neutral records. `docs/model.md` is the reference for every figure.
 */
import type { ManifestObject } from '../load/objects.js';
import type { AppCallSite } from '../source/types.js';
import type { FieldPath } from '../types.js';
import { TIME_WAIT_SECONDS } from '../facts.js';
import type { MeshModel, MergedDestinationRule } from './mesh.js';
import { appliesToMesh, externalNameTarget, httpRouteGateways } from './mesh.js';
import { type CallSiteLink, type UnlinkedCallSite, linkCallSites } from './link.js';
import { asArray, asNumber, asString, dig } from './values.js';
import type { BudgetScope, ConnectionPolicy, FieldRef, Leg, RetryPolicy, RouteMirror, RouteMultiplier, TraceItem, TrafficModel, TrafficRoute } from './traffic.js';
import { type BudgetOptions, chargeRows, multiplierOf } from './multiplier.js';
import { traceAt } from './trace.js';
import { fieldKey } from './traffic.js';
import { ConnectionPolicies, addDestinationRulePolicies, addEnvoyFilterListenerPolicies } from './adapters/istio/connection-policy.js';
import { defaultRetryPolicy, inboundRetriesFor, retryPolicyOf } from './adapters/istio/retries.js';
import { allHttpRoutes, httpRoutesOf } from './adapters/istio/virtual-service.js';
import { declaredPorts } from './adapters/workloads/ports.js';
import { type AmbientEnrolment, type WaypointRef, ambientEnrolment, ignoreRouteRetriesAtL4, ingressUseWaypoint, l7InForce, waypointBindings, waypointFor } from './adapters/workloads/ambient.js';
import { formatIstioVersion } from './adapters/istio/versions.js';
import { formatNumber } from '../numbers.js';
import { gatewayApiRoutes, ingressClientOf, ISTIO_GATEWAY_CLASS, type GatewayApiRoute } from './adapters/gateway-api/routes.js';
import { isLinkerdParent, linkerdTraffic } from './adapters/linkerd/routes.js';
import { linkerdClient, opaquePortReason } from './adapters/linkerd/enrolment.js';
import { linkerdTimeoutTrace, type LinkerdTimeouts } from './adapters/linkerd/annotations.js';

/**
 * Inputs of the builder besides the model: the application call sites to link, and the figures the arithmetic
 * charges the rows with ({@link BudgetOptions}, `multiplier.ts`).
 */
export interface MultiplierOptions extends BudgetOptions {
  /**
   * Application call sites from source scanning. Each is linked to the route its host and port reach
   * (see `link.ts`); each (route, call site) pair is a row of its own. Call sites whose client or route no
   * row covers yet get rows of their own.
   */
  callSites?: readonly AppCallSite[];
  /** Receives the call sites that could not be linked to the mesh, with the reason. */
  onUnlinked?: (unlinked: UnlinkedCallSite) => void;
}

/**
 * Builds the traffic model: {@link computeMultipliers} plus the connection policies each DestinationRule
 * addresses (so rules see a setting where no route of the input reaches yet) and the retry policies of the rows.
 */
export function buildTrafficModel(model: MeshModel, options: MultiplierOptions = {}): TrafficModel {
  const policies = new ConnectionPolicies(model);
  const routes = computeRows(model, options, policies);
  addDestinationRulePolicies(model, policies);
  addEnvoyFilterListenerPolicies(model, policies);
  const linkerd = linkerdTraffic(model);
  const trafficRoutes = [...allHttpRoutes(model), ...modelledGatewayApiRoutes(model), ...linkerd.routes];
  // Every route's policy once (by the route field it is defined at), then the defaults of hosts no route covers.
  const retryPolicies: RetryPolicy[] = [];
  const seen = new Set<string>();
  // Rows share their route's policy object: one identity check instead of a field key per row.
  const seenObjects = new Set<RetryPolicy>();
  const add = (p: RetryPolicy | undefined) => {
    if (!p || seenObjects.has(p)) return;
    seenObjects.add(p);
    const key = fieldKey(p.route);
    if (seen.has(key)) return;
    seen.add(key);
    retryPolicies.push(p);
  };
  for (const r of trafficRoutes) add(r.retryPolicy);
  for (const r of routes) add(r.retryPolicy);
  const inForce = l7InForce(model, trafficRoutes, retryPolicies, routes);
  return { routes, trafficRoutes: inForce.trafficRoutes, connectionPolicies: policies.all(), retryPolicies: inForce.retryPolicies, waypointBindings: waypointBindings(model), timeWaitSeconds: options.timeWaitSeconds ?? TIME_WAIT_SECONDS, ignoredSettings: [...linkerd.ignored, ...inForce.ignored] };
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
  const specs: RowInput[] = [];
  const routedHosts = new Set<string>();

  // Mesh VirtualServices through the route records the Istio adapter extracts once (`httpRoutesOf`), not their specs.
  for (const vs of model.virtualServices) {
    if (!appliesToMesh(vs)) continue;
    const ns = vs.ref.namespace;
    const vsHosts = model.virtualServiceHosts(vs);
    for (const h of vsHosts) routedHosts.add(h);
    const callHost = vsHosts.find((h) => !h.startsWith('*'));
    for (const route of httpRoutesOf(model, vs)) for (const s of routeSpecs(model, route, ns, callHost)) specs.push(s);
  }

  // Loops, not push(...x): a mesh can have more rows than a call's argument limit (~125k).
  for (const s of gatewayApiRowInputs(model, routedHosts)) specs.push(s);
  for (const s of ingressWaypointRowInputs(model, specs)) specs.push(s);
  for (const s of linkerdRowInputs(model)) specs.push(s);

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
          noRoute: true,
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
  chargeRows(rows, options);
  return rows;
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

/** One row per backend (and per port it reaches) of a mesh VirtualService's `http[i]` route record, for clients in `clientNamespace`. */
function routeSpecs(model: MeshModel, route: TrafficRoute | undefined, clientNamespace: string, callHost: string | undefined): RowInput[] {
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
  if (spec.ingress) return false; // an ingress gateway's row: no application calls from there
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
      const specs = routeSpecs(model, httpRoutesOf(model, vs)[i], clientNamespace, link.host).filter((spec) => link.port === undefined || spec.port === undefined || spec.destination !== link.host || spec.port === link.port);
      for (const spec of specs) spec.callPort = spec.callPort ?? link.port;
      if (specs.length) return specs;
    }
  }
  return [{ ...base, protocol: 'http', noRoute: true, retries: defaultRetryPolicy(model, link.declaredBy.object, link.declaredBy.path, `no VirtualService route for ${link.host}${link.port ? `:${link.port}` : ''}`, { clientNamespace, host: link.host }) }];
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

type InboundRetries = ReturnType<typeof inboundRetriesFor>;
const inboundCache = new WeakMap<MeshModel, Map<string, InboundRetries>>();

/**
 * {@link inboundRetriesFor} kept per model, destination and port: it depends on nothing else, and every client
 * namespace's row to a destination asks for it (the trace item is shared; it carries no location).
 */
function inboundRetriesOf(model: MeshModel, destination: string, port: number | undefined): InboundRetries {
  let byDestination = inboundCache.get(model);
  if (!byDestination) inboundCache.set(model, (byDestination = new Map()));
  const key = `${destination}|${port ?? ''}`;
  if (byDestination.has(key)) return byDestination.get(key);
  const found = inboundRetriesFor(model, destination, port);
  byDestination.set(key, found);
  return found;
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
  /** No route of the input covers the host: `retries` is the mesh default (a waypoint applies it only from Istio 1.31). */
  noRoute?: boolean;
  /** The row of an ingress gateway's route to a Service with a waypoint (`ingressWaypointRowInputs`). */
  ingress?: { gateways: string[]; route: FieldRef; client?: string };
  /** Ingress rows: the retries of the host's mesh route, which its waypoint applies (absent: no mesh route). */
  meshRetries?: RetryPolicy;
  mirrors: readonly RouteMirror[];
  /** `linkerd-proxy`: a Linkerd route, carried by the client's Linkerd proxy ({@link linkerdLegs}); absent: Istio's data planes. */
  dataPlane?: 'linkerd-proxy';
  /** Why the proxy sees no HTTP on this port (a Linkerd opaque port), when `protocol` is `tcp` for that reason. */
  opaque?: string;
  /** Linkerd rows: the route's request, response and idle timeouts, shown on the proxy's leg ({@link linkerdTimeoutTrace}). */
  linkerdTimeouts?: LinkerdTimeouts;
  /** North-south rows: the Istio gateway whose Envoy applies the route (the client); absent for sidecar/ambient clients. */
  gateway?: GatewayClient;
}

function buildRow(model: MeshModel, policies: ConnectionPolicies, input: RowInput, link: CallSiteLink | undefined): RouteMultiplier {
  const linkerdProxy = input.dataPlane === 'linkerd-proxy' ? linkerdClient(model, input.clientNamespace, input.port) : undefined;
  const namespaceSidecar = linkerdProxy ? { sidecar: linkerdProxy.proxy, reason: linkerdProxy.reason } : model.sidecarForCall(input.clientNamespace, input.host, input.port);
  const clientSidecar = link?.client?.sidecar;
  const { sidecar, reason } = clientSidecar !== undefined ? { sidecar: clientSidecar, reason: link!.client!.sidecarReason } : namespaceSidecar;
  const external = model.isExternal(input.host);
  const notes: string[] = [];
  const appLeg = link?.site ?? null;
  const appTries = appLeg?.appTries ?? 1;
  const appConns = appLeg ? appConnectionsPerTry(appLeg) : 0;
  const appTrace: TraceItem[] = link ? appLegTrace(link) : [{ text: 'app leg: not analysed (no source given); counted as pooled, 1 try' }];
  if (link?.assumedNamespace) notes.push(`client namespace ${input.clientNamespace} assumed for ${link.site.file}:${link.site.line} (map its directory to a workload in source.workloads)`);
  const externalName = external ? externalNameTarget(model.serviceFor(input.host), model.settings.clusterDomain) : undefined;
  if (externalName) notes.push(`Service ${model.serviceFor(input.host)!.ref.namespace}/${model.serviceFor(input.host)!.ref.name} is type ExternalName: cluster DNS answers with a CNAME to ${externalName}, outside the cluster, so its connections are SNAT'd at the node`);
  const legs: Leg[] = [];
  const hasSidecar = sidecar !== false;
  const ambient: AmbientEnrolment = linkerdProxy
    ? { ambient: false, reason: 'a Linkerd proxy carries the client' }
    : input.ingress
      ? { ambient: false, reason: 'an ingress gateway' }
      : input.gateway
        ? { ambient: false, reason: 'a north-south gateway' }
        : ambientEnrolment(model, input.clientNamespace, link?.client, sidecar);
  if (sidecar === undefined && (linkerdProxy || (!ambient.ambient && !input.ingress && !input.gateway))) notes.push(linkerdProxy ? reason : `sidecar ${reason}`);
  const viaGateway = !linkerdProxy && hasSidecar && /egressgateway/.test(input.destination) && input.destination !== input.host;
  const clientWorkload = link?.client ? { name: `${link.client.object.ref.kind} ${link.client.namespace}/${link.client.object.ref.name}`, labels: link.client.podLabels } : undefined;
  let connectionPolicy: ConnectionPolicy | undefined;
  let retryPolicy: RetryPolicy | undefined;

  if (linkerdProxy) {
    retryPolicy = linkerdLegs(input, { appTries, appConns, appTrace, external, proxy: sidecar !== false, reason }, legs);
  } else if (input.ingress) {
    ({ connectionPolicy, retryPolicy } = ingressLegs(model, policies, input, input.ingress, external, legs, notes));
  } else if (input.gateway) {
    ({ connectionPolicy, retryPolicy } = gatewayLegs(model, policies, input, input.gateway, external, legs));
  } else if (ambient.ambient) {
    notes.push(`ambient: ${ambient.reason} (no sidecar; ${waypointFor(model, input.destination).waypoint ? 'ztunnel and a waypoint carry' : 'ztunnel carries'} the request)`);
    ({ connectionPolicy, retryPolicy } = ambientLegs(model, policies, input, ambient, { appTries, appConns, appTrace, external }, legs, notes));
  } else if (!hasSidecar) {
    legs.push({ name: `app → ${input.host}`, dataPlane: 'none', tries: appTries, connectionsPerTry: appConns, budget: external ? 'node' : 'pod', snat: external, carriedBy: { text: `no sidecar: ${reason}; not ambient: ${ambient.reason}` }, trace: [...appTrace, { text: `no sidecar: ${reason}; mesh settings do not apply` }] });
  } else {
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
    // HTTP connection manager idle timeouts (EnvoyFilter NETWORK_FILTER): the outbound listener's close the app's
    // connections to its sidecar, the destination's inbound listener's close this hop's (traffic.ts ListenerFigures).
    const appItems = connectionPolicy ? listenerTrace(connectionPolicy, 'outbound') : [];
    legs.push({ name: 'app → sidecar', dataPlane: 'none', tries: appTries, connectionsPerTry: appConns, budget: 'pod', snat: false, trace: appItems.length ? [...appTrace, ...appItems] : appTrace });
    const trace: TraceItem[] = [];
    if (retryPolicy) trace.push(retryPolicy.attempts.trace);
    trace.push(conns.trace);
    const target = input.passthrough ? `PassthroughCluster (${input.destination}${input.port ? `:${input.port}` : ''})` : `${input.destination}${input.port ? `:${input.port}` : ''}`;
    const snat = external && !viaGateway;
    // Istio ≥ 1.24: the receiving sidecar retries requests reset before they reached its application (versions.ts).
    const inbound = http && !input.passthrough && !viaGateway ? inboundRetriesOf(model, input.destination, input.port) : undefined;
    if (inbound) trace.push(inbound.trace);
    if (connectionPolicy) for (const t of listenerTrace(connectionPolicy, 'inbound')) trace.push(t);
    legs.push({ name: `sidecar → ${target}`, dataPlane: 'sidecar', tries: sidecarTries, connectionsPerTry: conns.value, budget: snat ? 'node' : 'pod', snat, ...(connectionPolicy ? { policy: connectionPolicy } : {}), carriedBy: { text: `sidecar: ${reason}` }, trace, ...(inbound ? { inboundRetries: { attempts: inbound.attempts, retryOn: inbound.retryOn } } : {}) });
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
  // Ambient without a waypoint: ztunnel is L4 only and mirrors nothing (docs/model.md, "Legs of an ambient client").
  const mirrors = (ambient.ambient && !waypointFor(model, input.destination).waypoint ? [] : input.mirrors).map((m) => {
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
  const total = multiplierOf(legs, mirrors);
  return {
    clientNamespace: input.clientNamespace,
    ...(input.gateway ? { client: `${input.gateway.namespace}/${input.gateway.deployment}` } : input.ingress?.client ? { client: input.ingress.client } : {}),
    sidecar: ambient.ambient || input.ingress || input.gateway ? false : sidecar,
    sidecarReason: input.gateway
      ? `north-south: gateway ${input.gateway.namespace}/${input.gateway.deployment} applies the route (Gateway ${input.gateway.key})`
      : input.ingress
        ? `ingress gateway ${input.ingress.gateways.join(', ')}: the gateway's proxy applies the route`
        : ambient.ambient
          ? `ambient: ${ambient.reason}`
          : reason,
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

/**
 * Trace items for the HTTP connection manager timeouts of one side of a policy's hop, each with the EnvoyFilter
 * field's file:line. They explain churn the multiplier does not count: how many connections an idle timeout
 * closes depends on the traffic's shape over time (Envoy defaults: idle_timeout 1 h, stream_idle_timeout 5 min).
 */
function listenerTrace(policy: ConnectionPolicy, side: 'outbound' | 'inbound'): TraceItem[] {
  const items: TraceItem[] = [];
  const closes = side === 'outbound' ? "closes the app's connections to its sidecar" : "the destination's proxy closes this hop's pooled connections";
  const idle = policy.listener[`${side}IdleTimeout`];
  if (idle) items.push(traceAt(`idle_timeout ${idle.value} s: ${idle.value > 0 ? `${closes} after ${idle.value} s without a request` : 'idle timeout disabled'} (${overrideText(policy, idle)}; not counted in M)`, idle.object, idle.path));
  const stream = policy.listener[`${side}StreamIdleTimeout`];
  if (stream) items.push(traceAt(`stream_idle_timeout ${stream.value} s: ${stream.value > 0 ? `a request idle ${stream.value} s is reset; on HTTP/1.1 its connection closes with it` : 'stream idle timeout disabled'} (${overrideText(policy, stream)}; not counted in M)`, stream.object, stream.path));
  return items;
}

/** The override text (which EnvoyFilter, which listener) behind a listener figure. */
function overrideText(policy: ConnectionPolicy, figure: { object: ManifestObject; path: FieldPath }): string {
  const o = policy.overrides.find((x) => x.at.object === figure.object && x.at.path === figure.path);
  return o ? o.text : `EnvoyFilter ${figure.object.ref.namespace}/${figure.object.ref.name}`;
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
  // The adapter already empties what no modelled parent applies; those rules stay visible for their `notApplied`
  // findings. A route whose only parents are Linkerd Services is Linkerd's (adapters/linkerd/routes.ts).
  return gatewayApiRoutes(model).filter((r) => !(r.parents.length > 0 && r.parents.every((p) => p.kind === 'mesh' && isLinkerdParent(model, p.name))));
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
    // Service parents in the Linkerd mesh are Linkerd's routes (adapters/linkerd/routes.ts), not Istio's.
    const meshParents = route.parents.filter((p) => p.kind === 'mesh' && !isLinkerdParent(model, p.name));
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
        // A backend Service with a waypoint: ingressWaypointRowInputs gives its row (through the waypoint when the
        // Service has istio.io/ingress-use-waypoint, else straight to the pods), so it is not counted twice.
        if (waypointFor(model, backend.host).waypoint && !model.isExternal(backend.host)) continue;
        const retries = route.retryPolicy && { ...route.retryPolicy, clientNamespace: client.namespace, host: backend.host };
        for (const port of backend.port !== undefined ? [backend.port] : destinationPorts(model, backend.host, undefined)) {
          out.push({ clientNamespace: client.namespace, host: backend.host, destination: backend.host, port, callPort: port, protocol: 'http', definedBy: backend.at, retries, mirrors: route.mirrors, gateway: client });
        }
      }
    }
  }
  return out;
}

// ---- Linkerd routes (adapters/linkerd) → multiplier inputs and legs ----

/**
 * Multiplier inputs of Linkerd routes (ServiceProfile routes, annotated Services, HTTPRoute/GRPCRoute rules on a
 * Linkerd Service): client scope the route's namespace, one row per backend and port (the route's parent port,
 * else every port the Service declares: Linkerd detects the protocol on each). A Linkerd opaque port is TCP.
 */
function linkerdRowInputs(model: MeshModel): RowInput[] {
  const out: RowInput[] = [];
  for (const route of linkerdTraffic(model).routes) {
    for (const backend of route.backends) {
      const ports: (number | undefined)[] = backend.port !== undefined ? [backend.port] : route.port !== undefined ? [route.port] : declaredPorts(model, backend.host).map((p) => p.number);
      for (const port of ports.length ? ports : [undefined]) {
        const opaque = opaquePortReason(model, backend.host, port);
        out.push({
          clientNamespace: route.namespace,
          host: route.service,
          destination: backend.host,
          port,
          callPort: route.port,
          protocol: opaque ? 'tcp' : 'http',
          definedBy: route.backends.length > 1 ? backend.at : route.at,
          ...(route.retryPolicy && !opaque ? { retries: route.retryPolicy } : {}),
          mirrors: [],
          dataPlane: 'linkerd-proxy',
          ...(opaque ? { opaque } : {}),
          linkerdTimeouts: { ...(route.timeout ? { request: route.timeout } : {}), ...route.streamTimeouts },
        });
      }
    }
  }
  return out;
}

/**
 * The legs of a Linkerd route (`docs/model.md`, "Linkerd"): app → outbound proxy in the client pod's network
 * namespace (the app's keep-alive decides churn); outbound proxy → destination, where the route's retries happen
 * (client side only; Linkerd 2.16 retries reference): meshed HTTP/1.1 is upgraded to HTTP/2 between proxies and
 * multiplexed on pooled connections, HTTP to an unmeshed or external host is pooled by the proxy, opaque ports
 * are plain TCP (one upstream connection per app connection, no retries); external hosts are SNAT'd at the node;
 * then, for an in-mesh destination, the inbound proxy → app (pooled, paid by the destination pod). Without a proxy
 * (not injected, or a skipped outbound port): one leg from the app, and no Linkerd setting applies.
 * @returns the retry policy the row applies, when the proxy retries.
 */
function linkerdLegs(input: RowInput, app: { appTries: number; appConns: number; appTrace: TraceItem[]; external: boolean; proxy: boolean; reason: string }, legs: Leg[]): RetryPolicy | undefined {
  const target = `${input.destination}${input.port ? `:${input.port}` : ''}`;
  if (!app.proxy) {
    legs.push({ name: `app → ${target}`, dataPlane: 'none', tries: app.appTries, connectionsPerTry: app.appConns, budget: app.external ? 'node' : 'pod', snat: app.external, trace: [...app.appTrace, { text: `no Linkerd proxy: ${app.reason}; Linkerd's retries and timeouts do not apply` }] });
    return undefined;
  }
  legs.push({ name: 'app → linkerd-proxy', dataPlane: 'none', tries: app.appTries, connectionsPerTry: app.appConns, budget: 'pod', snat: false, trace: [...app.appTrace, { text: `${app.reason}; the proxy intercepts outbound traffic in the pod's network namespace (linkerd2-proxy-init iptables)` }] });
  const http = input.protocol === 'http';
  const retries = http ? input.retries : undefined;
  const tries = app.appTries * (1 + (retries?.attempts.value ?? 0));
  const trace: TraceItem[] = [];
  if (retries) trace.push(retries.attempts.trace);
  let conns: number;
  if (!http) {
    conns = app.appConns;
    trace.push({ text: `opaque TCP (${input.opaque ?? 'not HTTP'}): one upstream connection per app connection; no retries, no HTTP/2 upgrade` });
  } else if (app.external) {
    conns = 0;
    trace.push({ text: 'HTTP to a host outside the mesh: the proxy pools its connections (keep-alive); SNAT\'d onto the node\'s ports' });
  } else {
    conns = 0;
    trace.push({ text: 'meshed HTTP/1.1 is upgraded to HTTP/2 between Linkerd proxies: requests are multiplexed on pooled connections (linkerd2-proxy orig_proto.rs, l5d-orig-proto)' });
  }
  for (const item of linkerdTimeoutTrace(input.linkerdTimeouts ?? {}, { http, meshed: !app.external })) trace.push(item);
  legs.push({ name: `linkerd-proxy → ${target}`, dataPlane: 'linkerd-proxy', tries, connectionsPerTry: conns, budget: app.external ? 'node' : 'pod', snat: app.external, trace });
  if (!app.external) {
    legs.push({
      name: `linkerd-proxy (inbound) → app at ${target}`,
      dataPlane: 'linkerd-proxy',
      tries,
      connectionsPerTry: 0,
      budget: 'pod',
      snat: false,
      trace: [{ text: http ? "the destination's inbound proxy pools its HTTP connections to the app; they use the destination pod's ports, not this row's budgets" : "the destination's inbound proxy opens one connection to the app per tunnelled connection (charged to the destination pod)" }],
    });
  }
  return retries;
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
  const inbound = !external ? inboundRetriesOf(model, input.destination, input.port) : undefined;
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
/** Seconds an unused pooled HBONE connection is kept (istio/ztunnel `src/config.rs`, `POOL_UNUSED_RELEASE_TIMEOUT`, default 5 min). */
const HBONE_UNUSED_RELEASE_SECONDS = 300;

/**
 * How ztunnel carries a tunnelled connection (docs/model.md, "Ambient"): HTTP/2 CONNECT over mTLS to port 15008; in
 * in-pod mode each pod has its own pool, keyed by {source identity, destination identities, destination address,
 * source IP} (istio/ztunnel `src/proxy/pool.rs` and `src/proxy/h2/client.rs`, `WorkloadKey`).
 */
const HBONE_TRACE: TraceItem = {
  text: `HBONE (HTTP/2 CONNECT on port 15008, mTLS): one pool per pod, keyed by {source identity, destination identities, destination address, source IP} (istio/ztunnel src/proxy/pool.rs, WorkloadKey); up to ${HBONE_STREAMS_PER_CONNECTION} streams per connection (POOL_MAX_STREAMS_PER_CONNECTION), released after ${HBONE_UNUSED_RELEASE_SECONDS} s unused (POOL_UNUSED_RELEASE_TIMEOUT; istio/ztunnel src/config.rs): no new connection per request`,
};

/** A trace item at `at` when known, else text only. */
function because(text: string, at: FieldRef | undefined): TraceItem {
  return at ? traceAt(text, at.object, at.path) : { text };
}

/**
 * The legs of a route whose client is enrolled in ambient (`docs/model.md`, "Ambient"): app → ztunnel in the
 * pod's network namespace (the app's keep-alive decides churn, the pod's ports pay); ztunnel → ztunnel (or →
 * waypoint) over pooled HBONE; with a waypoint, the waypoint is the L7 leg ({@link waypointHop}). Without one,
 * ztunnel is L4 only: no retries, and every `connectionPool` field of the destination's DestinationRule is
 * recorded in the policy's `ignored` (nothing applies it). An external host without an egress waypoint: ztunnel
 * passes the app's connections through, SNAT'd at the node.
 */
function ambientLegs(
  model: MeshModel,
  policies: ConnectionPolicies,
  input: RowInput,
  enrolment: AmbientEnrolment,
  app: { appTries: number; appConns: number; appTrace: TraceItem[]; external: boolean },
  legs: Leg[],
  notes: string[],
): { connectionPolicy?: ConnectionPolicy; retryPolicy?: RetryPolicy } {
  const target = `${input.destination}${input.port ? `:${input.port}` : ''}`;
  const enrolled = because(`ambient: ${enrolment.reason}`, enrolment.at);
  legs.push({ name: 'app → ztunnel', dataPlane: 'none', tries: app.appTries, connectionsPerTry: app.appConns, budget: 'pod', snat: false, carriedBy: enrolled, trace: [...app.appTrace, { text: `ambient: ${enrolment.reason}; ztunnel intercepts in the pod's network namespace` }] });
  const resolution = waypointFor(model, input.destination);
  const waypoint = resolution.waypoint;
  if (waypoint) {
    const chosen = because(`waypoint ${waypoint.name}: ${resolution.reason}${waypoint.gateway ? '' : ' (the waypoint Gateway is not in the input: assumed to exist)'}`, waypoint.at);
    legs.push({ name: `ztunnel → waypoint ${waypoint.name}`, dataPlane: 'ztunnel', tries: app.appTries, connectionsPerTry: 0, budget: 'pod', snat: false, carriedBy: enrolled, trace: [HBONE_TRACE, chosen] });
    const hop = waypointHop(model, policies, input, waypoint, app.appTries, app.appConns, app.external, chosen);
    legs.push(hop.leg);
    return { connectionPolicy: hop.connectionPolicy, ...(hop.retryPolicy ? { retryPolicy: hop.retryPolicy } : {}) };
  }
  const none = because(`no waypoint: ${resolution.reason}`, resolution.at);
  if (app.external) {
    legs.push({ name: `ztunnel → ${target} (passthrough)`, dataPlane: 'ztunnel', tries: app.appTries, connectionsPerTry: app.appConns, budget: 'node', snat: true, carriedBy: enrolled, trace: [none, { text: "no egress waypoint serves this host: ztunnel passes the app's connections through, SNAT'd onto the node's ports" }] });
  } else {
    legs.push({ name: `ztunnel → ztunnel ${target}`, dataPlane: 'ztunnel', tries: app.appTries, connectionsPerTry: 0, budget: 'pod', snat: false, carriedBy: enrolled, trace: [HBONE_TRACE, none, { text: 'the destination ztunnel opens one connection to the app per tunnelled connection (charged to the destination pod)' }] });
  }
  notes.push(`no waypoint (${resolution.reason}): ambient L4 only; route retries and DestinationRule connectionPool settings are not applied`);
  // Nothing applies the destination's DestinationRule pool settings on this path: record them as ignored.
  const policy = policies.get({ clientNamespace: input.clientNamespace, host: input.destination, subset: input.subset, port: input.port, dataPlane: 'ztunnel' });
  ignoreForAmbientL4(policy);
  ignoreRouteRetriesAtL4(model, policy, input.retries, resolution.reason);
  return {};
}

/**
 * The waypoint's L7 leg to the destination, after `priorTries` tries reached it: the route's retries (a host no
 * route covers gets the mesh default from Istio 1.31, before only the inbound `reset-before-request` retries:
 * {@link IstioSemantics.waypointMeshDefaultRetry}), and the DestinationRule's connectionPool as seen from the
 * waypoint's namespace. The waypoint pod's ports pay; an external host (egress waypoint) leaves its node SNAT'd.
 */
function waypointHop(
  model: MeshModel,
  policies: ConnectionPolicies,
  input: RowInput,
  waypoint: WaypointRef,
  priorTries: number,
  appConns: number,
  external: boolean,
  carriedBy: TraceItem,
): { leg: Leg; connectionPolicy: ConnectionPolicy; retryPolicy?: RetryPolicy } {
  const target = `${input.destination}${input.port ? `:${input.port}` : ''}`;
  const http = input.protocol === 'http';
  const istio = model.settings.istio;
  const v = formatIstioVersion(istio.version);
  let retryPolicy = http ? input.retries : undefined;
  let attempts = retryPolicy?.attempts.value ?? 0;
  const trace: TraceItem[] = [];
  if (http && input.noRoute && !istio.waypointMeshDefaultRetry) {
    // Before 1.31 the waypoint built this route from the sidecar's inbound route (istio/istio#60682).
    retryPolicy = undefined;
    attempts = istio.inboundRetry?.attempts ?? 0;
    trace.push({ text: `Istio ${v}: a waypoint with no route for this host uses the sidecar's inbound route: ${istio.inboundRetry ? `${istio.inboundRetry.retryOn}, up to ${attempts} retries` : 'no retries in this release'} (the mesh default retry policy applies from 1.31: istio/istio#60682)` });
  } else if (retryPolicy) {
    trace.push(retryPolicy.attempts.trace);
    if (input.noRoute) trace.push({ text: `Istio ${v}: a waypoint with no route for this host applies the mesh default retry policy (since 1.31: istio/istio#60682)` });
  }
  const connectionPolicy = policies.get({ clientNamespace: waypoint.namespace, host: input.destination, subset: input.subset, port: input.port, dataPlane: 'waypoint' });
  const conns = http && connectionPolicy.protocol === 'http' ? connectionPolicy.connectionsPerTry : appConns;
  // istio/istio pilot/pkg/networking/core/cluster_waypoint.go (buildWaypointInboundVIPCluster): the DestinationRule
  // applies to the waypoint's `inbound-vip|port|subset|host` cluster, whose in-mesh endpoints it reaches through the
  // `connect_originate` cluster over HBONE; an external host it dials directly.
  trace.push(connectionPolicy.connectionsTrace, {
    text: external
      ? `egress waypoint ${waypoint.name}: it dials the external host itself; its connections leave its node SNAT'd onto the node's ports`
      : `the waypoint ${waypoint.name} is the L7 leg: its DestinationRule cluster (inbound-vip) reaches the pods over HBONE, each new upstream connection a CONNECT stream for which the destination ztunnel opens a TCP connection to the app in the destination pod (istio/istio cluster_waypoint.go)`,
  });
  return {
    leg: { name: `waypoint → ${target}`, dataPlane: 'waypoint', tries: priorTries * (1 + attempts), connectionsPerTry: conns, budget: external ? 'node' : 'pod', snat: external, policy: connectionPolicy, carriedBy, trace },
    connectionPolicy,
    ...(retryPolicy ? { retryPolicy } : {}),
  };
}

/**
 * Rows of ingress gateways' routes (VirtualService `http` bound to a Gateway, HTTPRoute with a Gateway parent) to
 * a Service that has a waypoint: whether the gateway sends through the waypoint (`istio.io/ingress-use-waypoint`)
 * changes who retries. Client scope: the route's namespace. Routes to Services without a waypoint get no row here.
 */
function ingressWaypointRowInputs(model: MeshModel, meshSpecs: readonly RowInput[]): RowInput[] {
  const out: RowInput[] = [];
  let meshByHost: Map<string, RowInput> | undefined;
  for (const route of [...allHttpRoutes(model), ...modelledGatewayApiRoutes(model)]) {
    const gateways = route.gateways.filter((g) => g !== 'mesh');
    if (!gateways.length) continue;
    for (const backend of route.backends) {
      if (!waypointFor(model, backend.host).waypoint || model.isExternal(backend.host)) continue;
      // The waypoint applies the mesh route of the host when there is one (its retries), else its default.
      if (!meshByHost) {
        meshByHost = new Map();
        for (const s of meshSpecs) if (s.host === s.destination && s.protocol === 'http' && !s.noRoute && !meshByHost.has(s.host)) meshByHost.set(s.host, s);
      }
      const mesh = meshByHost.get(backend.host);
      for (const port of backend.port !== undefined ? [backend.port] : destinationPorts(model, backend.host, route.matchPort)) {
        out.push({
          clientNamespace: route.namespace,
          host: backend.host,
          destination: backend.host,
          subset: backend.subset,
          port,
          callPort: port,
          protocol: 'http',
          definedBy: backend.at,
          retries: route.retryPolicy,
          ingress: { gateways, route: route.at, ...ingressClientOf(route) },
          mirrors: [],
          ...(mesh?.retries ? { meshRetries: mesh.retries } : {}),
        });
      }
    }
  }
  return out;
}

/**
 * The legs of an ingress gateway's route: the gateway's retries, then either the Service's waypoint (with
 * `istio.io/ingress-use-waypoint: "true"`: its route's retries multiply the gateway's, istio.io "Ingress gateways
 * and waypoints") or the destination directly (ingress traffic skips the waypoint by default).
 */
function ingressLegs(
  model: MeshModel,
  policies: ConnectionPolicies,
  input: RowInput,
  ingress: NonNullable<RowInput['ingress']>,
  external: boolean,
  legs: Leg[],
  notes: string[],
): { connectionPolicy?: ConnectionPolicy; retryPolicy?: RetryPolicy } {
  const target = `${input.destination}${input.port ? `:${input.port}` : ''}`;
  const gatewayTries = 1 + (input.retries?.attempts.value ?? 0);
  const gatewayRoute = because(`ingress gateway ${ingress.gateways.join(', ')}: the gateway's proxy applies this route`, ingress.route);
  const use = ingressUseWaypoint(model, input.destination);
  const waypoint = waypointFor(model, input.destination).waypoint;
  const retryTrace = input.retries ? [input.retries.attempts.trace] : [];
  if (use?.enabled && waypoint) {
    legs.push({ name: `gateway → waypoint ${waypoint.name}`, dataPlane: 'gateway', tries: gatewayTries, connectionsPerTry: 0, budget: 'pod', snat: false, carriedBy: gatewayRoute, trace: [...retryTrace, { text: "the gateway sends to the Service's waypoint over HBONE (HTTP/2 CONNECT on 15008), pooled: no new connection per request" }, because(use.reason, use.at)] });
    const waypointInput: RowInput = { ...input, retries: input.meshRetries ?? defaultRetryPolicy(model, input.definedBy.object, input.definedBy.path, `no mesh route for ${input.destination}`, { clientNamespace: waypoint.namespace, host: input.destination }), noRoute: !input.meshRetries };
    const hop = waypointHop(model, policies, waypointInput, waypoint, gatewayTries, 0, external, because(`${use.reason}: the waypoint ${waypoint.name} applies the Service's route after the gateway's`, use.at));
    legs.push(hop.leg);
    notes.push(`ingress through the waypoint (${use.reason}): retries at both hops, ${formatNumber(hop.leg.tries)} tries from the waypoint per request`);
    return { connectionPolicy: hop.connectionPolicy, ...(input.retries ? { retryPolicy: input.retries } : {}) };
  }
  const policy = policies.get({ clientNamespace: input.clientNamespace, host: input.destination, subset: input.subset, port: input.port, dataPlane: 'gateway', context: 'GATEWAY' });
  const skip = use ? because(`${use.reason}: ingress traffic does not use the waypoint`, use.at) : { text: `no istio.io/ingress-use-waypoint on the Service or its namespace: ingress traffic skips the waypoint ${waypoint?.name ?? ''}`.trimEnd() };
  legs.push({ name: `gateway → ${target}`, dataPlane: 'gateway', tries: gatewayTries, connectionsPerTry: policy.connectionsPerTry, budget: external ? 'node' : 'pod', snat: external, policy, carriedBy: gatewayRoute, trace: [...retryTrace, policy.connectionsTrace, skip] });
  return { connectionPolicy: policy, ...(input.retries ? { retryPolicy: input.retries } : {}) };
}

/** Moves every pool figure of `policy` to `ignored` with the reason "no waypoint: ambient L4 only" (once per policy). */
function ignoreForAmbientL4(policy: ConnectionPolicy): void {
  const reason = 'no waypoint: ambient L4 only (ztunnel applies no connectionPool settings)';
  if (policy.ignored.some((i) => i.reason === reason)) return;
  for (const [group, figures] of [['http', policy.http], ['tcp', policy.tcp]] as const) {
    for (const [name, figure] of Object.entries(figures) as [string, { value: unknown; object: ManifestObject; path: FieldPath; layer?: string } | undefined][]) {
      if (!figure) continue;
      policy.ignored.push({ field: `${group}.${name}` as ConnectionPolicy['ignored'][number]['field'], value: figure.value, at: { object: figure.object, path: figure.path }, layer: figure.layer, reason });
      delete (figures as Record<string, unknown>)[name];
    }
  }
  policy.connectionsPerTry = 0;
  policy.connectionsTrace = { text: reason };
}
