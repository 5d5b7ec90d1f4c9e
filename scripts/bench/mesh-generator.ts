/**
 * Seeded generator of synthetic Istio meshes of realistic shape, for `npm run bench` (issue 7).
 *
 * Shape: N services spread over namespaces of about 40 services (plus `istio-system` with a few mesh-wide
 * wildcard DestinationRules). Each service has a Deployment and a Service; most have a DestinationRule (some
 * with subsets, some with portLevelSettings, a few with `maxRequestsPerConnection: 1`) and a VirtualService
 * (1–4 HTTP routes with retries, some without `perTryTimeout`, some mirroring to another service). About one
 * service in eight calls a `MESH_EXTERNAL` ServiceEntry, half of them with a DestinationRule of their own.
 * Objects of a namespace are written in service order and cut into files of 1 to 50 documents (mostly
 * small files, a few large ones), as repositories of Kubernetes manifests are.
 *
 * Output is a function of (objects, seed) only: the same call writes byte-identical files.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import jsyaml from 'js-yaml';
import { Random } from './random.js';

/** What to generate. */
export interface MeshSpec {
  /** Exact number of Kubernetes objects (documents) to write. */
  objects: number;
  /** PRNG seed (32-bit integer). */
  seed: number;
  /**
   * The mesh of issue 15 that mixes both APIs and both data planes ({@link MIXED_SHAPE}): the same services as
   * without it, plus ambient namespaces with a waypoint and HTTPRoutes on an Istio ingress Gateway. Absent or
   * false: the mesh every earlier benchmark measured, byte for byte.
   */
  mixed?: boolean;
}

/**
 * What `mixed` adds. Its choices come from a second PRNG stream, so the services, routes and files are those of
 * the plain mesh of the same seed; the added objects take the place of the last services (the count stays exact).
 * - One namespace in four (the second of every four) is ambient: `istio.io/dataplane-mode: ambient` instead of `istio-injection`, and
 *   `istio.io/use-waypoint: waypoint` naming a waypoint Gateway of its own (class `istio-waypoint`,
 *   `istio.io/waypoint-for: service`, the HBONE listener on 15008).
 * - The Service-attached HTTPRoutes (GAMMA, about a third of the services as in the plain mesh) get
 *   `timeouts.backendRequest` in a third of their rules that retry.
 * - One HTTPRoute in ten also attaches to the ingress Gateway `istio-ingress/ingress` (class `istio`, an HTTP
 *   listener on 80 that admits routes from all namespaces): north-south rows beside the east-west ones.
 */
export const MIXED_SHAPE = { ambientEvery: 4, backendRequest: 1 / 3, ingressRoutes: 0.1 } as const;

/** What was written. */
export interface GeneratedMesh {
  /** Multi-document files (1–50 documents each), relative to the output directory. */
  files: string[];
  objects: number;
  bytes: number;
  /** Objects per kind. */
  byKind: Record<string, number>;
}

type Obj = Record<string, unknown>;

/** Services per namespace (on average); namespaces are `team-000`, `team-001`, … */
const SERVICES_PER_NAMESPACE = 40;

/**
 * Builds the objects of a mesh in memory, in a stable order (namespace by namespace, service by service).
 * The number of objects is exactly `spec.objects`: the last service is cut short when needed.
 */
