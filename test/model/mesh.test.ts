/**
 * The mesh model checked against docs/model.md ("Which policy applies", "Layering", "Retries", "Injection",
 * "ServiceEntry", host names) and the connection multiplier's arithmetic. Every input goes through the
 * real YAML loaders (test/helpers/model.ts). Tests where the implementation disagrees with docs/model.md keep the
 * specified expectation and are marked `todo` with the disagreement.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DEFAULT_EPHEMERAL_PORTS, TIME_WAIT_SECONDS } from '../../src/facts.js';
import type { MeshModel, MergedDestinationRule } from '../../src/model/mesh.js';
import { computeMultipliers, retriesOf, sidecarConnectionsPerTry } from '../../src/model/build-traffic.js';
import type { RouteMultiplier } from '../../src/model/traffic.js';
import { hostMatches, isExportedTo, resolveHost } from '../../src/model/hosts.js';
import { dig } from '../../src/model/values.js';
import type { AppCallSite } from '../../src/source/types.js';
import { dedent, docs, modelFromYaml } from '../helpers/model.js';

// ---------------------------------------------------------------------------------------------------------
// Builders (YAML text only; objects are always produced by the loaders)

interface DrOptions {
  name: string;
  ns: string;
  host: string;
  exportTo?: string[];
  /** `metadata.creationTimestamp`, written quoted (as kubectl prints it) unless `rawCreated`. */
  created?: string;
  rawCreated?: boolean;
  selector?: Record<string, string>;
  /** Top-level `connectionPool.http.maxRequestsPerConnection`. */
  mrpc?: number;
  /** Subsets as `name` or `name:mrpc` (a subset-level connectionPool.http.maxRequestsPerConnection). */
  subsets?: string[];
}

function dr(o: DrOptions): string {
  const lines = ['apiVersion: networking.istio.io/v1', 'kind: DestinationRule', 'metadata:', `  name: ${o.name}`, `  namespace: ${o.ns}`];
  if (o.created) lines.push(o.rawCreated ? `  creationTimestamp: ${o.created}` : `  creationTimestamp: "${o.created}"`);
  lines.push('spec:', `  host: "${o.host}"`);
  if (o.exportTo) lines.push(`  exportTo: [${o.exportTo.map((e) => `"${e}"`).join(', ')}]`);
  if (o.selector) {
    lines.push('  workloadSelector:', '    matchLabels:');
    for (const [k, v] of Object.entries(o.selector)) lines.push(`      ${k}: "${v}"`);
  }
  if (o.mrpc !== undefined) lines.push('  trafficPolicy:', '    connectionPool:', '      http:', `        maxRequestsPerConnection: ${o.mrpc}`);
  if (o.subsets) {
    lines.push('  subsets:');
    for (const s of o.subsets) {
      const [name, mrpc] = s.split(':');
      lines.push(`  - name: ${name}`, '    labels:', `      version: ${name}`);
      if (mrpc !== undefined) lines.push('    trafficPolicy:', '      connectionPool:', '        http:', `          maxRequestsPerConnection: ${mrpc}`);
    }
  }
  return lines.join('\n') + '\n';
}

function se(name: string, ns: string, hosts: string[], extra: { location?: string; exportTo?: string[] } = {}): string {
  const lines = ['apiVersion: networking.istio.io/v1', 'kind: ServiceEntry', 'metadata:', `  name: ${name}`, `  namespace: ${ns}`, 'spec:'];
  lines.push(`  hosts: [${hosts.map((h) => `"${h}"`).join(', ')}]`);
  if (extra.location) lines.push(`  location: ${extra.location}`);
  if (extra.exportTo) lines.push(`  exportTo: [${extra.exportTo.map((e) => `"${e}"`).join(', ')}]`);
  lines.push('  resolution: DNS', '  ports:', '  - number: 80', '    name: http', '    protocol: HTTP');
  return lines.join('\n') + '\n';
}

function ns(name: string, labels: Record<string, string> = {}): string {
  const lines = ['apiVersion: v1', 'kind: Namespace', 'metadata:', `  name: ${name}`];
  if (Object.keys(labels).length) {
    lines.push('  labels:');
    for (const [k, v] of Object.entries(labels)) lines.push(`    ${k}: "${v}"`);
  }
  return lines.join('\n') + '\n';
}

function deployment(name: string, namespace: string, pod: { labels?: Record<string, string>; annotations?: Record<string, string>; hostNetwork?: boolean } = {}): string {
  const lines = ['apiVersion: apps/v1', 'kind: Deployment', 'metadata:', `  name: ${name}`, `  namespace: ${namespace}`, 'spec:', '  replicas: 2', '  selector:', '    matchLabels:', `      app: ${name}`, '  template:', '    metadata:', '      labels:', `        app: ${name}`];
  for (const [k, v] of Object.entries(pod.labels ?? {})) lines.push(`        ${k}: "${v}"`);
  if (pod.annotations) {
    lines.push('      annotations:');
    for (const [k, v] of Object.entries(pod.annotations)) lines.push(`        ${k}: "${v}"`);
  }
  lines.push('    spec:');
  if (pod.hostNetwork) lines.push('      hostNetwork: true');
  lines.push('      containers:', '      - name: app', '        image: example/app:1');
  return lines.join('\n') + '\n';
}

const REVIEWS_PROD = 'reviews.prod.svc.cluster.local';

/** `namespace/name` of the rule whose top-level policy a client gets, or null. */
function winner(model: MeshModel, clientNs: string, host: string, labels?: Record<string, string>): string | null {
  const merged = model.destinationRuleFor(clientNs, host, labels);
  return merged ? `${merged.primary.namespace}/${merged.primary.object.ref.name}` : null;
}

/** `http.maxRequestsPerConnection` of the effective connectionPool, or undefined. */
function mrpcOf(model: MeshModel, merged: MergedDestinationRule | null, subset?: string, port?: number): unknown {
  assert.ok(merged, 'a DestinationRule applies');
  const pool = model.effectivePolicy(merged, subset, port).connectionPool;
  return pool ? dig(pool.value, 'http', 'maxRequestsPerConnection') : undefined;
}

function close(actual: number | null | undefined, expected: number, message?: string): void {
  assert.ok(typeof actual === 'number' && Math.abs(actual - expected) < 1e-9, `${message ?? 'value'}: expected ≈ ${expected}, got ${actual}`);
}

// ---------------------------------------------------------------------------------------------------------

