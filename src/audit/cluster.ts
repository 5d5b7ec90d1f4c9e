/**
 * Cluster reader for `meshlint audit`: reads the live mesh configuration through the user's kubeconfig (or the pod's
 * service account) with list calls only, and returns plain Kubernetes objects for the analysis pipeline.
 *
 * Everything goes through `@kubernetes/client-node` (KubeConfig for credentials, the generated API classes for
 * requests). Two small middlewares are added to every request: one sets the abort signal (request timeout and
 * cancellation of the whole read), the other keeps the raw JSON of the response so that objects are returned exactly
 * as the API server sent them (the typed models would rename and drop fields and turn timestamps into Dates).
 */
import type { ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { constants as fsConstants, accessSync, readFileSync } from 'node:fs';
import { mkdir, open, readdir, rename, rm, writeFile } from 'node:fs/promises';
import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import {
  ApiException,
  ApisApi,
  AppsV1Api,
  CoreV1Api,
  CustomObjectsApi,
  KubeConfig,
  ResponseContext,
  ServerConfiguration,
  createConfiguration,
  type Cluster,
  type Context,
  type Middleware,
  type RequestContext,
  type User,
} from '@kubernetes/client-node';
import YAML from 'yaml';
import { ISTIO_DEFAULT_ROOT_NAMESPACE } from '../facts.js';
import { MAX_SETTINGS_FILE_BYTES, readTextCapped } from '../load/read.js';
import { MESH_CONFIGMAP_NAME, parseMeshConfig } from '../model/mesh-config.js';
import { GATEWAY_API_GROUP, GATEWAY_API_X_GROUP, LINKERD_GROUP, LINKERD_POLICY_GROUP } from '../load/objects.js';
import { printableUrl } from '../live/url.js';
import { listingHttpLibrary, type ListExchange, type ListPage } from './list-stream.js';

// ---------------------------------------------------------------------------------------------------------------------
// Public types

/** Progress of one kind: `objects` read so far (all namespaces together); `done` once every list call for the kind ended. */
export interface AuditProgress {
  kind: string;
  objects: number;
  done: boolean;
}

/** Options of {@link readCluster}. Every field is optional. */
export interface AuditOptions {
  /** Kubeconfig file (kubectl's `--kubeconfig`). When unset: `$KUBECONFIG` (`:`-separated list, merged), else `~/.kube/config`, else in-cluster credentials. */
  kubeconfig?: string;
  /** Context to use (kubectl's `--context`); default: the kubeconfig's `current-context`. */
  context?: string;
  /** Namespaces to read; empty or undefined = all namespaces (cluster-wide list calls). */
  namespaces?: string[];
  /**
   * Timeout of each HTTP request to the API server, in seconds (fractions allowed); `0` = no timeout, the default,
   * like kubectl's `--request-timeout`. A timeout fails the whole audit with an {@link AuditError}.
   */
  requestTimeoutSeconds?: number;
  /**
   * Seconds allowed to open a connection to the API server (TCP connect and TLS handshake), whatever
   * `requestTimeoutSeconds` says; `0` = no limit. Default 30, client-go's dial timeout (`k8s.io/client-go/transport`,
   * `net.Dialer{Timeout: 30 * time.Second}`), so an unreachable server fails like it does for kubectl.
   */
  connectTimeoutSeconds?: number;
  /** Maximum number of list calls in flight at once. Default 4. */
  concurrency?: number;
  /** Page size of list calls (`limit`; continued with `continue`). Default 500, like kubectl. */
  pageSize?: number;
  /**
   * Most list pages read per kind (all namespaces together); the list stops there with a `truncated` coverage note.
   * Default {@link DEFAULT_MAX_LIST_PAGES}. A server that sends a new `continue` token forever costs this many requests.
   */
  maxListPages?: number;
  /** Most objects read per kind; the list stops there with a `truncated` coverage note. Default {@link DEFAULT_MAX_LIST_ITEMS}. */
  maxListItems?: number;
  /** Called once per kind to be read before the first request (0 objects), after every page, and when a kind is complete. Exceptions it throws are ignored. */
  onProgress?: (p: AuditProgress) => void;
  /** Namespace of the Istio control plane, where ConfigMap `istio` holds the mesh config. Default `istio-system`. */
  istioNamespace?: string;
  /**
   * Path prefix of the in-cluster service-account files (`<prefix>/var/run/secrets/kubernetes.io/serviceaccount/{token,ca.crt}`),
   * for tests. Default: `$MESHLINT_IN_CLUSTER_ROOT`, else `` (the real path).
   */
  inClusterRoot?: string;
  /** Environment to read `KUBECONFIG`, `HOME`, `KUBERNETES_SERVICE_HOST/PORT` and `MESHLINT_IN_CLUSTER_ROOT` from. Default `process.env`. For tests. */
  env?: Record<string, string | undefined>;
  /** Also list Pods and Nodes ({@link PLACEMENT_RESOURCES}), for the per-node port budgets of `audit --prometheus`. */
  placement?: boolean;
}

/**
 * Default of {@link AuditOptions.maxListPages}: 1,000 pages, i.e. 500,000 objects at the default page size (500,
 * kubectl's), beyond {@link DEFAULT_MAX_LIST_ITEMS}, so only a server sending short or empty pages reaches it.
 */
export const DEFAULT_MAX_LIST_PAGES = 1000;
/**
 * Default of {@link AuditOptions.maxListItems}: 200,000 objects of one kind, twice the 100,000-object mesh
 * `npm run bench` measures (docs/benchmarks.md); memory grows with the objects read (about 10 KiB each).
 */
export const DEFAULT_MAX_LIST_ITEMS = 200_000;

/** Kubernetes object names: a DNS-1123 subdomain (names) or label (namespaces), `k8s.io/apimachinery/pkg/util/validation`. */
const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

/**
 * Whether an object from the API server has names meshlint may use (in dump file names, `kubectl edit` hints,
 * reports): `metadata.name` a DNS-1123 subdomain of at most 253 characters (a label of at most 63 for a
 * Namespace), `metadata.namespace` absent or a DNS-1123 label of at most 63 characters. A real API server
 * never serves anything else; a hostile one may send `x/../../escaped`.
 */
export function hasValidNames(obj: Record<string, unknown>, kind: string): boolean {
  const metadata = obj.metadata as { name?: unknown; namespace?: unknown } | undefined;
  const name = metadata?.name;
  const namespace = metadata?.namespace;
  if (typeof name !== 'string') return false;
  const nameOk = kind === 'Namespace' ? name.length <= 63 && DNS_LABEL.test(name) : name.length <= 253 && DNS_SUBDOMAIN.test(name);
  const namespaceOk = namespace === undefined || namespace === '' || (typeof namespace === 'string' && namespace.length <= 63 && DNS_LABEL.test(namespace));
  return nameOk && namespaceOk;
}

/** A name from the server, quoted for a message: JSON-escaped (no control characters reach a terminal), at most 60 characters. */
function quoteName(value: unknown): string {
  const text = JSON.stringify(typeof value === 'string' ? value : String(value));
  return text.length > 62 ? `${text.slice(0, 59)}…"` : text;
}

/** Something that could not be read. The audit goes on without it; the report should say what is missing. */
export interface CoverageNote {
  /** Kind that could not be read, e.g. `DestinationRule`. */
  kind: string;
  /** Namespace of the failed call; absent for cluster-wide calls. */
  namespace?: string;
  verb: 'list' | 'get';
  /** Resource in kubectl/RBAC notation, e.g. `destinationrules.networking.istio.io`, `services`, `deployments.apps`. */
  resource: string;
  /**
   * `forbidden` (403: RBAC), `not-installed` (the resource is not served: Istio CRDs missing), `truncated` (the list
   * was cut short: `maxListPages`/`maxListItems` reached, or the server repeated a continue token; what was read is
   * analysed), `error` (anything else, including objects skipped for invalid names).
   */
  status: 'forbidden' | 'not-installed' | 'truncated' | 'error';
  /** One line, for humans. Never contains credentials. */
  message: string;
}

/** What {@link readCluster} read. */
export interface ClusterRead {
  /** Plain Kubernetes objects as served by the API server, each with `apiVersion` and `kind` set. Includes ConfigMap `istio` of the root namespace when readable. */
  objects: Array<Record<string, unknown>>;
  /** What could not be read. Empty when everything was read. */
  coverage: CoverageNote[];
  /** API server URL, without credentials. */
  server: string;
  /** Kubeconfig context used (`in-cluster` for service-account credentials). */
  context: string;
  /** networking.istio.io version used (`v1`, `v1beta1` or `v1alpha3`); null when the group is not served or discovery failed. */
  istioVersion: string | null;
  /** Parsed `mesh` key of ConfigMap `istio` in the Istio namespace; null when absent, unreadable or not a YAML mapping (the analysis reports the latter as `schema-invalid`). */
  meshConfig: Record<string, unknown> | null;
}

/**
 * The audit cannot run: unusable kubeconfig, unreachable API server, TLS failure, rejected credentials (401) or a
 * request timeout. The message is one line and never contains credentials; print it and exit with `exitCode` (2).
 */
export class AuditError extends Error {
  /** Process exit code for this error. */
  readonly exitCode = 2;
  constructor(message: string) {
    super(message);
    this.name = 'AuditError';
  }
}

/** One kind that `readCluster` lists. */
export interface ReadResource {
  kind: string;
  /** API group; `''` for the core group. */
  group: string;
  /** Plural resource name as used in URLs and RBAC rules. */
  resource: string;
  namespaced: boolean;
  /** Versions that may be used, most preferred first (Istio kinds are resolved through discovery). */
  versions: readonly string[];
  /** When set, only objects with these names are read (list with a `metadata.name` field selector), and RBAC is restricted to them. */
  resourceNames?: readonly string[];
}

/** Name of the Istio ConfigMap holding the mesh config (`data.mesh`). */
export const MESH_CONFIGMAP = MESH_CONFIGMAP_NAME;

const ISTIO_GROUP = 'networking.istio.io';
const ISTIO_VERSIONS = ['v1', 'v1beta1', 'v1alpha3'] as const;

/**
 * Everything `readCluster` reads, in the order objects are returned. The ClusterRole in `deploy/clusterrole.yaml` is
 * checked against this list (see {@link rbacRules}); change both together.
 */
export const READ_RESOURCES: readonly ReadResource[] = [
  { kind: 'Namespace', group: '', resource: 'namespaces', namespaced: false, versions: ['v1'] },
  { kind: 'Service', group: '', resource: 'services', namespaced: true, versions: ['v1'] },
  { kind: 'Deployment', group: 'apps', resource: 'deployments', namespaced: true, versions: ['v1'] },
  { kind: 'StatefulSet', group: 'apps', resource: 'statefulsets', namespaced: true, versions: ['v1'] },
  { kind: 'DaemonSet', group: 'apps', resource: 'daemonsets', namespaced: true, versions: ['v1'] },
  { kind: 'DestinationRule', group: ISTIO_GROUP, resource: 'destinationrules', namespaced: true, versions: ISTIO_VERSIONS },
  { kind: 'VirtualService', group: ISTIO_GROUP, resource: 'virtualservices', namespaced: true, versions: ISTIO_VERSIONS },
  { kind: 'ServiceEntry', group: ISTIO_GROUP, resource: 'serviceentries', namespaced: true, versions: ISTIO_VERSIONS },
  { kind: 'Sidecar', group: ISTIO_GROUP, resource: 'sidecars', namespaced: true, versions: ISTIO_VERSIONS },
  { kind: 'Gateway', group: ISTIO_GROUP, resource: 'gateways', namespaced: true, versions: ISTIO_VERSIONS },
  // Istio's CRD serves EnvoyFilter in v1alpha3 only; discovery finds it there when the group prefers v1.
  { kind: 'EnvoyFilter', group: ISTIO_GROUP, resource: 'envoyfilters', namespaced: true, versions: ['v1alpha3'] },
  { kind: 'ConfigMap', group: '', resource: 'configmaps', namespaced: true, versions: ['v1'], resourceNames: [MESH_CONFIGMAP] },
  // Gateway API (CRDs a cluster may not have: an unserved group or kind is coverage "not-installed"). Versions most
  // preferred first; the first one the group serves is listed (v1 is the standard channel's since Gateway API 1.0,
  // GRPCRoute since 1.1; ReferenceGrant stays v1beta1; XBackendTrafficPolicy is experimental v1alpha1).
  { kind: 'Gateway', group: GATEWAY_API_GROUP, resource: 'gateways', namespaced: true, versions: ['v1', 'v1beta1'] },
  { kind: 'GatewayClass', group: GATEWAY_API_GROUP, resource: 'gatewayclasses', namespaced: false, versions: ['v1', 'v1beta1'] },
  { kind: 'HTTPRoute', group: GATEWAY_API_GROUP, resource: 'httproutes', namespaced: true, versions: ['v1', 'v1beta1'] },
  { kind: 'GRPCRoute', group: GATEWAY_API_GROUP, resource: 'grpcroutes', namespaced: true, versions: ['v1', 'v1alpha2'] },
  { kind: 'ReferenceGrant', group: GATEWAY_API_GROUP, resource: 'referencegrants', namespaced: true, versions: ['v1beta1', 'v1', 'v1alpha2'] },
  { kind: 'XBackendTrafficPolicy', group: GATEWAY_API_X_GROUP, resource: 'xbackendtrafficpolicies', namespaced: true, versions: ['v1alpha1'] },
  // Linkerd (CRDs of linkerd/linkerd2 charts/linkerd-crds, optional like Gateway API's): ServiceProfile is served in
  // v1alpha2 and v1alpha1 (serviceprofile.yaml); policy.linkerd.io HTTPRoute in v1beta3 (the storage version),
  // v1beta2, v1beta1 and v1alpha1 (policy/httproute.yaml; v1alpha1, the oldest, is the lowest preference);
  // EgressNetwork in v1alpha1 (Linkerd 2.18+, policy/egress-network.yaml).
  { kind: 'ServiceProfile', group: LINKERD_GROUP, resource: 'serviceprofiles', namespaced: true, versions: ['v1alpha2', 'v1alpha1'] },
  { kind: 'HTTPRoute', group: LINKERD_POLICY_GROUP, resource: 'httproutes', namespaced: true, versions: ['v1beta3', 'v1beta2', 'v1beta1', 'v1alpha1'] },
  { kind: 'EgressNetwork', group: LINKERD_POLICY_GROUP, resource: 'egressnetworks', namespaced: true, versions: ['v1alpha1'] },
];

/**
 * API groups whose kinds are optional CRDs, chosen by discovery (`/apis`) like Istio's but without per-kind
 * discovery, with the product that installs them (named in coverage notes).
 */
const OPTIONAL_GROUPS = new Map([
  [GATEWAY_API_GROUP, 'Gateway API'],
  [GATEWAY_API_X_GROUP, 'Gateway API'],
  [LINKERD_GROUP, 'Linkerd'],
  [LINKERD_POLICY_GROUP, 'Linkerd'],
]);

/**
 * What `readCluster` lists in addition with `placement: true` (`audit --prometheus`): where pods run. Granted by
 * `deploy/prometheus/clusterrole-placement.yaml`, separately from the least-privilege role, since Pods and Nodes say more.
 */
export const PLACEMENT_RESOURCES: readonly ReadResource[] = [
  { kind: 'Pod', group: '', resource: 'pods', namespaced: true, versions: ['v1'] },
  { kind: 'Node', group: '', resource: 'nodes', namespaced: false, versions: ['v1'] },
];

/** The only verb `readCluster` uses on resources. (Discovery GETs on `/apis/...` are non-resource URLs, granted to every authenticated user by the built-in `system:discovery` role.) */
export const READ_VERBS: readonly string[] = ['list'];

/** An RBAC PolicyRule. */
export interface PolicyRule {
  apiGroups: string[];
  resources: string[];
  verbs: string[];
  resourceNames?: string[];
}

/** The RBAC rules `readCluster` needs, derived from {@link READ_RESOURCES}: one rule per API group, plus one per name-restricted resource. */
export function rbacRules(): PolicyRule[] {
  const byGroup = new Map<string, string[]>();
  const rules: PolicyRule[] = [];
  for (const r of READ_RESOURCES) {
    if (r.resourceNames) {
      rules.push({ apiGroups: [r.group], resources: [r.resource], resourceNames: [...r.resourceNames], verbs: [...READ_VERBS] });
    } else {
      byGroup.set(r.group, [...(byGroup.get(r.group) ?? []), r.resource]);
    }
  }
  return [...[...byGroup].map(([group, resources]) => ({ apiGroups: [group], resources, verbs: [...READ_VERBS] })), ...rules];
}

function resourceName(def: ReadResource): string {
  return def.group ? `${def.resource}.${def.group}` : def.resource;
}

// ---------------------------------------------------------------------------------------------------------------------
// Messages and secrets

/** Keeps a message to one line, without credentials. */
class Redactor {
  private readonly secrets: string[] = [];

  add(value: unknown): void {
    if (typeof value !== 'string') return;
    const v = value.trim();
    if (v.length < 6) return;
    this.secrets.push(v);
    // Base64 data (certificate/key data) may surface decoded, and PEM lines may surface one by one.
    if (/^[A-Za-z0-9+/=\s]+$/.test(v) && v.length >= 16) {
      const decoded = Buffer.from(v, 'base64').toString('utf8');
      if (decoded.includes('-----BEGIN')) this.addPem(decoded);
    }
    if (v.includes('-----BEGIN')) this.addPem(v);
  }

  private addPem(pem: string): void {
    this.secrets.push(pem.trim());
    for (const line of pem.split(/\r?\n/)) if (line.length >= 16 && !line.startsWith('-----')) this.secrets.push(line.trim());
  }

  clean(message: string): string {
    let m = message;
    for (const s of [...this.secrets].sort((a, b) => b.length - a.length)) m = m.split(s).join('[REDACTED]');
    m = m.replace(/(Bearer|Basic)\s+[A-Za-z0-9._~+/=-]+/gi, '$1 [REDACTED]');
    m = m.replace(/\s*\r?\n\s*/g, ' ').trim();
    return m.length > 400 ? `${m.slice(0, 397)}...` : m;
  }
}

function errorMessage(err: unknown): string {
  if (err instanceof Error) return err.message;
  return String(err);
}

/** A URL without userinfo, query or trailing slash. */
function safeUrl(raw: string): string {
  return printableUrl(raw, '<invalid server URL>');
}

// ---------------------------------------------------------------------------------------------------------------------
// Kubeconfig

const SA_DIR = '/var/run/secrets/kubernetes.io/serviceaccount';

interface LoadedConfig {
  kc: KubeConfig;
  contextName: string;
  inCluster: boolean;
}

function readable(file: string): boolean {
  try {
    accessSync(file, fsConstants.R_OK);
    return true;
  } catch {
    return false;
  }
}

/** Parses one kubeconfig file; null when it does not exist (and `mustExist` is false) or is empty. */
function parseKubeconfigFile(file: string, mustExist: boolean): KubeConfig | null {
  // Capped, and a device is refused: KUBECONFIG=/dev/zero must not read forever.
  const read = readTextCapped(file, MAX_SETTINGS_FILE_BYTES);
  if (!read.ok) {
    if (read.code === 'ENOENT' && !mustExist) return null;
    throw new AuditError(`cannot read kubeconfig ${file}: ${read.code === 'ENOENT' ? 'no such file' : read.message}`);
  }
  const text = read.text;
  if (text.trim() === '') return null;
  const part = new KubeConfig();
  try {
    part.loadFromString(text);
  } catch (err) {
    // js-yaml errors quote the offending lines, which may hold credentials: keep only the reason and the line number.
    const e = err as { name?: string; reason?: string; mark?: { line?: number }; code?: string };
    if (e.name === 'YAMLException') {
      const line = typeof e.mark?.line === 'number' ? ` at line ${e.mark.line + 1}` : '';
      throw new AuditError(`cannot parse kubeconfig ${file}: ${e.reason ?? 'invalid YAML'}${line}`);
    }
    if (e.code === 'ENOENT') throw new AuditError(`invalid kubeconfig ${file}: a token-file it names does not exist`);
    if (err instanceof TypeError) throw new AuditError(`invalid kubeconfig ${file}: not a kubeconfig document`);
    throw new AuditError(`invalid kubeconfig ${file}: ${errorMessage(err).split('\n')[0]}`);
  }
  part.makePathsAbsolute(path.dirname(path.resolve(file)));
  return part;
}

/**
 * Merges kubeconfig files the way kubectl does: the first file to define a cluster, user or context name wins, and
 * the first file to set `current-context` wins. (client-node's `loadFromDefault` instead throws on duplicate names
 * and lets the last file's `current-context` win.)
 */
function mergeKubeconfigs(parts: KubeConfig[]): KubeConfig {
  const clusters = new Map<string, Cluster>();
  const users = new Map<string, User>();
  const contexts = new Map<string, Context>();
  let currentContext = '';
  for (const p of parts) {
    for (const c of p.getClusters()) if (!clusters.has(c.name)) clusters.set(c.name, c);
    for (const u of p.getUsers()) if (!users.has(u.name)) users.set(u.name, u);
    for (const c of p.getContexts()) if (!contexts.has(c.name)) contexts.set(c.name, c);
    if (!currentContext && p.getCurrentContext()) currentContext = p.getCurrentContext();
  }
  const kc = new KubeConfig();
  kc.loadFromOptions({ clusters: [...clusters.values()], users: [...users.values()], contexts: [...contexts.values()], currentContext });
  return kc;
}

/** The kubeconfig files kubectl would read, parsed: --kubeconfig, else $KUBECONFIG (merged), else ~/.kube/config. */
function kubeconfigParts(opts: AuditOptions, env: Record<string, string | undefined>): { parts: KubeConfig[]; looked: string[] } {
  const looked: string[] = [];
  let parts: KubeConfig[] = [];
  if (opts.kubeconfig) {
    const part = parseKubeconfigFile(opts.kubeconfig, true);
    if (!part) throw new AuditError(`kubeconfig ${opts.kubeconfig} is empty`);
    parts = [part];
  } else if (env.KUBECONFIG) {
    const files = [...new Set(env.KUBECONFIG.split(path.delimiter).filter((f) => f !== ''))];
    looked.push(`$KUBECONFIG (${files.join(path.delimiter)})`);
    parts = files.map((f) => parseKubeconfigFile(f, false)).filter((p): p is KubeConfig => p !== null);
  } else {
    const home = env.HOME || os.homedir();
    const file = path.join(home, '.kube', 'config');
    looked.push(file);
    const part = parseKubeconfigFile(file, false);
    if (part) parts = [part];
  }
  return { parts, looked };
}

/**
 * Names of the contexts in the kubeconfig kubectl would read (`--kubeconfig`, `$KUBECONFIG` merged, `~/.kube/config`),
 * in file order; for `meshlint audit --all-contexts`.
 * @throws AuditError when a kubeconfig file cannot be read or parsed, or none defines a context.
 */
export function kubeconfigContextNames(opts: Pick<AuditOptions, 'kubeconfig' | 'env'> = {}): string[] {
  const { parts, looked } = kubeconfigParts(opts, opts.env ?? process.env);
  const names = mergeKubeconfigs(parts).getContexts().map((c) => c.name);
  if (names.length === 0) throw new AuditError(`no context in the kubeconfig${looked.length ? ` (looked at ${looked.join(', ')})` : ''}`);
  return names;
}

/** Finds credentials like kubectl: --kubeconfig, else $KUBECONFIG (merged), else ~/.kube/config, else the pod's service account. */
function loadKubeConfig(opts: AuditOptions, env: Record<string, string | undefined>): LoadedConfig {
  const { parts, looked } = kubeconfigParts(opts, env);
  const merged = mergeKubeconfigs(parts);
  if (merged.getContexts().length === 0 && merged.getClusters().length === 0 && !opts.kubeconfig) {
    // No kubeconfig at all: in-cluster credentials, like client-go.
    const prefix = opts.inClusterRoot ?? env.MESHLINT_IN_CLUSTER_ROOT ?? '';
    const host = env.KUBERNETES_SERVICE_HOST;
    const port = env.KUBERNETES_SERVICE_PORT;
    if (host && port) {
      const tokenFile = `${prefix}${SA_DIR}/token`;
      if (!readable(tokenFile)) {
        throw new AuditError(`running in a pod but the service-account token ${tokenFile} is not readable (automountServiceAccountToken: false?)`);
      }
      const kc = new KubeConfig();
      kc.loadFromCluster(prefix);
      // loadFromCluster reads KUBERNETES_SERVICE_HOST/PORT from process.env; rebuild the server from `env`.
      const cluster = kc.getCurrentCluster()!;
      const server = `https://${net.isIPv6(host) ? `[${host}]` : host}:${port}`;
      kc.loadFromOptions({
        clusters: [{ ...cluster, server }],
        users: kc.getUsers(),
        contexts: kc.getContexts(),
        currentContext: kc.getCurrentContext(),
      });
      if (opts.context) throw new AuditError(`context "${opts.context}" not found: no kubeconfig, using in-cluster credentials`);
      return { kc, contextName: 'in-cluster', inCluster: true };
    }
    throw new AuditError(`no kubeconfig found (looked at ${looked.join(', ')}) and not running in a pod; pass --kubeconfig`);
  }
  const names = merged.getContexts().map((c) => c.name);
  const contextName = opts.context ?? merged.getCurrentContext();
  if (!contextName) {
    throw new AuditError(`the kubeconfig sets no current-context; pass --context (available: ${names.join(', ') || 'none'})`);
  }
  if (!merged.getContextObject(contextName)) {
    throw new AuditError(`context "${contextName}" not found in the kubeconfig (available: ${names.join(', ') || 'none'})`);
  }
  merged.setCurrentContext(contextName);
  if (!merged.getCurrentCluster()) {
    const ctx = merged.getContextObject(contextName)!;
    throw new AuditError(`context "${contextName}" refers to cluster "${ctx.cluster}", which the kubeconfig does not define`);
  }
  return { kc: merged, contextName, inCluster: false };
}

/** Fails early, with a clear message, when a file the credentials name cannot be read. */
function checkCredentialFiles(kc: KubeConfig, contextName: string): void {
  const cluster = kc.getCurrentCluster();
  const user = kc.getCurrentUser();
  const files: Array<[string | undefined, string]> = [
    [cluster?.caFile, 'certificate-authority'],
    [user?.certFile, 'client-certificate'],
    [user?.keyFile, 'client-key'],
  ];
  for (const [file, what] of files) {
    if (file && !readable(file)) throw new AuditError(`cannot read the ${what} file ${file} named by context "${contextName}"`);
  }
}

/** A kubeconfig exec credential plugin failed. The message says which plugin and how, never what it printed. */
class ExecPluginFailure extends Error {}

/** The part of client-node's (unexported) ExecAuth that {@link guardExecPlugins} wraps. */
interface ExecAuthLike {
  execFn: (...args: unknown[]) => ChildProcess;
  getCredential: (user: User) => Promise<unknown>;
}

/**
 * Makes a failing exec credential plugin (`users[].user.exec`) a one-line {@link ExecPluginFailure}: its command,
 * its exit code or signal, and nothing it wrote. client-node rejects with the plugin's whole standard error as the
 * message, and with a JSON parse error that quotes its standard output (a bare token) when that is not JSON.
 * client-node's ExecAuth spawns the plugin synchronously inside `getCredential`, so the child process is known.
 */
function guardExecPlugins(kc: KubeConfig, contextName: string): void {
  const authenticators = (kc as unknown as { authenticators?: unknown[] }).authenticators ?? [];
  const exec = authenticators.find((a): a is ExecAuthLike => typeof (a as ExecAuthLike | null)?.execFn === 'function' && typeof (a as ExecAuthLike | null)?.getCredential === 'function');
  if (!exec) return;
  const getCredential = exec.getCredential.bind(exec);
  exec.getCredential = (user: User) => {
    const spawn = exec.execFn;
    let child: ChildProcess | undefined;
    exec.execFn = (...args: unknown[]) => (child = spawn(...args));
    let pending: Promise<unknown>;
    try {
      pending = getCredential(user);
    } finally {
      exec.execFn = spawn;
    }
    return pending.catch((err: unknown) => {
      const command = JSON.stringify(String((user.exec as { command?: unknown } | undefined)?.command ?? 'exec plugin'));
      const code = (err as NodeJS.ErrnoException)?.code;
      const how = !child || child.pid === undefined || typeof code === 'string'
        ? `could not be started${typeof code === 'string' ? ` (${code})` : ''}`
        : child.signalCode
          ? `was killed by ${child.signalCode}`
          : child.exitCode !== 0 && child.exitCode !== null
            ? `failed with exit code ${child.exitCode}`
            : 'exited 0 without printing an ExecCredential (its output is not JSON)';
      throw new ExecPluginFailure(`the exec credential plugin ${command} of user "${user.name}" (context "${contextName}") ${how}; what it printed is not shown, as it may hold credentials: run the command yourself to see it`);
    });
  };
}

function collectSecrets(kc: KubeConfig, redactor: Redactor): void {
  for (const user of kc.getUsers()) {
    redactor.add(user.token);
    redactor.add(user.password);
    redactor.add(user.certData);
    redactor.add(user.keyData);
    const config = (user.authProvider as { config?: Record<string, unknown> } | undefined)?.config ?? {};
    for (const [k, v] of Object.entries(config)) {
      if (/token|secret|password/i.test(k) && !/file$/i.test(k)) redactor.add(v);
      if (/^tokenFile$/i.test(k) && typeof v === 'string' && readable(v)) redactor.add(readFileSync(v, 'utf8'));
    }
    for (const f of [user.keyFile]) if (f && readable(f)) redactor.add(readFileSync(f, 'utf8'));
  }
}

// ---------------------------------------------------------------------------------------------------------------------
// Requests

/** What the raw-capture middleware saw of one exchange. */
interface Exchange {
  path?: string;
  status?: number;
  text?: string;
  /** A list call: its body is parsed as it arrives (`list-stream.ts`), into `list.page`. */
  list?: ListExchange;
}

/** An API call that failed with an HTTP status the audit can go on after (403, 404, 410, 5xx...). */
class StatusFailure extends Error {
  constructor(
    readonly code: number,
    message: string,
  ) {
    super(message);
  }
}

/** The read was cancelled because another call failed fatally. */
class Cancelled extends Error {}

function statusText(text: string | undefined): string | undefined {
  if (!text) return undefined;
  try {
    const body = JSON.parse(text) as { kind?: string; message?: unknown };
    if (typeof body.message === 'string') return body.message;
  } catch {
    // not JSON
  }
  return undefined;
}

const TLS_CODES = new Set([
  'SELF_SIGNED_CERT_IN_CHAIN', 'DEPTH_ZERO_SELF_SIGNED_CERT', 'UNABLE_TO_VERIFY_LEAF_SIGNATURE', 'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY', 'CERT_HAS_EXPIRED', 'CERT_NOT_YET_VALID', 'ERR_TLS_CERT_ALTNAME_INVALID', 'CERT_SIGNATURE_FAILURE',
  'CERT_UNTRUSTED', 'CERT_REJECTED', 'ERR_SSL_WRONG_VERSION_NUMBER', 'EPROTO',
]);

/** `code` of the error a socket is destroyed with when it does not connect in time. */
const CONNECT_TIMEOUT_CODE = 'MESHLINT_CONNECT_TIMEOUT';

/** Destroys `socket` unless it connects (TCP, and TLS when `secure`) within `seconds`; `0` = no limit. */
function limitConnect(socket: net.Socket, seconds: number, secure: boolean): void {
  if (seconds <= 0) return;
  const timer = setTimeout(() => {
    socket.destroy(Object.assign(new Error(`no connection within ${seconds}s`), { code: CONNECT_TIMEOUT_CODE }));
  }, Math.ceil(seconds * 1000));
  socket.once(secure ? 'secureConnect' : 'connect', () => clearTimeout(timer));
  socket.once('close', () => clearTimeout(timer));
}

/** Makes every new connection of `agent` subject to {@link limitConnect}. */
function limitConnections<A extends http.Agent>(agent: A, seconds: number, secure: boolean): A {
  const create = agent.createConnection.bind(agent);
  agent.createConnection = (options, callback) => {
    const socket = create(options, callback);
    if (socket instanceof net.Socket) limitConnect(socket, seconds, secure);
    return socket;
  };
  return agent;
}

/** Talks to one API server with one set of credentials. */
class Session {
  readonly cancel = new AbortController();
  private agent: http.Agent | undefined;

  constructor(
    private readonly kc: KubeConfig,
    readonly server: string,
    private readonly serverUrl: string,
    readonly context: string,
    private readonly timeoutSeconds: number,
    private readonly connectTimeoutSeconds: number,
    private readonly maxSockets: number,
    readonly redactor: Redactor,
  ) {}

  /** Middleware: sets the abort signal, reuses one keep-alive agent, and keeps the raw response text. */
  private middleware(ex: Exchange): Middleware {
    const signals: AbortSignal[] = [this.cancel.signal];
    if (this.timeoutSeconds > 0) signals.push(AbortSignal.timeout(Math.ceil(this.timeoutSeconds * 1000)));
    const signal = signals.length === 1 ? signals[0] : AbortSignal.any(signals);
    return {
      pre: async (ctx: RequestContext) => {
        ex.path = new URL(ctx.getUrl()).pathname;
        if (this.cancel.signal.aborted) throw new Cancelled('cancelled');
        ctx.setSignal(signal);
        this.shareAgent(ctx);
        return ctx;
      },
      post: async (resp: ResponseContext) => {
        const text = await resp.body.text();
        ex.status = resp.httpStatusCode;
        ex.text = text;
        return new ResponseContext(resp.httpStatusCode, resp.headers, {
          text: async () => text,
          binary: async () => Buffer.from(text, 'utf8'),
        });
      },
    };
  }

  /**
   * client-node builds a new `https.Agent` (without keep-alive) for every request, i.e. one TCP+TLS connection per
   * request. When the agent is a plain https.Agent or http.Agent (no proxy), replace it with one shared keep-alive
   * agent built from the same TLS options, so a paginated read does not churn connections itself, and which bounds
   * the time to connect (`connectTimeoutSeconds`).
   */
  private shareAgent(ctx: RequestContext): void {
    const created = ctx.getAgent();
    const plain = created?.constructor === https.Agent ? 'https' : created?.constructor === http.Agent ? 'http' : undefined;
    if (!created || !plain) return;
    if (!this.agent) {
      const options = { ...(created as unknown as { options: https.AgentOptions }).options, keepAlive: true, maxSockets: this.maxSockets };
      this.agent = limitConnections(plain === 'https' ? new https.Agent(options) : new http.Agent(options), this.connectTimeoutSeconds, plain === 'https');
    }
    ctx.setAgent(this.agent);
  }

  close(): void {
    this.agent?.destroy();
  }

  private configuration(ex: Exchange) {
    return createConfiguration({
      baseServer: new ServerConfiguration<Record<string, string>>(this.serverUrl, {}),
      authMethods: { default: this.kc },
      promiseMiddleware: [this.middleware(ex)],
      httpApi: listingHttpLibrary(ex.list),
    });
  }

  /** Runs one API call; converts failures to StatusFailure (the audit goes on), Cancelled, or AuditError (fatal). */
  async call<T>(make: (config: ReturnType<Session['configuration']>) => Promise<T>, list?: ListExchange): Promise<{ result: T; ex: Exchange }> {
    const ex: Exchange = list ? { list } : {};
    try {
      const result = await make(this.configuration(ex));
      return { result, ex };
    } catch (err) {
      throw this.failure(err, ex);
    }
  }

  private failure(err: unknown, ex: Exchange): Error {
    if (err instanceof Cancelled) return err;
    if (err instanceof ExecPluginFailure) return new AuditError(err.message);
    const where = ex.path ? ` (GET ${ex.path})` : '';
    if (err instanceof ApiException || ex.status !== undefined) {
      const code = err instanceof ApiException ? (err.code as number) : (ex.status as number);
      if (code === 401) {
        return new AuditError(this.redactor.clean(
          `the API server at ${this.server} rejected the credentials of context "${this.context}" (401 Unauthorized): they are missing, invalid or expired`));
      }
      // A success status whose body the client could not read is a malformed response, not an HTTP error
      // (it was reported as "HTTP 200: HTTP 200"). Say what was wrong, never quoting the body.
      if (code >= 200 && code < 300) return new StatusFailure(0, `the API server answered HTTP ${code}${where} with ${malformedBody(ex.text)}`);
      const detail = statusText(ex.text) ?? `HTTP ${code}`;
      return new StatusFailure(code, this.redactor.clean(detail));
    }
    const e = err as { name?: string; type?: string; code?: string; message?: string };
    if (e?.name === 'AbortError' || e?.type === 'aborted') {
      if (this.cancel.signal.aborted) return new Cancelled('cancelled');
      return new AuditError(`the API server at ${this.server} did not answer within ${this.timeoutSeconds}s${where}; raise --request-timeout or check connectivity`);
    }
    if (e?.name === 'FetchError' && e.code === CONNECT_TIMEOUT_CODE) {
      return new AuditError(`the API server at ${this.server} did not accept a connection within ${this.connectTimeoutSeconds}s${where}; check the server address and connectivity`);
    }
    if (e?.name === 'FetchError') {
      const reason = (e.message ?? '').replace(/^.*?failed, reason:\s*/, '') || e.code || 'unknown error';
      if (e.code && TLS_CODES.has(e.code)) {
        return new AuditError(this.redactor.clean(`TLS connection to the API server at ${this.server} failed: ${reason}`));
      }
      return new AuditError(this.redactor.clean(`cannot reach the API server at ${this.server}: ${reason}`));
    }
    const code = (err as NodeJS.ErrnoException)?.code;
    if (code === 'ENOENT' || code === 'EACCES') {
      return new AuditError(this.redactor.clean(`cannot read a credential file of context "${this.context}": ${errorMessage(err)}`));
    }
    return new AuditError(this.redactor.clean(`cannot query the API server at ${this.server}: ${errorMessage(err).split('\n')[0]}`));
  }

  /**
   * One page of a list call, as raw JSON, with at most `query.maxItems` items: the body is parsed as it arrives and
   * reading stops after that many (the page is then `cut`), so one huge page costs no more than its first items.
   */
  async listPage(def: ReadResource, version: string, namespace: string | undefined, query: { limit: number; cont?: string; fieldSelector?: string; maxItems: number }): Promise<ListPage> {
    const common = { limit: query.limit, _continue: query.cont, fieldSelector: query.fieldSelector };
    const list: ListExchange = { maxItems: query.maxItems };
    const { ex } = await this.call((config): Promise<unknown> => {
      if (def.group === '') {
        const api = new CoreV1Api(config);
        switch (def.resource) {
          case 'namespaces': return api.listNamespace(common);
          case 'services': return namespace ? api.listNamespacedService({ ...common, namespace }) : api.listServiceForAllNamespaces(common);
          case 'configmaps': return namespace ? api.listNamespacedConfigMap({ ...common, namespace }) : api.listConfigMapForAllNamespaces(common);
          case 'pods': return namespace ? api.listNamespacedPod({ ...common, namespace }) : api.listPodForAllNamespaces(common);
          case 'nodes': return api.listNode(common);
        }
      } else if (def.group === 'apps') {
        const api = new AppsV1Api(config);
        switch (def.resource) {
          case 'deployments': return namespace ? api.listNamespacedDeployment({ ...common, namespace }) : api.listDeploymentForAllNamespaces(common);
          case 'statefulsets': return namespace ? api.listNamespacedStatefulSet({ ...common, namespace }) : api.listStatefulSetForAllNamespaces(common);
          case 'daemonsets': return namespace ? api.listNamespacedDaemonSet({ ...common, namespace }) : api.listDaemonSetForAllNamespaces(common);
        }
      } else {
        const api = new CustomObjectsApi(config);
        const base = { ...common, group: def.group, version, plural: def.resource };
        return namespace ? api.listNamespacedCustomObject({ ...base, namespace }) : api.listClusterCustomObject(base);
      }
      throw new Error(`no list call for ${resourceName(def)}`);
    }, list);
    if (list.page) return list.page;
    throw new StatusFailure(0, `the API server answered HTTP ${ex.status ?? 200}${ex.path ? ` (GET ${ex.path})` : ''} with ${list.malformed ?? 'a list the client could not read'}`);
  }
}

// ---------------------------------------------------------------------------------------------------------------------
// Discovery

interface IstioDiscovery {
  /** Versions served per API group, from `GET /apis`; null when discovery failed. */
  groups: Map<string, string[]> | null;
  /** Version chosen for the group (most preferred served version), or null. */
  version: string | null;
  /** Version to use for each Istio kind that is served. */
  kinds: Map<string, string>;
  /** Notes for kinds that cannot be listed. */
  notes: CoverageNote[];
}

async function discoverIstio(session: Session): Promise<IstioDiscovery> {
  const istioDefs = READ_RESOURCES.filter((d) => d.group === ISTIO_GROUP);
  const kinds = new Map<string, string>();
  const notes: CoverageNote[] = [];
  const allNotes = (status: CoverageNote['status'], message: (d: ReadResource) => string, verb: 'list' | 'get' = 'list') =>
    istioDefs.map((d) => ({ kind: d.kind, verb, resource: resourceName(d), status, message: message(d) }));

  let served: string[];
  const groups = new Map<string, string[]>();
  try {
    const { result } = await session.call((config) => new ApisApi(config).getAPIVersions());
    for (const g of result.groups ?? []) groups.set(g.name, (g.versions ?? []).map((v) => v.version));
    served = groups.get(ISTIO_GROUP) ?? [];
  } catch (err) {
    if (!(err instanceof StatusFailure)) throw err;
    const status = err.code === 403 ? 'forbidden' : 'error';
    return {
      groups: null,
      version: null,
      kinds,
      notes: allNotes(status, (d) => `API discovery (GET /apis) failed, so the ${ISTIO_GROUP} version is unknown and ${d.kind} objects were not read: ${err.message}`, 'get'),
    };
  }
  const candidates = ISTIO_VERSIONS.filter((v) => served.includes(v));
  if (candidates.length === 0) {
    const why = served.length === 0
      ? `the API group ${ISTIO_GROUP} is not served by this cluster: Istio CRDs are not installed`
      : `the cluster serves ${ISTIO_GROUP} only in versions meshlint does not read (${served.join(', ')})`;
    return { groups, version: null, kinds, notes: allNotes('not-installed', (d) => `${why}; no ${d.kind} objects were read`) };
  }
  for (const version of candidates) {
    const missing = istioDefs.filter((d) => !kinds.has(d.kind));
    if (missing.length === 0) break;
    try {
      const { result } = await session.call((config) => new CustomObjectsApi(config).getAPIResources({ group: ISTIO_GROUP, version }));
      for (const d of missing) if ((result.resources ?? []).some((r) => r.name === d.resource)) kinds.set(d.kind, version);
    } catch (err) {
      if (!(err instanceof StatusFailure)) throw err;
      // A version listed by /apis but not answering: try the next one.
    }
  }
  for (const d of istioDefs) {
    if (!kinds.has(d.kind)) {
      notes.push({
        kind: d.kind,
        verb: 'list',
        resource: resourceName(d),
        status: 'not-installed',
        message: `${resourceName(d)} is not served by this cluster (its Istio CRD is not installed); no ${d.kind} objects were read`,
      });
    }
  }
  return { groups, version: candidates[0], kinds, notes };
}

// ---------------------------------------------------------------------------------------------------------------------
// Reading

interface ListTask {
  def: ReadResource;
  version: string;
  namespace?: string;
  fieldSelector?: string;
  /** Keep only objects with these names (namespaces when the read is scoped). */
  keepNames?: Set<string>;
  items: Array<Record<string, unknown>>;
}

function positive(value: number | undefined, fallback: number, what: string, allowZero = false): number {
  if (value === undefined) return fallback;
  if (!Number.isFinite(value) || value < 0 || (!allowZero && value === 0)) {
    throw new AuditError(`${what} must be a ${allowZero ? 'non-negative' : 'positive'} number, got ${value}`);
  }
  return value;
}

/**
 * Reads the mesh configuration of a live cluster with list calls only.
 *
 * Credentials are found like kubectl finds them (see {@link AuditOptions.kubeconfig}). The networking.istio.io
 * version is found through API discovery (v1, else v1beta1, else v1alpha3). Lists are paginated (`pageSize`) and run
 * concurrently (`concurrency`). A list that fails with 403, 404 or another HTTP error becomes a {@link CoverageNote}
 * and the read goes on; a 401, a network or TLS failure, a timeout, or an unusable kubeconfig rejects the promise
 * with an {@link AuditError} (and cancels the calls in flight).
 *
 * @returns the objects read, what could not be read, and where they came from.
 * @throws AuditError as described above; no other error is expected.
 */
export async function readCluster(opts: AuditOptions = {}): Promise<ClusterRead> {
  const env = opts.env ?? process.env;
  const timeoutSeconds = positive(opts.requestTimeoutSeconds, 0, 'the request timeout', true);
  const connectTimeoutSeconds = positive(opts.connectTimeoutSeconds, 30, 'the connect timeout', true);
  const concurrency = Math.floor(positive(opts.concurrency, 4, 'concurrency'));
  const pageSize = Math.floor(positive(opts.pageSize, 500, 'the page size'));
  const maxListPages = Math.floor(positive(opts.maxListPages, DEFAULT_MAX_LIST_PAGES, 'the most list pages per kind'));
  const maxListItems = Math.floor(positive(opts.maxListItems, DEFAULT_MAX_LIST_ITEMS, 'the most objects per kind'));
  const istioNamespace = opts.istioNamespace ?? ISTIO_DEFAULT_ROOT_NAMESPACE;
  const namespaces = [...new Set((opts.namespaces ?? []).map((n) => n.trim()).filter((n) => n !== ''))];

  const { kc, contextName } = loadKubeConfig(opts, env);
  const redactor = new Redactor();
  collectSecrets(kc, redactor);
  checkCredentialFiles(kc, contextName);
  guardExecPlugins(kc, contextName);
  const cluster = kc.getCurrentCluster()!;
  const server = safeUrl(cluster.server);
  if (server === '<invalid server URL>') throw new AuditError(`context "${contextName}" has an invalid server URL`);
  const session = new Session(kc, server, cluster.server, contextName, timeoutSeconds, connectTimeoutSeconds, concurrency + 1, redactor);

  try {
    const istio = await discoverIstio(session);
    const coverage: CoverageNote[] = [...istio.notes];

    // Plan the list calls, in READ_RESOURCES order.
    const tasks: ListTask[] = [];
    for (const def of opts.placement ? [...READ_RESOURCES, ...PLACEMENT_RESOURCES] : READ_RESOURCES) {
      if (def.group === ISTIO_GROUP && !istio.kinds.has(def.kind)) continue;
      let version = def.group === ISTIO_GROUP ? istio.kinds.get(def.kind)! : def.versions[0];
      if (OPTIONAL_GROUPS.has(def.group) && istio.groups) {
        // Gateway API and Linkerd CRDs: an unserved group or version is not installed (coverage), not a failed list.
        const served = istio.groups.get(def.group) ?? [];
        const chosen = def.versions.find((v) => served.includes(v));
        if (!chosen) {
          coverage.push({
            kind: def.kind, verb: 'list', resource: resourceName(def), status: 'not-installed',
            message: served.length === 0
              ? `the API group ${def.group} is not served by this cluster (${OPTIONAL_GROUPS.get(def.group)} CRDs not installed); no ${def.kind} objects were read`
              : `the cluster serves ${def.group} only in versions meshlint does not read for ${def.kind} (${served.join(', ')}); no ${def.kind} objects were read`,
          });
          continue;
        }
        version = chosen;
      }
      if (def.resourceNames) {
        for (const name of def.resourceNames) tasks.push({ def, version, namespace: istioNamespace, fieldSelector: `metadata.name=${name}`, items: [] });
      } else if (!def.namespaced) {
        tasks.push({ def, version, keepNames: namespaces.length > 0 && def.kind === 'Namespace' ? new Set(namespaces) : undefined, items: [] });
      } else if (namespaces.length > 0) {
        for (const namespace of namespaces) tasks.push({ def, version, namespace, items: [] });
      } else {
        tasks.push({ def, version, items: [] });
      }
    }

    const progress = new Map<string, { objects: number; pending: number; pages: number; invalid: number; invalidExample?: unknown }>();
    for (const t of tasks) {
      const p = progress.get(t.def.kind) ?? { objects: 0, pending: 0, pages: 0, invalid: 0 };
      p.pending++;
      progress.set(t.def.kind, p);
    }
    const report = (kind: string, done: boolean) => {
      if (!opts.onProgress) return;
      try {
        opts.onProgress({ kind, objects: progress.get(kind)!.objects, done });
      } catch {
        // progress callbacks must not break the read
      }
    };

    for (const kind of progress.keys()) report(kind, false); // every kind to be read, with 0 objects so far

    let fatal: AuditError | undefined;
    const runTask = async (task: ListTask): Promise<void> => {
      const p = progress.get(task.def.kind)!;
      try {
        let cont: string | undefined;
        let restarted = false;
        const seen = new Set<string>();
        for (;;) {
          let page: ListPage;
          try {
            page = await session.listPage(task.def, task.version, task.namespace, { limit: pageSize, cont, fieldSelector: task.fieldSelector, maxItems: maxListItems - p.objects });
          } catch (err) {
            // 410 Gone: the continue token expired (large list, slow client). Start this list again, once.
            if (err instanceof StatusFailure && err.code === 410 && cont && !restarted) {
              restarted = true;
              p.objects -= task.items.length;
              task.items = [];
              cont = undefined;
              seen.clear();
              continue;
            }
            throw err;
          }
          p.pages++;
          let items = page.items;
          if (task.keepNames) items = items.filter((o) => task.keepNames!.has(String((o.metadata as { name?: unknown } | undefined)?.name)));
          const apiVersion = task.def.group ? `${task.def.group}/${task.version}` : task.version;
          let kept = 0;
          for (const item of items) {
            if (p.objects + kept >= maxListItems) break;
            if (item === null || typeof item !== 'object' || !hasValidNames(item, task.def.kind)) {
              const metadata = (item as { metadata?: { namespace?: unknown; name?: unknown } } | null)?.metadata;
              if (p.invalid++ === 0) p.invalidExample = [metadata?.namespace, metadata?.name].filter((x) => x !== undefined).map(String).join('/');
              continue;
            }
            task.items.push(Object.assign({ apiVersion, kind: task.def.kind }, item, { apiVersion, kind: task.def.kind }));
            kept++;
          }
          p.objects += kept;
          report(task.def.kind, false);
          const next = page.metadata?.continue;
          if (!next && !page.cut) break;
          const where = task.namespace ? ` in namespace ${task.namespace}` : ' cluster-wide';
          const cut = page.cut
            ? `${maxListItems.toLocaleString('en-US')} ${task.def.kind} objects were read (--max-list-items) in the middle of a page, which was read no further`
            : next === undefined
              ? undefined
              : seen.has(next)
                ? 'the API server sent a continue token it had sent before'
                : p.objects >= maxListItems
                  ? `${maxListItems.toLocaleString('en-US')} ${task.def.kind} objects were read (--max-list-items)`
                  : p.pages >= maxListPages
                    ? `${maxListPages.toLocaleString('en-US')} pages were read (--max-list-pages)`
                    : undefined;
          if (cut) {
            coverage.push({
              kind: task.def.kind, ...(task.namespace ? { namespace: task.namespace } : {}), verb: 'list', resource: resourceName(task.def), status: 'truncated',
              message: `listing ${resourceName(task.def)}${where} was cut short: ${cut}, and the server had more; the ${p.objects.toLocaleString('en-US')} objects read are analysed`,
            });
            break;
          }
          if (next === undefined) break;
          seen.add(next);
          cont = next;
        }
      } catch (err) {
        if (err instanceof StatusFailure) {
          coverage.push(noteFor(task, err));
          return;
        }
        if (err instanceof Cancelled) return;
        if (!fatal) {
          fatal = err instanceof AuditError ? err : new AuditError(redactor.clean(`cannot read ${resourceName(task.def)}: ${errorMessage(err)}`));
          session.cancel.abort();
        }
        return;
      } finally {
        p.pending--;
        if (p.pending === 0 && !fatal) report(task.def.kind, true);
      }
    };

    let next = 0;
    const worker = async () => {
      while (next < tasks.length && !fatal) await runTask(tasks[next++]);
    };
    await Promise.all(Array.from({ length: Math.min(concurrency, tasks.length) }, worker));
    if (fatal) throw fatal;

    for (const [kind, p] of progress) {
      if (!p.invalid) continue;
      const def = READ_RESOURCES.find((d) => d.kind === kind)!;
      coverage.push({
        kind, verb: 'list', resource: resourceName(def), status: 'error',
        message: `${p.invalid.toLocaleString('en-US')} ${kind} object${p.invalid === 1 ? ' was' : 's were'} skipped: the API server sent a name or namespace that is not a Kubernetes name (e.g. ${quoteName(p.invalidExample)}), which meshlint never uses`,
      });
    }
    // Results, in plan order.
    const objects: Array<Record<string, unknown>> = [];
    for (const t of tasks) for (const item of t.items) objects.push(item);
    let meshConfig: Record<string, unknown> | null = null;
    const configMapTask = tasks.find((t) => t.def.kind === 'ConfigMap');
    const configMap = configMapTask?.items[0];
    if (configMap) {
      const mesh = (configMap.data as Record<string, unknown> | undefined)?.mesh;
      const parsed = typeof mesh === 'string' ? parseMeshConfig(mesh) : undefined;
      if (parsed && 'value' in parsed) meshConfig = parsed.value;
    } else if (configMapTask && istio.version && !coverage.some((n) => n.kind === 'ConfigMap')) {
      coverage.push({
        kind: 'ConfigMap', namespace: istioNamespace, verb: 'list', resource: 'configmaps', status: 'not-installed',
        message: `ConfigMap ${istioNamespace}/${MESH_CONFIGMAP} does not exist, so mesh config defaults are assumed (revisioned installs keep it in ${MESH_CONFIGMAP}-<revision>; pass --istio-namespace if Istio's control plane is not in ${istioNamespace})`,
      });
    }
    return {
      objects,
      coverage: coverage.map((n) => ({ ...n, message: redactor.clean(n.message) })),
      server,
      context: contextName,
      istioVersion: istio.version,
      meshConfig,
    };
  } finally {
    session.close();
  }
}

/**
 * What is wrong with a list response body, in words that quote none of it (it may hold Secret data): `an empty
 * body`, `a body that is not JSON (cut off after 1,234 bytes?)`, `a JSON array, not a list object`, `a JSON
 * object without an items list`, or `a list the client could not read`.
 */
function malformedBody(text: string | undefined): string {
  if (!text || text.trim() === '') return 'an empty body';
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    return `a body that is not JSON (${text.length.toLocaleString('en-US')} bytes${/[}\]]\s*$/.test(text) ? '' : ', cut off?'})`;
  }
  if (body === null || typeof body !== 'object') return `a JSON ${body === null ? 'null' : typeof body}, not a list object`;
  if (Array.isArray(body)) return 'a JSON array, not a list object';
  const items = (body as { items?: unknown }).items;
  if (!Array.isArray(items)) return `a JSON object whose items is ${items === undefined ? 'missing' : items === null ? 'null' : typeof items === 'object' ? 'an object' : `a ${typeof items}`}, not a list`;
  return 'a list the client could not read (an item of the wrong shape)';
}