export function meshObjects(spec: MeshSpec): { namespace: string; object: Obj }[] {
  const rnd = new Random(spec.seed);
  const out: { namespace: string; object: Obj }[] = [];
  const push = (namespace: string, object: Obj) => {
    if (out.length < spec.objects) out.push({ namespace, object });
  };
  // about 4.2 objects per service, including a Namespace per 40 services and the shared externals
  const services = Math.max(1, Math.ceil(spec.objects / 4.2));
  const namespaceCount = Math.max(1, Math.ceil(services / SERVICES_PER_NAMESPACE));
  const nsName = (i: number) => `team-${String(i).padStart(3, '0')}`;
  const svcName = (i: number) => `svc-${String(i).padStart(5, '0')}`;
  // mesh-wide defaults in the root namespace: wildcard DestinationRules every lookup must consider
  push('istio-system', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'istio-system' } });
  push('istio-system', destinationRule('istio-system', 'mesh-default', '*.local', { connectionPool: { tcp: { maxConnections: 1000 }, http: { idleTimeout: '300s' } } }));
  push('istio-system', destinationRule('istio-system', 'external-default', '*.example.com', { connectionPool: { http: { maxRequestsPerConnection: 100 } } }));
  // `mixed`: its own stream, so the plain mesh's draws (and so its services) are the same with and without it.
  const mixed = spec.mixed ? new Random(spec.seed ^ 0x2545f491) : undefined;
  if (mixed) for (const o of ingressObjects()) push('istio-ingress', o);
  let service = 0;
  for (let n = 0; n < namespaceCount && out.length < spec.objects; n++) {
    const ns = nsName(n);
    const injection = rnd.chance(0.9) ? 'enabled' : 'disabled';
    const ambient = mixed !== undefined && n % MIXED_SHAPE.ambientEvery === 1;
    const labels = ambient ? { 'istio.io/dataplane-mode': 'ambient', 'istio.io/use-waypoint': 'waypoint', team: ns } : { 'istio-injection': injection, team: ns };
    push(ns, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns, labels } });
    if (ambient) push(ns, waypoint(ns));
    const inNamespace = Math.min(SERVICES_PER_NAMESPACE, services - service);
    for (let s = 0; s < inNamespace && out.length < spec.objects; s++, service++) {
      const name = svcName(service);
      const peer = svcName(rnd.int(0, Math.max(0, services - 1)));
      const peerNs = nsName(Math.floor(rnd.int(0, Math.max(0, services - 1)) / SERVICES_PER_NAMESPACE));
      const versions = rnd.chance(0.4) ? ['v1', 'v2'] : ['v1'];
      for (const o of serviceObjects(rnd, ns, name, versions, peer, peerNs, mixed)) push(ns, o);
      if (rnd.chance(0.125)) for (const o of externalObjects(rnd, ns, name, service)) push(ns, o);
    }
  }
  // pad with Deployments when the estimate fell short (tiny sizes)
  for (let i = 0; out.length < spec.objects; i++) push('team-pad', deployment('team-pad', `pad-${i}`, 'v1', rnd));
  return out;
}

function meta(namespace: string, name: string, extra: Obj = {}): Obj {
  return { name, namespace, labels: { app: name, 'app.kubernetes.io/part-of': namespace }, ...extra };
}

function destinationRule(namespace: string, name: string, host: string, trafficPolicy?: Obj, subsets?: Obj[]): Obj {
  const spec: Obj = { host };
  if (trafficPolicy) spec.trafficPolicy = trafficPolicy;
  if (subsets) spec.subsets = subsets;
  return { apiVersion: 'networking.istio.io/v1', kind: 'DestinationRule', metadata: meta(namespace, name), spec };
}

function deployment(namespace: string, name: string, version: string, rnd: Random): Obj {
  const labels = { app: name, version };
  const annotations: Obj = { 'prometheus.io/scrape': 'true', 'prometheus.io/port': '15020' };
  if (rnd.chance(0.05)) annotations['traffic.sidecar.istio.io/excludeOutboundPorts'] = '5432';
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: meta(namespace, version === 'v1' ? name : `${name}-${version}`),
    spec: {
      replicas: rnd.int(1, 12),
      selector: { matchLabels: labels },
      template: {
        metadata: { labels, annotations },
        spec: {
          serviceAccountName: name,
          containers: [
            {
              name: 'app',
              image: `registry.example.com/${namespace}/${name}:${rnd.int(1, 9)}.${rnd.int(0, 40)}.${rnd.int(0, 9)}`,
              ports: [{ containerPort: 8080, name: 'http' }, { containerPort: 9090, name: 'grpc' }],
              env: [
                { name: 'LOG_LEVEL', value: rnd.pick(['info', 'debug', 'warn']) },
                { name: 'UPSTREAM_URL', value: `http://${name}-backend.${namespace}.svc.cluster.local:8080` },
              ],
              resources: { requests: { cpu: `${rnd.int(1, 20) * 50}m`, memory: `${rnd.int(1, 16) * 64}Mi` }, limits: { cpu: `${rnd.int(1, 8) * 500}m`, memory: `${rnd.int(2, 32) * 64}Mi` } },
              readinessProbe: { httpGet: { path: '/healthz', port: 8080 }, periodSeconds: 10 },
            },
          ],
        },
      },
    },
  };
}