describe('host names (docs/model.md: short names use the rule namespace, dotted names as written)', () => {
  it('resolveHost expands a short name with the rule namespace and leaves dotted names and wildcards alone', () => {
    assert.equal(resolveHost('reviews', 'prod'), REVIEWS_PROD);
    assert.equal(resolveHost('reviews', 'test'), 'reviews.test.svc.cluster.local');
    assert.equal(resolveHost('reviews', 'prod', 'corp.internal'), 'reviews.prod.svc.corp.internal');
    // near misses: anything with a dot is taken as written, even when it looks like `name.namespace`
    assert.equal(resolveHost('reviews.prod', 'test'), 'reviews.prod');
    assert.equal(resolveHost('api.example.com', 'prod'), 'api.example.com');
    assert.equal(resolveHost('reviews.prod.svc.cluster.local', 'test'), REVIEWS_PROD);
    assert.equal(resolveHost('*', 'prod'), '*');
    assert.equal(resolveHost('*.example.com', 'prod'), '*.example.com');
  });

  it('hostMatches: exact names, `*.suffix` wildcards and `*`', () => {
    assert.equal(hostMatches('api.example.com', 'api.example.com'), true);
    assert.equal(hostMatches('api.example.com', 'www.example.com'), false);
    assert.equal(hostMatches('*.example.com', 'api.example.com'), true);
    assert.equal(hostMatches('*.example.com', 'a.b.example.com'), true);
    assert.equal(hostMatches('*.example.com', 'example.com'), false, 'the wildcard needs a label before the suffix');
    assert.equal(hostMatches('*.example.com', 'api.example.org'), false);
    assert.equal(hostMatches('*.example.com', 'apiexample.com'), false);
    assert.equal(hostMatches('*.com', 'api.example.com'), true);
    assert.equal(hostMatches('*', 'anything.at.all'), true);
  });

  it('isExportedTo: absent or empty = everywhere, `*`, `.` = own namespace only, named namespaces', () => {
    assert.equal(isExportedTo(undefined, 'prod', 'web'), true);
    assert.equal(isExportedTo([], 'prod', 'web'), true);
    assert.equal(isExportedTo(['*'], 'prod', 'web'), true);
    assert.equal(isExportedTo(['.'], 'prod', 'prod'), true);
    assert.equal(isExportedTo(['.'], 'prod', 'web'), false);
    assert.equal(isExportedTo(['web', 'shop'], 'prod', 'shop'), true);
    assert.equal(isExportedTo(['web', 'shop'], 'prod', 'batch'), false);
    assert.equal(isExportedTo(['.', 'web'], 'prod', 'web'), true);
  });
});

describe('DestinationRule precedence across namespaces (docs/model.md, "Which policy applies")', () => {
  it("the client's namespace comes first, whatever its exportTo", () => {
    for (const exportTo of [undefined, ['.'], ['*'], ['somewhere-else']]) {
      const model = modelFromYaml(
        docs(
          dr({ name: 'client', ns: 'web', host: REVIEWS_PROD, exportTo }),
          dr({ name: 'owner', ns: 'prod', host: 'reviews' }),
          dr({ name: 'root', ns: 'istio-system', host: REVIEWS_PROD }),
        ),
      );
      assert.equal(winner(model, 'web', REVIEWS_PROD), 'web/client', `exportTo ${JSON.stringify(exportTo)}`);
      // near miss: the client DR is not the host namespace's, so another client goes on to prod
      assert.equal(winner(model, 'shop', REVIEWS_PROD), 'prod/owner');
    }
  });

  it("the host's namespace applies when exported to the client: exportTo absent or `*`", () => {
    for (const exportTo of [undefined, ['*']]) {
      const model = modelFromYaml(docs(dr({ name: 'owner', ns: 'prod', host: 'reviews', exportTo }), dr({ name: 'root', ns: 'istio-system', host: REVIEWS_PROD })));
      assert.equal(winner(model, 'web', REVIEWS_PROD), 'prod/owner', `exportTo ${JSON.stringify(exportTo)}`);
    }
  });

  it("`exportTo: ['.']` hides the host namespace's rule from other namespaces (the root namespace's applies)", () => {
    const model = modelFromYaml(docs(dr({ name: 'owner', ns: 'prod', host: 'reviews', exportTo: ['.'] }), dr({ name: 'root', ns: 'istio-system', host: REVIEWS_PROD })));
    assert.equal(winner(model, 'web', REVIEWS_PROD), 'istio-system/root');
    assert.equal(winner(model, 'prod', REVIEWS_PROD), 'prod/owner', 'still visible inside its own namespace');
  });

  it('a named exportTo list shows the rule to the listed namespaces only', () => {
    const model = modelFromYaml(docs(dr({ name: 'owner', ns: 'prod', host: 'reviews', exportTo: ['web', 'shop'] })));
    assert.equal(winner(model, 'web', REVIEWS_PROD), 'prod/owner');
    assert.equal(winner(model, 'shop', REVIEWS_PROD), 'prod/owner');
    assert.equal(winner(model, 'batch', REVIEWS_PROD), null);
  });

  it('the root namespace (`istio-system`) comes last and is subject to exportTo too', () => {
    const shown = modelFromYaml(dr({ name: 'root', ns: 'istio-system', host: REVIEWS_PROD }));
    assert.equal(winner(shown, 'web', REVIEWS_PROD), 'istio-system/root');
    const hidden = modelFromYaml(dr({ name: 'root', ns: 'istio-system', host: REVIEWS_PROD, exportTo: ['.'] }));
    assert.equal(winner(hidden, 'web', REVIEWS_PROD), null);
    const named = modelFromYaml(dr({ name: 'root', ns: 'istio-system', host: REVIEWS_PROD, exportTo: ['shop'] }));
    assert.equal(winner(named, 'shop', REVIEWS_PROD), 'istio-system/root');
    assert.equal(winner(named, 'web', REVIEWS_PROD), null);
  });

  it('the root namespace is configurable (meshConfig.rootNamespace)', () => {
    const yaml = docs(dr({ name: 'custom-root', ns: 'mesh-root', host: REVIEWS_PROD }), dr({ name: 'default-root', ns: 'istio-system', host: 'api.example.com' }));
    const model = modelFromYaml(yaml, { rootNamespace: 'mesh-root' });
    assert.equal(winner(model, 'web', REVIEWS_PROD), 'mesh-root/custom-root');
    assert.equal(winner(model, 'web', 'api.example.com'), null, 'istio-system is an ordinary namespace then');
    const byDefault = modelFromYaml(yaml);
    assert.equal(winner(byDefault, 'web', REVIEWS_PROD), null, 'mesh-root is an ordinary namespace by default');
    assert.equal(winner(byDefault, 'web', 'api.example.com'), 'istio-system/default-root');
  });

  it('a rule in a namespace that is neither the client’s, the host’s nor the root never applies, even exported to all', () => {
    const model = modelFromYaml(docs(dr({ name: 'stray', ns: 'other', host: REVIEWS_PROD, exportTo: ['*'] }), dr({ name: 'stray-ext', ns: 'other', host: 'api.example.com' })));
    assert.equal(winner(model, 'web', REVIEWS_PROD), null);
    assert.equal(winner(model, 'web', 'api.example.com'), null);
  });

  it("an external host's namespace is its ServiceEntry's", () => {
    const model = modelFromYaml(docs(se('api', 'egress', ['api.example.com']), dr({ name: 'api', ns: 'egress', host: 'api.example.com' })));
    assert.equal(winner(model, 'web', 'api.example.com'), 'egress/api');
    // near miss: without the ServiceEntry, `egress` has nothing to do with the host
    const noEntry = modelFromYaml(dr({ name: 'api', ns: 'egress', host: 'api.example.com' }));
    assert.equal(winner(noEntry, 'web', 'api.example.com'), null);
  });

  it('no merging across namespaces: a client-namespace rule without connectionPool shadows a root rule that has one', () => {
    const model = modelFromYaml(docs(dr({ name: 'root', ns: 'istio-system', host: 'api.example.com', mrpc: 1 }), dr({ name: 'client', ns: 'web', host: 'api.example.com' })));
    const merged = model.destinationRuleFor('web', 'api.example.com');
    assert.ok(merged);
    assert.deepEqual(merged.rules.map((r) => `${r.namespace}/${r.object.ref.name}`), ['web/client']);
    assert.equal(model.effectivePolicy(merged).connectionPool, undefined);
    assert.equal(sidecarConnectionsPerTry(model, merged, undefined, undefined).value, 0, 'keep-alive on: the root rule does not apply');
    // near miss: a client in another namespace does get the root rule's connectionPool
    assert.equal(mrpcOf(model, model.destinationRuleFor('shop', 'api.example.com')), 1);
  });

  it('the first namespace with a match wins, even when its match is a wildcard and a later namespace has the exact host', () => {
    const model = modelFromYaml(docs(dr({ name: 'catch-all', ns: 'web', host: '*' }), dr({ name: 'owner', ns: 'prod', host: 'reviews' })));
    assert.equal(winner(model, 'web', REVIEWS_PROD), 'web/catch-all');
    assert.equal(winner(model, 'shop', REVIEWS_PROD), 'prod/owner');
  });
});