function noteFor(task: ListTask, err: StatusFailure): CoverageNote {
  const resource = resourceName(task.def);
  const where = task.namespace ? ` in namespace ${task.namespace}` : ' cluster-wide';
  const base = { kind: task.def.kind, ...(task.namespace ? { namespace: task.namespace } : {}), verb: 'list' as const, resource };
  if (err.code === 403) {
    return { ...base, status: 'forbidden', message: `not allowed to list ${resource}${where}: ${err.message}` };
  }
  if (err.code === 404) {
    const what = task.def.group === ISTIO_GROUP ? ' (is the Istio CRD installed?)' : OPTIONAL_GROUPS.has(task.def.group) ? ` (is the ${OPTIONAL_GROUPS.get(task.def.group)} ${task.def.kind} CRD installed?)` : '';
    return { ...base, status: 'not-installed', message: `${resource} is not served by this cluster${what}: ${err.message}` };
  }
  const code = err.code ? `HTTP ${err.code}: ` : '';
  return { ...base, status: 'error', message: `listing ${resource}${where} failed: ${code}${err.message}` };
}

// ---------------------------------------------------------------------------------------------------------------------
// Dump

function stripManagedFields(obj: Record<string, unknown>): Record<string, unknown> {
  const copy = structuredClone(obj);
  const metadata = copy.metadata as Record<string, unknown> | undefined;
  if (metadata && typeof metadata === 'object') delete metadata.managedFields;
  return copy;
}

