/**
 * Gateway API adapter: whether Istio attaches a route to a Gateway parent, and whether it may send to a
 * backendRef in another namespace. Both decide if a route rule carries traffic at all; what Istio rejects makes
 * no multiplier row and is recorded as {@link RouteNotApplied} for the `route-not-attached` rule.
 *
 * - Gateway implementation: Istio's gateway controller owns GatewayClass `istio`, and any GatewayClass whose
 *   `spec.controllerName` is `istio.io/gateway-controller` (istio/istio `pilot/pkg/config/kube/gateway`
 *   `deploymentcontroller.go`, `Reconcile`: "We found the gateway class, but we do not implement it. Skip").
 *   For a managed Gateway it deploys `<gateway name>-<gatewayClassName>` (`GetDefaultName`), e.g. `ingress-istio`,
 *   unless the Gateway's `gateway.istio.io/name-override` annotation names it (`configureIstioGateway`). Other
 *   Istio-owned classes (`istio-waypoint`, `istio-remote`, `istio-east-west`) are not ingress gateways; waypoints
 *   and east-west gateways listen on HBONE, which takes no routes.
 * - Listeners (Gateway API spec, `ParentReference.sectionName` / `port`, `Listener.hostname`, `Listener.allowedRoutes`):
 *   a parentRef with `sectionName` binds to the listener of that name, with `port` to listeners on that port, else to
 *   every listener. A listener accepts the route when its `hostname` (when written) overlaps one of the route's
 *   `hostnames` (none written: `*`; {@link hostnamesOverlap}), its protocol carries HTTP (`HTTP`, `HTTPS`), its
 *   `allowedRoutes.kinds` (when written) lists the route's kind, and `allowedRoutes.namespaces.from` allows the
 *   route's namespace (`Same`, the default; `All`; `Selector` over the Namespace's labels). No listener of that
 *   name or port: Istio reports `NoMatchingParent`; listeners that all refuse: `NotAllowedByListeners`, or
 *   `NoMatchingListenerHostname` when every refusal is the hostname.
 * - ReferenceGrant (istio/istio `pilot/pkg/config/kube/gateway/conversion.go`, `buildDestination`: "backendRef
 *   %v/%v not accessible to a %s in namespace %q (missing a ReferenceGrant?)", reason `RefNotPermitted`): a
 *   backendRef (or RequestMirror backendRef) to another namespace needs a ReferenceGrant in that namespace whose
 *   `from` names the route's group, kind and namespace and whose `to` names the backend's group and kind (and
 *   `name`, when written).
 */
import type { ManifestObject } from '../../../load/objects.js';
import type { MeshModel } from '../../mesh.js';
import { asArray, asRecord, asString, dig } from '../../values.js';

/** GatewayClass name of Istio's own gateway controller (conversion.go `DefaultClassName`). */
export const ISTIO_GATEWAY_CLASS = 'istio';
/** `spec.controllerName` of GatewayClasses Istio's gateway controller implements (deploymentcontroller.go `ControllerName`). */
export const ISTIO_GATEWAY_CONTROLLER = 'istio.io/gateway-controller';
/** `spec.controllerName` of Istio's waypoint GatewayClass (`istio-waypoint`; deploymentcontroller.go `ManagedGatewayMeshController`). */
export const ISTIO_MESH_CONTROLLER = 'istio.io/mesh-controller';
/** Istio-owned classes that are not ingress gateways (waypoints, remote and east-west gateways): no north-south rows. */
const ISTIO_NON_INGRESS_CLASSES = new Set(['istio-waypoint', 'istio-remote', 'istio-east-west']);
/**
 * Istio classes whose Gateways listen on HBONE only (waypoints, ambient east-west gateways): Istio's
 * `generateSupportedKinds` gives an HBONE listener no route kinds, so no HTTPRoute or GRPCRoute attaches to them
 * (`conversion.go`, `referenceAllowed`: "kind … is not allowed"), and the deployment controller names their
 * Deployment after the Gateway alone (`disableNameSuffix`).
 */
const ISTIO_HBONE_CLASSES = new Set(['istio-waypoint', 'istio-east-west']);
/** Gateway annotation that names the Deployment and Service Istio creates (istio/api `annotation/annotations.yaml`). */
export const NAME_OVERRIDE = 'gateway.istio.io/name-override';
/** The Gateway API group of routes and Gateways. */
const GATEWAY_GROUP = 'gateway.networking.k8s.io';