describe('host matching within a namespace', () => {
  it('the exact host beats the most specific wildcard', () => {
    const model = modelFromYaml(docs(dr({ name: 'wild', ns: 'web', host: '*.example.com' }), dr({ name: 'exact', ns: 'web', host: 'api.example.com' })));
    assert.equal(winner(model, 'web', 'api.example.com'), 'web/exact');
    assert.equal(winner(model, 'web', 'www.example.com'), 'web/wild');
  });

  it('`*.example.com` beats `*.com` beats `*`, each only where it matches', () => {
    const model = modelFromYaml(
      docs(dr({ name: 'star', ns: 'web', host: '*' }), dr({ name: 'dot-com', ns: 'web', host: '*.com' }), dr({ name: 'example', ns: 'web', host: '*.example.com' })),
    );
    assert.equal(winner(model, 'web', 'api.example.com'), 'web/example');
    assert.equal(winner(model, 'web', 'a.b.example.com'), 'web/example');
    assert.equal(winner(model, 'web', 'example.com'), 'web/dot-com', '`*.example.com` does not match `example.com` itself');
    assert.equal(winner(model, 'web', 'api.other.com'), 'web/dot-com');
    assert.equal(winner(model, 'web', 'api.example.org'), 'web/star');
    assert.equal(winner(model, 'web', REVIEWS_PROD), 'web/star');
  });

  it("a short host is expanded with the RULE's namespace: `reviews` in prod is reviews.prod…, not reviews.test…", () => {
    const model = modelFromYaml(dr({ name: 'reviews', ns: 'prod', host: 'reviews' }));
    assert.equal(winner(model, 'prod', REVIEWS_PROD), 'prod/reviews');
    assert.equal(winner(model, 'web', REVIEWS_PROD), 'prod/reviews', 'exported by default to other namespaces');
    assert.equal(winner(model, 'prod', 'reviews.test.svc.cluster.local'), null);
    assert.equal(winner(model, 'test', 'reviews.test.svc.cluster.local'), null);
  });

  it("a short host in the client's namespace names the client's own service, not the callee's", () => {
    const model = modelFromYaml(dr({ name: 'reviews', ns: 'web', host: 'reviews' }));
    assert.equal(winner(model, 'web', 'reviews.web.svc.cluster.local'), 'web/reviews');
    assert.equal(winner(model, 'web', REVIEWS_PROD), null);
  });

  it('a name with a dot is taken as written: `reviews.prod` is not reviews.prod.svc.cluster.local', () => {
    const model = modelFromYaml(dr({ name: 'dotted', ns: 'prod', host: 'reviews.prod' }));
    assert.equal(winner(model, 'prod', REVIEWS_PROD), null);
    assert.equal(winner(model, 'prod', 'reviews.prod'), 'prod/dotted');
    const fqdn = modelFromYaml(dr({ name: 'fqdn', ns: 'test', host: REVIEWS_PROD }));
    assert.equal(winner(fqdn, 'test', REVIEWS_PROD), 'test/fqdn', 'an FQDN written in another namespace keeps its own namespace');
  });
});

describe('same-namespace merge (subsets concatenated, the oldest rule’s top-level policy wins)', () => {
  it('without timestamps the first in input order is the oldest; subsets of both are reachable', () => {
    const model = modelFromYaml(
      docs(dr({ name: 'first', ns: 'prod', host: 'reviews', mrpc: 1, subsets: ['v1:10'] }), dr({ name: 'second', ns: 'prod', host: REVIEWS_PROD, mrpc: 2, subsets: ['v2:20'] })),
    );
    const merged = model.destinationRuleFor('web', REVIEWS_PROD);
    assert.ok(merged);
    assert.equal(merged.primary.object.ref.name, 'first');
    assert.deepEqual(merged.rules.map((r) => r.object.ref.name), ['first', 'second'], 'short and FQDN forms of one host merge');
    assert.equal(mrpcOf(model, merged), 1, "the younger rule's top-level connectionPool is ignored");
    assert.equal(mrpcOf(model, merged, 'v1'), 10);
    assert.equal(mrpcOf(model, merged, 'v2'), 20, 'a subset defined only by the younger rule applies');
  });

  it('by creationTimestamp when the rules have one: the older rule wins even when it comes later in the input', () => {
    const model = modelFromYaml(
      docs(
        dr({ name: 'newer', ns: 'prod', host: 'reviews', created: '2024-06-01T00:00:00Z', mrpc: 2 }),
        dr({ name: 'older', ns: 'prod', host: 'reviews', created: '2023-01-15T08:30:00Z', mrpc: 1 }),
      ),
    );
    const merged = model.destinationRuleFor('web', REVIEWS_PROD);
    assert.ok(merged);
    assert.equal(merged.primary.object.ref.name, 'older');
    assert.deepEqual(merged.rules.map((r) => r.object.ref.name), ['older', 'newer']);
    assert.equal(mrpcOf(model, merged), 1);
  });

  it(
    'by creationTimestamp written as a plain YAML timestamp (unquoted) as well',
    () => {
      const model = modelFromYaml(
        docs(
          dr({ name: 'newer', ns: 'prod', host: 'reviews', created: '2024-06-01T00:00:00Z', rawCreated: true, mrpc: 2 }),
          dr({ name: 'older', ns: 'prod', host: 'reviews', created: '2023-01-15T08:30:00Z', rawCreated: true, mrpc: 1 }),
        ),
      );
      assert.equal(winner(model, 'web', REVIEWS_PROD), 'prod/older');
    },
  );

  it('a subset name defined twice: the oldest rule’s definition is used', () => {
    const model = modelFromYaml(
      docs(
        dr({ name: 'b', ns: 'prod', host: 'reviews', created: '2024-02-01T00:00:00Z', subsets: ['v1:7'] }),
        dr({ name: 'a', ns: 'prod', host: 'reviews', created: '2024-01-01T00:00:00Z', subsets: ['v1:3'] }),
      ),
    );
    assert.equal(mrpcOf(model, model.destinationRuleFor('prod', REVIEWS_PROD), 'v1'), 3);
  });

  it('rules for different hosts of one namespace do not merge', () => {
    const model = modelFromYaml(docs(dr({ name: 'reviews', ns: 'prod', host: 'reviews', mrpc: 1 }), dr({ name: 'ratings', ns: 'prod', host: 'ratings', subsets: ['v1'] })));
    const merged = model.destinationRuleFor('prod', REVIEWS_PROD);
    assert.ok(merged);
    assert.deepEqual(merged.rules.map((r) => r.object.ref.name), ['reviews']);
  });
});

