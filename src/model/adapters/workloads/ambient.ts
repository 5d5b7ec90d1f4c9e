/**
 * Ambient mode (Istio's sidecar-less data plane): which clients are enrolled, and which destinations a waypoint
 * serves. Labels as istio/api `label/labels.yaml` defines them:
 *
 * - `istio.io/dataplane-mode: ambient | none` on a Namespace or a Pod; the pod's label wins over the namespace's.
 *   A pod that gets a sidecar is not ambient (the sidecar decision of `MeshModel.namespaceSidecar` wins).
 * - `istio.io/use-waypoint: <name> | none` on a Service, ServiceEntry, Pod or Namespace (the object's own label wins
 *   over its namespace's); `istio.io/use-waypoint-namespace` names the waypoint's namespace (default: the
 *   labelled object's).
 * - A waypoint is a Gateway API Gateway of class `istio-waypoint`; its `istio.io/waypoint-for` label
 *   (`service` by default, `workload`, `all`, `none`) says which traffic it serves.
 */
import type { ManifestObject } from '../../../load/objects.js';
import type { MeshModel } from '../../mesh.js';
import type { FieldRef } from '../../traffic.js';
import { asString, dig } from '../../values.js';
import { gatewaysByName } from '../gateway-api/routes.js';

/** Whether a client (namespace, optional pod labels) is enrolled in ambient, and why. */
export interface AmbientEnrolment {
  ambient: boolean;
  reason: string;
  at?: FieldRef;
}

/** The waypoint that serves a destination, when one does. */
export interface WaypointRef {
  /** `<namespace>/<name>` of the waypoint Gateway. */
  name: string;
  namespace: string;
  /** The `istio.io/use-waypoint` label that selected it. */
  at: FieldRef;
  /** The waypoint Gateway object, when the input has it. */
  gateway?: ManifestObject;
}

const DATAPLANE_MODE = 'istio.io/dataplane-mode';
const USE_WAYPOINT = 'istio.io/use-waypoint';
const USE_WAYPOINT_NAMESPACE = 'istio.io/use-waypoint-namespace';
const WAYPOINT_FOR = 'istio.io/waypoint-for';
/** GatewayClass of Istio waypoints. */
export const WAYPOINT_CLASS = 'istio-waypoint';

function label(object: ManifestObject | undefined, key: string): string | undefined {
  return asString(dig(object?.raw, 'metadata', 'labels', key));
}

/**
 * Ambient enrolment of clients in `namespace` (with `podLabels` when the client workload is known). A client
 * with a sidecar is never ambient: callers pass `sidecar` from the sidecar decision.
 */
export function ambientEnrolment(model: MeshModel, namespace: string, podLabels: Readonly<Record<string, string>> | undefined, sidecar: boolean | undefined): AmbientEnrolment {
  if (sidecar === true) return { ambient: false, reason: 'the client has a sidecar' };
  const podMode = podLabels?.[DATAPLANE_MODE];
  if (podMode === 'ambient' || podMode === 'none') return { ambient: podMode === 'ambient', reason: `pod label ${DATAPLANE_MODE}=${podMode}` };
  const ns = model.namespaces.get(namespace);
  const nsMode = label(ns, DATAPLANE_MODE);
  if (nsMode === 'ambient') return { ambient: true, reason: `namespace ${namespace} has ${DATAPLANE_MODE}=ambient`, at: { object: ns!, path: ['metadata', 'labels', DATAPLANE_MODE] } };
  return { ambient: false, reason: nsMode ? `namespace ${namespace} has ${DATAPLANE_MODE}=${nsMode}` : 'not enrolled in ambient' };
}

const serviceIndex = new WeakMap<MeshModel, Map<string, ManifestObject>>();

/** Services of the model by FQDN (indexed once per model). */
function servicesByHost(model: MeshModel): Map<string, ManifestObject> {
  let index = serviceIndex.get(model);
  if (index) return index;
  serviceIndex.set(model, (index = new Map()));
  for (const s of model.services) index.set(`${s.ref.name}.${s.ref.namespace}.svc.${model.settings.clusterDomain}`, s);
  return index;
}

/**
 * The waypoint that serves traffic to `host` (a Service or ServiceEntry host): the `istio.io/use-waypoint` label of
 * its Service/ServiceEntry, else of the Service's namespace; `none` means no waypoint. A waypoint Gateway in the
 * input whose `istio.io/waypoint-for` is `workload` or `none` does not serve Service traffic: no waypoint then.
 */
export function waypointFor(model: MeshModel, host: string): WaypointRef | undefined {
  const service = servicesByHost(model).get(host);
  const entry = service ? undefined : model.serviceEntryHosts.get(host)?.[0]?.object;
  const owner = service ?? entry;
  if (!owner) return undefined;
  const ns = model.namespaces.get(owner.ref.namespace);
  const labelled = label(owner, USE_WAYPOINT) !== undefined ? owner : label(ns, USE_WAYPOINT) !== undefined ? ns : undefined;
  const name = label(labelled, USE_WAYPOINT);
  if (!labelled || !name || name === 'none') return undefined;
  const namespace = label(labelled, USE_WAYPOINT_NAMESPACE) ?? (labelled === ns ? ns.ref.name : owner.ref.namespace);
  const gateway = gatewaysByName(model).get(`${namespace}/${name}`);
  const serves = label(gateway, WAYPOINT_FOR) ?? 'service';
  if (gateway && (serves === 'workload' || serves === 'none')) return undefined;
  return { name: `${namespace}/${name}`, namespace, at: { object: labelled, path: ['metadata', 'labels', USE_WAYPOINT] }, ...(gateway ? { gateway } : {}) };
}
