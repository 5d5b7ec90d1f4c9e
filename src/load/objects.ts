import type { FieldPath, Location, ObjectRef } from '../types.js';
import type { PositionIndex } from './positions.js';
import type { ParsedDocument } from './parse.js';

/** Name of the ConfigMap holding the mesh config in Istio's control-plane namespace (revisioned installs use `istio-<revision>`). */
export const MESH_CONFIGMAP_NAME = 'istio';

/** True for the ConfigMap meshlint reads the mesh config from: core-group `ConfigMap` named `istio`. */
export function isMeshConfigMap(apiVersion: string, kind: string, name: unknown): boolean {
  return apiVersion === 'v1' && kind === 'ConfigMap' && name === MESH_CONFIGMAP_NAME;
}

/** Kinds of `networking.istio.io` meshlint analyses (EnvoyFilter only serves `v1alpha3`). */
export const ISTIO_NETWORKING_KINDS = new Set(['DestinationRule', 'VirtualService', 'ServiceEntry', 'Sidecar', 'Gateway', 'EnvoyFilter']);
/** `networking.istio.io` versions with the same schema for those kinds (istio/api `networking/v1alpha3`, served as v1alpha3, v1beta1 and v1 since Istio 1.22). */
export const ISTIO_NETWORKING_VERSIONS = new Set(['v1', 'v1beta1', 'v1alpha3']);
/**
 * Gateway API kinds meshlint analyses (`gateway.networking.k8s.io`, standard channel v1/v1beta1): routes that
 * Istio turns into VirtualService routes (istio/istio `pilot/pkg/config/kube/gateway/conversion.go`), the
 * Gateways and GatewayClasses they attach to, and ReferenceGrants that allow cross-namespace backendRefs.
 */
export const GATEWAY_API_KINDS = new Set(['HTTPRoute', 'GRPCRoute', 'Gateway', 'GatewayClass', 'ReferenceGrant']);
/** API group of the Gateway API standard and experimental channels. */
export const GATEWAY_API_GROUP = 'gateway.networking.k8s.io';
/** Kinds of the Gateway API `gateway.networking.x-k8s.io` group meshlint reads (XBackendTrafficPolicy: retry budgets). */
export const GATEWAY_API_X_KINDS = new Set(['XBackendTrafficPolicy']);
/** API group of Gateway API's experimental `X` kinds. */
export const GATEWAY_API_X_GROUP = 'gateway.networking.x-k8s.io';
/** API group of Linkerd's ServiceProfile. */
export const LINKERD_GROUP = 'linkerd.io';
/** API group of Linkerd's policy kinds (HTTPRoute, EgressNetwork). */
export const LINKERD_POLICY_GROUP = 'policy.linkerd.io';
/**
 * Linkerd kinds meshlint analyses, by API group: `ServiceProfile` (linkerd.io v1alpha2, v1alpha1; its name is the
 * Service FQDN), `HTTPRoute` / `GRPCRoute` of policy.linkerd.io (HTTPRoute v1alpha1 and v1beta1–v1beta3; linkerd/linkerd2
 * `charts/linkerd-crds/templates/serviceprofile.yaml` and `policy/httproute.yaml`; linkerd-crds ships no
 * policy.linkerd.io GRPCRoute, Linkerd reads the Gateway API one, but one written that way is read too), and
 * `EgressNetwork` (policy.linkerd.io v1alpha1, Linkerd 2.18+, `policy/egress-network.yaml`).
 */
export const LINKERD_KINDS: ReadonlyMap<string, ReadonlySet<string>> = new Map([
  [LINKERD_GROUP, new Set(['ServiceProfile'])],
  [LINKERD_POLICY_GROUP, new Set(['HTTPRoute', 'GRPCRoute', 'EgressNetwork'])],
]);
/** Kubernetes kinds that feed the model (injection, bypass annotations, replicas, Services). */
export const WORKLOAD_KINDS = new Set(['Deployment', 'StatefulSet', 'DaemonSet', 'Pod', 'Namespace', 'Service', 'ReplicaSet', 'Job', 'CronJob']);

/**
 * Where an object sits in its input: the file, the document's position index (null for objects read from a
 * cluster, which have no lines), and the path of the object inside the document (`['items', 3]` in a `List`).
 */
export interface Origin {
  file: string;
  docIndex: number;
  positions: PositionIndex | null;
  basePath: FieldPath;
}

/** A Kubernetes object from the input, with its identity defaulted and its origin kept. */
export interface ManifestObject {
  ref: ObjectRef;
  /** API group, `''` for the core group. */
  group: string;
  /** API version without the group, e.g. `v1beta1`. */
  version: string;
  raw: Record<string, unknown>;
  origin: Origin;
  /** Position of the object in input order (file order, then document order); stands in for creation time. */
  order: number;
}

/** Why a document produced no object. */
export type SkipReason = 'empty' | 'not-a-mapping' | 'not-a-kubernetes-object' | 'other-kind';

/** Result of splitting documents into objects. */
export interface ObjectsOfFile {
  objects: ManifestObject[];
  /** Documents that are not a mapping: reported as `schema-invalid`. */
  notMappings: { origin: Origin; got: string }[];
  /** Counts of skipped objects per `kind` (or per reason when there is no kind). */
  skipped: Map<string, number>;
}

/**
 * Splits parsed documents into Kubernetes objects, expanding `kind: List` (and `<Kind>List`) items as
 * `kubectl get -o yaml` prints them. Objects of kinds meshlint does not read are counted in `skipped`; of the
 * ConfigMaps, only `istio` (the mesh config, see `model/mesh-config.ts`) is read; `IstioOperator`s (install.istio.io) are read for the mesh config and the Istio release (`model/adapters/istio/install.ts`).
 * `defaultNamespace` fills `metadata.namespace` where it is absent, as `kubectl apply` would.
 */
