/**
 * The data-plane-neutral traffic model: what every adapter (`adapters/istio`, `adapters/workloads`, later
 * `adapters/gateway-api` and `adapters/linkerd`) produces, and the only thing rules and the multiplier read.
 *
 * Records are compact and extracted once: a rule never walks a parsed document. Every figure carries where it
 * came from (an object and a field path, or the default that applied and why), so a finding can point at the
 * YAML field (and `--fix` edit it) and `explain` can cite it.
 *
 * The unit of policy is one {@link ConnectionPolicy} per (client, destination host, subset, port): the policy
 * the client's proxy applies on that port after every layering, precedence, protocol and override rule.
 */
import type { ManifestObject } from '../load/objects.js';
import type { AppCallSite } from '../source/types.js';
import type { FieldPath, Location } from '../types.js';

/** A value read from an object, with where it was read (for traces and findings). */
export interface Sourced<T> {
  value: T;
  object: ManifestObject;
  path: FieldPath;
  /**
   * Which layer of a layered policy the value came from, as the adapter that layered it names it: for the
   * figures of a {@link ConnectionPolicy}, `top level`, `top level, port 9080`, `subset v2`, `subset v2, port 9080`
   * (DestinationRule `trafficPolicy` layers), `meshConfig.defaultTrafficPolicy`,
   * `IstioOperator spec.meshConfig.defaultTrafficPolicy`, or `EnvoyFilter ns/name configPatches[0], over the DestinationRule`.
   */
  layer?: string;
  /**
   * The value as written at `object`/`path` when `value` was parsed from it (e.g. `"10s"` for a duration of 10
   * seconds; undefined when the field is not in the object's own text, e.g. inside the mesh config string of a
   * ConfigMap). Findings carry it, so baseline fingerprints key on what the user wrote.
   */
  written?: unknown;
}

/** A figure of a {@link ConnectionPolicy}: always names the policy layer it came from. */
export interface PolicyFigure<T> extends Sourced<T> {
  layer: string;
}

/** A field of an object: where a finding points and where `--fix` edits. */
export interface FieldRef {
  object: ManifestObject;
  path: FieldPath;
}

/** One fact behind a figure: what was read and where (file:line), or a default that applied. */
export interface TraceItem {
  text: string;
  location?: Location;
}

/**
 * Which proxy (if any) handles a hop. `none`: the application's own connection (no sidecar, or bypassed).
 * `sidecar` and `gateway`: Istio's Envoy; `ztunnel` and `waypoint`: Istio ambient; `linkerd-proxy`: Linkerd's
 * proxy in the pod (outbound side at the client, inbound side at the destination).
 */
export type DataPlane = 'sidecar' | 'gateway' | 'none' | 'ztunnel' | 'waypoint' | 'linkerd-proxy';

/**
 * What the proxy sees on a port. `http`: HTTP/1.1, HTTP/2, gRPC (retries and `connectionPool.http` apply);
 * `tls`: opaque TLS (`TLS`, `HTTPS` ports, or TLS the app originates); `tcp`: anything else. Only `tcp`-level
 * pool settings apply to `tls` and `tcp` (Istio "Protocol Selection"; Envoy applies HTTP connection-pool
 * settings only to clusters carrying HTTP, `envoy.config.cluster.v3.Cluster.typed_extension_protocol_options`).
 */
export type PortProtocol = 'http' | 'tls' | 'tcp';

/** Whose ephemeral ports a leg's new connections consume. */
export type BudgetScope = 'pod' | 'node';

/**
 * Keep-alive and pool settings of `connectionPool.http` that are effective on an HTTP port. Seconds for
 * durations. Each field is absent when nothing sets it (Istio's default applies: no request limit per
 * connection, 1 h idle timeout; istio/api `networking/v1alpha3/destination_rule.proto`, `ConnectionPoolSettings.HTTPSettings`).
 */