/** The same routes as a Gateway API HTTPRoute attached to the Service: retries → `retry`, timeout → `timeouts.request`, mirror → RequestMirror. */
function httpRoute(ns: string, name: string, routes: Obj[]): Obj {
  const rules = routes.map((route) => {
    const rule: Obj = { name: route.name };
    const prefix = (route.match as Obj[] | undefined)?.[0]?.uri as Obj | undefined;
    if (prefix) rule.matches = [{ path: { type: 'PathPrefix', value: prefix.prefix } }];
    rule.backendRefs = [{ name, port: 8080 }];
    const retries = route.retries as Obj | undefined;
    if (retries) rule.retry = { attempts: retries.attempts, codes: [503] };
    if (route.timeout) rule.timeouts = { request: route.timeout };
    const mirror = route.mirror as Obj | undefined;
    if (mirror) {
      const [peer, peerNs] = String(mirror.host).split('.');
      rule.filters = [{ type: 'RequestMirror', requestMirror: { backendRef: { name: peer, namespace: peerNs, port: 8080 }, percent: (route.mirrorPercentage as Obj).value } }];
    }
    return rule;
  });
  return { apiVersion: 'gateway.networking.k8s.io/v1', kind: 'HTTPRoute', metadata: meta(ns, name), spec: { parentRefs: [{ group: '', kind: 'Service', name, port: 8080 }], rules } };
}

/** The Istio ingress Gateway (Gateway API, class `istio`) that some HTTPRoutes of the mixed mesh attach to, and its namespace. */
function ingressObjects(): Obj[] {
  return [
    { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'istio-ingress' } },
    {
      apiVersion: 'gateway.networking.k8s.io/v1',
      kind: 'Gateway',
      metadata: { name: 'ingress', namespace: 'istio-ingress' },
      spec: { gatewayClassName: 'istio', listeners: [{ name: 'http', port: 80, protocol: 'HTTP', allowedRoutes: { namespaces: { from: 'All' } } }] },
    },
  ];
}

/** The waypoint of an ambient namespace: a Gateway of class `istio-waypoint` for the namespace's services (HBONE on 15008). */
function waypoint(ns: string): Obj {
  return {
    apiVersion: 'gateway.networking.k8s.io/v1',
    kind: 'Gateway',
    metadata: { name: 'waypoint', namespace: ns, labels: { 'istio.io/waypoint-for': 'service' } },
    spec: { gatewayClassName: 'istio-waypoint', listeners: [{ name: 'mesh', port: 15008, protocol: 'HBONE' }] },
  };
}

/** A Service-attached HTTPRoute of the mixed mesh: some retrying rules get `timeouts.backendRequest`, some routes also attach to the ingress Gateway. */
function mixedHttpRoute(mixed: Random, route: Obj): Obj {
  const spec = route.spec as { parentRefs: Obj[]; rules: Obj[] };
  for (const rule of spec.rules) {
    if (rule.retry && mixed.chance(MIXED_SHAPE.backendRequest)) rule.timeouts = { ...((rule.timeouts as Obj | undefined) ?? {}), backendRequest: `${mixed.int(1, 5)}s` };
  }
  if (mixed.chance(MIXED_SHAPE.ingressRoutes)) spec.parentRefs.push({ group: 'gateway.networking.k8s.io', kind: 'Gateway', name: 'ingress', namespace: 'istio-ingress', sectionName: 'http' });
  return route;
}

