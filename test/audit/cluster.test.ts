import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import https from 'node:https';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, afterEach, before, describe, it } from 'node:test';
import YAML from 'yaml';
import { AuditError, dumpObjects, readCluster, type ClusterRead } from '../../src/audit/cluster.js';
import { startFakeApiServer, type FakeApiServer, type FakeApiServerOptions, type KubeObject } from '../helpers/fake-apiserver.js';
import { assertNoSecrets as assertNoSecretsIn, kubeconfig, OTHER_TOKEN, singleContextKubeconfig, TOKEN } from '../helpers/kube.js';


// ---------------------------------------------------------------------------------------------------------------------
// Fixtures

function seed(): KubeObject[] {
  const objs: KubeObject[] = [];
  for (const ns of ['a', 'b', 'c', 'istio-system']) objs.push({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns, labels: { 'istio-injection': 'enabled' } } });
  for (const ns of ['a', 'b', 'c']) {
    objs.push({ apiVersion: 'v1', kind: 'Service', metadata: { name: 'web', namespace: ns }, spec: { ports: [{ name: 'http', port: 80 }] } });
    objs.push({
      apiVersion: 'apps/v1', kind: 'Deployment',
      metadata: {
        name: 'web', namespace: ns, creationTimestamp: '2024-05-01T10:00:00Z',
        managedFields: [{ manager: 'kubectl', operation: 'Apply', apiVersion: 'apps/v1' }],
        annotations: { note: 'on' },
      },
      spec: { replicas: 3, template: { metadata: { annotations: { 'proxy.istio.io/config': 'holdApplicationUntilProxyStarts: true' } } } },
    });
    objs.push({ apiVersion: 'apps/v1', kind: 'StatefulSet', metadata: { name: 'db', namespace: ns }, spec: { replicas: 1 } });
    objs.push({ apiVersion: 'networking.istio.io/v1', kind: 'VirtualService', metadata: { name: 'web', namespace: ns }, spec: { hosts: ['web'], http: [{ retries: { attempts: 3 } }] } });
  }
  objs.push({ apiVersion: 'apps/v1', kind: 'DaemonSet', metadata: { name: 'agent', namespace: 'c' }, spec: {} });
  // 7 DestinationRules: a×3, b×2, c×2 (pagination over 7 objects).
  for (const [ns, n] of [['a', 3], ['b', 2], ['c', 2]] as const) {
    for (let i = 0; i < n; i++) {
      objs.push({
        apiVersion: 'networking.istio.io/v1', kind: 'DestinationRule', metadata: { name: `dr-${i}`, namespace: ns },
        spec: { host: `svc-${i}.${ns}.svc.cluster.local`, trafficPolicy: { connectionPool: { http: { maxRequestsPerConnection: 1 } } } },
      });
    }
  }
  objs.push({ apiVersion: 'networking.istio.io/v1', kind: 'ServiceEntry', metadata: { name: 'ext', namespace: 'a' }, spec: { hosts: ['api.example.com'], resolution: 'DNS' } });
  objs.push({ apiVersion: 'networking.istio.io/v1', kind: 'Sidecar', metadata: { name: 'default', namespace: 'b' }, spec: { egress: [{ hosts: ['./*'] }] } });
  objs.push({ apiVersion: 'networking.istio.io/v1', kind: 'Gateway', metadata: { name: 'gw', namespace: 'istio-system' }, spec: { selector: { istio: 'ingressgateway' } } });
  objs.push({
    apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'istio', namespace: 'istio-system' },
    data: { mesh: 'defaultConfig:\n  holdApplicationUntilProxyStarts: true\nenableTracing: false\n' },
  });
  // Other ConfigMaps must not be read.
  objs.push({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'istio-sidecar-injector', namespace: 'istio-system' }, data: { values: '{}' } });
  objs.push({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'app-config', namespace: 'a' }, data: { password: 'not-for-meshlint' } });
  return objs;
}

/** Temp dirs made by a test, removed after it. */
const tempDirs: string[] = [];
async function tempDir(): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), 'meshlint-audit-test-'));
  tempDirs.push(dir);
  return dir;
}
afterEach(async () => {
  await Promise.all(tempDirs.splice(0).map((d) => rm(d, { recursive: true, force: true })));
});

/** Servers started by a test, closed after it (servers shared by a suite are closed by the suite). */
const testServers: FakeApiServer[] = [];
async function server(options: FakeApiServerOptions): Promise<FakeApiServer> {
  const s = await startFakeApiServer(options);
  testServers.push(s);
  return s;
}
afterEach(async () => {
  await Promise.all(testServers.splice(0).map((s) => s.close()));
});

/** An environment without kubeconfig hints, so tests never read the developer's real ~/.kube/config. */
async function isolatedEnv(extra: Record<string, string> = {}): Promise<Record<string, string>> {
  return { HOME: await tempDir(), ...extra };
}

