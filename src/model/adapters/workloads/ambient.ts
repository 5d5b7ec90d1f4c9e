/**
 * Ambient mode (Istio's sidecar-less data plane): which clients are enrolled, which waypoint serves a destination,
 * and whether ingress gateways send through it. Every decision carries the label (object and field) it came from,
 * so `explain` can say why a leg is carried by ztunnel or a waypoint. Sources (docs/model.md, "Ambient"):
 *
 * - Enrolment: `istio.io/dataplane-mode: ambient | none` on a Namespace or a Pod, the pod's label winning; any
 *   other value counts as `none` (istio/api `label/labels.yaml`; istio.io "Ambient and Kubernetes" label reference).
 *   A pod with a sidecar, a `hostNetwork` pod, or one annotated `ambient.istio.io/redirection: disabled` is never
 *   captured (istio/istio `cni/pkg/util/podutil.go`, `PodRedirectionEnabled`).
 * - Waypoints: `istio.io/use-waypoint: <name> | none` on the destination's Service/ServiceEntry (or a Pod, for
 *   traffic addressed to the pod), else on its Namespace; the object's own label wins, and a waypoint it names
 *   that is not usable is not replaced by the namespace's (istio/istio
 *   `pilot/pkg/serviceregistry/kube/controller/ambient/waypoints.go`, `fetchWaypointForTarget`).
 *   `istio.io/use-waypoint-namespace` on the same object names the waypoint's namespace (default: the object's).
 * - A waypoint is a Gateway API Gateway (class `istio-waypoint`); `istio.io/waypoint-for` on the Gateway, else on
 *   its GatewayClass, else `service`, says which traffic it takes (`service`, `workload`, `all`, `none`), and the
 *   `allowedRoutes.namespaces` of its HBONE listener (port 15008; default `Same`) which namespaces may use it
 *   (`waypoints.go`, `WaypointsCollection`, `makeAllowedRoutes`).
 * - Ingress: `istio.io/ingress-use-waypoint: "true"` on the Service, else its Namespace (Istio ≥ 1.25 for the
 *   namespace), makes ingress gateways send to the Service's waypoint (istio/istio
 *   `pilot/pkg/serviceregistry/kube/controller/ambient`, `ingressUseWaypointFromLabels`; istiod's
 *   `ENABLE_INGRESS_WAYPOINT_ROUTING` defaults to true when ambient is enabled, `pilot/pkg/features/ambient.go`).
 */
import type { ManifestObject } from '../../../load/objects.js';
import { isClusterUri } from '../../../load/objects.js';
import type { MeshModel, WorkloadView } from '../../mesh.js';
import { podTemplatePath } from '../../mesh.js';
import type { ConnectionPolicy, FieldRef, IgnoredSetting, RetryPolicy, TrafficRoute, WaypointBinding } from '../../traffic.js';
import { fieldKey } from '../../traffic.js';
import { asArray, asNumber, asRecord, asString, dig } from '../../values.js';
import { atLeast } from '../istio/versions.js';
import { gatewaysByName } from '../gateway-api/routes.js';

/** Whether a client is enrolled in ambient, and why: the label (object and field) that decided, when one did. */
export interface AmbientEnrolment {
  ambient: boolean;
  reason: string;
  at?: FieldRef;
}

/** The waypoint that serves a destination. */
export interface WaypointRef {
  /** `<namespace>/<name>` of the waypoint Gateway. */
  name: string;
  namespace: string;
  /** The `istio.io/use-waypoint` label that selected it. */
  at: FieldRef;
  /** The waypoint Gateway object, when the input has it (absent: assumed to exist, see {@link WaypointBinding}). */
  gateway?: ManifestObject;
}

/** Which waypoint (if any) serves traffic to a host, and why: the label that decided, or why none applies. */
export interface WaypointResolution {
  waypoint?: WaypointRef;
  /** e.g. `Service shop/reviews has istio.io/use-waypoint=none`. */
  reason: string;
  /** The label that decided (a waypoint's name, `none`, or a waypoint that cannot serve this traffic). */
  at?: FieldRef;
}

