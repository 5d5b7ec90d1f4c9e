/**
 * Helpers for audit tests: kubeconfig files, an environment that never reaches the developer's real kubeconfig,
 * the fixtures' objects as a cluster would serve them, and checks that no credential leaked.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import net from 'node:net';
import path from 'node:path';
import Ajv, { type ValidateFunction } from 'ajv';
import AjvDraft04 from 'ajv-draft-04';
import addFormats from 'ajv-formats';
import YAML from 'yaml';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { startFakeApiServer, type FakeApiServer, type FakeApiServerOptions, type KubeObject } from './fake-apiserver.js';
import { ROOT } from './paths.js';

/** Bearer token the fake servers of the audit tests accept. */
export const TOKEN = 'sekret-token-7f3a9c1e5b2d4a68';
/** A token the fake servers reject. */
export const OTHER_TOKEN = 'other-token-0b1c2d3e4f5a6b7c';

export interface KcCluster { name: string; server: string; ca?: string; caFile?: string }
export interface KcUser { name: string; token?: string; certPem?: string; keyPem?: string; certFile?: string; keyFile?: string }
export interface KcContext { name: string; cluster: string; user: string; namespace?: string }

/** A kubeconfig document (YAML) as kubectl writes them: `*-data` fields base64-encoded. */
export function kubeconfig(parts: { clusters?: KcCluster[]; users?: KcUser[]; contexts?: KcContext[]; current?: string }): string {
  const doc: Record<string, unknown> = {
    apiVersion: 'v1',
    kind: 'Config',
    clusters: (parts.clusters ?? []).map((c) => ({
      name: c.name,
      cluster: {
        server: c.server,
        ...(c.ca ? { 'certificate-authority-data': Buffer.from(c.ca).toString('base64') } : {}),
        ...(c.caFile ? { 'certificate-authority': c.caFile } : {}),
      },
    })),
    users: (parts.users ?? []).map((u) => ({
      name: u.name,
      user: {
        ...(u.token ? { token: u.token } : {}),
        ...(u.certPem ? { 'client-certificate-data': Buffer.from(u.certPem).toString('base64') } : {}),
        ...(u.keyPem ? { 'client-key-data': Buffer.from(u.keyPem).toString('base64') } : {}),
        ...(u.certFile ? { 'client-certificate': u.certFile } : {}),
        ...(u.keyFile ? { 'client-key': u.keyFile } : {}),
      },
    })),
    contexts: (parts.contexts ?? []).map((c) => ({ name: c.name, context: { cluster: c.cluster, user: c.user, ...(c.namespace ? { namespace: c.namespace } : {}) } })),
  };
  if (parts.current) doc['current-context'] = parts.current;
  return YAML.stringify(doc);
}

/** A kubeconfig with one context `name` (current) for `server`, a bearer `token`, and the CA `ca` when given. */
export function singleContextKubeconfig(name: string, server: string, token: string, ca?: string): string {
  return kubeconfig({ clusters: [{ name, server, ...(ca ? { ca } : {}) }], users: [{ name: 'u', token }], contexts: [{ name, cluster: name, user: 'u' }], current: name });
}

/** A fake API server (accepting {@link TOKEN}) with a kubeconfig for it in its own temp HOME. */
export interface FakeCluster {
  srv: FakeApiServer;
  kubeconfig: string;
  home: string;
}

/**
 * Starts fake clusters for one test file: `start(options)` runs a fake API server accepting {@link TOKEN} and writes a
 * single-context kubeconfig (context `fake`) into a new temp dir named `prefix…`; `close()` stops every server and
 * removes every dir (call it from `after`).
 */
export function fakeClusters(prefix: string): { start(options: FakeApiServerOptions): Promise<FakeCluster>; close(): Promise<void> } {
  const servers: FakeApiServer[] = [];
  const dirs: string[] = [];
  return {
    async start(options) {
      const srv = await startFakeApiServer({ tokens: [TOKEN], ...options });
      servers.push(srv);
      const home = await mkdtemp(path.join(tmpdir(), prefix));
      dirs.push(home);
      const kubeconfig = path.join(home, 'config');
      await writeFile(kubeconfig, singleContextKubeconfig('fake', srv.url, TOKEN, srv.caPem));
      return { srv, kubeconfig, home };
    },
    async close() {
      await Promise.all(servers.map((s) => s.close()));
      await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })));
    },
  };
}