/** Writes a kubeconfig for `srv` with a token user `tok`, a client-cert user `cert`, and contexts `token-ctx` (current) and `cert-ctx`. */
async function writeKubeconfig(srv: FakeApiServer, dir?: string): Promise<string> {
  const d = dir ?? (await tempDir());
  const file = path.join(d, 'config');
  await writeFile(file, kubeconfig({
    clusters: [{ name: 'fake', server: srv.url, ca: srv.caPem }],
    users: [
      { name: 'tok', token: TOKEN },
      { name: 'cert', certPem: srv.clientCertPem, keyPem: srv.clientKeyPem },
    ],
    contexts: [
      { name: 'token-ctx', cluster: 'fake', user: 'tok' },
      { name: 'cert-ctx', cluster: 'fake', user: 'cert' },
    ],
    current: 'token-ctx',
  }));
  return file;
}

const LIST_PATH = /^\/(api\/v1|apis\/(apps|networking\.istio\.io|gateway\.networking\.k8s\.io|gateway\.networking\.x-k8s\.io|linkerd\.io|policy\.linkerd\.io)\/[^/]+)(\/namespaces\/[a-z0-9-]+)?\/(namespaces|services|configmaps|deployments|statefulsets|daemonsets|destinationrules|virtualservices|serviceentries|sidecars|gateways|envoyfilters|gatewayclasses|httproutes|grpcroutes|referencegrants|xbackendtrafficpolicies|serviceprofiles|egressnetworks)$/;
const DISCOVERY_PATH = /^\/apis(\/networking\.istio\.io\/(v1|v1beta1|v1alpha3))?$/;

/** Every request was a GET of a discovery document or of a list endpoint, and the fake saw no unknown path. */
function assertReadOnly(srv: FakeApiServer): void {
  assert.deepEqual(srv.unexpected, [], 'requests to paths the fake server does not know');
  for (const r of srv.requests) {
    assert.equal(r.method, 'GET', `${r.method} ${r.path}`);
    assert.ok(LIST_PATH.test(r.path) || DISCOVERY_PATH.test(r.path), `not a list or discovery call: ${r.path}`);
    assert.equal(r.query.watch, undefined, 'no watch');
  }
}

async function rejectsAudit(promise: Promise<unknown>, pattern: RegExp): Promise<AuditError> {
  let caught: unknown;
  try {
    await promise;
  } catch (err) {
    caught = err;
  }
  assert.ok(caught instanceof AuditError, `expected an AuditError, got ${String(caught)}`);
  assert.equal(caught.exitCode, 2);
  assert.match(caught.message, pattern);
  assert.ok(!caught.message.includes('\n'), 'one line');
  assert.ok(!caught.message.includes(TOKEN), 'token in message');
  return caught;
}

function assertNoSecrets(text: string, srv?: FakeApiServer): void {
  assertNoSecretsIn(text, srv ? [srv] : []);
}

function names(read: ClusterRead, kind: string): string[] {
  return read.objects
    .filter((o) => o.kind === kind)
    .map((o) => {
      const m = o.metadata as { name: string; namespace?: string };
      return m.namespace ? `${m.namespace}/${m.name}` : m.name;
    })
    .sort();
}

// ---------------------------------------------------------------------------------------------------------------------

