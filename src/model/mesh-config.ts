/**
 * Istio's mesh config (`MeshConfig`, Istio API reference "Global Mesh Options", `mesh/v1alpha1/config.proto`) as
 * meshlint reads it: the `mesh` key of ConfigMap `istio` in the control-plane namespace, a YAML document. Only the
 * fields that change the model are used: `rootNamespace`, `defaultHttpRetryPolicy`, `h2UpgradePolicy` and
 * `defaultTrafficPolicy`. The same code serves `meshlint check` (a ConfigMap among the input files, e.g. from
 * `kubectl get configmap istio -n istio-system -o yaml` or an audit's `--dump`) and `meshlint audit`.
 */
import { createRequire } from 'node:module';
import { type ManifestObject, isMeshConfigMap, MESH_CONFIGMAP_NAME } from '../load/objects.js';

export { isMeshConfigMap, MESH_CONFIGMAP_NAME };
import type { FieldPath } from '../types.js';
import { ISTIO_DEFAULT_ROOT_NAMESPACE } from '../facts.js';
import type { MeshSettings } from './mesh.js';
import { asRecord, dig } from './values.js';

/** Path of the mesh config text inside the ConfigMap. */
export const MESH_CONFIG_PATH: FieldPath = ['data', 'mesh'];


/**
 * Parses the text of a ConfigMap's `data.mesh` (YAML) with the `yaml` package.
 * @returns the mapping (`{}` for an empty document), or `error`: one line saying why it is not a mapping.
 */
export function parseMeshConfig(text: string): { value: Record<string, unknown> } | { error: string } {
  let parsed: unknown;
  try {
    // The yaml package is loaded here, for an input with the mesh ConfigMap, not at every start (~30 ms; issue 7).
    parsed = (createRequire(import.meta.url)('yaml') as typeof import('yaml')).parse(text);
  } catch (err) {
    return { error: `not valid YAML (${(err instanceof Error ? err.message : String(err)).split('\n')[0]})` };
  }
  if (parsed === null || parsed === undefined) return { value: {} };
  const record = asRecord(parsed);
  return record ? { value: record } : { error: `a YAML ${Array.isArray(parsed) ? 'list' : typeof parsed}, not a mapping` };
}

/** A value of the mesh config that meshlint cannot use: reported as `schema-invalid` at `path` inside the ConfigMap. */
export interface MeshConfigProblem {
  path: FieldPath;
  message: string;
}

/**
 * The ConfigMap the mesh config is read from, among `objects`: the `istio` ConfigMap in `istio-system` when there is
 * one, else the first `istio` ConfigMap of the input; undefined when there is none.
 */
export function findMeshConfigMap(objects: readonly ManifestObject[]): ManifestObject | undefined {
  const candidates = objects.filter((o) => isMeshConfigMap(o.ref.apiVersion, o.ref.kind, o.ref.name));
  return candidates.find((o) => o.ref.namespace === ISTIO_DEFAULT_ROOT_NAMESPACE) ?? candidates[0];
}

/**
 * {@link MeshSettings} from the mesh config of a ConfigMap `istio` (see {@link meshSettingsFromMeshConfig}); the
 * root namespace defaults to the ConfigMap's namespace (istiod's, which Istio uses when the field is unset).
 * Never throws.
 */
export function meshSettingsFromConfigMap(configMap: ManifestObject): { settings: Partial<MeshSettings>; problems: MeshConfigProblem[] } {
  const where = `ConfigMap ${configMap.ref.namespace}/${configMap.ref.name}`;
  const text = dig(configMap.raw, ...MESH_CONFIG_PATH);
  if (text === undefined || text === null) return { settings: { rootNamespace: configMap.ref.namespace || ISTIO_DEFAULT_ROOT_NAMESPACE }, problems: [] };
  if (typeof text !== 'string') {
    return { settings: { rootNamespace: configMap.ref.namespace || ISTIO_DEFAULT_ROOT_NAMESPACE }, problems: [{ path: MESH_CONFIG_PATH, message: `${where}: data.mesh must be a string holding the mesh config as YAML; mesh config defaults are assumed` }] };
  }
  const parsed = parseMeshConfig(text);
  if ('error' in parsed) {
    return { settings: { rootNamespace: configMap.ref.namespace || ISTIO_DEFAULT_ROOT_NAMESPACE }, problems: [{ path: MESH_CONFIG_PATH, message: `${where}: data.mesh is ${parsed.error}; mesh config defaults are assumed` }] };
  }
  return meshSettingsFromMeshConfig(parsed.value, { object: configMap, path: MESH_CONFIG_PATH, where, rootNamespace: configMap.ref.namespace || ISTIO_DEFAULT_ROOT_NAMESPACE });
}