describe('workloadSelector (applies only to matching workloads of its own namespace)', () => {
  const yaml = docs(
    dr({ name: 'for-frontend', ns: 'web', host: 'api.example.com', selector: { app: 'frontend' }, mrpc: 1 }),
    dr({ name: 'web-default', ns: 'web', host: 'api.example.com', mrpc: 50 }),
    dr({ name: 'root', ns: 'istio-system', host: 'api.example.com', mrpc: 100 }),
  );
  const model = modelFromYaml(yaml);

  it('a matching workload in its namespace gets it', () => {
    assert.equal(winner(model, 'web', 'api.example.com', { app: 'frontend', version: 'v3' }), 'web/for-frontend');
  });

  it('near misses: other labels, no labels, or a matching workload of another namespace', () => {
    assert.equal(winner(model, 'web', 'api.example.com', { app: 'backend' }), 'web/web-default');
    assert.equal(winner(model, 'web', 'api.example.com'), 'web/web-default');
    assert.equal(winner(model, 'shop', 'api.example.com', { app: 'frontend' }), 'istio-system/root');
  });

  it('a selector rule that matches no one does not stop the search in later namespaces', () => {
    const only = modelFromYaml(docs(dr({ name: 'for-frontend', ns: 'web', host: 'api.example.com', selector: { app: 'frontend' } }), dr({ name: 'root', ns: 'istio-system', host: 'api.example.com' })));
    assert.equal(winner(only, 'web', 'api.example.com', { app: 'backend' }), 'istio-system/root');
    assert.equal(winner(only, 'web', 'api.example.com', { app: 'frontend' }), 'web/for-frontend');
  });

  it('a selector rule in the root namespace does not apply to workloads of other namespaces', () => {
    const rooted = modelFromYaml(dr({ name: 'root-selected', ns: 'istio-system', host: 'api.example.com', selector: { app: 'frontend' } }));
    assert.equal(winner(rooted, 'web', 'api.example.com', { app: 'frontend' }), null);
  });
});

describe('layering per (host, subset, port) with whole-block replacement (docs/model.md, "Layering")', () => {
  const layered = dedent(`
    apiVersion: networking.istio.io/v1
    kind: DestinationRule
    metadata:
      name: reviews
      namespace: prod
    spec:
      host: reviews
      trafficPolicy:
        connectionPool:
          http:
            maxRequestsPerConnection: 1
        outlierDetection:
          consecutive5xxErrors: 5
        loadBalancer:
          simple: ROUND_ROBIN
        portLevelSettings:
        - port:
            number: 9080
          connectionPool:
            http:
              maxRequestsPerConnection: 2
      subsets:
      - name: v1
        labels:
          version: v1
      - name: v2
        labels:
          version: v2
        trafficPolicy:
          connectionPool:
            http:
              maxRequestsPerConnection: 3
          portLevelSettings:
          - port:
              number: 9080
            connectionPool:
              http:
                maxRequestsPerConnection: 4
      - name: tcp-only
        labels:
          version: v3
        trafficPolicy:
          connectionPool:
            tcp:
              maxConnections: 10
      - name: outlier-only
        labels:
          version: v4
        trafficPolicy:
          outlierDetection:
            consecutive5xxErrors: 1
          tls:
            mode: ISTIO_MUTUAL
  `);
  const model = modelFromYaml(layered);
  const merged = model.destinationRuleFor('prod', REVIEWS_PROD);

  it('top level → portLevelSettings[port] → subset → the subset’s own port-level settings (last wins)', () => {
    assert.equal(mrpcOf(model, merged), 1);
    assert.equal(mrpcOf(model, merged, undefined, 9080), 2);
    assert.equal(mrpcOf(model, merged, 'v1', 9080), 2, 'a subset without a policy keeps the port level');
    assert.equal(mrpcOf(model, merged, 'v2'), 3);
    assert.equal(mrpcOf(model, merged, 'v2', 9080), 4);
    const pool = model.effectivePolicy(merged!, 'v2', 9080).connectionPool;
    assert.deepEqual(pool?.path, ['spec', 'subsets', 1, 'trafficPolicy', 'portLevelSettings', 0, 'connectionPool']);
  });

  it('port-level settings apply only to their port', () => {
    assert.equal(mrpcOf(model, merged, undefined, 8080), 1);
    assert.equal(mrpcOf(model, merged, 'v2', 8080), 3);
    assert.equal(mrpcOf(model, merged, 'v1'), 1);
    assert.equal(mrpcOf(model, merged, 'no-such-subset', 9080), 2, 'an unknown subset adds no layer');
  });

  it("a subset's connectionPool with only `tcp` does NOT inherit the top level's http.maxRequestsPerConnection", () => {
    const policy = model.effectivePolicy(merged!, 'tcp-only');
    assert.deepEqual(policy.connectionPool?.value, { tcp: { maxConnections: 10 } });
    assert.equal(mrpcOf(model, merged, 'tcp-only', 9080), undefined, 'nor the port level');
    assert.equal(sidecarConnectionsPerTry(model, merged, 'tcp-only', undefined).value, 0);
    assert.equal(sidecarConnectionsPerTry(model, merged, undefined, undefined).value, 1, 'near miss: the top level itself has keep-alive off');
  });

  it('blocks a layer does not set are kept from earlier layers; each set block replaces the whole block', () => {
    const policy = model.effectivePolicy(merged!, 'outlier-only', 9080);
    assert.equal(dig(policy.connectionPool?.value, 'http', 'maxRequestsPerConnection'), 2);
    assert.deepEqual(policy.outlierDetection?.value, { consecutive5xxErrors: 1 });
    assert.deepEqual(policy.loadBalancer?.value, { simple: 'ROUND_ROBIN' });
    assert.deepEqual(policy.tls?.value, { mode: 'ISTIO_MUTUAL' });
    const top = model.effectivePolicy(merged!);
    assert.equal(top.tls, undefined);
    assert.deepEqual(top.outlierDetection?.value, { consecutive5xxErrors: 5 });
  });
});