/** File name of one dump file: `<namespace>.<kind>.yaml`, `_cluster.<kind>.yaml` for cluster-scoped kinds (`_` cannot start a namespace name). */
function dumpFileName(namespace: string, kind: string): string {
  return `${namespace || '_cluster'}.${kind.toLowerCase()}.yaml`;
}

/** First line of every dump file: how `dumpObjects` recognises its own files (and never touches anyone else's). */
const DUMP_HEADER = '# meshlint audit dump:';

/** Whether `file` starts with {@link DUMP_HEADER}; false when it does not exist. */
async function isDumpFile(file: string): Promise<boolean> {
  let handle;
  try {
    // Not through a symlink, and without waiting on a FIFO: only a regular file can be a dump.
    handle = await open(file, fsConstants.O_RDONLY | fsConstants.O_NOFOLLOW | fsConstants.O_NONBLOCK);
    if (!(await handle.stat()).isFile()) return false;
    const buf = Buffer.alloc(DUMP_HEADER.length);
    const { bytesRead } = await handle.read(buf, 0, buf.length, 0);
    return buf.subarray(0, bytesRead).toString('utf8') === DUMP_HEADER;
  } catch {
    return false;
  } finally {
    await handle?.close();
  }
}

/**
 * Writes what was read as YAML files under `dir` (created if needed), for `meshlint check DIR` to replay: one
 * multi-document file per kind per namespace (`<namespace>.<kind>.yaml`, `_cluster.<kind>.yaml` for cluster-scoped
 * kinds), `metadata.managedFields` stripped, each starting with a `# meshlint audit dump:` comment naming the server
 * and context. Each file is written atomically (temp file + rename).
 *
 * File names are made only of names a Kubernetes API server accepts (DNS labels; objects with other names are skipped),
 * so they never hold `/` or `..`; every file is created beneath `dir` with `O_EXCL` and renamed into place, and a
 * symlink at a file's name is never followed (it is not a dump, so nothing is written).
 * Only meshlint's own dump files are ever replaced or removed: when a file of the same name exists and is not a
 * dump, nothing is written and an error is thrown; dump files of an earlier run that this run did not write (a
 * namespace deleted since) are removed, so `meshlint check DIR` replays exactly this read. Other files are left alone.
 *
 * Strings are serialised in YAML 1.1 style (values such as `on`, `yes` or timestamps are quoted), so YAML 1.1 and 1.2
 * parsers read the same values back.
 *
 * @returns the paths written, sorted.
 * @throws the file system error (ENOENT, EACCES...) when `dir` cannot be written; an `Error` with code `EEXIST`
 *   when a file in `dir` that is not a meshlint dump has the name of a dump file.
 */
