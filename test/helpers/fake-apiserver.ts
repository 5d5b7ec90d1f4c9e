/**
 * A fake Kubernetes API server for tests: a real HTTPS server on 127.0.0.1 with a self-signed CA (generated with
 * openssl once per test process; each server keeps copies of the files in a temp dir that `close()` removes),
 * speaking just enough of the API for `readCluster`:
 *
 * - discovery: `/api`, `/api/v1`, `/apis`, `/apis/{group}`, `/apis/{group}/{version}`;
 * - list endpoints, cluster-wide and per namespace, for Namespaces, Services, ConfigMaps, Deployments,
 *   StatefulSets, DaemonSets, the networking.istio.io kinds, the Gateway API kinds and the Linkerd kinds meshlint reads, with `limit`/`continue` pagination and
 *   `fieldSelector` on `metadata.name` / `metadata.namespace`;
 * - bearer-token auth and client-certificate auth (certificates signed by the server's CA);
 * - failure modes: 401 everywhere, 403 for chosen resources/namespaces, Istio group not served (404),
 *   slow endpoints (for timeouts), and any list body a test crafts (`hostileList`: endless pagination, hostile names);
 * - every request is recorded; any non-GET request is refused with 405; any path it does not know is answered
 *   404 and recorded in `unexpected`, so tests can assert the client only did what they expect.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import https from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { TLSSocket } from 'node:tls';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** A Kubernetes object as seeded into the fake server. */
export type KubeObject = Record<string, unknown> & {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; [k: string]: unknown };
};

/** One request as received by the fake server. */
export interface RecordedRequest {
  method: string;
  /** Path without the query string, e.g. `/apis/apps/v1/namespaces/a/deployments`. */
  path: string;
  query: Record<string, string>;
  /** How the client authenticated: `token`, `cert` (a client certificate signed by the CA), or `none`. */
  auth: 'token' | 'cert' | 'none';
  /** Raw Authorization header (tests use it to check which token was sent). */
  authorization?: string;
  /** Common name of the client certificate, when one was presented and verified. */
  clientCN?: string;
  /** HTTP status the server answered. */
  status?: number;
}

/** A 403 rule: requests for `resource` (`plural` or `plural.group`) are forbidden in `namespace`, or everywhere when omitted. */
export interface ForbidRule {
  resource: string;
  namespace?: string;
}

/** Options of {@link startFakeApiServer}. */
export interface FakeApiServerOptions {
  /** Objects served by the list endpoints. Built-in kinds are served without apiVersion/kind in list items, as a real server does. */
  objects?: KubeObject[];
  /** Bearer tokens the server accepts. Default: none (only client certificates then). */
  tokens?: string[];
  /** Served networking.istio.io versions, most preferred first; `[]` = the group is not served (CRDs not installed). Default `['v1', 'v1beta1', 'v1alpha3']`. */
  istioVersions?: string[];
  /** Istio plurals left out of discovery and answered 404 (e.g. `['sidecars']`). */
  istioMissing?: string[];
  /**
   * Served versions of the Gateway API groups (`gateway.networking.k8s.io`, `gateway.networking.x-k8s.io`); `[]` = the
   * group is not served (CRDs not installed). Default: `['v1', 'v1beta1']` and `['v1alpha1']`.
   */
  gatewayApiVersions?: { standard?: string[]; experimental?: string[] };
  /** Gateway API plurals answered 404 although their group is served (one CRD missing, e.g. `['grpcroutes']`). */
  gatewayApiMissing?: string[];
  /**
   * Served versions of Linkerd's groups (`linkerd.io`: ServiceProfile; `policy.linkerd.io`: HTTPRoute, EgressNetwork),
   * most preferred first; `[]` = the group is not served (Linkerd CRDs not installed). Default: `['v1alpha2',
   * 'v1alpha1']` and `['v1beta3', 'v1beta2', 'v1beta1', 'v1alpha1']` (EgressNetwork only in v1alpha1, as linkerd-crds).
   */
  linkerdVersions?: { profiles?: string[]; policy?: string[] };
  /** Linkerd plurals answered 404 although their group is served (e.g. `['egressnetworks']`, a Linkerd before 2.18). */
  linkerdMissing?: string[];
  /** 403 rules. */
  forbid?: ForbidRule[];
  /** Answer 401 to every request, whatever the credentials. */
  unauthorized?: boolean;
  /** Delay (ms) before answering requests whose path matches the pattern. */
  slow?: Array<{ path: RegExp; ms: number }>;
  /**
   * A hostile server (issue 14): answers a list call with whatever this returns (serialised as JSON, status 200)
   * instead of the seeded objects; `undefined` falls back to them. `request` has the list's query (`limit`,
   * `continue`) and `count` numbers the list calls of that plural, from 1.
   */
  hostileList?: (list: { plural: string; group: string; namespace?: string; query: Record<string, string>; count: number }) => unknown;
  /** Answer 200 with this body (as application/json) to requests whose path matches: malformed list responses. */
  malformed?: Array<{ path: RegExp; body: string }>;
  /**
   * A huge list page (issue 14): list calls of `plural` are answered with one page of `items` items made by `item`,
   * written as the client reads it (the server never holds the page), so a page of a gigabyte costs the server
   * only what the client takes. `hugeListBytesSent` says how much it wrote.
   */
  hugeList?: { plural: string; items: number; item: (i: number) => unknown };
}

