import assert from 'node:assert/strict';
import { readdir, readFile } from 'node:fs/promises';
import { describe, it } from 'node:test';
import YAML from 'yaml';
import { READ_RESOURCES, READ_VERBS, rbacRules, type PolicyRule } from '../../src/audit/cluster.js';

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

describe('deploy/ manifests', () => {
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