export interface HttpPoolFigures {
  maxRequestsPerConnection?: PolicyFigure<number>;
  /** Seconds (`http.idleTimeout`; when unset, Istio uses `tcp.idleTimeout` for HTTP connections too). */
  idleTimeout?: PolicyFigure<number>;
  h2UpgradePolicy?: PolicyFigure<string>;
  useClientProtocol?: PolicyFigure<boolean>;
  /** Concurrent retries to the cluster (`http.maxRetries`); unset: Istio sets Envoy's `max_retries` to 2^32−1. */
  maxRetries?: PolicyFigure<number>;
  /**
   * `trafficPolicy.retryBudget` (Istio ≥ 1.27; istio/api `destination_rule.proto`): concurrent retries capped at
   * `percent` % of active plus pending requests (default 20), never below `minRetryConcurrency` (default 3).
   * When set, Envoy uses it instead of `max_retries` (envoy `circuit_breaker.proto`, `Thresholds.retry_budget`).
   */
  retryBudget?: PolicyFigure<RetryBudgetFigure>;
}

/** A retry budget with Istio's defaults filled in. */
export interface RetryBudgetFigure {
  /** % of active plus pending requests. */
  percent: number;
  minRetryConcurrency: number;
}

/** `connectionPool.tcp` figures (effective on every port, whatever its protocol). Seconds for durations. */
export interface TcpPoolFigures {
  maxConnections?: PolicyFigure<number>;
  /** Seconds. */
  idleTimeout?: PolicyFigure<number>;
  /** Seconds. */
  maxConnectionDuration?: PolicyFigure<number>;
}

/**
 * Timeouts of the HTTP connection managers (HCM) at the two ends of one hop, as EnvoyFilter `NETWORK_FILTER`
 * patches set them (istiod writes neither, so Envoy's defaults apply when absent). Seconds; 0 disables.
 *
 * An HCM's `common_http_protocol_options.idle_timeout` closes a *downstream* connection of its listener that
 * has had no active request for that long (envoy `api/envoy/config/core/v3/protocol.proto`,
 * `HttpProtocolOptions.idle_timeout`: default 1 h, 0 disables); its `stream_idle_timeout` resets a request that
 * sends or receives nothing for that long (envoy `api/envoy/extensions/filters/network/http_connection_manager/
 * v3/http_connection_manager.proto`: default 5 min, 0 disables). Which leg a listener's downstream is:
 * - `outbound…`: the client proxy's outbound listener for the destination port (patch context
 *   `SIDECAR_OUTBOUND`): its downstream is the application, so it closes the app → sidecar leg's connections;
 * - `inbound…`: the destination proxy's inbound listener (`SIDECAR_INBOUND`; `GATEWAY` when the destination
 *   is a gateway): its downstream is the calling proxy, so it closes this hop's pooled connections from the
 *   server side, whatever the client's `http.idleTimeout` says.
 */
export interface ListenerFigures {
  outboundIdleTimeout?: PolicyFigure<number>;
  outboundStreamIdleTimeout?: PolicyFigure<number>;
  inboundIdleTimeout?: PolicyFigure<number>;
  inboundStreamIdleTimeout?: PolicyFigure<number>;
}

/** Dotted names of the pool fields a {@link ConnectionPolicy} carries, e.g. `http.maxRequestsPerConnection`. */
export type PoolField = `http.${keyof HttpPoolFigures}` | `tcp.${keyof TcpPoolFigures}` | `listener.${keyof ListenerFigures}`;

/**
 * A setting that is written where it applies but has no effect there: a pool field on a (client, destination,
 * port) (`field` is a {@link PoolField}), or a route or retry setting the data plane does not read (e.g. a
 * `retry.linkerd.io/*` annotation while a ServiceProfile exists; `field` names it as written).
 */