/** A running fake API server. */
export interface FakeApiServer {
  /** `https://127.0.0.1:PORT` */
  url: string;
  port: number;
  /** Temp dir holding the generated certificates (removed by `close()`). */
  dir: string;
  /** PEM of the CA that signed the server and client certificates. */
  caPem: string;
  caFile: string;
  /** A client certificate (CN `meshlint-cert-user`) the server accepts. */
  clientCertPem: string;
  clientKeyPem: string;
  clientCertFile: string;
  clientKeyFile: string;
  /** Every request received, in order of arrival. */
  requests: RecordedRequest[];
  /** Requests for paths the fake does not know (answered 404). Tests should assert this stays empty. */
  unexpected: string[];
  /** Highest number of requests in flight at once. */
  maxInFlight: number;
  /** TLS connections accepted (fewer than requests when the client reuses connections). */
  connections: number;
  /** Bytes of `hugeList` pages written so far (all calls). */
  hugeListBytesSent: number;
  /** Stops the server, destroys open connections (including ones held by slow endpoints) and removes the temp dir. */
  close(): Promise<void>;
}

interface ResourceDef {
  kind: string;
  group: string; // '' = core
  plural: string;
  namespaced: boolean;
  /** Versions that serve the kind, when not every version of its group does (EnvoyFilter: v1alpha3 only, as Istio's CRD). */
  versions?: readonly string[];
}