export function objectsOf(file: string, documents: readonly ParsedDocument[], defaultNamespace: string, nextOrder: () => number): ObjectsOfFile {
  const result: ObjectsOfFile = { objects: [], notMappings: [], skipped: new Map() };
  const count = (key: string) => result.skipped.set(key, (result.skipped.get(key) ?? 0) + 1);
  const visit = (value: unknown, origin: Origin, depth: number) => {
    if (value === null || value === undefined) return;
    if (typeof value !== 'object' || Array.isArray(value)) {
      result.notMappings.push({ origin, got: Array.isArray(value) ? 'a list' : `a ${typeof value}` });
      return;
    }
    const raw = value as Record<string, unknown>;
    const kind = typeof raw.kind === 'string' ? raw.kind : undefined;
    const apiVersion = typeof raw.apiVersion === 'string' ? raw.apiVersion : undefined;
    if (kind && Array.isArray(raw.items) && (kind === 'List' || kind.endsWith('List')) && depth === 0) {
      const itemKind = kind === 'List' ? undefined : kind.slice(0, -'List'.length);
      raw.items.forEach((item, i) => {
        if (itemKind && item && typeof item === 'object' && !Array.isArray(item)) {
          const it = item as Record<string, unknown>;
          if (it.kind === undefined) it.kind = itemKind;
          if (it.apiVersion === undefined && apiVersion) it.apiVersion = apiVersion;
        }
        visit(item, { ...origin, basePath: [...origin.basePath, 'items', i] }, depth + 1);
      });
      return;
    }
    if (!kind || !apiVersion) {
      count('(not a Kubernetes object)');
      return;
    }
    const slash = apiVersion.indexOf('/');
    const group = slash === -1 ? '' : apiVersion.slice(0, slash);
    const version = slash === -1 ? apiVersion : apiVersion.slice(slash + 1);
    const metadata = (raw.metadata && typeof raw.metadata === 'object' ? raw.metadata : {}) as Record<string, unknown>;
    if (!isAnalysedKind(apiVersion, kind, metadata.name)) {
      count(kind);
      return;
    }
    const clusterScoped = kind === 'Namespace' || (kind === 'GatewayClass' && group === GATEWAY_API_GROUP);
    const ref: ObjectRef = {
      apiVersion,
      kind,
      name: typeof metadata.name === 'string' ? metadata.name : '',
      namespace: clusterScoped ? '' : typeof metadata.namespace === 'string' && metadata.namespace ? metadata.namespace : defaultNamespace,
    };
    result.objects.push({ ref, group, version, raw, origin, order: nextOrder() });
  };
  for (const doc of documents) {
    visit(doc.value, { file, docIndex: doc.index, positions: doc.positions, basePath: [] }, 0);
  }
  return result;
}

/**
 * True when `file` names an object read from a cluster (`cluster://<context>/<kind>/…`, see `audit/objects.ts`)
 * rather than a file: such locations have no lines, their field path says where.
 */
export function isClusterUri(file: string): boolean {
  return file.startsWith('cluster://');
}

/** `spec.http[0].retries.attempts` from `['spec', 'http', 0, 'retries', 'attempts']`. */
export function formatFieldPath(path: FieldPath): string {
  let out = '';
  for (const segment of path) {
    if (typeof segment === 'number') out += `[${segment}]`;
    else out += out ? `.${segment}` : segment;
  }
  return out;
}

/**
 * Location of a field of an object: the line and column of the deepest part of `path` that exists (the key
 * of the field itself when present), with the object identity and the dotted field path.
 */
export function locate(object: ManifestObject, path: FieldPath): Location {
  return locateIn(object.origin, path, object.ref);
}

/** {@link locate} for an origin that may not be a whole object (a document that is not a mapping). */
export function locateIn(origin: Origin, path: FieldPath, ref?: ObjectRef): Location {
  const full = origin.basePath.length ? [...origin.basePath, ...path] : path;
  const at = origin.positions ? origin.positions.resolve(full) : { line: 1, column: 1 };
  const location: Location = { file: origin.file, line: at.line, column: at.column };
  if (ref) location.object = ref;
  if (path.length) location.fieldPath = formatFieldPath(path);
  return location;
}

/**
 * True for an object meshlint analyses, by its `apiVersion`, `kind` and `metadata.name`: the Istio networking,
 * Gateway API and Linkerd kinds it models, workloads of the core, `apps` and `batch` groups, the mesh-config
 * ConfigMap and an `IstioOperator`. Everything else is counted and skipped, from files and from a cluster alike.
 */
export function isAnalysedKind(apiVersion: string, kind: string, name: unknown): boolean {
  const slash = apiVersion.indexOf('/');
  const group = slash === -1 ? '' : apiVersion.slice(0, slash);
  if (group === 'networking.istio.io') return ISTIO_NETWORKING_KINDS.has(kind);
  if (group === GATEWAY_API_GROUP) return GATEWAY_API_KINDS.has(kind);
  if (group === GATEWAY_API_X_GROUP) return GATEWAY_API_X_KINDS.has(kind);
  const linkerd = LINKERD_KINDS.get(group);
  if (linkerd) return linkerd.has(kind);
  return ((group === '' || group === 'apps' || group === 'batch') && WORKLOAD_KINDS.has(kind)) || isMeshConfigMap(apiVersion, kind, name) || (group === 'install.istio.io' && kind === 'IstioOperator');
}