/**
 * Environment variables for a child process that must find no kubeconfig of the developer's: `HOME` is `home` (a temp
 * dir), `KUBECONFIG` and the in-cluster variables are removed (undefined values are dropped by child_process).
 */
export function isolatedEnv(home: string, extra: Record<string, string | undefined> = {}): Record<string, string | undefined> {
  return { HOME: home, KUBECONFIG: undefined, KUBERNETES_SERVICE_HOST: undefined, KUBERNETES_SERVICE_PORT: undefined, MESHLINT_IN_CLUSTER_ROOT: undefined, ...extra };
}

/** The YAML manifests under `fixtures/` (not the application source fixtures), relative to the repository root. */
export function fixtureManifestFiles(): string[] {
  const out: string[] = [];
  const walk = (rel: string) => {
    for (const entry of readdirSync(path.join(ROOT, rel), { withFileTypes: true })) {
      const child = path.join(rel, entry.name);
      if (entry.isDirectory()) {
        if (child !== path.join('fixtures', 'source')) walk(child);
      } else if (/\.ya?ml$/.test(entry.name)) out.push(child);
    }
  };
  walk('fixtures');
  return out.sort();
}

/**
 * The objects of {@link fixtureManifestFiles} as a cluster would hold them after `kubectl apply -f` of each file in
 * order: `metadata.namespace` defaulted to `default`, `creationTimestamp` increasing in apply order, a `uid`.
 */
export function fixtureObjects(): KubeObject[] {
  const objects: KubeObject[] = [];
  let created = Date.parse('2024-03-01T08:00:00Z');
  for (const file of fixtureManifestFiles()) {
    for (const doc of YAML.parseAllDocuments(readFileSync(path.join(ROOT, file), 'utf8'))) {
      const value = doc.toJS() as KubeObject | null;
      if (!value) continue;
      if (value.kind !== 'Namespace') value.metadata.namespace ??= 'default';
      created += 1000;
      value.metadata.creationTimestamp = new Date(created).toISOString().replace('.000Z', 'Z');
      value.metadata.uid = `00000000-0000-4000-8000-${String(objects.length).padStart(12, '0')}`;
      objects.push(value);
    }
  }
  return objects;
}

/** Asserts that `text` holds none of the credentials the audit tests use (tokens, the client key, as PEM or base64). */
export function assertNoSecrets(text: string, servers: readonly FakeApiServer[] = []): void {
  assert.ok(!text.includes(TOKEN), 'token leaked');
  assert.ok(!text.includes(OTHER_TOKEN), 'token leaked');
  for (const srv of servers) {
    const keyBody = srv.clientKeyPem.split('\n').filter((l) => l && !l.startsWith('-----')).join('');
    assert.ok(!text.includes(keyBody.slice(0, 40)), 'client key leaked');
    assert.ok(!text.includes(Buffer.from(srv.clientKeyPem).toString('base64').slice(0, 40)), 'client key data leaked');
  }
}

/** The official OASIS SARIF 2.1.0 JSON schema, as shipped by @microsoft/jest-sarif. */
export function sarifValidator(): ValidateFunction {
  const require = createRequire(import.meta.url);
  const pkg = require.resolve('@microsoft/jest-sarif/package.json');
  const schema = JSON.parse(readFileSync(pkg.replace(/package\.json$/, 'lib/schemas/sarif-2.1.0-rtm.5.json'), 'utf8'));
  const ajv = new AjvDraft04.default({ strict: false, allErrors: true, unicodeRegExp: false });
  addFormats.default(ajv);
  return ajv.compile(schema);
}

/** schemas/report.schema.json (draft-07). */
export function reportValidator(): ValidateFunction {
  const ajv = new Ajv.default({ strict: false, allErrors: true });
  return ajv.compile(JSON.parse(readFileSync(path.join(ROOT, 'schemas/report.schema.json'), 'utf8')));
}

/** A port on 127.0.0.1 where nothing listens. */
export async function closedPort(): Promise<number> {
  return new Promise((resolve) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const p = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(p));
    });
  });
}