/** Where a mesh config was read: the object, the path of the `MeshConfig` inside it, a label for messages, the root namespace Istio falls back to. */
export interface MeshConfigOrigin {
  object: ManifestObject;
  path: FieldPath;
  /** e.g. `ConfigMap istio-system/istio`, `IstioOperator istio-system/installed-state`. */
  where: string;
  /** Root namespace when `rootNamespace` is unset: the namespace istiod runs in. */
  rootNamespace: string;
}

/**
 * {@link MeshSettings} from a `MeshConfig` mapping (istio/api `mesh/v1alpha1/config.proto`), wherever it is
 * written (the `istio` ConfigMap's `data.mesh`, an `IstioOperator`'s `spec.meshConfig`):
 * - `rootNamespace`: `rootNamespace`, else `origin.rootNamespace`;
 * - `defaultRetryAttempts`: `defaultHttpRetryPolicy.attempts`; a policy without `attempts` (or `0`) disables
 *   retries mesh-wide (istio/istio `pilot/pkg/networking/core/route/retry/retry.go`, `ConvertPolicy`: attempts
 *   ≤ 0 → no retry policy); no policy → Istio's default. `defaultHttpRetryPolicy` itself (an `HTTPRetry`:
 *   `attempts`, `retryOn`, `retryRemoteLocalities`, `retryIgnorePreviousHosts`, `backoff`; `perTryTimeout` is not
 *   honoured mesh-wide, config.proto) is kept with its location for traces and the retry rules;
 * - `h2UpgradePolicy`: `h2UpgradePolicy` (`UPGRADE` or `DO_NOT_UPGRADE`);
 * - `defaultTrafficPolicy`: `defaultTrafficPolicy` (its `connectionPool` and `outlierDetection` are used).
 * Values of the wrong type are left at their defaults and returned as problems (paths inside `origin.object`).
 * Never throws.
 */
export function meshSettingsFromMeshConfig(mesh: Record<string, unknown>, origin: MeshConfigOrigin): { settings: Partial<MeshSettings>; problems: MeshConfigProblem[] } {
  const settings: Partial<MeshSettings> = { rootNamespace: origin.rootNamespace };
  const problems: MeshConfigProblem[] = [];
  const at = (...path: string[]): FieldPath => [...origin.path, ...path];
  const wrong = (path: string[], expected: string) =>
    problems.push({ path: at(...path), message: `${origin.where}: mesh config ${path.join('.')} must be ${expected}; Istio's default is assumed` });

  if (mesh.rootNamespace !== undefined && mesh.rootNamespace !== '') {
    if (typeof mesh.rootNamespace === 'string') settings.rootNamespace = mesh.rootNamespace;
    else wrong(['rootNamespace'], 'a namespace name');
  }
  if (mesh.defaultHttpRetryPolicy !== undefined && mesh.defaultHttpRetryPolicy !== null) {
    const policy = asRecord(mesh.defaultHttpRetryPolicy);
    if (!policy) wrong(['defaultHttpRetryPolicy'], 'a mapping (an HTTPRetry)');
    else {
      const attempts = policy.attempts === undefined || policy.attempts === null ? 0 : typeof policy.attempts === 'number' && Number.isInteger(policy.attempts) ? Math.max(0, policy.attempts) : undefined;
      if (attempts === undefined) wrong(['defaultHttpRetryPolicy', 'attempts'], 'a whole number');
      else if (policy.retryOn !== undefined && typeof policy.retryOn !== 'string') wrong(['defaultHttpRetryPolicy', 'retryOn'], 'a comma-separated string of retry conditions');
      else {
        settings.defaultRetryAttempts = attempts;
        settings.defaultHttpRetryPolicy = { value: policy, object: origin.object, path: at('defaultHttpRetryPolicy') };
      }
    }
  }
  if (mesh.h2UpgradePolicy !== undefined && mesh.h2UpgradePolicy !== null) {
    if (mesh.h2UpgradePolicy === 'UPGRADE' || mesh.h2UpgradePolicy === 'DO_NOT_UPGRADE') settings.h2UpgradePolicy = mesh.h2UpgradePolicy;
    else wrong(['h2UpgradePolicy'], 'UPGRADE or DO_NOT_UPGRADE');
  }
  if (mesh.defaultTrafficPolicy !== undefined && mesh.defaultTrafficPolicy !== null) {
    const policy = asRecord(mesh.defaultTrafficPolicy);
    if (policy) settings.defaultTrafficPolicy = { value: policy, object: origin.object, path: at('defaultTrafficPolicy') };
    else wrong(['defaultTrafficPolicy'], 'a mapping (a TrafficPolicy)');
  }
  return { settings, problems };
}