/** Who implements a Gateway, as far as meshlint can tell from the input. */
export type GatewayImplementation = 'istio' | 'istio-other' | 'other' | 'unknown';

/** A Gateway of the input with what decides attachment. */
export interface GatewayView {
  object: ManifestObject;
  /** `<namespace>/<name>`. */
  key: string;
  className: string;
  implementation: GatewayImplementation;
  /**
   * The Deployment (and Service) Istio runs for it: the `gateway.istio.io/name-override` annotation when set, else
   * `<name>-<gatewayClassName>`, or `<name>` for waypoint and east-west classes (deploymentcontroller.go
   * `configureIstioGateway`: `DeploymentName: GetOrDefault(annotations[GatewayNameOverride], getDefaultName(...))`).
   */
  deployment: string;
  /** A waypoint or ambient east-west gateway: its only listener is HBONE, and no route attaches to it. */
  hbone: boolean;
}

const classIndex = new WeakMap<MeshModel, Map<string, ManifestObject>>();

/** How Istio treats a GatewayClass name: its own ingress class, another Istio class, another controller, or unknown. */
export function gatewayImplementation(model: MeshModel, className: string): GatewayImplementation {
  let classes = classIndex.get(model);
  if (!classes) {
    classIndex.set(model, (classes = new Map()));
    for (const o of model.gatewayApi) if (o.ref.kind === 'GatewayClass') classes.set(o.ref.name, o);
  }
  const gatewayClass = classes.get(className);
  if (gatewayClass) {
    const controller = asString(dig(gatewayClass.raw, 'spec', 'controllerName'));
    if (controller === ISTIO_MESH_CONTROLLER) return 'istio-other';
    if (controller !== ISTIO_GATEWAY_CONTROLLER) return 'other';
    return ISTIO_NON_INGRESS_CLASSES.has(className) ? 'istio-other' : 'istio';
  }
  if (className === ISTIO_GATEWAY_CLASS) return 'istio';
  if (ISTIO_NON_INGRESS_CLASSES.has(className)) return 'istio-other';
  // Istio also reconciles Gateways whose class it cannot find only when the class is `istio` (Reconcile).
  return 'other';
}

/** The Gateway `key` (`<namespace>/<name>`) of the input as a {@link GatewayView}, or undefined when the input does not have it. */
export function gatewayView(model: MeshModel, gateway: ManifestObject | undefined): GatewayView | undefined {
  if (!gateway) return undefined;
  const className = asString(dig(gateway.raw, 'spec', 'gatewayClassName')) ?? '';
  const implementation = gatewayImplementation(model, className);
  const controller = asString(dig(classIndex.get(model)?.get(className)?.raw, 'spec', 'controllerName'));
  const hbone = implementation === 'istio-other' && (ISTIO_HBONE_CLASSES.has(className) || controller === ISTIO_MESH_CONTROLLER);
  const override = asString(dig(gateway.raw, 'metadata', 'annotations', NAME_OVERRIDE));
  return {
    object: gateway,
    key: `${gateway.ref.namespace}/${gateway.ref.name}`,
    className,
    implementation,
    deployment: override || (hbone ? gateway.ref.name : `${gateway.ref.name}-${className}`),
    hbone,
  };
}

/**
 * The Gateways of the input that connect networks in an ambient multi-network mesh: class `istio-east-west` (this
 * cluster's east-west gateway, which other networks' ztunnels reach over HBONE on 15008) and `istio-remote`
 * (another network's east-west gateway as this cluster sees it; Istio programs nothing for it,
 * deploymentcontroller.go `UnmanagedGatewayController`, "Remote to this cluster"). istio.io "Install ambient
 * multi-primary on different networks": traffic to endpoints in another network goes through that network's
 * east-west gateway. meshlint does not model that hop (`gateway-unmodelled` reports each such Gateway).
 */
export function multiNetworkGateways(model: MeshModel): { gateway: GatewayView; role: 'east-west' | 'remote' }[] {
  const out: { gateway: GatewayView; role: 'east-west' | 'remote' }[] = [];
  for (const o of model.gatewayApi) {
    if (o.ref.kind !== 'Gateway') continue;
    const className = asString(dig(o.raw, 'spec', 'gatewayClassName'));
    if (className !== 'istio-east-west' && className !== 'istio-remote') continue;
    out.push({ gateway: gatewayView(model, o)!, role: className === 'istio-east-west' ? 'east-west' : 'remote' });
  }
  return out;
}