describe('VirtualService retries (docs/model.md, "Retries")', () => {
  const vsYaml = (http: string) =>
    dedent(`
      apiVersion: networking.istio.io/v1
      kind: VirtualService
      metadata:
        name: api
        namespace: web
      spec:
        hosts: [api.example.com]
        http:
    `) + http;
  const route = (extra: string) => `  - route:\n    - destination:\n        host: api.example.com\n${extra}`;
  const attemptsOf = (yaml: string, settings = {}) => {
    const model = modelFromYaml(yaml, settings);
    return retriesOf(model, model.virtualServices[0], ['spec', 'http', 0]).attempts;
  };

  it('no retries block → Istio’s default of 2 retries, configurable (meshConfig.defaultHttpRetryPolicy)', () => {
    const yaml = vsYaml(route(''));
    assert.equal(attemptsOf(yaml), 2);
    assert.equal(attemptsOf(yaml, { defaultRetryAttempts: 4 }), 4);
    assert.equal(attemptsOf(yaml, { defaultRetryAttempts: 0 }), 0);
  });

  it('explicit attempts are taken as written; `attempts: 0` disables retries', () => {
    assert.equal(attemptsOf(vsYaml(route('    retries:\n      attempts: 3\n      perTryTimeout: 2s\n'))), 3);
    assert.equal(attemptsOf(vsYaml(route('    retries:\n      attempts: 0\n'))), 0);
    assert.equal(attemptsOf(vsYaml(route('    retries:\n      attempts: 0\n')), { defaultRetryAttempts: 4 }), 0);
  });

  it('a retries block without attempts disables retries', () => {
    assert.equal(attemptsOf(vsYaml(route('    retries:\n      retryOn: 5xx\n      perTryTimeout: 1s\n'))), 0);
    assert.equal(attemptsOf(vsYaml(route('    retries: {}\n'))), 0);
  });

  it('fault injection on the route disables retries', () => {
    assert.equal(attemptsOf(vsYaml(route('    fault:\n      delay:\n        fixedDelay: 1s\n        percentage:\n          value: 10\n    retries:\n      attempts: 3\n'))), 0);
    assert.equal(attemptsOf(vsYaml(route('    fault:\n      abort:\n        httpStatus: 503\n        percentage:\n          value: 1\n'))), 0);
  });
});

describe('isExternal (docs/model.md, "ServiceEntry": location defaults to MESH_EXTERNAL)', () => {
  it('a ServiceEntry without location is external; MESH_INTERNAL is not', () => {
    const model = modelFromYaml(docs(se('ext', 'egress', ['api.example.com']), se('int', 'egress', ['legacy.corp.example'], { location: 'MESH_INTERNAL' }), se('explicit', 'egress', ['pay.example.net'], { location: 'MESH_EXTERNAL' })));
    assert.equal(model.isExternal('api.example.com'), true);
    assert.equal(model.isExternal('pay.example.net'), true);
    assert.equal(model.isExternal('legacy.corp.example'), false);
  });

  it('cluster hosts are internal; an unknown host outside the cluster is external', () => {
    const model = modelFromYaml(ns('prod'));
    assert.equal(model.isExternal(REVIEWS_PROD), false);
    assert.equal(model.isExternal('unknown.example.org'), true);
    const custom = modelFromYaml(ns('prod'), { clusterDomain: 'corp.internal' });
    assert.equal(custom.isExternal('reviews.prod.svc.corp.internal'), false);
    assert.equal(custom.isExternal(REVIEWS_PROD), true, 'cluster.local is just a name under another cluster domain');
  });

  it('wildcard ServiceEntries: their location applies to matching hosts; an exact entry wins; cluster hosts stay internal', () => {
    const model = modelFromYaml(
      docs(se('wild-ext', 'egress', ['*.example.com']), se('wild-int', 'egress', ['*.corp.example'], { location: 'MESH_INTERNAL' }), se('exact-ext', 'egress', ['db.corp.example'])),
    );
    assert.equal(model.isExternal('api.example.com'), true);
    assert.equal(model.isExternal('wiki.corp.example'), false);
    assert.equal(model.isExternal('db.corp.example'), true);
    const all = modelFromYaml(se('all', 'egress', ['*'], { location: 'MESH_INTERNAL' }));
    assert.equal(all.isExternal('anything.example.org'), false, 'a `*` MESH_INTERNAL entry claims every outside host');
    const allExternal = modelFromYaml(se('all', 'egress', ['*']));
    assert.equal(allExternal.isExternal(REVIEWS_PROD), false, 'a wildcard entry does not make a cluster Service external');
  });
});