const CORE: ResourceDef[] = [
  { kind: 'Namespace', group: '', plural: 'namespaces', namespaced: false },
  { kind: 'Service', group: '', plural: 'services', namespaced: true },
  { kind: 'ConfigMap', group: '', plural: 'configmaps', namespaced: true },
  { kind: 'Pod', group: '', plural: 'pods', namespaced: true },
  { kind: 'Node', group: '', plural: 'nodes', namespaced: false },
];
const APPS: ResourceDef[] = [
  { kind: 'Deployment', group: 'apps', plural: 'deployments', namespaced: true },
  { kind: 'StatefulSet', group: 'apps', plural: 'statefulsets', namespaced: true },
  { kind: 'DaemonSet', group: 'apps', plural: 'daemonsets', namespaced: true },
];
const GATEWAY_API: ResourceDef[] = [
  { kind: 'Gateway', group: 'gateway.networking.k8s.io', plural: 'gateways', namespaced: true },
  { kind: 'GatewayClass', group: 'gateway.networking.k8s.io', plural: 'gatewayclasses', namespaced: false },
  { kind: 'HTTPRoute', group: 'gateway.networking.k8s.io', plural: 'httproutes', namespaced: true },
  { kind: 'GRPCRoute', group: 'gateway.networking.k8s.io', plural: 'grpcroutes', namespaced: true },
  { kind: 'ReferenceGrant', group: 'gateway.networking.k8s.io', plural: 'referencegrants', namespaced: true },
];
const GATEWAY_API_X: ResourceDef[] = [
  { kind: 'XBackendTrafficPolicy', group: 'gateway.networking.x-k8s.io', plural: 'xbackendtrafficpolicies', namespaced: true },
];
const LINKERD: ResourceDef[] = [{ kind: 'ServiceProfile', group: 'linkerd.io', plural: 'serviceprofiles', namespaced: true }];
const LINKERD_POLICY: ResourceDef[] = [
  { kind: 'HTTPRoute', group: 'policy.linkerd.io', plural: 'httproutes', namespaced: true, versions: ['v1beta3', 'v1beta2', 'v1beta1', 'v1alpha1'] },
  { kind: 'EgressNetwork', group: 'policy.linkerd.io', plural: 'egressnetworks', namespaced: true, versions: ['v1alpha1'] },
];
const ISTIO: ResourceDef[] = [
  { kind: 'DestinationRule', group: 'networking.istio.io', plural: 'destinationrules', namespaced: true },
  { kind: 'VirtualService', group: 'networking.istio.io', plural: 'virtualservices', namespaced: true },
  { kind: 'ServiceEntry', group: 'networking.istio.io', plural: 'serviceentries', namespaced: true },
  { kind: 'Sidecar', group: 'networking.istio.io', plural: 'sidecars', namespaced: true },
  { kind: 'Gateway', group: 'networking.istio.io', plural: 'gateways', namespaced: true },
  { kind: 'EnvoyFilter', group: 'networking.istio.io', plural: 'envoyfilters', namespaced: true, versions: ['v1alpha3'] },
];
/** The definitions of `defs` served at `version`. */
const servedAt = (defs: readonly ResourceDef[], version: string): ResourceDef[] => defs.filter((d) => !d.versions || d.versions.includes(version));

/** Generates a CA, a server certificate for 127.0.0.1/localhost and a client certificate, with openssl, into `dir`. */
async function makeCertificates(dir: string): Promise<void> {
  const f = (name: string) => path.join(dir, name);
  const genKey = (name: string) =>
    run('openssl', ['genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256', '-out', f(name)]);
  await Promise.all([genKey('ca.key'), genKey('server.key'), genKey('client.key')]);
  await run('openssl', [
    'req', '-x509', '-new', '-key', f('ca.key'), '-subj', '/CN=meshlint-test-ca', '-days', '2', '-out', f('ca.crt'),
    '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign',
  ]);
  await writeFile(f('server.ext'), 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n');
  await writeFile(f('client.ext'), 'extendedKeyUsage=clientAuth\n');
  const sign = async (name: string, subj: string) => {
    await run('openssl', ['req', '-new', '-key', f(`${name}.key`), '-subj', subj, '-out', f(`${name}.csr`)]);
    await run('openssl', [
      'x509', '-req', '-in', f(`${name}.csr`), '-CA', f('ca.crt'), '-CAkey', f('ca.key'),
      '-set_serial', String(Math.floor(Math.random() * 1e12)), '-days', '2', '-extfile', f(`${name}.ext`), '-out', f(`${name}.crt`),
    ]);
  };
  await Promise.all([sign('server', '/CN=127.0.0.1'), sign('client', '/O=meshlint-test/CN=meshlint-cert-user')]);
}

const CERTIFICATE_FILES = ['ca.crt', 'server.crt', 'server.key', 'client.crt', 'client.key'] as const;
type CertificateFile = (typeof CERTIFICATE_FILES)[number];
let generated: Promise<Record<CertificateFile, string>> | undefined;

/**
 * The PEMs of {@link makeCertificates}, generated once per test process (openssl takes a few hundred ms) and shared
 * by every fake server it starts; each server still gets its own copy of the files in its own temp dir.
 */
function certificates(): Promise<Record<CertificateFile, string>> {
  generated ??= (async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'meshlint-fake-apiserver-ca-'));
    try {
      await makeCertificates(dir);
      const texts = await Promise.all(CERTIFICATE_FILES.map((n) => readFile(path.join(dir, n), 'utf8')));
      return Object.fromEntries(CERTIFICATE_FILES.map((n, i) => [n, texts[i]])) as Record<CertificateFile, string>;
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  })();
  generated.catch(() => (generated = undefined));
  return generated;
}

