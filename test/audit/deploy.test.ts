import assert from 'node:assert/strict';
import { readdir, readFile } from 'node:fs/promises';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import YAML from 'yaml';
import { PLACEMENT_RESOURCES, READ_RESOURCES, READ_VERBS, rbacRules, readCluster, type PolicyRule } from '../../src/audit/cluster.js';
import { startFakeApiServer, type RecordedRequest } from '../helpers/fake-apiserver.js';
import { fixtureObjects, singleContextKubeconfig, TOKEN } from '../helpers/kube.js';

// Compiled to dist/test/audit/: the repository root is three levels up.
const DEPLOY = new URL('../../../deploy/', import.meta.url);

type Manifest = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

async function manifests(): Promise<Manifest[]> {
  const files = (await readdir(DEPLOY)).filter((f) => f.endsWith('.yaml')).sort();
  const out: Manifest[] = [];
  for (const f of files) {
    for (const doc of YAML.parseAllDocuments(await readFile(new URL(f, DEPLOY), 'utf8'))) {
      assert.deepEqual(doc.errors, [], f);
      const value = doc.toJS() as Manifest | null;
      if (value) out.push({ ...value, __file: f });
    }
  }
  return out;
}

function one(all: Manifest[], kind: string): Manifest {
  const found = all.filter((m) => m.kind === kind);
  assert.equal(found.length, 1, `exactly one ${kind}`);
  return found[0];
}

/** Flattens rules to sorted `verb group/resource[name]` permissions, so different groupings of the same grants compare equal. */
function permissions(rules: PolicyRule[]): string[] {
  const out = new Set<string>();
  for (const r of rules) {
    for (const g of r.apiGroups) for (const res of r.resources) for (const v of r.verbs) {
      if (r.resourceNames?.length) for (const n of r.resourceNames) out.add(`${v} ${g}/${res}[${n}]`);
      else out.add(`${v} ${g}/${res}`);
    }
  }
  return [...out].sort();
}

/**
 * The RBAC attributes of a request (Kubernetes `RequestInfo`): verb, API group, resource, namespace and, for a list
 * with a `metadata.name` field selector, the name (what a `resourceNames` rule is matched against); null for the
 * non-resource discovery paths (`/apis`, `/apis/<group>/<version>`), which the built-in system:discovery role grants.
 */
function rbacAttributes(r: RecordedRequest): { verb: string; group: string; resource: string; namespace?: string; name?: string } | null {
  if (/^\/apis(\/[^/]+\/[^/]+)?$/.test(r.path) || r.path === '/api' || r.path === '/api/v1') return null;
  const m = /^\/(?:api\/v1|apis\/([^/]+)\/[^/]+)(?:\/namespaces\/([^/]+))?\/([^/]+)$/.exec(r.path);
  assert.ok(m, `not a collection path: ${r.path}`);
  const name = /^metadata\.name==?(.+)$/.exec(r.query.fieldSelector ?? '')?.[1];
  return { verb: r.query.watch === 'true' ? 'watch' : 'list', group: m[1] ?? '', resource: m[3], namespace: m[2], name };
}

/** Whether a ClusterRole's rules allow a request (RBAC: any rule matching group, resource, verb and, if set, name). */
function allows(rules: PolicyRule[], a: NonNullable<ReturnType<typeof rbacAttributes>>): boolean {
  return rules.some((rule) =>
    rule.apiGroups.includes(a.group) && rule.resources.includes(a.resource) && rule.verbs.includes(a.verb) && (!rule.resourceNames?.length || (a.name !== undefined && rule.resourceNames.includes(a.name))));
}