const DATAPLANE_MODE = 'istio.io/dataplane-mode';
const USE_WAYPOINT = 'istio.io/use-waypoint';
const USE_WAYPOINT_NAMESPACE = 'istio.io/use-waypoint-namespace';
const WAYPOINT_FOR = 'istio.io/waypoint-for';
const INGRESS_USE_WAYPOINT = 'istio.io/ingress-use-waypoint';
/** Pod annotation the CNI agent honours to leave a pod out of ambient capture (istio/api `annotation/annotations.yaml`). */
const REDIRECTION = 'ambient.istio.io/redirection';
/** GatewayClass of Istio waypoints. */
export const WAYPOINT_CLASS = 'istio-waypoint';
/** ztunnel's and waypoints' HBONE port (istio/istio `architecture/ambient/ztunnel.md`). */
export const HBONE_PORT = 15008;

function labels(object: ManifestObject | undefined, path: readonly (string | number)[] = ['metadata', 'labels']): Record<string, unknown> | undefined {
  return asRecord(dig(object?.raw, ...path));
}

function label(object: ManifestObject | undefined, key: string): string | undefined {
  return asString(labels(object)?.[key]);
}

function describe(object: ManifestObject): string {
  return object.ref.kind === 'Namespace' ? `Namespace ${object.ref.name}` : `${object.ref.kind} ${object.ref.namespace}/${object.ref.name}`;
}

/**
 * Ambient enrolment of a client in `namespace`: of `client` (the calling workload) when known, else of the
 * namespace's workloads in the input (enrolled when one of them is), else of the Namespace's label. `sidecar`
 * is the sidecar decision for the client: a client with a sidecar is never ambient (sidecar injection wins).
 */
export function ambientEnrolment(model: MeshModel, namespace: string, client: WorkloadView | undefined, sidecar: boolean | undefined): AmbientEnrolment {
  if (sidecar === true) return { ambient: false, reason: 'the client has a sidecar (a pod with a sidecar is never captured by ztunnel)' };
  if (client) return workloadEnrolment(model, client);
  // Every row of a namespace asks the same question: answer it once per namespace.
  const byNamespace = indexOf(model).enrolments;
  let found = byNamespace.get(namespace);
  if (!found) byNamespace.set(namespace, (found = namespaceWorkloadsEnrolment(model, namespace)));
  return found;
}

function namespaceWorkloadsEnrolment(model: MeshModel, namespace: string): AmbientEnrolment {
  const workloads = model.workloadsIn(namespace);
  if (!workloads.length) return namespaceEnrolment(model, namespace);
  let first: AmbientEnrolment | undefined;
  for (const w of workloads) {
    const enrolment = workloadEnrolment(model, w);
    if (enrolment.ambient) return enrolment;
    first ??= enrolment;
  }
  return first!;
}

function namespaceEnrolment(model: MeshModel, namespace: string): AmbientEnrolment {
  const ns = model.namespaces.get(namespace);
  const mode = label(ns, DATAPLANE_MODE);
  if (!ns || mode === undefined) return { ambient: false, reason: `not enrolled in ambient (no ${DATAPLANE_MODE} label on the pod or namespace ${namespace})` };
  return { ambient: mode === 'ambient', reason: `Namespace ${namespace} has ${DATAPLANE_MODE}=${mode}`, at: { object: ns, path: ['metadata', 'labels', DATAPLANE_MODE] } };
}

/** Enrolment of one workload: its pod template's label wins over its namespace's. */
function workloadEnrolment(model: MeshModel, w: WorkloadView): AmbientEnrolment {
  const name = describe(w.object);
  const pod = podTemplatePath(w.object.ref.kind);
  if (w.sidecar === true) return { ambient: false, reason: `${name} has a sidecar (${w.sidecarReason}); ztunnel does not capture pods with a sidecar` };
  if (w.hostNetwork) return { ambient: false, reason: `${name} uses hostNetwork: ztunnel cannot capture it` };
  if (w.podAnnotations[REDIRECTION] === 'disabled') return { ambient: false, reason: `${name} has annotation ${REDIRECTION}=disabled`, at: { object: w.object, path: [...pod, 'metadata', 'annotations', REDIRECTION] } };
  const mode = w.podLabels[DATAPLANE_MODE];
  if (mode !== undefined) return { ambient: mode === 'ambient', reason: `${name} pod label ${DATAPLANE_MODE}=${mode}`, at: { object: w.object, path: [...pod, 'metadata', 'labels', DATAPLANE_MODE] } };
  return namespaceEnrolment(model, w.namespace);
}

// ---- Waypoints ----

interface ModelIndex {
  servicesByHost: Map<string, ManifestObject>;
  gatewayClasses: Map<string, ManifestObject>;
  bindings: Map<ManifestObject, WaypointBinding>;
  enrolments: Map<string, AmbientEnrolment>;
  all?: WaypointBinding[];
}