export async function dumpObjects(read: ClusterRead, dir: string): Promise<string[]> {
  await mkdir(dir, { recursive: true });
  const groups = new Map<string, Array<Record<string, unknown>>>();
  for (const obj of read.objects) {
    // readCluster drops objects with names that are not Kubernetes names; checked again here, where they would form paths.
    if (!hasValidNames(obj, String(obj.kind)) || !/^[A-Za-z][A-Za-z0-9]*$/.test(String(obj.kind))) continue;
    const namespace = String((obj.metadata as { namespace?: unknown } | undefined)?.namespace ?? '');
    const file = dumpFileName(namespace, String(obj.kind));
    const group = groups.get(file) ?? [];
    group.push(stripManagedFields(obj));
    groups.set(file, group);
  }
  const names = [...groups.keys()].sort((a, b) => a.localeCompare(b));
  const existing = new Set(await readdir(dir));
  for (const name of names) {
    if (existing.has(name) && !(await isDumpFile(path.join(dir, name)))) {
      throw Object.assign(new Error(`${path.join(dir, name)} exists and is not a meshlint dump; not overwriting it`), { code: 'EEXIST' });
    }
  }
  const header = `${DUMP_HEADER} read from ${read.server} (context ${read.context})\n`;
  const written: string[] = [];
  for (const name of names) {
    const body = groups.get(name)!.map((o) => YAML.stringify(o, { version: '1.1', lineWidth: 0 })).join('---\n');
    const target = path.join(dir, name);
    const tmp = path.join(dir, `.${name}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
    try {
      await writeFile(tmp, header + body, { flag: 'wx' });
      await rename(tmp, target);
    } catch (err) {
      await rm(tmp, { force: true });
      throw err;
    }
    written.push(target);
  }
  const fresh = new Set(names);
  for (const name of existing) {
    if (fresh.has(name) || !name.endsWith('.yaml')) continue;
    if (await isDumpFile(path.join(dir, name))) await rm(path.join(dir, name), { force: true });
  }
  return written;
}