export interface IgnoredSetting {
  field: PoolField | (string & {});
  value: unknown;
  at: FieldRef;
  /** Why it has no effect here, e.g. `port 443 is TLS`. */
  reason: string;
  /** What to do instead, when the adapter that found it knows (else the rule's generic hint). */
  hint?: string;
  /** The policy layer `at` belongs to (see {@link Sourced.layer}), for a setting of a layered policy. */
  layer?: string;
}

/**
 * A field replaced by something that applies after the DestinationRule (an `EnvoyFilter` CLUSTER or
 * NETWORK_FILTER patch). The override's value wins; `replaced` is the DestinationRule field it shadows, if any.
 */
export interface PolicyOverride {
  field: PoolField;
  value: number | string | boolean;
  at: FieldRef;
  /** e.g. `EnvoyFilter istio-system/keepalive patch CLUSTER (outbound|9080||reviews…)`. */
  text: string;
  replaced?: FieldRef;
  /** Set when the override is written but has no effect (e.g. an EnvoyFilter MERGE of circuit-breaker thresholds): why. It then goes to `ignored`. */
  noEffect?: string;
}

/**
 * The effective connection policy of one client proxy for one (destination host, subset, port).
 *
 * Built by `adapters/istio/connection-policy.ts` from the DestinationRule layers (top level →
 * `portLevelSettings[port]` → `subsets[].trafficPolicy` → that subset's `portLevelSettings[port]`, whole blocks),
 * `meshConfig.defaultTrafficPolicy`, then {@link PolicyOverride}s. `http` is empty unless `protocol` is `http`:
 * HTTP settings written for a TLS/TCP port are in `ignored` instead.
 */
export interface ConnectionPolicy {
  /** `clientNamespace|host|subset|port`: unique per record. */
  key: string;
  clientNamespace: string;
  /** The client workload (its labels chose a `workloadSelector` DestinationRule), when one is known. */
  clientWorkload?: string;
  /** Destination host, FQDN for cluster Services. */
  host: string;
  subset?: string;
  /** Destination port; undefined only when the input declares no port for the host. */
  port?: number;
  protocol: PortProtocol;
  /** Why `protocol`: the Service/ServiceEntry port and its protocol, or the assumption made. */
  protocolReason: string;
  /** The port's protocol as the input declares it, lowercased (e.g. `grpc`, `http2 http-web`); absent when not declared. */
  declaredProtocol?: string;
  external: boolean;
  dataPlane: DataPlane;
  /** The `connectionPool` block in force (whole-block layering), when any layer or the mesh default sets one. */
  connectionPool?: Sourced<Record<string, unknown>>;
  /** The DestinationRule whose layers were read (its top-level host field), when one applies. */
  destinationRule?: FieldRef;
  http: HttpPoolFigures;
  tcp: TcpPoolFigures;
  /** HTTP connection manager timeouts at both ends of the hop (HTTP ports only; see {@link ListenerFigures}). */
  listener: ListenerFigures;
  /** New upstream connections per try on this port: 1 keep-alive off, 1/N for `maxRequestsPerConnection: N`, 0 pooled. */
  connectionsPerTry: number;
  /** How `connectionsPerTry` was decided (trace text and its field). */
  connectionsTrace: TraceItem;
  ignored: IgnoredSetting[];
  overrides: PolicyOverride[];
}

/**
 * The retry policy of one route (per logical request, on one leg). `attempts` retries, so 1 + attempts tries.
 * `attempts.default` is true when no `retries` block was written and the mesh default applied (the
 * istio-semantics adapter decides that default per Istio version: `adapters/istio/retries.ts`).
 */