const indexes = new WeakMap<MeshModel, ModelIndex>();

function indexOf(model: MeshModel): ModelIndex {
  let index = indexes.get(model);
  if (index) return index;
  index = { servicesByHost: new Map(), gatewayClasses: new Map(), bindings: new Map(), enrolments: new Map() };
  for (const s of model.services) index.servicesByHost.set(`${s.ref.name}.${s.ref.namespace}.svc.${model.settings.clusterDomain}`, s);
  for (const o of model.gatewayApi) if (o.ref.kind === 'GatewayClass') index.gatewayClasses.set(o.ref.name, o);
  indexes.set(model, index);
  return index;
}

/** The input's GatewayClass `name`. */
function gatewayClass(model: MeshModel, name: string | undefined): ManifestObject | undefined {
  return name === undefined ? undefined : indexOf(model).gatewayClasses.get(name);
}

/** The namespaces a waypoint's HBONE listener admits (`allowedRoutes.namespaces`), as `waypoints.go` `makeAllowedRoutes` reads them. */
function admits(model: MeshModel, gateway: ManifestObject, namespace: string): { ok: boolean; why: string } {
  const listener = asArray(dig(gateway.raw, 'spec', 'listeners')).find((l) => asString(dig(l, 'protocol')) === 'HBONE' && asNumber(dig(l, 'port')) === HBONE_PORT);
  const from = asString(dig(listener, 'allowedRoutes', 'namespaces', 'from')) ?? 'Same';
  if (from === 'All') return { ok: true, why: 'allowedRoutes.namespaces.from: All' };
  if (from === 'Selector') {
    const matchLabels = asRecord(dig(listener, 'allowedRoutes', 'namespaces', 'selector', 'matchLabels')) ?? {};
    const ns = model.namespaces.get(namespace);
    // Without the Namespace object its labels are unknown (kubernetes.io/metadata.name is set by the API server).
    if (!ns) return { ok: true, why: 'allowedRoutes.namespaces.from: Selector (namespace not in the input: assumed to match)' };
    const nsLabels: Record<string, unknown> = { ...labels(ns), 'kubernetes.io/metadata.name': namespace };
    const ok = Object.entries(matchLabels).every(([k, v]) => nsLabels[k] === v);
    return { ok, why: `allowedRoutes.namespaces.from: Selector ${ok ? 'matches' : 'does not match'} namespace ${namespace}` };
  }
  return { ok: gateway.ref.namespace === namespace, why: `allowedRoutes.namespaces.from: ${from}${listener ? '' : ' (no HBONE listener on port 15008: Same)'}` };
}

/**
 * The binding an object's `istio.io/use-waypoint` label makes, checked against the waypoint Gateway: usable for
 * `traffic` (`service` for a Service/ServiceEntry/Namespace, `workload` for a pod), or why not. Undefined when
 * the object has no such label.
 */
function bindingOf(model: MeshModel, owner: ManifestObject, traffic: 'service' | 'workload', labelPath: readonly (string | number)[] = ['metadata', 'labels']): WaypointBinding | undefined {
  const index = indexOf(model);
  const cached = index.bindings.get(owner);
  if (cached && cached.traffic === traffic) return cached;
  const own = labels(owner, labelPath);
  const name = asString(own?.[USE_WAYPOINT]);
  if (name === undefined) return undefined;
  const at: FieldRef = { object: owner, path: [...labelPath, USE_WAYPOINT] };
  const clientNamespace = owner.ref.kind === 'Namespace' ? owner.ref.name : owner.ref.namespace;
  const namespace = asString(own?.[USE_WAYPOINT_NAMESPACE]) ?? clientNamespace;
  const base = { at, owner, traffic, name, namespace };
  let binding: WaypointBinding;
  if (name === 'none') {
    binding = { ...base, status: 'none', reason: `${describe(owner)} has ${USE_WAYPOINT}=none` };
  } else {
    const gateway = gatewaysByName(model).get(`${namespace}/${name}`);
    const ref = `${namespace}/${name}`;
    if (!gateway) {
      binding = isClusterUri(owner.origin.file)
        ? { ...base, status: 'missing', reason: `${describe(owner)} names waypoint ${ref}, which the cluster does not have: istiod gives it no waypoint (WaypointIsNotReady)` }
        : { ...base, status: 'not-in-input', reason: `${describe(owner)} names waypoint ${ref}, which is not in the input (assumed to exist)` };
    } else {
      const serves = label(gateway, WAYPOINT_FOR) ?? label(gatewayClass(model, asString(dig(gateway.raw, 'spec', 'gatewayClassName'))), WAYPOINT_FOR) ?? 'service';
      const admitted = admits(model, gateway, clientNamespace);
      if (serves !== traffic && serves !== 'all') {
        binding = { ...base, gateway, status: 'wrong-traffic', reason: `waypoint ${ref} has ${WAYPOINT_FOR}=${serves}${label(gateway, WAYPOINT_FOR) === undefined ? ' (default)' : ''}: it does not take ${traffic}-addressed traffic, so ${describe(owner)} gets no waypoint` };
      } else if (!admitted.ok) {
        binding = { ...base, gateway, status: 'attachment-denied', reason: `waypoint ${ref} does not admit namespace ${clientNamespace} (${admitted.why}): ${describe(owner)} gets no waypoint` };
      } else {
        binding = { ...base, gateway, status: 'ok', reason: `${describe(owner)} has ${USE_WAYPOINT}=${name}${namespace !== clientNamespace ? ` (${USE_WAYPOINT_NAMESPACE}=${namespace})` : ''}` };
      }
    }
  }
  index.bindings.set(owner, binding);
  return binding;
}