function serviceObjects(rnd: Random, ns: string, name: string, versions: string[], peer: string, peerNs: string, mixed?: Random): Obj[] {
  const objects: Obj[] = [];
  objects.push(deployment(ns, name, 'v1', rnd));
  objects.push({
    apiVersion: 'v1',
    kind: 'Service',
    metadata: meta(ns, name),
    spec: { selector: { app: name }, ports: [{ name: 'http', port: 8080, targetPort: 8080 }, { name: 'grpc', port: 9090, targetPort: 9090, appProtocol: 'grpc' }] },
  });
  if (rnd.chance(0.7)) {
    const pool: Obj = { tcp: { maxConnections: rnd.int(1, 20) * 100, connectTimeout: '2s' }, http: { http1MaxPendingRequests: 1024, idleTimeout: rnd.pick(['30s', '60s', '300s']) } };
    if (rnd.chance(0.05)) (pool.http as Obj).maxRequestsPerConnection = 1;
    else if (rnd.chance(0.1)) (pool.http as Obj).maxRequestsPerConnection = rnd.int(2, 10);
    const policy: Obj = rnd.chance(0.85) ? { connectionPool: pool } : {};
    if (rnd.chance(0.5)) policy.outlierDetection = { consecutive5xxErrors: 5, interval: '10s', baseEjectionTime: '30s' };
    if (rnd.chance(0.3)) policy.portLevelSettings = [{ port: { number: 9090 }, connectionPool: { http: { h2UpgradePolicy: 'UPGRADE' } } }];
    const subsets = versions.length > 1 ? versions.map((v, i) => (i === 1 && rnd.chance(0.5) ? { name: v, labels: { version: v }, trafficPolicy: { connectionPool: { http: { maxRequestsPerConnection: rnd.pick([1, 10, 100]) } } } } : { name: v, labels: { version: v } })) : undefined;
    objects.push(destinationRule(ns, name, rnd.chance(0.5) ? name : `${name}.${ns}.svc.cluster.local`, policy, subsets));
  }
  if (rnd.chance(0.8)) {
    const routes: Obj[] = [];
    const count = rnd.int(1, 4);
    for (let r = 0; r < count; r++) {
      const route: Obj = { name: `route-${r}` };
      if (r < count - 1) route.match = [{ uri: { prefix: `/api/v${r + 1}/` } }];
      route.route = versions.map((v, i) => ({ destination: { host: name, subset: versions.length > 1 ? v : undefined, port: { number: 8080 } }, weight: versions.length > 1 ? (i === 0 ? 90 : 10) : undefined }));
      for (const d of route.route as Obj[]) {
        if ((d.destination as Obj).subset === undefined) delete (d.destination as Obj).subset;
        if (d.weight === undefined) delete d.weight;
      }
      if (rnd.chance(0.75)) {
        const retries: Obj = { attempts: rnd.int(0, 6), retryOn: rnd.pick(['5xx,reset,connect-failure', 'connect-failure,refused-stream', 'gateway-error', 'retriable-4xx,5xx']) };
        if (rnd.chance(0.6)) retries.perTryTimeout = `${rnd.int(1, 10)}s`;
        route.retries = retries;
      }
      if (rnd.chance(0.5)) route.timeout = `${rnd.int(2, 30)}s`;
      if (rnd.chance(0.08)) {
        route.mirror = { host: `${peer}.${peerNs}.svc.cluster.local`, port: { number: 8080 } };
        route.mirrorPercentage = { value: rnd.pick([1, 10, 50, 100]) };
      }
      routes.push(route);
    }
    // About a third of the services route with a Gateway API HTTPRoute on the Service (GAMMA) instead: both APIs in one mesh.
    if (rnd.chance(0.3)) objects.push(mixed ? mixedHttpRoute(mixed, httpRoute(ns, name, routes)) : httpRoute(ns, name, routes));
    else objects.push({ apiVersion: 'networking.istio.io/v1', kind: 'VirtualService', metadata: meta(ns, name), spec: { hosts: [name], http: routes } });
  }
  if (versions.length > 1) objects.push(deployment(ns, name, 'v2', rnd));
  return objects;
}