export interface RetryPolicy {
  /** The route that carries it (a VirtualService `http[i]`, a ServiceEntry host with Istio's default route). */
  route: FieldRef;
  clientNamespace: string;
  host: string;
  /** Retries (not tries); `at` is `retries.attempts` when written. */
  attempts: { value: number; default: boolean; trace: TraceItem; at?: FieldRef };
  /** `retries.retryOn` as written, or the default's conditions. */
  retryOn?: { value: string; at?: FieldRef };
  /** Seconds. */
  perTryTimeout?: Sourced<number>;
  /** The `retries` block, when one is written. */
  block?: FieldRef;
  /**
   * Where a per-try timeout is (or would be) written: absent → `perTryTimeout` inside `block` (Istio);
   * a field elsewhere (Linkerd's `retry.linkerd.io/timeout` annotation); null when the API has none and only the
   * route `timeout` bounds the tries (a ServiceProfile route).
   */
  perTryTimeoutAt?: FieldRef | null;
  /**
   * A ratio budget that caps retries instead of a per-request count (Linkerd ServiceProfile `retryBudget`):
   * retries may add at most `retryRatio` of the requests, plus `minRetriesPerSecond`, counted over `ttl`
   * seconds. `attempts.value` then holds `retryRatio` (the average retries per request at most).
   */
  budget?: RetryBudgetRatio;
  /** Set when the retries have a per-request count limit and nothing caps them across requests: why (with its source). */
  unbudgeted?: string;
}

/** A ratio retry budget (Linkerd `retryBudget`), with where each figure came from (absent `at`: the default). */
export interface RetryBudgetRatio {
  retryRatio: number;
  minRetriesPerSecond: number;
  /** Seconds. */
  ttl: number;
  /** True when no `retryBudget` is written and the defaults apply. */
  default: boolean;
  /** The `retryBudget` block, when written. */
  at?: FieldRef;
  trace: TraceItem;
}

/** One destination of a route, with its weight (percent of requests; absent = the only one, or equal shares). */
export interface RouteBackend {
  host: string;
  subset?: string;
  /** Absent: the port the request came in on, or each port the destination declares (`docs/model.md`, "Ports"). */
  port?: number;
  weight?: number;
  at: FieldRef;
}

/** A mirror of a route: a copy of `percentage` % of requests, sent on the mirror destination's own connection pool. */
export interface RouteMirror {
  host: string;
  subset?: string;
  port?: number;
  /** Percent of requests (absent in the API = 100). */
  percentage: number;
  at: FieldRef;
}

/**
 * One HTTP route as the client's proxy applies it (a VirtualService `http[i]`; later an HTTPRoute rule):
 * where it applies, its backends, mirrors and retry policy, extracted once from the document.
 */
export interface TrafficRoute {
  at: FieldRef;
  /** `name` of the route, when written. */
  name?: string;
  /** Namespace of the object that defines it: its clients' scope. */
  namespace: string;
  /** Hosts it routes, resolved (FQDN for cluster names; wildcards as written). */
  hosts: string[];
  /** Gateways it applies to (`mesh` = every sidecar). */
  gateways: string[];
  /** The port every `match` names, when they all name the same one. */
  matchPort?: number;
  backends: RouteBackend[];
  mirrors: RouteMirror[];
  /** Absent when the route sends nothing upstream (`redirect`, `directResponse`). */
  retryPolicy?: RetryPolicy;
  /** Route `timeout`, seconds. */
  timeout?: Sourced<number>;
  /** Parts of the route the data plane does not apply (a rejected reference, an implementation meshlint does not model). */
  notApplied?: RouteNotApplied[];
  /** HTTP methods the route is limited to (uppercase), when its match names them; absent: any method. */
  methods?: { value: string[]; at: FieldRef };
  /** Path patterns the route is limited to (regular expressions, prefixes or exact paths as written), when its match names them. */
  paths?: { value: string[]; at: FieldRef };
}

/**
 * One `istio.io/use-waypoint` label of the input and what it binds (`adapters/workloads/ambient.ts`): `ok`, `none`
 * (opted out), `not-in-input` (the waypoint Gateway is not in the input: assumed to exist), `missing` (read from a
 * cluster that has no such Gateway: istiod reports WaypointIsNotReady and binds nothing), `wrong-traffic` (its
 * `istio.io/waypoint-for` does not take this traffic) or `attachment-denied` (its HBONE listener's
 * `allowedRoutes` does not admit the namespace).
 */