describe('readCluster against a fake API server', () => {
  let srv: FakeApiServer;
  before(async () => {
    srv = await startFakeApiServer({ objects: seed(), tokens: [TOKEN] });
  });
  after(async () => {
    await srv.close();
  });
  afterEach(() => {
    assertReadOnly(srv);
    srv.requests.length = 0;
    srv.connections = 0;
    srv.maxInFlight = 0;
  });

  it('reads every kind with a token user, filling in apiVersion and kind', async () => {
    const file = await writeKubeconfig(srv);
    const progress: Array<{ kind: string; objects: number; done: boolean }> = [];
    const read = await readCluster({ kubeconfig: file, env: await isolatedEnv(), onProgress: (p) => progress.push(p) });

    assert.equal(read.server, srv.url);
    assert.equal(read.context, 'token-ctx');
    assert.equal(read.istioVersion, 'v1');
    assert.deepEqual(read.coverage, []);
    assert.deepEqual(read.meshConfig, { defaultConfig: { holdApplicationUntilProxyStarts: true }, enableTracing: false });
    assert.deepEqual(names(read, 'Namespace'), ['a', 'b', 'c', 'istio-system']);
    assert.deepEqual(names(read, 'Service'), ['a/web', 'b/web', 'c/web']);
    assert.deepEqual(names(read, 'Deployment'), ['a/web', 'b/web', 'c/web']);
    assert.deepEqual(names(read, 'StatefulSet'), ['a/db', 'b/db', 'c/db']);
    assert.deepEqual(names(read, 'DaemonSet'), ['c/agent']);
    assert.equal(names(read, 'DestinationRule').length, 7);
    assert.deepEqual(names(read, 'VirtualService'), ['a/web', 'b/web', 'c/web']);
    assert.deepEqual(names(read, 'ServiceEntry'), ['a/ext']);
    assert.deepEqual(names(read, 'Sidecar'), ['b/default']);
    assert.deepEqual(names(read, 'Gateway'), ['istio-system/gw']);
    assert.deepEqual(names(read, 'ConfigMap'), ['istio-system/istio'], 'only ConfigMap istio is read');

    const expectedApiVersion: Record<string, string> = {
      Namespace: 'v1', Service: 'v1', ConfigMap: 'v1', Deployment: 'apps/v1', StatefulSet: 'apps/v1', DaemonSet: 'apps/v1',
      DestinationRule: 'networking.istio.io/v1', VirtualService: 'networking.istio.io/v1', ServiceEntry: 'networking.istio.io/v1',
      Sidecar: 'networking.istio.io/v1', Gateway: 'networking.istio.io/v1',
    };
    for (const o of read.objects) assert.equal(o.apiVersion, expectedApiVersion[String(o.kind)], `${String(o.kind)} apiVersion`);
    // Objects are returned as served: raw JSON, no typed-model renaming, timestamps stay strings.
    const dep = read.objects.find((o) => o.kind === 'Deployment') as { metadata: { creationTimestamp: unknown } };
    assert.equal(dep.metadata.creationTimestamp, '2024-05-01T10:00:00Z');

    // Every request carried the bearer token; the list calls were cluster-wide.
    assert.ok(srv.requests.every((r) => r.auth === 'token' && r.authorization === `Bearer ${TOKEN}`));
    const lists = srv.requests.filter((r) => LIST_PATH.test(r.path));
    assert.ok(lists.every((r) => !r.path.includes('/namespaces/') || r.path === '/api/v1/namespaces/istio-system/configmaps'));
    const cm = lists.find((r) => r.path.endsWith('/configmaps'));
    assert.equal(cm?.query.fieldSelector, 'metadata.name=istio');

    // Progress: every kind ends with done=true and its final count.
    for (const kind of Object.keys(expectedApiVersion)) {
      const last = progress.filter((p) => p.kind === kind).at(-1);
      assert.deepEqual(last, { kind, objects: read.objects.filter((o) => o.kind === kind).length, done: true }, kind);
    }
  });

  it('selects a client-certificate user with --context', async () => {
    const file = await writeKubeconfig(srv);
    const read = await readCluster({ kubeconfig: file, context: 'cert-ctx', env: await isolatedEnv() });
    assert.equal(read.context, 'cert-ctx');
    assert.equal(names(read, 'DestinationRule').length, 7);
    assert.ok(srv.requests.length > 0);
    assert.ok(srv.requests.every((r) => r.auth === 'cert' && r.clientCN === 'meshlint-cert-user' && r.authorization === undefined));
    assertNoSecrets(JSON.stringify(read), srv);
  });

  it('rejects an unknown --context, naming the available ones', async () => {
    const file = await writeKubeconfig(srv);
    const err = await rejectsAudit(readCluster({ kubeconfig: file, context: 'nope', env: await isolatedEnv() }), /context "nope" not found/);
    assert.match(err.message, /token-ctx, cert-ctx/);
    assert.equal(srv.requests.length, 0, 'no request made');
  });

  it('merges KUBECONFIG files like kubectl: context in one file, user in the other, first definition wins', async () => {
    const d1 = await tempDir();
    const d2 = await tempDir();
    // File 1: cluster (CA by relative path, resolved against file 1's directory), context, current-context.
    await writeFile(path.join(d1, 'ca.crt'), srv.caPem);
    await writeFile(path.join(d1, 'config'), kubeconfig({
      clusters: [{ name: 'fake', server: srv.url, caFile: 'ca.crt' }],
      contexts: [{ name: 'main', cluster: 'fake', user: 'me' }],
      current: 'main',
    }));
    // File 2: the user, plus a conflicting context and current-context that must lose (kubectl: first file wins).
    await writeFile(path.join(d2, 'config'), kubeconfig({
      clusters: [{ name: 'elsewhere', server: 'https://127.0.0.1:1' }],
      users: [{ name: 'me', token: TOKEN }],
      contexts: [{ name: 'main', cluster: 'elsewhere', user: 'me' }, { name: 'other', cluster: 'elsewhere', user: 'me' }],
      current: 'other',
    }));
    const missing = path.join(d2, 'does-not-exist');
    const env = await isolatedEnv({ KUBECONFIG: [path.join(d1, 'config'), missing, path.join(d2, 'config')].join(path.delimiter) });
    const read = await readCluster({ env });
    assert.equal(read.context, 'main');
    assert.equal(read.server, srv.url);
    assert.equal(names(read, 'DestinationRule').length, 7);
    assert.ok(srv.requests.every((r) => r.auth === 'token'));

    // --context picks a context defined only in the second file.
    await rejectsAudit(readCluster({ env, context: 'other', requestTimeoutSeconds: 5 }), /cannot reach the API server at https:\/\/127\.0\.0\.1:1: connect ECONNREFUSED/);
  });

  it('falls back to ~/.kube/config', async () => {
    const home = await tempDir();
    await mkdir(path.join(home, '.kube'));
    await writeKubeconfig(srv, path.join(home, '.kube'));
    const read = await readCluster({ env: { HOME: home } });
    assert.equal(read.context, 'token-ctx');
    assert.equal(names(read, 'Service').length, 3);
  });

  it('reads only the namespaces asked for', async () => {
    const file = await writeKubeconfig(srv);
    const read = await readCluster({ kubeconfig: file, namespaces: ['a', 'c', 'a'], env: await isolatedEnv() });
    for (const o of read.objects) {
      const m = o.metadata as { name: string; namespace?: string };
      if (o.kind === 'Namespace') assert.ok(['a', 'c'].includes(m.name), `namespace ${m.name}`);
      else if (o.kind === 'ConfigMap') assert.equal(`${m.namespace}/${m.name}`, 'istio-system/istio');
      else assert.ok(['a', 'c'].includes(m.namespace!), `${String(o.kind)} ${m.namespace}/${m.name}`);
    }
    assert.deepEqual(names(read, 'DestinationRule'), ['a/dr-0', 'a/dr-1', 'a/dr-2', 'c/dr-0', 'c/dr-1']);
    assert.deepEqual(names(read, 'Namespace'), ['a', 'c']);
    assert.deepEqual(names(read, 'Gateway'), [], 'the gateway in istio-system is out of scope');
    // Namespaced kinds were listed per namespace, once each ('a' was given twice).
    const lists = srv.requests.filter((r) => LIST_PATH.test(r.path) && !r.path.endsWith('/api/v1/namespaces') && !r.path.endsWith('/gatewayclasses')); // cluster-scoped kinds
    for (const r of lists) {
      assert.match(r.path, /\/namespaces\/(a|c|istio-system)\//, r.path);
      if (r.path.includes('/namespaces/istio-system/')) assert.ok(r.path.endsWith('/configmaps'));
    }
    assert.equal(lists.filter((r) => r.path === '/apis/networking.istio.io/v1/namespaces/a/destinationrules').length, 1);
  });

  it('uses the pod service account when there is no kubeconfig (in-cluster)', async () => {
    const root = await tempDir();
    const sa = path.join(root, 'var/run/secrets/kubernetes.io/serviceaccount');
    await mkdir(sa, { recursive: true });
    await writeFile(path.join(sa, 'token'), TOKEN);
    await writeFile(path.join(sa, 'ca.crt'), srv.caPem);
    await writeFile(path.join(sa, 'namespace'), 'meshlint');
    const env = await isolatedEnv({ KUBERNETES_SERVICE_HOST: '127.0.0.1', KUBERNETES_SERVICE_PORT: String(srv.port), MESHLINT_IN_CLUSTER_ROOT: root });
    const read = await readCluster({ env });
    assert.equal(read.context, 'in-cluster');
    assert.equal(read.server, srv.url);
    assert.equal(names(read, 'DestinationRule').length, 7);
    assert.ok(srv.requests.every((r) => r.auth === 'token'));
    assertNoSecrets(JSON.stringify(read));

    // Missing token file: a clear error, not a crash.
    await rm(path.join(sa, 'token'));
    await rejectsAudit(readCluster({ env }), /service-account token .* is not readable/);
  });

  it('paginates with limit/continue: page size 2 over 7 objects yields 7', async () => {
    const file = await writeKubeconfig(srv);
    const read = await readCluster({ kubeconfig: file, pageSize: 2, env: await isolatedEnv() });
    assert.deepEqual(names(read, 'DestinationRule'), ['a/dr-0', 'a/dr-1', 'a/dr-2', 'b/dr-0', 'b/dr-1', 'c/dr-0', 'c/dr-1']);
    const drCalls = srv.requests.filter((r) => r.path === '/apis/networking.istio.io/v1/destinationrules');
    assert.equal(drCalls.length, 4);
    assert.ok(drCalls.every((r) => r.query.limit === '2'));
    assert.equal(drCalls[0].query.continue, undefined);
    assert.ok(drCalls.slice(1).every((r) => typeof r.query.continue === 'string' && r.query.continue.length > 0));
    assert.equal(new Set(drCalls.map((r) => r.query.continue)).size, 4);
  });

  it('keeps at most `concurrency` requests in flight, over reused connections', async () => {
    const file = await writeKubeconfig(srv);
    await readCluster({ kubeconfig: file, pageSize: 1, concurrency: 2, env: await isolatedEnv() });
    assert.ok(srv.maxInFlight <= 2, `max in flight ${srv.maxInFlight}`);
    assert.ok(srv.requests.length > 20);
    // client-node makes a fresh non-keep-alive agent per request; readCluster shares one keep-alive agent instead.
    assert.ok(srv.connections <= 3, `${srv.connections} TLS connections for ${srv.requests.length} requests`);
  });

  it('writes --dump files that parse back to the objects read', async () => {
    const file = await writeKubeconfig(srv);
    const read = await readCluster({ kubeconfig: file, env: await isolatedEnv() });
    const dir = path.join(await tempDir(), 'dump');
    const written = await dumpObjects(read, dir);
    assert.deepEqual((await readdir(dir)).sort(), written.map((f) => path.basename(f)).sort(), 'no temp files left behind');
    assert.ok(written.includes(path.join(dir, 'a.destinationrule.yaml')));
    assert.ok(written.includes(path.join(dir, '_cluster.namespace.yaml')));
    assert.ok(written.includes(path.join(dir, 'istio-system.configmap.yaml')));
    assert.equal(written.length, new Set(read.objects.map((o) => `${(o.metadata as { namespace?: string }).namespace}/${String(o.kind)}`)).size);

    const back: unknown[] = [];
    for (const f of written) {
      const text = await readFile(f, 'utf8');
      assert.ok(!text.includes('managedFields'));
      for (const doc of YAML.parseAllDocuments(text)) {
        assert.deepEqual(doc.errors, []);
        back.push(doc.toJS());
      }
    }
    const expected = read.objects.map((o) => {
      const copy = structuredClone(o) as { metadata: Record<string, unknown> };
      delete copy.metadata.managedFields;
      return copy;
    });
    const key = (o: unknown) => JSON.stringify([(o as { kind: string }).kind, (o as { metadata: unknown }).metadata]);
    assert.deepEqual(back.sort((x, y) => key(x).localeCompare(key(y))), expected.sort((x, y) => key(x).localeCompare(key(y))));
    // Strings that YAML 1.1 would read as booleans stay strings.
    assert.match(await readFile(path.join(dir, 'a.deployment.yaml'), 'utf8'), /note: "on"/);

    // Dumping again replaces the files atomically.
    const again = await dumpObjects(read, dir);
    assert.deepEqual(again, written);
    assert.deepEqual((await readdir(dir)).sort(), written.map((f) => path.basename(f)).sort());
  });

  it('--dump replaces only its own files: a user file in the way stops it, stale dump files go', async () => {
    const file = await writeKubeconfig(srv);
    const read = await readCluster({ kubeconfig: file, env: await isolatedEnv() });
    const dir = path.join(await tempDir(), 'dump');
    await mkdir(dir);
    // A file of the user's with the name of a dump file: nothing is written, the file is intact.
    await writeFile(path.join(dir, 'a.destinationrule.yaml'), 'my own notes\n');
    await assert.rejects(dumpObjects(read, dir), (err: NodeJS.ErrnoException) => err.code === 'EEXIST' && /not a meshlint dump/.test(err.message));
    assert.equal(await readFile(path.join(dir, 'a.destinationrule.yaml'), 'utf8'), 'my own notes\n');
    assert.deepEqual(await readdir(dir), ['a.destinationrule.yaml']);
    await rm(path.join(dir, 'a.destinationrule.yaml'));

    // A dump from an earlier run with a namespace that no longer exists, plus an unrelated file of the user's.
    await writeFile(path.join(dir, 'gone.destinationrule.yaml'), '# meshlint audit dump: read from https://old (context old)\napiVersion: v1\nkind: Namespace\nmetadata:\n  name: gone\n');
    await writeFile(path.join(dir, 'README.yaml'), 'kept: true\n');
    const written = await dumpObjects(read, dir);
    assert.deepEqual((await readdir(dir)).sort(), [...written.map((f) => path.basename(f)), 'README.yaml'].sort());
    assert.equal(await readFile(path.join(dir, 'README.yaml'), 'utf8'), 'kept: true\n');
  });

  it('has no request timeout by default, like kubectl: a slow answer is waited for', async () => {
    const slow = await server({ objects: seed(), tokens: [TOKEN], slow: [{ path: /\/deployments$/, ms: 1200 }] });
    const file = await writeKubeconfig(slow);
    const read = await readCluster({ kubeconfig: file, env: await isolatedEnv() });
    assert.deepEqual(names(read, 'Deployment'), ['a/web', 'b/web', 'c/web']);
  });

  it('reads the mesh config from --istio-namespace', async () => {
    const objects = seed().map((o) => (o.kind === 'ConfigMap' && o.metadata.name === 'istio' ? { ...o, metadata: { ...o.metadata, namespace: 'mesh-control' } } : o));
    const other = await server({ objects, tokens: [TOKEN] });
    const file = await writeKubeconfig(other);
    const missing = await readCluster({ kubeconfig: file, env: await isolatedEnv() });
    assert.equal(missing.meshConfig, null);
    assert.deepEqual(missing.coverage.map((n) => [n.kind, n.namespace, n.status]), [['ConfigMap', 'istio-system', 'not-installed']]);
    assert.match(missing.coverage[0].message, /ConfigMap istio-system\/istio does not exist.*--istio-namespace/);
    const found = await readCluster({ kubeconfig: file, istioNamespace: 'mesh-control', env: await isolatedEnv() });
    assert.deepEqual(found.coverage, []);
    assert.deepEqual(found.meshConfig, { defaultConfig: { holdApplicationUntilProxyStarts: true }, enableTracing: false });
    assert.ok(other.requests.some((r) => r.path === '/api/v1/namespaces/mesh-control/configmaps' && r.query.fieldSelector === 'metadata.name=istio'));
  });
});

describe('readCluster coverage notes', () => {
  it('turns a 403 into a note naming verb, resource and namespace, and reads the rest', async () => {
    const srv = await server({ objects: seed(), tokens: [TOKEN], forbid: [{ resource: 'destinationrules.networking.istio.io', namespace: 'b' }] });
    const file = await writeKubeconfig(srv);
    const read = await readCluster({ kubeconfig: file, namespaces: ['a', 'b'], env: await isolatedEnv() });
    assert.equal(read.coverage.length, 1);
    const [note] = read.coverage;
    assert.equal(note.kind, 'DestinationRule');
    assert.equal(note.namespace, 'b');
    assert.equal(note.verb, 'list');
    assert.equal(note.resource, 'destinationrules.networking.istio.io');
    assert.equal(note.status, 'forbidden');
    assert.match(note.message, /not allowed to list destinationrules\.networking\.istio\.io in namespace b/);
    assert.match(note.message, /cannot list resource "destinationrules"/);
    assert.deepEqual(names(read, 'DestinationRule'), ['a/dr-0', 'a/dr-1', 'a/dr-2']);
    assert.deepEqual(names(read, 'VirtualService'), ['a/web', 'b/web']);
    assert.deepEqual(names(read, 'Service'), ['a/web', 'b/web']);
    assertNoSecrets(JSON.stringify(read));
    assertReadOnly(srv);
  });

  it('says what is wrong with a malformed list response, quoting none of it (not "HTTP 200: HTTP 200")', async () => {
    // Issue 14, item 20.
    const srv = await server({
      objects: seed(),
      tokens: [TOKEN],
      malformed: [
        { path: /\/destinationrules/, body: '{"kind":"DestinationRuleList","items":[{"metadata":{"name":"hunter2' },
        { path: /\/serviceentries/, body: '[1, 2]' },
        { path: /\/api\/v1\/services/, body: '{"kind":"ServiceList","items":{"a":1}}' },
      ],
    });
    const file = await writeKubeconfig(srv);
    const read = await readCluster({ kubeconfig: file, env: await isolatedEnv() });
    const message = (kind: string) => read.coverage.find((n) => n.kind === kind)?.message ?? '';
    assert.match(message('DestinationRule'), /answered HTTP 200 \(GET \S+destinationrules\) with a body that is not JSON \(67 bytes, cut off\?\)$/);
    assert.match(message('ServiceEntry'), /a JSON array, not a list object$/);
    assert.match(message('Service'), /with a JSON object whose items is an object, not a list$/);
    for (const n of read.coverage) assert.ok(!/HTTP 200: HTTP 200/.test(n.message) && !n.message.includes('hunter2'), n.message);
    assertReadOnly(srv);
  });

  it('notes a cluster-wide 403 without a namespace', async () => {
    const srv = await server({ objects: seed(), tokens: [TOKEN], forbid: [{ resource: 'services' }, { resource: 'configmaps' }] });
    const file = await writeKubeconfig(srv);
    const read = await readCluster({ kubeconfig: file, env: await isolatedEnv() });
    const svc = read.coverage.find((n) => n.kind === 'Service');
    assert.deepEqual({ ...svc, message: undefined }, { kind: 'Service', verb: 'list', resource: 'services', status: 'forbidden', message: undefined });
    assert.match(svc!.message, /cluster-wide/);
    const cm = read.coverage.find((n) => n.kind === 'ConfigMap');
    assert.equal(cm?.namespace, 'istio-system');
    assert.equal(cm?.status, 'forbidden');
    assert.equal(read.meshConfig, null);
    assert.equal(names(read, 'DestinationRule').length, 7);
    assertReadOnly(srv);
  });

  it('says plainly when the Istio CRDs are not installed', async () => {
    const srv = await server({ objects: seed(), tokens: [TOKEN], istioVersions: [] });
    const file = await writeKubeconfig(srv);
    const read = await readCluster({ kubeconfig: file, env: await isolatedEnv() });
    assert.equal(read.istioVersion, null);
    assert.deepEqual(read.coverage.map((n) => n.kind).sort(), ['DestinationRule', 'EnvoyFilter', 'Gateway', 'ServiceEntry', 'Sidecar', 'VirtualService']);
    for (const n of read.coverage) {
      assert.equal(n.status, 'not-installed');
      assert.match(n.message, /Istio CRDs are not installed/);
      assert.match(n.resource, /\.networking\.istio\.io$/);
    }
    assert.ok(!srv.requests.some((r) => r.path.includes('networking.istio.io')), 'no Istio list attempted');
    assert.deepEqual(names(read, 'Deployment'), ['a/web', 'b/web', 'c/web']);
    assertReadOnly(srv);
  });

  it('falls back to v1beta1, and notes a single missing CRD', async () => {
    const objects = seed().map((o) => (o.apiVersion === 'networking.istio.io/v1' ? { ...o, apiVersion: 'networking.istio.io/v1beta1' } : o));
    const srv = await server({ objects, tokens: [TOKEN], istioVersions: ['v1beta1', 'v1alpha3'], istioMissing: ['sidecars'] });
    const file = await writeKubeconfig(srv);
    const read = await readCluster({ kubeconfig: file, env: await isolatedEnv() });
    assert.equal(read.istioVersion, 'v1beta1');
    assert.equal(read.coverage.length, 1);
    assert.equal(read.coverage[0].kind, 'Sidecar');
    assert.equal(read.coverage[0].status, 'not-installed');
    const dr = read.objects.find((o) => o.kind === 'DestinationRule');
    assert.equal(dr?.apiVersion, 'networking.istio.io/v1beta1');
    assertReadOnly(srv);
  });

  it('reads v1alpha3 when that is the only networking.istio.io version served', async () => {
    const objects = seed().map((o) => (o.apiVersion === 'networking.istio.io/v1' ? { ...o, apiVersion: 'networking.istio.io/v1alpha3' } : o));
    const srv = await server({ objects, tokens: [TOKEN], istioVersions: ['v1alpha3'] });
    const file = await writeKubeconfig(srv);
    const read = await readCluster({ kubeconfig: file, env: await isolatedEnv() });
    assert.equal(read.istioVersion, 'v1alpha3');
    assert.deepEqual(read.coverage, []);
    assert.equal(names(read, 'DestinationRule').length, 7);
    assert.ok(read.objects.filter((o) => String(o.apiVersion).startsWith('networking.istio.io/')).every((o) => o.apiVersion === 'networking.istio.io/v1alpha3'));
    assert.ok(!srv.requests.some((r) => /networking\.istio\.io\/(v1|v1beta1)\//.test(r.path)), 'no list in a version that is not served');
    assertReadOnly(srv);
  });
});

describe('readCluster fatal errors (AuditError, exit code 2)', () => {
  it('times out on a slow API server within bounded time', async () => {
    const srv = await server({ objects: seed(), tokens: [TOKEN], slow: [{ path: /\/deployments$/, ms: 30_000 }] });
    const file = await writeKubeconfig(srv);
    const started = Date.now();
    const err = await rejectsAudit(
      readCluster({ kubeconfig: file, requestTimeoutSeconds: 0.5, env: await isolatedEnv() }),
      /did not answer within 0\.5s \(GET \/apis\/apps\/v1\/deployments\)/,
    );
    assert.ok(Date.now() - started < 5_000, `took ${Date.now() - started} ms`);
    assert.match(err.message, new RegExp(`^the API server at ${srv.url.replace(/\./g, '\\.')}`));
  });

  it('fails on 401 without showing the token', async () => {
    const srv = await server({ objects: seed(), tokens: [TOKEN], unauthorized: true });
    const file = await writeKubeconfig(srv);
    const err = await rejectsAudit(readCluster({ kubeconfig: file, env: await isolatedEnv() }), /rejected the credentials of context "token-ctx" \(401 Unauthorized\)/);
    assertNoSecrets(err.message, srv);
    assertNoSecrets(String(err.stack), srv);
    assertReadOnly(srv);
  });

  it('fails on a wrong token (401)', async () => {
    const srv = await server({ objects: seed(), tokens: [TOKEN] });
    const dir = await tempDir();
    const file = path.join(dir, 'config');
    await writeFile(file, kubeconfig({
      clusters: [{ name: 'fake', server: srv.url, ca: srv.caPem }],
      users: [{ name: 'u', token: OTHER_TOKEN }],
      contexts: [{ name: 'x', cluster: 'fake', user: 'u' }],
      current: 'x',
    }));
    const err = await rejectsAudit(readCluster({ kubeconfig: file, env: await isolatedEnv() }), /401/);
    assertNoSecrets(err.message);
  });

  it('fails when nothing listens on the port', async () => {
    const port = await new Promise<number>((resolve) => {
      const s = net.createServer().listen(0, '127.0.0.1', () => {
        const p = (s.address() as net.AddressInfo).port;
        s.close(() => resolve(p));
      });
    });
    const dir = await tempDir();
    const file = path.join(dir, 'config');
    await writeFile(file, kubeconfig({
      clusters: [{ name: 'gone', server: `https://127.0.0.1:${port}` }],
      users: [{ name: 'u', token: TOKEN }],
      contexts: [{ name: 'x', cluster: 'gone', user: 'u' }],
      current: 'x',
    }));
    const err = await rejectsAudit(readCluster({ kubeconfig: file, env: await isolatedEnv() }), new RegExp(`^cannot reach the API server at https://127\\.0\\.0\\.1:${port}: connect ECONNREFUSED`));
    assertNoSecrets(err.message);
  });

  it('fails on a server certificate it cannot verify', async () => {
    const srv = await server({ objects: seed(), tokens: [TOKEN] });
    const dir = await tempDir();
    const file = path.join(dir, 'config');
    await writeFile(file, kubeconfig({
      clusters: [{ name: 'fake', server: srv.url }], // no CA: the system roots do not know the fake CA
      users: [{ name: 'u', token: TOKEN }],
      contexts: [{ name: 'x', cluster: 'fake', user: 'u' }],
      current: 'x',
    }));
    const err = await rejectsAudit(readCluster({ kubeconfig: file, env: await isolatedEnv() }), /^TLS connection to the API server at https:\/\/127\.0\.0\.1:\d+ failed: /);
    assertNoSecrets(err.message);
    assert.equal(srv.requests.length, 0, 'no request got through');
  });

  it('reports kubeconfig problems in one line, without quoting credentials', async () => {
    const dir = await tempDir();
    const env = await isolatedEnv();
    // A YAML error right next to the token: js-yaml would quote the line; the message must not.
    const broken = path.join(dir, 'broken');
    await writeFile(broken, `apiVersion: v1\nusers:\n- name: u\n  user:\n    token: ${TOKEN}\n   bad: [indent\n`);
    const err = await rejectsAudit(readCluster({ kubeconfig: broken, env }), /^cannot parse kubeconfig .*broken: .* at line \d+$/);
    assertNoSecrets(err.message);

    await rejectsAudit(readCluster({ kubeconfig: path.join(dir, 'nope'), env }), /cannot read kubeconfig .*nope: no such file/);
    await rejectsAudit(readCluster({ env }), /no kubeconfig found .* and not running in a pod/);

    const noCurrent = path.join(dir, 'nocurrent');
    await writeFile(noCurrent, kubeconfig({ clusters: [{ name: 'c', server: 'https://127.0.0.1:1' }], users: [{ name: 'u', token: TOKEN }], contexts: [{ name: 'only', cluster: 'c', user: 'u' }] }));
    await rejectsAudit(readCluster({ kubeconfig: noCurrent, env }), /sets no current-context; pass --context \(available: only\)/);

    const missingCa = path.join(dir, 'missingca');
    await writeFile(missingCa, kubeconfig({ clusters: [{ name: 'c', server: 'https://127.0.0.1:1', caFile: 'no-such-ca.crt' }], users: [{ name: 'u', token: TOKEN }], contexts: [{ name: 'x', cluster: 'c', user: 'u' }], current: 'x' }));
    await rejectsAudit(readCluster({ kubeconfig: missingCa, env }), /cannot read the certificate-authority file .*no-such-ca\.crt named by context "x"/);
  });

  it('gives up on a server that accepts the connection but never completes TLS (connect timeout)', async () => {
    const sockets = new Set<net.Socket>();
    const silent = net.createServer((socket) => {
      sockets.add(socket);
      socket.on('close', () => sockets.delete(socket));
    });
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const port = (silent.address() as net.AddressInfo).port;
    try {
      const dir = await tempDir();
      const file = path.join(dir, 'config');
      await writeFile(file, singleContextKubeconfig('mute', `https://127.0.0.1:${port}`, TOKEN));
      const started = Date.now();
      await rejectsAudit(
        readCluster({ kubeconfig: file, connectTimeoutSeconds: 0.5, env: await isolatedEnv() }),
        new RegExp(`^the API server at https://127\\.0\\.0\\.1:${port} did not accept a connection within 0\\.5s \\(GET /apis\\)`),
      );
      assert.ok(Date.now() - started < 5_000, `took ${Date.now() - started} ms`);
    } finally {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => silent.close(() => resolve()));
    }
  });
});

describe('fake API server', () => {
  it('refuses anything but GET, and answers 404 to unknown paths (recording them)', async () => {
    const srv = await server({ objects: seed(), tokens: [TOKEN] });
    const send = (method: string, p: string) =>
      new Promise<number>((resolve, reject) => {
        const req = https.request(`${srv.url}${p}`, { method, agent: false, ca: srv.caPem, headers: { authorization: `Bearer ${TOKEN}` } }, (res) => {
          res.resume();
          res.on('end', () => resolve(res.statusCode ?? 0));
        });
        req.on('error', reject);
        req.end(method === 'GET' ? undefined : '{}');
      });
    assert.equal(await send('POST', '/apis/networking.istio.io/v1/namespaces/a/destinationrules'), 405);
    assert.equal(await send('DELETE', '/api/v1/namespaces/a'), 405);
    assert.equal(await send('PATCH', '/apis/apps/v1/namespaces/a/deployments/web'), 405);
    assert.equal(await send('GET', '/api/v1/namespaces'), 200);
    assert.equal(await send('GET', '/api/v1/secrets'), 404);
    assert.deepEqual(srv.unexpected, ['GET /api/v1/secrets']);
    assert.deepEqual(srv.requests.map((r) => r.method), ['POST', 'DELETE', 'PATCH', 'GET', 'GET']);
  });
});
