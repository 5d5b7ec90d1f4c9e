/**
 * Objects read from a cluster as the analysis pipeline's {@link ManifestObject}s: no file and no lines, so each
 * object's origin is a `cluster://` URI naming it, and findings point at the object and the field path, with the
 * `kubectl edit` command that opens it.
 */
import type { ManifestObject } from '../load/objects.js';
import type { ObjectRef } from '../types.js';
import { isAnalysedKind } from '../load/objects.js';

/**
 * URI of an object read from a cluster: `cluster://<context>/<kind>/<namespace>/<name>`, or
 * `cluster://<context>/<kind>/<name>` for cluster-scoped kinds. Each part is percent-encoded (RFC 3986), so a
 * context such as `admin@prod` or an EKS ARN stays one authority: `cluster://admin%40prod/...`. `isClusterUri`
 * (`load/objects.ts`) recognises these locations.
 */
export function clusterUri(context: string, ref: Pick<ObjectRef, 'kind' | 'namespace' | 'name'>): string {
  const parts = [ref.kind, ...(ref.namespace ? [ref.namespace] : []), ref.name].map(encodeURIComponent);
  return `cluster://${encodeURIComponent(context)}/${parts.join('/')}`;
}

/**
 * Kinds meshlint reads from more than one API group (Istio's and Gateway API's Gateway; Gateway API's and Linkerd's
 * policy.linkerd.io HTTPRoute and GRPCRoute): `kubectl edit httproute/x` would pick one group by discovery order, so
 * these are named with their group.
 */
const KINDS_IN_SEVERAL_GROUPS = new Set(['Gateway', 'HTTPRoute', 'GRPCRoute']);

/**
 * The `kubectl edit` command that opens an object: `kubectl edit destinationrule/api -n payments`
 * (`kubectl edit namespace/payments` for cluster-scoped kinds), with `--context` when a context is given. A kind
 * that several API groups serve is qualified with the group of `apiVersion` (`httproute.policy.linkerd.io/orders`).
 * Names are shell-quoted when they are not plain DNS names.
 */
export function kubectlEditCommand(ref: Pick<ObjectRef, 'kind' | 'namespace' | 'name'> & { apiVersion?: string }, context?: string): string {
  const quote = (s: string) => (/^[A-Za-z0-9._@:/=-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`);
  const slash = ref.apiVersion?.indexOf('/') ?? -1;
  const group = KINDS_IN_SEVERAL_GROUPS.has(ref.kind) && slash > 0 ? `.${ref.apiVersion!.slice(0, slash)}` : '';
  const words = ['kubectl', 'edit', quote(`${ref.kind.toLowerCase()}${group}/${ref.name}`)];
  if (ref.namespace) words.push('-n', quote(ref.namespace));
  if (context) words.push('--context', quote(context));
  return words.join(' ');
}

/** What {@link manifestObjectsOf} made of the objects read. */
export interface ClusterObjects {
  objects: ManifestObject[];
  /** Objects not analysed, per kind (none expected: the reader lists only kinds meshlint reads). */
  skipped: Record<string, number>;
}

/**
 * Turns objects read from a cluster (plain JSON as served, `apiVersion` and `kind` set) into {@link ManifestObject}s
 * whose origin is their {@link clusterUri} with `positions: null`. Objects keep the order they were read in; the
 * model orders same-host rules by `metadata.creationTimestamp`, which served objects always have.
 */
export function manifestObjectsOf(raw: readonly Record<string, unknown>[], context: string): ClusterObjects {
  const objects: ManifestObject[] = [];
  const skipped: Record<string, number> = {};
  raw.forEach((obj, order) => {
    const apiVersion = typeof obj.apiVersion === 'string' ? obj.apiVersion : '';
    const kind = typeof obj.kind === 'string' ? obj.kind : '';
    const metadata = (obj.metadata && typeof obj.metadata === 'object' ? obj.metadata : {}) as Record<string, unknown>;
    const slash = apiVersion.indexOf('/');
    const group = slash === -1 ? '' : apiVersion.slice(0, slash);
    const version = slash === -1 ? apiVersion : apiVersion.slice(slash + 1);
    if (!isAnalysedKind(apiVersion, kind, metadata.name)) {
      skipped[kind || '(not a Kubernetes object)'] = (skipped[kind || '(not a Kubernetes object)'] ?? 0) + 1;
      return;
    }
    const ref: ObjectRef = {
      apiVersion,
      kind,
      name: typeof metadata.name === 'string' ? metadata.name : '',
      namespace: kind === 'Namespace' || typeof metadata.namespace !== 'string' ? '' : metadata.namespace,
    };
    objects.push({ ref, group, version, raw: obj, origin: { file: clusterUri(context, ref), docIndex: 0, positions: null, basePath: [] }, order });
  });
  return { objects, skipped };
}