/** Listener protocols whose routes are HTTPRoute/GRPCRoute (Gateway API `ProtocolType`: HTTP, HTTPS carry HTTP routes). */
const HTTP_LISTENER_PROTOCOLS = new Set(['HTTP', 'HTTPS']);

/** The listeners of `gateway` that a parentRef (`sectionName`, `port`) of a `routeKind` route in `routeNamespace` binds to. */
export function listenerAttachment(
  model: MeshModel,
  gateway: ManifestObject,
  parentRef: unknown,
  routeKind: string,
  routeNamespace: string,
  routeHostnames: readonly string[] = [],
): { attached: true; listeners: { index: number; port?: number }[] } | { attached: false; condition: 'NoMatchingParent' | 'NotAllowedByListeners' | 'NoMatchingListenerHostname'; message: string } {
  const sectionName = asString(dig(parentRef, 'sectionName'));
  const port = dig(parentRef, 'port');
  const listeners = asArray(dig(gateway.raw, 'spec', 'listeners')).map((l, index) => ({ l, index })).filter(({ l }) => (sectionName === undefined || asString(dig(l, 'name')) === sectionName) && (port === undefined || dig(l, 'port') === port));
  const where = `${sectionName !== undefined ? `sectionName ${sectionName}` : ''}${sectionName !== undefined && port !== undefined ? ', ' : ''}${port !== undefined ? `port ${String(port)}` : ''}`;
  if (!listeners.length) return { attached: false, condition: 'NoMatchingParent', message: `Gateway ${gateway.ref.namespace}/${gateway.ref.name} has no listener ${where || 'at all'}` };
  const refusals: string[] = [];
  let hostnameRefusals = 0;
  const accepting = listeners.filter(({ l }) => {
    const name = asString(dig(l, 'name')) ?? '?';
    const listenerHostname = asString(dig(l, 'hostname'))?.toLowerCase();
    if (listenerHostname !== undefined && !(routeHostnames.length ? routeHostnames : ['*']).some((h) => hostnamesOverlap(listenerHostname, h))) {
      hostnameRefusals++;
      return refusals.push(`listener ${name}'s hostname ${listenerHostname} matches none of the route's hostnames (${routeHostnames.join(', ')})`), false;
    }
    const protocol = (asString(dig(l, 'protocol')) ?? '').toUpperCase();
    if (!HTTP_LISTENER_PROTOCOLS.has(protocol)) return refusals.push(`listener ${name} is ${protocol || 'of no protocol'}`), false;
    const kinds = asArray(dig(l, 'allowedRoutes', 'kinds'));
    if (kinds.length && !kinds.some((k) => asString(dig(k, 'kind')) === routeKind && (asString(dig(k, 'group')) ?? GATEWAY_GROUP) === GATEWAY_GROUP)) return refusals.push(`listener ${name} allows only ${kinds.map((k) => asString(dig(k, 'kind'))).join(', ')}`), false;
    const from = asString(dig(l, 'allowedRoutes', 'namespaces', 'from')) ?? 'Same';
    if (from === 'All') return true;
    if (from === 'Same') return routeNamespace === gateway.ref.namespace || (refusals.push(`listener ${name} allows routes from its own namespace ${gateway.ref.namespace} only (allowedRoutes.namespaces.from: Same)`), false);
    if (from === 'Selector') {
      const selector = asRecord(dig(l, 'allowedRoutes', 'namespaces', 'selector'));
      const namespace = model.namespaces.get(routeNamespace);
      // The route's Namespace is not in the input: its labels are unknown, so the route is taken as allowed.
      if (!namespace || !selector) return true;
      if (selectorMatches(selector, asRecord(dig(namespace.raw, 'metadata', 'labels')) ?? {})) return true;
      return refusals.push(`listener ${name}'s allowedRoutes.namespaces.selector does not match Namespace ${routeNamespace}`), false;
    }
    return refusals.push(`listener ${name} allowedRoutes.namespaces.from: ${from}`), false;
  });
  if (!accepting.length) {
    // Every listener refused on hostname alone: Gateway API's NoMatchingListenerHostname (Istio ParentErrorNoHostname).
    const condition = hostnameRefusals === refusals.length ? 'NoMatchingListenerHostname' : 'NotAllowedByListeners';
    return { attached: false, condition, message: `Gateway ${gateway.ref.namespace}/${gateway.ref.name} refuses the ${routeKind}: ${refusals.join('; ')}` };
  }
  return { attached: true, listeners: accepting.map(({ l, index }) => ({ index, ...(typeof dig(l, 'port') === 'number' ? { port: dig(l, 'port') as number } : {}) })) };
}