describe('sidecar injection (docs/model.md, "Injection" and "Legs")', () => {
  const sidecarOf = (yaml: string, name = 'app') => {
    const w = modelFromYaml(yaml).workloads.find((x) => x.object.ref.name === name);
    assert.ok(w, `workload ${name}`);
    return w.sidecar;
  };

  it('the namespace default: `istio-injection=enabled` or `istio.io/rev`', () => {
    assert.equal(sidecarOf(docs(ns('web', { 'istio-injection': 'enabled' }), deployment('app', 'web'))), true);
    assert.equal(sidecarOf(docs(ns('web', { 'istio.io/rev': 'canary' }), deployment('app', 'web'))), true);
    assert.equal(sidecarOf(docs(ns('web'), deployment('app', 'web'))), false, 'no injection label');
    assert.equal(sidecarOf(docs(ns('web', { 'istio-injection': 'disabled' }), deployment('app', 'web'))), false);
  });

  it('the pod label `sidecar.istio.io/inject` wins over the namespace default, both ways', () => {
    assert.equal(sidecarOf(docs(ns('web', { 'istio-injection': 'enabled' }), deployment('app', 'web', { labels: { 'sidecar.istio.io/inject': 'false' } }))), false);
    assert.equal(sidecarOf(docs(ns('web', { 'istio.io/rev': 'canary' }), deployment('app', 'web', { labels: { 'sidecar.istio.io/inject': 'false' } }))), false);
    assert.equal(sidecarOf(docs(ns('web'), deployment('app', 'web', { labels: { 'sidecar.istio.io/inject': 'true' } }))), true);
  });

  it('the annotation form alone does nothing in an unlabelled namespace', () => {
    assert.equal(sidecarOf(docs(ns('web'), deployment('app', 'web', { annotations: { 'sidecar.istio.io/inject': 'true' } }))), false);
  });

  it('hostNetwork pods have no sidecar, whatever the labels', () => {
    assert.equal(sidecarOf(docs(ns('web', { 'istio-injection': 'enabled' }), deployment('app', 'web', { hostNetwork: true }))), false);
    assert.equal(sidecarOf(docs(ns('web', { 'istio-injection': 'enabled' }), deployment('app', 'web', { hostNetwork: true, labels: { 'sidecar.istio.io/inject': 'true' } }))), false);
  });

  it('bare Pods and CronJobs are read from their own pod template paths', () => {
    const pod = dedent(`
      apiVersion: v1
      kind: Pod
      metadata:
        name: app
        namespace: web
        labels:
          sidecar.istio.io/inject: "false"
      spec:
        containers:
        - name: app
          image: example/app:1
    `);
    assert.equal(sidecarOf(docs(ns('web', { 'istio-injection': 'enabled' }), pod)), false);
    const cron = dedent(`
      apiVersion: batch/v1
      kind: CronJob
      metadata:
        name: app
        namespace: web
      spec:
        schedule: "* * * * *"
        jobTemplate:
          spec:
            template:
              metadata:
                labels:
                  sidecar.istio.io/inject: "true"
              spec:
                restartPolicy: Never
                containers:
                - name: app
                  image: example/app:1
    `);
    assert.equal(sidecarOf(docs(ns('web'), cron)), true);
  });

  it('namespaceSidecar: from the workloads, else the namespace labels, else unknown', () => {
    const model = modelFromYaml(
      docs(
        ns('mixed', { 'istio-injection': 'enabled' }),
        deployment('a', 'mixed', { labels: { 'sidecar.istio.io/inject': 'false' } }),
        deployment('b', 'mixed'),
        ns('bare'),
        deployment('c', 'bare'),
        ns('labelled', { 'istio-injection': 'enabled' }),
        ns('off', { 'istio-injection': 'disabled' }),
      ),
    );
    assert.equal(model.namespaceSidecar('mixed').sidecar, true, 'one injected workload is enough');
    assert.equal(model.namespaceSidecar('bare').sidecar, false);
    assert.equal(model.namespaceSidecar('labelled').sidecar, true);
    assert.equal(model.namespaceSidecar('off').sidecar, false);
    assert.equal(model.namespaceSidecar('absent').sidecar, undefined);
  });
});

describe('virtualServicesFor', () => {
  it('resolves short hosts with the VirtualService namespace, keeps mesh-bound ones, honours exportTo', () => {
    const model = modelFromYaml(
      docs(
        'apiVersion: networking.istio.io/v1\nkind: VirtualService\nmetadata:\n  name: short\n  namespace: prod\nspec:\n  hosts: [reviews]\n  http:\n  - route:\n    - destination:\n        host: reviews\n',
        'apiVersion: networking.istio.io/v1\nkind: VirtualService\nmetadata:\n  name: gateway-only\n  namespace: prod\nspec:\n  hosts: [reviews.prod.svc.cluster.local]\n  gateways: [ingress]\n  http:\n  - route:\n    - destination:\n        host: reviews\n',
        'apiVersion: networking.istio.io/v1\nkind: VirtualService\nmetadata:\n  name: with-mesh\n  namespace: prod\nspec:\n  hosts: [reviews.prod.svc.cluster.local]\n  gateways: [ingress, mesh]\n  http:\n  - route:\n    - destination:\n        host: reviews\n',
        'apiVersion: networking.istio.io/v1\nkind: VirtualService\nmetadata:\n  name: private\n  namespace: test\nspec:\n  hosts: [reviews.prod.svc.cluster.local]\n  exportTo: ["."]\n  http:\n  - route:\n    - destination:\n        host: reviews.prod.svc.cluster.local\n',
        'apiVersion: networking.istio.io/v1\nkind: VirtualService\nmetadata:\n  name: elsewhere\n  namespace: test\nspec:\n  hosts: [reviews]\n  http:\n  - route:\n    - destination:\n        host: reviews\n',
      ),
    );
    const names = (client: string, host: string) => model.virtualServicesFor(client, host).map((v) => v.ref.name).sort();
    assert.deepEqual(names('web', REVIEWS_PROD), ['short', 'with-mesh']);
    assert.deepEqual(names('test', REVIEWS_PROD), ['private', 'short', 'with-mesh']);
    assert.deepEqual(names('web', 'reviews.test.svc.cluster.local'), ['elsewhere']);
  });
});

// ---------------------------------------------------------------------------------------------------------