export interface WaypointBinding {
  /** The label. */
  at: FieldRef;
  /** The Namespace, Service, ServiceEntry or workload (pod template) that carries it. */
  owner: ManifestObject;
  /** Traffic the binding is for: addressed to a Service (Service, ServiceEntry, Namespace) or to a pod. */
  traffic: 'service' | 'workload';
  /** Waypoint name (`none` when opted out) and namespace. */
  name: string;
  namespace: string;
  gateway?: ManifestObject;
  status: 'ok' | 'none' | 'not-in-input' | 'missing' | 'wrong-traffic' | 'attachment-denied';
  /** One line saying what the label does, e.g. `Service shop/reviews has istio.io/use-waypoint=waypoint`. */
  reason: string;
}

/**
 * A reference of a route that carries no traffic as meshlint models it: the controller rejects it (`condition`
 * is the reason it reports, e.g. Gateway API `RefNotPermitted`, `NotAllowedByListeners`, `NoMatchingParent`), or
 * it attaches to an implementation meshlint does not model (`unmodelled`: no rows, no figures).
 */
export interface RouteNotApplied {
  at: FieldRef;
  condition: string;
  /** Why, e.g. `backendRef shop/prod not accessible to an HTTPRoute in namespace "web" (no ReferenceGrant in prod allows it)`. */
  message: string;
  unmodelled?: boolean;
  /** What to change, when the adapter knows better than the rule's generic hint. */
  hint?: string;
}

/** The ephemeral ports one scope has, and what a route draws from it. */
export interface PortBudget {
  scope: BudgetScope;
  /** Usable ports (range less reserved). */
  ports: number;
  /** New connections per logical request charged to this scope (Σ tries × connectionsPerTry of its legs). */
  connections: number;
  /** requests/s at which TIME_WAIT fills it: ports / (connections × TIME_WAIT s); null when nothing churns here. */
  exhaustionRps: number | null;
  /** Where `ports` came from (sysctls with file:line, or the default). */
  trace: TraceItem[];
}

/** A key naming one field of one object (`<file>#<doc>/<kind>/<ns>/<name>:<path>`): several records can share a field; rules report it once. */
export function fieldKey(field: FieldRef): string {
  const o = field.object;
  return `${o.origin.file}#${o.origin.docIndex}/${o.origin.basePath.join('.')}|${o.ref.kind}/${o.ref.namespace}/${o.ref.name}|${field.path.join('.')}`;
}

/** A port something listens on, with where the input says so (ports are TCP port numbers). */
export interface ListeningPort {
  port: number;
  /** e.g. `hostPort of DaemonSet kube-system/agent container agent`. */
  what: string;
}

/**
 * A patch of the proxies' generated configuration (an Istio `EnvoyFilter` `configPatches[index]`) that the
 * model does not include, with why: it is counted and reported, never guessed at.
 */
export interface UnmodelledPatch {
  /** The object that holds the patch. */
  filter: ManifestObject;
  /** Index of the patch in the object's list of patches. */
  index: number;
  /** The patch's field path inside `filter`. */
  path: FieldPath;
  /** What the patch applies to as written (e.g. `HTTP_FILTER`), `''` when unset. */
  applyTo: string;
  /** The patch operation as written (e.g. `MERGE`), `''` when unset. */
  operation: string;
  reason: string;
}

/**
 * What the data-plane release the run models does where a rule's message or advice depends on it, as plain
 * values (the Istio adapter fills it from `--istio-version`, the configuration file or the input's install
 * objects: `adapters/istio/versions.ts`).
 */