/**
 * Whether a listener `hostname` and a route hostname overlap, as Istio decides it (istio/istio
 * `pilot/pkg/config/kube/gateway/conversion.go`, `referenceAllowed`, with `pkg/config/host/name.go` `Name.Matches`):
 * equal names, or a wildcard (`*`, `*.example.com`) whose suffix the other name (wildcard or not) ends with. Istio
 * compares strings, not labels (its own TODO there): `*.example.com` covers `a.b.example.com`, and neither
 * `*.example.com` nor `example.com` covers the other.
 */
export function hostnamesOverlap(a: string, b: string): boolean {
  const aWild = a.startsWith('*');
  const bWild = b.startsWith('*');
  if (aWild && bWild) return a.length < b.length ? b.slice(1).endsWith(a.slice(1)) : a.slice(1).endsWith(b.slice(1));
  if (aWild) return b.endsWith(a.slice(1));
  if (bWild) return a.endsWith(b.slice(1));
  return a === b;
}

/** A Kubernetes label selector (`matchLabels`, `matchExpressions` In/NotIn/Exists/DoesNotExist) against labels. */
function selectorMatches(selector: Record<string, unknown>, labels: Record<string, unknown>): boolean {
  const matchLabels = asRecord(selector.matchLabels) ?? {};
  for (const [k, v] of Object.entries(matchLabels)) if (labels[k] !== v) return false;
  for (const e of asArray(selector.matchExpressions)) {
    const key = asString(dig(e, 'key')) ?? '';
    const values = asArray(dig(e, 'values')).map(String);
    const has = Object.prototype.hasOwnProperty.call(labels, key);
    switch (asString(dig(e, 'operator'))) {
      case 'In': if (!has || !values.includes(String(labels[key]))) return false; break;
      case 'NotIn': if (has && values.includes(String(labels[key]))) return false; break;
      case 'Exists': if (!has) return false; break;
      case 'DoesNotExist': if (has) return false; break;
      default: return false;
    }
  }
  return true;
}

const grantIndex = new WeakMap<MeshModel, Map<string, ManifestObject[]>>();

/**
 * Whether a `routeKind` route in `routeNamespace` may reference `{group, kind, name}` in `targetNamespace`: same
 * namespace, or a ReferenceGrant in the target namespace allows it (see the module comment).
 */
export function referenceAllowed(model: MeshModel, routeKind: string, routeNamespace: string, target: { group: string; kind: string; name: string; namespace: string }): boolean {
  if (target.namespace === routeNamespace) return true;
  let grants = grantIndex.get(model);
  if (!grants) {
    grantIndex.set(model, (grants = new Map()));
    for (const o of model.gatewayApi) {
      if (o.ref.kind !== 'ReferenceGrant') continue;
      const list = grants.get(o.ref.namespace);
      if (list) list.push(o);
      else grants.set(o.ref.namespace, [o]);
    }
  }
  return (grants.get(target.namespace) ?? []).some((grant) =>
    asArray(dig(grant.raw, 'spec', 'from')).some((f) => asString(dig(f, 'group')) === GATEWAY_GROUP && asString(dig(f, 'kind')) === routeKind && asString(dig(f, 'namespace')) === routeNamespace) &&
    asArray(dig(grant.raw, 'spec', 'to')).some((t) => (asString(dig(t, 'group')) ?? '') === target.group && asString(dig(t, 'kind')) === target.kind && (asString(dig(t, 'name')) ?? target.name) === target.name),
  );
}

/** A backendRef's group, kind, name and namespace with the Gateway API defaults (core group, kind Service, the route's namespace). */
export function backendRefTarget(ref: unknown, routeNamespace: string): { group: string; kind: string; name: string; namespace: string } | undefined {
  const name = asString(dig(ref, 'name'));
  if (!name) return undefined;
  return { group: asString(dig(ref, 'group')) ?? '', kind: asString(dig(ref, 'kind')) ?? 'Service', name, namespace: asString(dig(ref, 'namespace')) ?? routeNamespace };
}