describe('deploy/ manifests', () => {
  it('deploy/prometheus/clusterrole-placement.yaml grants list on exactly the placement resources (audit --prometheus)', async () => {
    const role = YAML.parse(await readFile(new URL('prometheus/clusterrole-placement.yaml', DEPLOY), 'utf8')) as { kind: string; rules: PolicyRule[] };
    assert.equal(role.kind, 'ClusterRole');
    assert.deepEqual(permissions(role.rules), PLACEMENT_RESOURCES.map((r) => `list ${r.group}/${r.resource}`).sort());
  });

  it('the ClusterRole grants exactly what readCluster uses', async () => {
    const role = one(await manifests(), 'ClusterRole');
    const rules = role.rules as PolicyRule[];
    assert.deepEqual(permissions(rules), permissions(rbacRules()));
    // And rbacRules() itself covers READ_RESOURCES, with the list verb only.
    assert.deepEqual([...READ_VERBS], ['list']);
    for (const r of READ_RESOURCES) {
      const expected = r.resourceNames ? r.resourceNames.map((n) => `list ${r.group}/${r.resource}[${n}]`) : [`list ${r.group}/${r.resource}`];
      for (const p of expected) assert.ok(permissions(rules).includes(p), p);
    }
  });

  it('the ClusterRole allows every request an audit makes, and every permission it grants is used', async () => {
    const role = one(await manifests(), 'ClusterRole');
    const rules = role.rules as PolicyRule[];
    const configMap = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'istio', namespace: 'istio-system' }, data: { mesh: '{}' } };
    const gateway = { apiVersion: 'networking.istio.io/v1', kind: 'Gateway', metadata: { name: 'gw', namespace: 'istio-system' }, spec: {} };
    const srv = await startFakeApiServer({ objects: [...fixtureObjects(), configMap, gateway], tokens: [TOKEN] });
    const dir = await mkdtemp(path.join(tmpdir(), 'meshlint-rbac-'));
    try {
      const file = path.join(dir, 'config');
      await writeFile(file, singleContextKubeconfig('rbac', srv.url, TOKEN, srv.caPem));
      const env = { HOME: dir };
      // An audit of the whole cluster, and one scoped to two namespaces.
      const all = await readCluster({ kubeconfig: file, env });
      const scoped = await readCluster({ kubeconfig: file, namespaces: ['checkout', 'api-gateway'], env });
      assert.deepEqual([...all.coverage, ...scoped.coverage], []);
      const used = new Set<string>();
      for (const r of srv.requests) {
        assert.equal(r.method, 'GET');
        const a = rbacAttributes(r);
        if (!a) continue;
        assert.ok(allows(rules, a), `the ClusterRole does not allow ${a.verb} ${a.resource}.${a.group}${a.name ? ` name=${a.name}` : ''} (${r.path})`);
        used.add(`${a.verb} ${a.group}/${a.resource}${a.name ? `[${a.name}]` : ''}`);
      }
      assert.deepEqual([...used].sort(), permissions(rules), 'every permission the ClusterRole grants is used');
    } finally {
      await srv.close();
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('the ClusterRole is read-only and never touches secrets', async () => {
    const role = one(await manifests(), 'ClusterRole');
    for (const rule of role.rules as Manifest[]) {
      assert.equal(rule.nonResourceURLs, undefined);
      for (const v of rule.verbs) assert.ok(['get', 'list'].includes(v), `verb ${v}`);
      for (const res of rule.resources) assert.ok(!['secrets', '*'].includes(res) && !res.includes('/'), `resource ${res}`);
      for (const g of rule.apiGroups) assert.notEqual(g, '*');
    }
  });

  it('binds the ClusterRole to the ServiceAccount the CronJob runs as', async () => {
    const all = await manifests();
    const role = one(all, 'ClusterRole');
    const sa = one(all, 'ServiceAccount');
    const binding = one(all, 'ClusterRoleBinding');
    const cron = one(all, 'CronJob');
    assert.deepEqual(binding.roleRef, { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: role.metadata.name });
    assert.deepEqual(binding.subjects, [{ kind: 'ServiceAccount', name: sa.metadata.name, namespace: sa.metadata.namespace }]);
    assert.equal(cron.metadata.namespace, sa.metadata.namespace);
    const pod = cron.spec.jobTemplate.spec.template.spec;
    assert.equal(pod.serviceAccountName, sa.metadata.name);
    assert.notEqual(pod.automountServiceAccountToken, false, 'in-cluster credentials need the token');
    assert.equal(one(all, 'Namespace').metadata.name, sa.metadata.namespace);
  });

  it('the CronJob runs meshlint audit with --format json and --format sarif, hardened', async () => {
    const cron = one(await manifests(), 'CronJob');
    const pod = cron.spec.jobTemplate.spec.template.spec;
    const commands = (pod.containers as Manifest[]).map((c) => [...(c.command ?? []), ...(c.args ?? [])].join(' '));
    assert.ok(commands.some((c) => /^audit --format json\b/.test(c)), commands.join(' | '));
    assert.ok(commands.some((c) => /^audit --format sarif\b/.test(c)), commands.join(' | '));
    assert.equal(pod.restartPolicy, 'Never');
    assert.equal(pod.securityContext.runAsNonRoot, true);
    for (const c of pod.containers as Manifest[]) {
      assert.equal(c.securityContext.allowPrivilegeEscalation, false);
      assert.equal(c.securityContext.readOnlyRootFilesystem, true);
      assert.deepEqual(c.securityContext.capabilities.drop, ['ALL']);
    }
  });

  it('the Dockerfile builds on node:20-slim, installs production dependencies with npm ci and runs meshlint', async () => {
    const text = await readFile(new URL('Dockerfile', DEPLOY), 'utf8');
    const froms = [...text.matchAll(/^FROM\s+(\S+)/gm)].map((m) => m[1]);
    assert.ok(froms.length > 0 && froms.every((f) => f.startsWith('node:20-slim')), froms.join(', '));
    assert.match(text, /^RUN npm ci --omit=dev\b/m);
    assert.match(text, /^ENTRYPOINT \["meshlint"\]/m);
    assert.match(text, /^USER node$/m);
  });
});