export interface ReleaseFacts {
  /** The release, e.g. `1.31` or `1.24.3`. */
  version: string;
  /** DestinationRule `trafficPolicy.retryBudget` exists in this release (Istio ≥ 1.27, istio/api#3512). */
  retryBudgetField: boolean;
  /**
   * Concurrent retries a destination's cluster allows when nothing caps them (no `connectionPool.http.maxRetries`
   * or `retryBudget`): istiod writes 2^32−1 into the circuit breaker's `max_retries` (istio/istio
   * `pilot/pkg/networking/core/cluster_traffic_policy.go`), where Envoy's own default is 3.
   */
  uncappedMaxRetries: number;
}

/**
 * The mesh-wide facts rules read besides the per-record model, as neutral values: the mesh's HTTP/2 upgrade
 * default, the release's facts, the proxy patches the model leaves out, and the ports the input's workloads and
 * Services listen on (for port-range checks). Built once per run (`adapters/istio/mesh-facts.ts`); the list
 * functions compute on first call and cost nothing when no rule asks.
 */
export interface MeshFacts {
  /** The mesh-wide `h2UpgradePolicy` (Istio `meshConfig.h2UpgradePolicy`; default `DO_NOT_UPGRADE`). */
  h2UpgradePolicy: 'DO_NOT_UPGRADE' | 'UPGRADE';
  release: ReleaseFacts;
  /** Every proxy patch of the input the model does not include, in input order. */
  unmodelledPatches(): readonly UnmodelledPatch[];
  /**
   * TCP ports that listen in the node's network namespace according to the input: `hostPort` of any container,
   * `containerPort` of `hostNetwork` pods, and explicit Service `nodePort` values.
   */
  nodeListeningPorts(): readonly ListeningPort[];
  /**
   * TCP ports the pods of `workload` (a Pod or a workload object with a pod template) listen on in their own
   * network namespace: each container's `containerPort`, and the numeric `targetPort` of Services in its
   * namespace whose selector matches its pod labels. Empty for an object without a pod spec.
   */
  podListeningPorts(workload: ManifestObject): readonly ListeningPort[];
  /**
   * Each ambient multi-network Gateway of the input (Gateway API class `istio-east-west`: this network's east-west
   * gateway; `istio-remote`: another network's), in input order. Traffic between networks through them is not
   * modelled.
   */
  multiNetworkGateways(): readonly MultiNetworkGateway[];
}

/** An ambient multi-network Gateway (see {@link MeshFacts.multiNetworkGateways}). */
export interface MultiNetworkGateway {
  object: ManifestObject;
  /** `<namespace>/<name>`. */
  key: string;
  /** `spec.gatewayClassName`. */
  className: string;
  role: 'east-west' | 'remote';
}

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
  /**
   * Why `dataPlane` carries this leg: the label or annotation that decided (ambient enrolment, `istio.io/use-waypoint`,
   * `istio.io/ingress-use-waypoint`) with its object and line, or the sidecar decision. `explain` prints it.
   */
  carriedBy?: TraceItem;
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
  /** Each budget the route draws from, with its exhaustion rate; set by `chargeRows` (`multiplier.ts`). */
  budgets: PortBudget[];
  /** The tightest budget (lowest exhaustion rate; with no churn, `node` when any leg is SNAT'd, else `pod`). */
  budgetScope: BudgetScope;
  /** New connections per request that draw on the tightest budget. */
  budgetConnections: number;
  /** Usable ephemeral ports of the tightest budget (range less reserved); set by `chargeRows` (`multiplier.ts`). */
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
  /** Every `istio.io/use-waypoint` label of the input and what it binds (`adapters/workloads/ambient.ts`). */
  waypointBindings: readonly WaypointBinding[];
  /** Seconds (`--time-wait`, default 60). */
  timeWaitSeconds: number;
  /** Route and retry settings written where the data plane does not read them (pool fields are on each {@link ConnectionPolicy}). */
  ignoredSettings?: IgnoredSetting[];
}