function status(res: ServerResponse, code: number, reason: string, message: string, details?: Record<string, unknown>): void {
  res.writeHead(code, { 'content-type': 'application/json' });
  res.end(JSON.stringify({ kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, reason, details, code }));
}

/** Writes a list page of `huge.items` items, one write per item, waiting whenever the client has not read the last ones. */
function streamHugeList(res: ServerResponse, huge: NonNullable<FakeApiServerOptions['hugeList']>, sent: (bytes: number) => void): void {
  res.writeHead(200, { 'content-type': 'application/json' });
  let i = 0;
  let closed = false;
  res.once('close', () => {
    closed = true;
  });
  const write = (text: string): boolean => {
    sent(Buffer.byteLength(text));
    return res.write(text);
  };
  const more = (): void => {
    while (!closed && i < huge.items) {
      const ok = write(`${i ? ',' : ''}${JSON.stringify(huge.item(i))}`);
      i++;
      if (!ok) return void res.once('drain', more);
    }
    if (!closed) res.end(']}');
  };
  if (write('{"kind":"List","apiVersion":"v1","metadata":{},"items":[')) more();
  else res.once('drain', more);
}

function json(res: ServerResponse, body: unknown): void {
  res.writeHead(200, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}

function resourceList(groupVersion: string, defs: ResourceDef[]): Record<string, unknown> {
  return {
    kind: 'APIResourceList',
    apiVersion: 'v1',
    groupVersion,
    resources: defs.map((d) => ({
      name: d.plural,
      singularName: d.kind.toLowerCase(),
      namespaced: d.namespaced,
      kind: d.kind,
      verbs: ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'],
    })),
  };
}

/**
 * Starts a fake API server on 127.0.0.1 (random port). Certificates are generated on the first start in a process.
 * Call `close()` when done (tests do it in `after`/`finally`).
 */
export async function startFakeApiServer(options: FakeApiServerOptions = {}): Promise<FakeApiServer> {
  const dir = await mkdtemp(path.join(tmpdir(), 'meshlint-fake-apiserver-'));
  let pems: Record<CertificateFile, string>;
  try {
    pems = await certificates();
    await Promise.all(CERTIFICATE_FILES.map((n) => writeFile(path.join(dir, n), pems[n], { mode: 0o600 })));
  } catch (err) {
    await rm(dir, { recursive: true, force: true });
    throw err;
  }
  const { 'ca.crt': caPem, 'server.crt': serverCert, 'server.key': serverKey, 'client.crt': clientCertPem, 'client.key': clientKeyPem } = pems;

  const istioVersions = options.istioVersions ?? ['v1', 'v1beta1', 'v1alpha3'];
  const istioMissing = new Set(options.istioMissing ?? []);
  const istioServed = ISTIO.filter((d) => !istioMissing.has(d.plural));
  const gatewayStandard = options.gatewayApiVersions?.standard ?? ['v1', 'v1beta1'];
  const gatewayExperimental = options.gatewayApiVersions?.experimental ?? ['v1alpha1'];
  const gatewayMissing = new Set(options.gatewayApiMissing ?? []);
  const linkerdProfiles = options.linkerdVersions?.profiles ?? ['v1alpha2', 'v1alpha1'];
  const linkerdPolicy = options.linkerdVersions?.policy ?? ['v1beta3', 'v1beta2', 'v1beta1', 'v1alpha1'];
  const linkerdMissing = new Set(options.linkerdMissing ?? []);
  const tokens = new Set(options.tokens ?? []);
  const objects = options.objects ?? [];
  const requests: RecordedRequest[] = [];
  const unexpected: string[] = [];
  const timers = new Set<NodeJS.Timeout>();
  let inFlight = 0;

  const server: FakeApiServer = {
    url: '',
    port: 0,
    dir,
    caPem,
    caFile: path.join(dir, 'ca.crt'),
    clientCertPem,
    clientKeyPem,
    clientCertFile: path.join(dir, 'client.crt'),
    clientKeyFile: path.join(dir, 'client.key'),
    requests,
    unexpected,
    maxInFlight: 0,
    connections: 0,
    hugeListBytesSent: 0,
    close: async () => {},
  };

  const forbidden = (def: ResourceDef, namespace: string | undefined): boolean =>
    (options.forbid ?? []).some((r) => {
      const name = def.group ? `${def.plural}.${def.group}` : def.plural;
      if (r.resource !== name && r.resource !== def.plural) return false;
      // A namespaced rule also forbids the cluster-wide list (that needs the permission everywhere).
      return r.namespace === undefined || namespace === undefined || r.namespace === namespace;
    });

  const listCalls = new Map<string, number>();
  const serveList = (res: ServerResponse, rec: RecordedRequest, def: ResourceDef, version: string, namespace?: string): void => {
    if (options.hugeList?.plural === def.plural) return streamHugeList(res, options.hugeList, (n) => (server.hugeListBytesSent += n));
    if (options.hostileList) {
      const count = (listCalls.get(def.plural) ?? 0) + 1;
      listCalls.set(def.plural, count);
      const body = options.hostileList({ plural: def.plural, group: def.group, namespace, query: rec.query, count });
      if (body !== undefined) return json(res, body);
    }
    const groupVersion = def.group ? `${def.group}/${version}` : version;
    const resourceName = def.group ? `${def.plural}.${def.group}` : def.plural;
    if (forbidden(def, namespace)) {
      const scope = namespace === undefined ? 'at the cluster scope' : `in the namespace "${namespace}"`;
      status(res, 403, 'Forbidden',
        `${resourceName} is forbidden: User "system:serviceaccount:meshlint:meshlint" cannot list resource "${def.plural}" in API group "${def.group}" ${scope}`,
        { group: def.group, kind: def.plural });
      return;
    }
    let items = objects.filter((o) => o.kind === def.kind && (o.apiVersion.split('/').length === 2 ? o.apiVersion.split('/')[0] : '') === def.group);
    if (namespace !== undefined) items = items.filter((o) => o.metadata.namespace === namespace);
    const selector = rec.query.fieldSelector;
    if (selector) {
      for (const term of selector.split(',')) {
        const m = /^(metadata\.name|metadata\.namespace)(==?|!=)(.*)$/.exec(term);
        if (!m) {
          status(res, 400, 'BadRequest', `"${term}" is not a known field selector: only "metadata.name", "metadata.namespace"`);
          return;
        }
        const [, field, op, value] = m;
        const get = (o: KubeObject) => (field === 'metadata.name' ? o.metadata.name : o.metadata.namespace);
        items = items.filter((o) => (op === '!=' ? get(o) !== value : get(o) === value));
      }
    }
    items = [...items].sort((a, b) =>
      `${a.metadata.namespace ?? ''}/${a.metadata.name}`.localeCompare(`${b.metadata.namespace ?? ''}/${b.metadata.name}`));
    let offset = 0;
    const key = `${rec.path}?${selector ?? ''}`;
    if (rec.query.continue) {
      try {
        const token = JSON.parse(Buffer.from(rec.query.continue, 'base64url').toString('utf8')) as { key: string; offset: number };
        if (token.key !== key || !Number.isInteger(token.offset)) throw new Error('mismatch');
        offset = token.offset;
      } catch {
        status(res, 400, 'BadRequest', 'invalid continue token');
        return;
      }
    }
    const limit = rec.query.limit ? Number(rec.query.limit) : 0;
    const end = limit > 0 ? Math.min(items.length, offset + limit) : items.length;
    const page = items.slice(offset, end).map((o) => {
      const copy = structuredClone(o) as Record<string, unknown>;
      if (def.group.includes('.')) {
        copy.apiVersion = groupVersion; // custom resources keep apiVersion/kind in list items, converted to the listed version
      } else {
        delete copy.apiVersion; // built-in list items come without apiVersion/kind
        delete copy.kind;
      }
      return copy;
    });
    const metadata: Record<string, unknown> = { resourceVersion: '12345' };
    if (end < items.length) {
      metadata.continue = Buffer.from(JSON.stringify({ key, offset: end })).toString('base64url');
      metadata.remainingItemCount = items.length - end;
    }
    json(res, { kind: `${def.kind}List`, apiVersion: groupVersion, metadata, items: page });
  };

  const route = (req: IncomingMessage, res: ServerResponse, rec: RecordedRequest): void => {
    const p = rec.path.replace(/\/$/, '');
    const notFound = () => {
      unexpected.push(`${rec.method} ${rec.path}`);
      status(res, 404, 'NotFound', 'the server could not find the requested resource');
    };
    if (p === '/api') return json(res, { kind: 'APIVersions', versions: ['v1'], serverAddressByClientCIDRs: [{ clientCIDR: '0.0.0.0/0', serverAddress: '127.0.0.1' }] });
    if (p === '/api/v1') return json(res, resourceList('v1', CORE));
    const groups: Array<{ name: string; versions: string[] }> = [{ name: 'apps', versions: ['v1'] }];
    if (istioVersions.length > 0) groups.push({ name: 'networking.istio.io', versions: istioVersions });
    if (gatewayStandard.length > 0) groups.push({ name: 'gateway.networking.k8s.io', versions: gatewayStandard });
    if (gatewayExperimental.length > 0) groups.push({ name: 'gateway.networking.x-k8s.io', versions: gatewayExperimental });
    if (linkerdProfiles.length > 0) groups.push({ name: 'linkerd.io', versions: linkerdProfiles });
    if (linkerdPolicy.length > 0) groups.push({ name: 'policy.linkerd.io', versions: linkerdPolicy });
    const groupDefs = (name: string): ResourceDef[] =>
      name === 'apps'
        ? APPS
        : name === 'networking.istio.io'
          ? istioServed
          : name === 'linkerd.io' || name === 'policy.linkerd.io'
            ? (name === 'linkerd.io' ? LINKERD : LINKERD_POLICY).filter((d) => !linkerdMissing.has(d.plural))
            : (name === 'gateway.networking.k8s.io' ? GATEWAY_API : GATEWAY_API_X).filter((d) => !gatewayMissing.has(d.plural));
    const groupDoc = (g: { name: string; versions: string[] }) => ({
      name: g.name,
      versions: g.versions.map((v) => ({ groupVersion: `${g.name}/${v}`, version: v })),
      preferredVersion: { groupVersion: `${g.name}/${g.versions[0]}`, version: g.versions[0] },
    });
    if (p === '/apis') return json(res, { kind: 'APIGroupList', apiVersion: 'v1', groups: groups.map(groupDoc) });
    let m = /^\/apis\/([^/]+)$/.exec(p);
    if (m) {
      const g = groups.find((x) => x.name === m![1]);
      return g ? json(res, { kind: 'APIGroup', apiVersion: 'v1', ...groupDoc(g) }) : notFound();
    }
    m = /^\/apis\/([^/]+)\/([^/]+)$/.exec(p);
    if (m) {
      const g = groups.find((x) => x.name === m![1]);
      if (!g || !g.versions.includes(m[2])) return notFound();
      return json(res, resourceList(`${m[1]}/${m[2]}`, servedAt(groupDefs(g.name), m[2])));
    }
    // Lists: /api/v1/{plural}, /api/v1/namespaces/{ns}/{plural}, /apis/{g}/{v}/{plural}, /apis/{g}/{v}/namespaces/{ns}/{plural}
    m = /^\/(?:api\/(v1)|apis\/([^/]+)\/([^/]+))(?:\/namespaces\/([^/]+))?\/([^/]+)$/.exec(p);
    if (m) {
      const group = m[2] ?? '';
      const version = m[1] ?? m[3];
      const namespace = m[4] !== undefined ? decodeURIComponent(m[4]) : undefined;
      const plural = m[5];
      let defs: ResourceDef[] = [];
      if (group === '' && version === 'v1') defs = CORE;
      else if (group === 'apps' && version === 'v1') defs = APPS;
      else if (group === 'networking.istio.io' && istioVersions.includes(version)) defs = servedAt(istioServed, version);
      else if (groups.some((g) => g.name === group && g.versions.includes(version))) defs = servedAt(groupDefs(group), version);
      const def = defs.find((d) => d.plural === plural);
      // A Gateway API or Linkerd CRD left out on purpose: a real server's 404 for an unserved resource, not an unexpected path.
      const leftOut = (gatewayMissing.has(plural) && group.startsWith('gateway.networking.')) || (linkerdMissing.has(plural) && group.endsWith('linkerd.io'));
      if (!def && leftOut) return status(res, 404, 'NotFound', 'the server could not find the requested resource');
      if (!def || (namespace !== undefined && !def.namespaced)) return notFound();
      return serveList(res, rec, def, version, namespace);
    }
    return notFound();
  };

  const httpsServer = https.createServer(
    { key: serverKey, cert: serverCert, ca: [caPem], requestCert: true, rejectUnauthorized: false },
    (req, res) => {
      const url = new URL(req.url ?? '/', 'https://127.0.0.1');
      const socket = req.socket as TLSSocket;
      const rec: RecordedRequest = {
        method: req.method ?? '',
        path: url.pathname,
        query: Object.fromEntries(url.searchParams),
        auth: 'none',
        authorization: req.headers.authorization,
      };
      if (socket.authorized) {
        rec.auth = 'cert';
        const cn = socket.getPeerCertificate().subject?.CN;
        rec.clientCN = Array.isArray(cn) ? cn[0] : cn;
      }
      const bearer = /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1];
      if (bearer !== undefined && tokens.has(bearer)) rec.auth = 'token';
      requests.push(rec);
      inFlight++;
      server.maxInFlight = Math.max(server.maxInFlight, inFlight);
      res.on('close', () => {
        inFlight--;
        rec.status = res.statusCode;
      });
      req.resume();
      const answer = () => {
        if (rec.method !== 'GET') {
          res.setHeader('allow', 'GET');
          return status(res, 405, 'MethodNotAllowed', `the fake API server is read-only: ${rec.method} refused`);
        }
        if (options.unauthorized || rec.auth === 'none') return status(res, 401, 'Unauthorized', 'Unauthorized');
        const malformed = options.malformed?.find((x) => x.path.test(rec.path));
        if (malformed) {
          res.writeHead(200, { 'content-type': 'application/json' });
          return void res.end(malformed.body);
        }
        route(req, res, rec);
      };
      const delay = options.slow?.find((s) => s.path.test(rec.path))?.ms ?? 0;
      if (delay > 0) {
        const t = setTimeout(() => {
          timers.delete(t);
          if (!res.destroyed) answer();
        }, delay);
        timers.add(t);
      } else {
        answer();
      }
    },
  );
  httpsServer.on('secureConnection', () => {
    server.connections++;
  });
  // Client certificates that do not verify are not a TLS error here: the request is then unauthenticated (401), as on a real server.
  await new Promise<void>((resolve, reject) => {
    httpsServer.once('error', reject);
    httpsServer.listen(0, '127.0.0.1', () => resolve());
  });
  const port = (httpsServer.address() as AddressInfo).port;
  server.port = port;
  server.url = `https://127.0.0.1:${port}`;
  let closed = false;
  server.close = async () => {
    if (closed) return;
    closed = true;
    for (const t of timers) clearTimeout(t);
    timers.clear();
    const done = new Promise<void>((resolve) => httpsServer.close(() => resolve()));
    httpsServer.closeAllConnections();
    await done;
    await rm(dir, { recursive: true, force: true });
  };
  return server;
}