describe('connection multiplier arithmetic (docs/model.md)', () => {
  const vs = (o: { name?: string; ns: string; host: string; dest?: string; http?: string; gateways?: string[] }) =>
    [
      'apiVersion: networking.istio.io/v1',
      'kind: VirtualService',
      'metadata:',
      `  name: ${o.name ?? 'vs'}`,
      `  namespace: ${o.ns}`,
      'spec:',
      `  hosts: ["${o.host}"]`,
      ...(o.gateways ? [`  gateways: [${o.gateways.join(', ')}]`] : []),
      '  http:',
      '  - route:',
      '    - destination:',
      `        host: "${o.dest ?? o.host}"`,
    ].join('\n') + '\n' + (o.http ?? '');
  const rowFor = (rows: RouteMultiplier[], host: string, destination = host) => {
    const found = rows.filter((r) => r.host === host && r.destination === destination);
    assert.equal(found.length, 1, `one row for ${host} → ${destination}; rows: ${rows.map((r) => `${r.host}→${r.destination}`).join(', ')}`);
    return found[0];
  };
  const shop = ns('shop', { 'istio-injection': 'enabled' });

  it('seed: maxRequestsPerConnection 1 and attempts 5 behind an unanalysed app: M = 6, exhaustion 28232/(6×60) ≈ 78 req/s', () => {
    const model = modelFromYaml(
      docs(shop, se('api', 'shop', ['api.example.com']), dr({ name: 'api', ns: 'shop', host: 'api.example.com', mrpc: 1 }), vs({ ns: 'shop', host: 'api.example.com', http: '    retries:\n      attempts: 5\n' })),
    );
    const rows = computeMultipliers(model, { rps: 10 });
    assert.equal(rows.length, 1, 'the ServiceEntry host is routed by the VirtualService: one row');
    const row = rowFor(rows, 'api.example.com');
    assert.deepEqual(
      row.legs.map((l) => [l.tries, l.connectionsPerTry, l.snat]),
      [
        [1, 0, false],
        [6, 1, true],
      ],
    );
    assert.equal(row.total, 6);
    assert.equal(row.external, true);
    assert.equal(row.budgetScope, 'node');
    assert.equal(row.budgetConnections, 6);
    close(row.exhaustionRps, 28232 / 360, 'exhaustion rate');
    assert.equal(Math.round(row.exhaustionRps!), 78);
    assert.equal(DEFAULT_EPHEMERAL_PORTS, 28232);
    assert.equal(TIME_WAIT_SECONDS, 60);
    close(row.portsHeld, 10 * 6 * 60, 'ports held at 10 req/s');
    close(computeMultipliers(model, { ports: 60999 - 1024 + 1 })[0].exhaustionRps, 59976 / 360, 'a wider port range');
  });

  it('maxRequestsPerConnection 100 with 3 tries (no retries block: 2 default retries) gives 0.03', () => {
    const model = modelFromYaml(docs(shop, se('api', 'shop', ['api.example.com']), dr({ name: 'api', ns: 'shop', host: 'api.example.com', mrpc: 100 }), vs({ ns: 'shop', host: 'api.example.com' })));
    const row = rowFor(computeMultipliers(model), 'api.example.com');
    assert.equal(row.legs[1].tries, 3);
    close(row.legs[1].connectionsPerTry, 0.01);
    close(row.total, 0.03, 'M');
    close(row.exhaustionRps, 28232 / (0.03 * 60), 'exhaustion rate');
    // near miss: a configured default of 0 retries leaves 1 try
    const noDefault = rowFor(computeMultipliers(modelFromYaml(docs(shop, se('api', 'shop', ['api.example.com']), dr({ name: 'api', ns: 'shop', host: 'api.example.com', mrpc: 100 }), vs({ ns: 'shop', host: 'api.example.com' })), { defaultRetryAttempts: 0 })), 'api.example.com');
    close(noDefault.total, 0.01, 'M with no default retries');
  });

  it('seed: 2 legs × 3 tries with keep-alive off on both gives 6', () => {
    const model = modelFromYaml(docs(shop, se('api', 'shop', ['api.example.com']), dr({ name: 'api', ns: 'shop', host: 'api.example.com', mrpc: 1 }), vs({ ns: 'shop', host: 'api.example.com', http: '    retries:\n      attempts: 0\n' })));
    const callSite: AppCallSite = {
      file: 'app/client.js',
      line: 12,
      column: 5,
      language: 'javascript',
      host: 'api.example.com',
      port: 80,
      scheme: 'http',
      clientPerRequest: false,
      keepAliveOff: true,
      appTries: 3,
      evidence: 'agent: false; 2 app retries',
    };
    const row = rowFor(computeMultipliers(model, { callSites: [callSite] }), 'api.example.com');
    assert.deepEqual(row.legs.map((l) => [l.tries, l.connectionsPerTry]), [
      [3, 1],
      [3, 1],
    ]);
    assert.equal(row.total, 6);
    assert.equal(row.budgetConnections, 3, 'only the sidecar leg leaves the node');
  });

  it('keep-alive on everywhere: M = 0 and no exhaustion rate', () => {
    const model = modelFromYaml(docs(shop, se('api', 'shop', ['api.example.com']), vs({ ns: 'shop', host: 'api.example.com', http: '    retries:\n      attempts: 5\n' })));
    const row = rowFor(computeMultipliers(model), 'api.example.com');
    assert.equal(row.legs[1].tries, 6);
    assert.equal(row.total, 0);
    assert.equal(row.exhaustionRps, null);
  });

  it('the route’s subset and port select the layered policy: a tcp-only subset pool is pooled, its sibling is not', () => {
    const model = modelFromYaml(
      docs(
        shop,
        dr({ name: 'reviews', ns: 'prod', host: 'reviews', mrpc: 1, subsets: ['v1', 'v2'] }),
        dedent(`
          apiVersion: networking.istio.io/v1
          kind: DestinationRule
          metadata:
            name: ratings
            namespace: prod
          spec:
            host: ratings
            trafficPolicy:
              connectionPool:
                http:
                  maxRequestsPerConnection: 1
            subsets:
            - name: v2
              labels:
                version: v2
              trafficPolicy:
                connectionPool:
                  tcp:
                    maxConnections: 100
        `),
        vs({ name: 'r1', ns: 'shop', host: 'ratings.prod.svc.cluster.local', http: '        subset: v1\n    retries:\n      attempts: 1\n' }),
        vs({ name: 'r2', ns: 'shop', host: 'ratings.prod.svc.cluster.local', http: '        subset: v2\n    retries:\n      attempts: 1\n' }),
      ),
    );
    const rows = computeMultipliers(model).filter((r) => r.host === 'ratings.prod.svc.cluster.local');
    const bySubset = new Map(rows.map((r) => [r.subset, r]));
    assert.equal(bySubset.get('v1')?.total, 2, 'v1 has no policy of its own: top-level keep-alive off, 2 tries');
    assert.equal(bySubset.get('v2')?.total, 0, 'v2 replaces the whole connectionPool');
    assert.equal(bySubset.get('v1')?.budgetScope, 'pod', 'in-mesh traffic is not SNAT’d');
    close(bySubset.get('v1')?.exhaustionRps, 28232 / 120, 'pod budget');
  });

  it('mirroring adds mirrorPercentage × the mirror destination’s own figure (absent percentage = 100 %)', () => {
    const model = modelFromYaml(
      docs(
        shop,
        se('api', 'shop', ['api.example.com']),
        dr({ name: 'api', ns: 'shop', host: 'api.example.com', mrpc: 1 }),
        dr({ name: 'shadow', ns: 'shop', host: 'shadow.example.com', mrpc: 1 }),
        dr({ name: 'copy', ns: 'shop', host: 'copy.example.com', mrpc: 4 }),
        vs({ name: 'half', ns: 'shop', host: 'api.example.com', http: '    retries:\n      attempts: 0\n    mirror:\n      host: shadow.example.com\n    mirrorPercentage:\n      value: 50\n' }),
        vs({ name: 'many', ns: 'shop', host: 'other.example.com', dest: 'api.example.com', http: '    retries:\n      attempts: 0\n    mirrors:\n    - destination:\n        host: copy.example.com\n    - destination:\n        host: shadow.example.com\n      percentage:\n        value: 10\n' }),
      ),
    );
    const rows = computeMultipliers(model);
    const half = rowFor(rows, 'api.example.com');
    assert.deepEqual(half.mirrors.map((m) => [m.host, m.percentage]), [['shadow.example.com', 50]]);
    close(half.mirrors[0].connections, 0.5, 'mirror share');
    close(half.total, 1.5, 'M with a 50 % mirror');
    const many = rowFor(rows, 'other.example.com', 'api.example.com');
    assert.deepEqual(many.mirrors.map((m) => [m.host, m.percentage]), [
      ['copy.example.com', 100],
      ['shadow.example.com', 10],
    ]);
    close(many.total, 1 + 1 * 0.25 + 0.1 * 1, 'M with mirrors[]');
  });

  const egressYaml = (gatewayRetries: string) =>
    docs(
      shop,
      se('api', 'shop', ['api.example.com']),
      dr({ name: 'to-gateway', ns: 'shop', host: 'istio-egressgateway.istio-system.svc.cluster.local', mrpc: 1 }),
      dr({ name: 'from-gateway', ns: 'istio-system', host: 'api.example.com', mrpc: 1 }),
      vs({ name: 'via-egress', ns: 'shop', host: 'api.example.com', dest: 'istio-egressgateway.istio-system.svc.cluster.local', gateways: ['mesh'], http: '    retries:\n      attempts: 1\n' }),
      vs({ name: 'egress-out', ns: 'istio-system', host: 'api.example.com', gateways: ['istio-egressgateway'], http: gatewayRetries }),
    );

  it('an egress-gateway route has three legs; the gateway leg multiplies by the gateway route’s tries and is the SNAT’d one', () => {
    const rows = computeMultipliers(modelFromYaml(egressYaml('    retries:\n      attempts: 2\n')));
    assert.equal(rows.length, 1);
    const row = rowFor(rows, 'api.example.com', 'istio-egressgateway.istio-system.svc.cluster.local');
    assert.deepEqual(
      row.legs.map((l) => [l.tries, l.connectionsPerTry, l.snat]),
      [
        [1, 0, false],
        [2, 1, false],
        [6, 1, true],
      ],
    );
    assert.equal(row.total, 8);
    assert.equal(row.budgetConnections, 6);
    close(row.exhaustionRps, 28232 / 360, 'exhaustion rate from the gateway leg');
    // the gateway route without a retries block gets the default 2 retries too
    const byDefault = rowFor(computeMultipliers(modelFromYaml(egressYaml(''))), 'api.example.com', 'istio-egressgateway.istio-system.svc.cluster.local');
    assert.equal(byDefault.legs[2].tries, 6);
  });

  it(
    'egress through one VirtualService bound to both `mesh` and the gateway (Istio’s documented pattern): the gateway leg multiplies by that route’s tries',
    () => {
      const single = dedent(`
        apiVersion: networking.istio.io/v1
        kind: VirtualService
        metadata:
          name: direct-api-through-egress-gateway
          namespace: shop
        spec:
          hosts: [api.example.com]
          gateways: [istio-egressgateway, mesh]
          http:
          - match:
            - gateways: [mesh]
              port: 80
            route:
            - destination:
                host: istio-egressgateway.istio-system.svc.cluster.local
                port:
                  number: 80
            retries:
              attempts: 1
          - match:
            - gateways: [istio-egressgateway]
              port: 80
            route:
            - destination:
                host: api.example.com
                port:
                  number: 80
      `);
      const model = modelFromYaml(
        docs(shop, se('api', 'shop', ['api.example.com']), dr({ name: 'to-gateway', ns: 'shop', host: 'istio-egressgateway.istio-system.svc.cluster.local', mrpc: 1 }), dr({ name: 'api', ns: 'shop', host: 'api.example.com', mrpc: 1 }), single),
      );
      const row = rowFor(computeMultipliers(model), 'api.example.com', 'istio-egressgateway.istio-system.svc.cluster.local');
      assert.equal(row.legs.length, 3);
      assert.deepEqual(row.legs.map((l) => l.tries), [1, 2, 6]);
    },
  );

  describe('outbound bypass annotations (traffic.sidecar.istio.io/*): one leg, no mesh settings', () => {
    const staticSe = dedent(`
      apiVersion: networking.istio.io/v1
      kind: ServiceEntry
      metadata:
        name: api
        namespace: shop
      spec:
        hosts: [api.example.com]
        addresses: [203.0.113.0/28]
        location: MESH_EXTERNAL
        resolution: STATIC
        ports:
        - number: 443
          name: tls
          protocol: TLS
        endpoints:
        - address: 203.0.113.7
    `);
    const rowWith = (annotations: Record<string, string>) => {
      const model = modelFromYaml(docs(shop, deployment('app', 'shop', { annotations }), staticSe, dr({ name: 'api', ns: 'shop', host: 'api.example.com', mrpc: 1 })));
      return rowFor(computeMultipliers(model), 'api.example.com');
    };
    it('excludeOutboundPorts naming the route’s port: the app dials the destination itself', () => {
      const row = rowWith({ 'traffic.sidecar.istio.io/excludeOutboundPorts': '8443, 443' });
      assert.equal(row.sidecar, false);
      assert.equal(row.legs.length, 1);
      assert.match(row.sidecarReason, /excludes outbound port 443/);
    });
    it('near miss: excludeOutboundPorts naming another port keeps the sidecar', () => {
      const row = rowWith({ 'traffic.sidecar.istio.io/excludeOutboundPorts': '8443' });
      assert.equal(row.sidecar, true);
      assert.equal(row.legs.length, 2);
    });
    it('excludeOutboundIPRanges covering the ServiceEntry’s addresses, or 0.0.0.0/0', () => {
      assert.equal(rowWith({ 'traffic.sidecar.istio.io/excludeOutboundIPRanges': '10.0.0.0/8,203.0.113.0/24' }).legs.length, 1);
      assert.equal(rowWith({ 'traffic.sidecar.istio.io/excludeOutboundIPRanges': '0.0.0.0/0' }).legs.length, 1);
    });
    it('near miss: an excluded range that covers only part of the addresses keeps the sidecar', () => {
      assert.equal(rowWith({ 'traffic.sidecar.istio.io/excludeOutboundIPRanges': '203.0.113.7/32' }).legs.length, 2);
    });
    it('includeOutboundIPRanges: empty redirects nothing; ranges not covering the destination bypass; * keeps everything', () => {
      assert.equal(rowWith({ 'traffic.sidecar.istio.io/includeOutboundIPRanges': '' }).legs.length, 1);
      assert.equal(rowWith({ 'traffic.sidecar.istio.io/includeOutboundIPRanges': '10.0.0.0/8' }).legs.length, 1);
      assert.equal(rowWith({ 'traffic.sidecar.istio.io/includeOutboundIPRanges': '*' }).legs.length, 2);
      assert.equal(rowWith({ 'traffic.sidecar.istio.io/includeOutboundIPRanges': '203.0.0.0/8' }).legs.length, 2);
    });
  });

  it('a client without a sidecar has one leg and no mesh settings apply', () => {
    const model = modelFromYaml(
      docs(ns('shop'), deployment('app', 'shop'), se('api', 'shop', ['api.example.com']), dr({ name: 'api', ns: 'shop', host: 'api.example.com', mrpc: 1 }), vs({ ns: 'shop', host: 'api.example.com', http: '    retries:\n      attempts: 5\n' })),
    );
    const row = rowFor(computeMultipliers(model), 'api.example.com');
    assert.equal(row.sidecar, false);
    assert.equal(row.legs.length, 1);
    assert.equal(row.total, 0, 'unanalysed app: pooled, 1 try');
  });
});