function usable(binding: WaypointBinding): boolean {
  return binding.status === 'ok' || binding.status === 'not-in-input';
}

/**
 * The waypoint that serves Service-addressed traffic to `host` (a Service or ServiceEntry host): the
 * `istio.io/use-waypoint` label of its Service/ServiceEntry, else of that object's Namespace. The object's own
 * label decides alone when present: `none`, or a waypoint that is missing or cannot take Service traffic,
 * leaves the host without a waypoint (no fallback to the namespace's).
 */
export function waypointFor(model: MeshModel, host: string): WaypointResolution {
  const owner = indexOf(model).servicesByHost.get(host) ?? model.serviceEntryHosts.get(host)?.[0]?.object;
  if (!owner) return { reason: `no Service or ServiceEntry for ${host} in the input: no waypoint` };
  const ns = model.namespaces.get(owner.ref.namespace);
  const binding = bindingOf(model, owner, 'service') ?? (ns ? bindingOf(model, ns, 'service') : undefined);
  if (!binding) return { reason: `no ${USE_WAYPOINT} label on ${describe(owner)} or its namespace` };
  if (!usable(binding)) return { reason: binding.reason, at: binding.at };
  return { waypoint: { name: `${binding.namespace}/${binding.name}`, namespace: binding.namespace, at: binding.at, ...(binding.gateway ? { gateway: binding.gateway } : {}) }, reason: binding.reason, at: binding.at };
}

/**
 * Every `istio.io/use-waypoint` label of the input (Namespaces, Services, ServiceEntries, pod templates), checked
 * against the waypoint it names; computed once per model. Pod labels are checked for workload traffic (ztunnel
 * uses a pod's waypoint only for traffic addressed to the pod, istio/ztunnel `src/proxy/outbound.rs`).
 */
export function waypointBindings(model: MeshModel): readonly WaypointBinding[] {
  const index = indexOf(model);
  if (index.all) return index.all;
  const all: WaypointBinding[] = [];
  const add = (b: WaypointBinding | undefined) => {
    if (b) all.push(b);
  };
  for (const ns of model.namespaces.values()) add(bindingOf(model, ns, 'service'));
  for (const s of model.services) add(bindingOf(model, s, 'service'));
  for (const se of model.serviceEntries) add(bindingOf(model, se, 'service'));
  for (const w of model.workloads) add(bindingOf(model, w.object, 'workload', [...podTemplatePath(w.object.ref.kind), 'metadata', 'labels']));
  index.all = all;
  return all;
}

/**
 * Whether ingress gateways send traffic for `host` through its waypoint: `istio.io/ingress-use-waypoint` on
 * the Service, else on its Namespace (read from Istio 1.25), parsed as Go's `strconv.ParseBool` (anything else is
 * false). Undefined when no such label applies.
 */