function externalObjects(rnd: Random, ns: string, name: string, index: number): Obj[] {
  const host = `api-${index}.${rnd.pick(['example.com', 'payments.example.net', 'partner.example.org'])}`;
  const http = rnd.chance(0.6);
  const objects: Obj[] = [
    {
      apiVersion: 'networking.istio.io/v1',
      kind: 'ServiceEntry',
      metadata: meta(ns, `${name}-external`),
      spec: { hosts: [host], location: 'MESH_EXTERNAL', resolution: 'DNS', ports: [http ? { number: 80, name: 'http', protocol: 'HTTP', targetPort: 443 } : { number: 443, name: 'tls', protocol: 'TLS' }] },
    },
  ];
  if (rnd.chance(0.5)) {
    const pool: Obj = rnd.chance(0.3) ? { http: { maxRequestsPerConnection: 1 } } : { tcp: { maxConnections: 200 }, http: { idleTimeout: '120s' } };
    const policy: Obj = { connectionPool: pool };
    if (http) policy.portLevelSettings = [{ port: { number: 80 }, tls: { mode: 'SIMPLE', sni: host } }];
    objects.push(destinationRule(ns, `${name}-external`, host, policy));
  }
  if (http && rnd.chance(0.5)) {
    objects.push({
      apiVersion: 'networking.istio.io/v1',
      kind: 'VirtualService',
      metadata: meta(ns, `${name}-external`),
      spec: { hosts: [host], http: [{ route: [{ destination: { host, port: { number: 80 } } }], retries: { attempts: rnd.int(1, 5), retryOn: '5xx,reset' }, timeout: '10s' }] },
    });
  }
  return objects;
}

/** File sizes in documents: mostly small files, some medium, a few of up to 50 documents. */
function fileSize(rnd: Random): number {
  const p = rnd.next();
  if (p < 0.45) return rnd.int(1, 5);
  if (p < 0.85) return rnd.int(6, 20);
  return rnd.int(21, 50);
}

const DUMP_OPTIONS: jsyaml.DumpOptions = { lineWidth: -1, noRefs: true };

/**
 * Writes a mesh of `spec.objects` objects under `dir` as `<namespace>/manifests-<k>.yaml` files of 1–50
 * documents. Returns the file list (relative paths) and counts. Throws on file-system errors.
 */
export function writeMesh(dir: string, spec: MeshSpec): GeneratedMesh {
  const rnd = new Random(spec.seed ^ 0x5bd1e995);
  const objects = meshObjects(spec);
  const result: GeneratedMesh = { files: [], objects: objects.length, bytes: 0, byKind: {} };
  const byNamespace = new Map<string, Obj[]>();
  for (const { namespace, object } of objects) {
    const list = byNamespace.get(namespace) ?? [];
    list.push(object);
    byNamespace.set(namespace, list);
    const kind = object.kind as string;
    result.byKind[kind] = (result.byKind[kind] ?? 0) + 1;
  }
  for (const [namespace, list] of byNamespace) {
    mkdirSync(join(dir, namespace), { recursive: true });
    let k = 0;
    for (let i = 0; i < list.length; ) {
      const n = Math.min(fileSize(rnd), list.length - i);
      const text = list
        .slice(i, i + n)
        .map((o) => jsyaml.dump(o, DUMP_OPTIONS))
        .join('---\n');
      const file = join(namespace, `manifests-${String(k++).padStart(4, '0')}.yaml`);
      writeFileSync(join(dir, file), text);
      result.files.push(file);
      result.bytes += Buffer.byteLength(text);
      i += n;
    }
  }
  return result;
}

/**
 * Writes the same objects as {@link writeMesh} one per file, `<namespace>/<index>.yaml`, for tools that read
 * only single-document files (Spectral). Throws on file-system errors.
 */
export function writeMeshOnePerFile(dir: string, spec: MeshSpec): GeneratedMesh {
  const objects = meshObjects(spec);
  const result: GeneratedMesh = { files: [], objects: objects.length, bytes: 0, byKind: {} };
  const made = new Set<string>();
  objects.forEach(({ namespace, object }, i) => {
    if (!made.has(namespace)) {
      mkdirSync(join(dir, namespace), { recursive: true });
      made.add(namespace);
    }
    const file = join(namespace, `${String(i).padStart(6, '0')}.yaml`);
    const text = jsyaml.dump(object, DUMP_OPTIONS);
    writeFileSync(join(dir, file), text);
    result.files.push(file);
    result.bytes += Buffer.byteLength(text);
    const kind = object.kind as string;
    result.byKind[kind] = (result.byKind[kind] ?? 0) + 1;
  });
  return result;
}