export function ingressUseWaypoint(model: MeshModel, host: string): { enabled: boolean; at: FieldRef; reason: string } | undefined {
  const service = indexOf(model).servicesByHost.get(host);
  if (!service) return undefined;
  const ns = model.namespaces.get(service.ref.namespace);
  const nsAllowed = atLeast(model.settings.istio.version, 1, 25);
  const owner = label(service, INGRESS_USE_WAYPOINT) !== undefined ? service : nsAllowed && label(ns, INGRESS_USE_WAYPOINT) !== undefined ? ns! : undefined;
  if (!owner) return undefined;
  const value = label(owner, INGRESS_USE_WAYPOINT)!;
  const enabled = ['1', 't', 'T', 'TRUE', 'true', 'True'].includes(value);
  return { enabled, at: { object: owner, path: ['metadata', 'labels', INGRESS_USE_WAYPOINT] }, reason: `${describe(owner)} has ${INGRESS_USE_WAYPOINT}=${value}` };
}

/**
 * Records the route retries written for a destination that ambient carries without a waypoint as ignored on
 * `policy` (rule `setting-ignored`): ztunnel is L4 only and applies no HTTP route, so a VirtualService `retries`
 * block or an HTTPRoute `retry` does nothing there (istio/istio `architecture/ambient/ztunnel.md`: ztunnel does
 * no L7 processing; istio.io "Use Layer 7 features": routes need a waypoint). Only written retries are recorded (the
 * mesh default is nobody's setting), at `retries.attempts` when written, else at the block; once per field.
 * `why` says why there is no waypoint.
 */
export function ignoreRouteRetriesAtL4(model: MeshModel, policy: ConnectionPolicy, retries: RetryPolicy | undefined, why: string): void {
  if (retries) l4RoutesOf(model).add(fieldKey(retries.route));
  const at = retries?.attempts.at ?? retries?.block;
  if (!retries || !at) return;
  const field = at.object.ref.kind === 'HTTPRoute' ? (retries.attempts.at ? 'retry.attempts' : 'retry') : retries.attempts.at ? 'retries.attempts' : 'retries';
  if (policy.ignored.some((i) => i.at.object === at.object && i.at.path.join('.') === at.path.join('.'))) return;
  policy.ignored.push({
    field,
    value: retries.attempts.value,
    at,
    reason: `no waypoint: ambient L4 only (ztunnel applies no route retries; ${why})`,
  });
}

/** Routes (by `fieldKey` of the route) that some ambient client reaches without a waypoint, per model. */
const l4Routes = new WeakMap<MeshModel, Set<string>>();

function l4RoutesOf(model: MeshModel): Set<string> {
  let keys = l4Routes.get(model);
  if (!keys) l4Routes.set(model, (keys = new Set()));
  return keys;
}

/**
 * The L7 records rules should judge, less what only ambient clients without a waypoint reach
 * ({@link ignoreRouteRetriesAtL4}): ztunnel applies no HTTP route, so neither the route's retries, Istio's default
 * retry policy nor its mirrors happen, and `retries-aggressive`, `retries-implicit-default` or
 * `mirror-amplification` would describe traffic that never flows. Such a route stays in `trafficRoutes` (its
 * attachment findings still hold) without its `retryPolicy` and `mirrors` (each mirror becomes an `ignored` setting,
 * reported by `setting-ignored`), and its policy leaves `retryPolicies`. A
 * route some sidecar, gateway or waypoint row applies (that row's `retryPolicy`) is kept whole, and so is a route
 * no row reached. `rows` are the multiplier rows (anything with an optional `retryPolicy`).
 */
export function l7InForce(
  model: MeshModel,
  trafficRoutes: TrafficRoute[],
  retryPolicies: RetryPolicy[],
  rows: readonly { retryPolicy?: RetryPolicy }[],
): { trafficRoutes: TrafficRoute[]; retryPolicies: RetryPolicy[]; ignored: IgnoredSetting[] } {
  const reached = l4Routes.get(model);
  const ignored: IgnoredSetting[] = [];
  if (!reached?.size) return { trafficRoutes, retryPolicies, ignored };
  const applied = new Set<string>();
  for (const r of rows) if (r.retryPolicy) applied.add(fieldKey(r.retryPolicy.route));
  const onlyL4 = (at: FieldRef) => {
    const key = fieldKey(at);
    return reached.has(key) && !applied.has(key);
  };
  return {
    trafficRoutes: trafficRoutes.map((r) => {
      if (!onlyL4(r.at)) return r;
      for (const m of r.mirrors) ignored.push({ field: 'mirror', value: `${m.percentage}% to ${m.host}`, at: m.at, reason: 'no waypoint: ambient L4 only (ztunnel mirrors no request)' });
      const { retryPolicy: _skipped, ...rest } = r;
      return { ...rest, mirrors: [] };
    }),
    retryPolicies: retryPolicies.filter((p) => !onlyL4(p.route)),
    ignored,
  };
}
