/**
 * Gateway API adapter (issue 15): HTTPRoute/GRPCRoute rules feed the same multiplier rows and RetryPolicy records
 * as VirtualService routes, with Istio's conversion of `retry` and `timeouts` (istio/istio
 * `pilot/pkg/config/kube/gateway/conversion.go`). Each case runs a fixture under test/fixtures/gateway-api/ named
 * for what it shows through the real `check` pipeline and the stylish reporter.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { check } from '../../src/pipeline.js';
import { stylish } from '../../src/report/stylish.js';
import { ROOT } from '../helpers/paths.js';

const FIXTURES = join(ROOT, 'test', 'fixtures', 'gateway-api');

async function run(fixture: string) {
  const yaml = readFileSync(join(FIXTURES, fixture), 'utf8');
  const result = await check({ paths: ['-'], cwd: ROOT, defaultNamespace: 'default', stdin: () => Buffer.from(yaml) });
  assert.deepEqual(result.errors, []);
  const text = stylish(result, { color: false, explain: false, version: 'test' });
  const lines = text.split('\n');
  const start = lines.findIndex((l) => l.startsWith('client → destination'));
  const rows = start < 0 ? [] : lines.slice(start + 1).filter((l) => l.includes(' → ') && !l.startsWith('ports =')).map((l) => l.replace(/\s{2,}/g, ' | ').trim());
  return { result, rows, text };
}

describe('Gateway API routes (HTTPRoute, GRPCRoute)', () => {
  it('a GAMMA HTTPRoute with retry but no attempts: 2 retries, backendRequest is the per-try timeout; keep-alive off → 3 connections', async () => {
    const { rows, result } = await run('httproute-gamma-retry-keepalive-off.yaml');
    assert.equal(rows.length, 1);
    assert.match(rows[0]!, /^prod → reviews\.prod\.svc\.cluster\.local:9080 \| 1×pooled \+ 3×1 \| 3 \|/);
    const row = result.routes[0]!;
    assert.equal(row.retryPolicy?.attempts.value, 2);
    assert.equal(row.retryPolicy?.retryOn?.value, 'connect-failure,refused-stream,unavailable,cancelled,503');
    assert.equal(row.retryPolicy?.perTryTimeout?.value, 2);
    assert.deepEqual(row.definedBy.path, ['spec', 'rules', 0, 'backendRefs', 0, 'name']);
    assert.ok(!result.findings.some((f) => f.ruleId === 'retries-implicit-default'), 'a retry is written: not the implicit default');
    assert.ok(!result.findings.some((f) => f.ruleId === 'schema-invalid'));
  });

  it('no retry → the mesh default (retries-implicit-default at the rule); attempts: 6 → retries-aggressive at retry.attempts; RequestMirror → mirror-amplification', async () => {
    const { rows, result } = await run('httproute-gamma-no-retry-default.yaml');
    assert.equal(rows.length, 2);
    const implicit = result.findings.filter((f) => f.ruleId === 'retries-implicit-default');
    assert.deepEqual(implicit.map((f) => f.location.line), [16]);
    assert.match(implicit[0]!.message, /^HTTPRoute rule has no retry: Istio's default of 2 retries applies/);
    const aggressive = result.findings.filter((f) => f.ruleId === 'retries-aggressive');
    assert.deepEqual(aggressive.map((f) => [f.location.line, f.message.split(' allows')[0]]), [[24, 'retry.attempts: 6']]);
    const mirror = result.findings.filter((f) => f.ruleId === 'mirror-amplification');
    assert.deepEqual(mirror.map((f) => f.location.line), [26]);
    assert.match(mirror[0]!.message, /mirrors 50% of requests to ratings-canary\.prod\.svc\.cluster\.local/);
    assert.equal(result.routes[1]!.legs[1]!.tries, 7, '1 + 6 retries at the sidecar');
  });

  it('a route on a Gateway of another class is not modelled (gateway-unmodelled, info); one on an istio Gateway is a north-south row with the default at the gateway', async () => {
    const { result, rows } = await run('httproute-other-gateway-class-not-modelled.yaml');
    assert.deepEqual(rows.map((r) => r.split(' | ').slice(0, 3).join(' | ')), ['infra/ingress-istio → shop.infra.svc.cluster.local:80 | 1×pooled + 3×pooled | 0'], 'only the istio Gateway route makes a row, with the gateway Deployment as client');
    const implicit = result.findings.filter((f) => f.ruleId === 'retries-implicit-default');
    assert.deepEqual(implicit.map((f) => f.location.line), [50]);
    const unmodelled = result.findings.filter((f) => f.ruleId === 'gateway-unmodelled');
    assert.deepEqual(unmodelled.map((f) => [f.location.line, f.severity]), [[23, 'info']]);
    assert.match(unmodelled[0]!.message, /Gateway infra\/edge is of class envoy-gateway, which another controller implements/);
    assert.deepEqual(result.stats.skipped, {}, 'HTTPRoute, Gateway and GatewayClass are analysed, not skipped');
  });
});

describe('Gateway API north-south (routes on Istio gateways)', () => {
  it('the gateway Deployment <name>-istio is the client: retry.attempts 3 and keep-alive off → 4 connections from the gateway pod', async () => {
    const { rows, result } = await run('httproute-north-south-istio-gateway.yaml');
    assert.deepEqual(rows.map((r) => r.split(' | ').slice(0, 5).join(' | ')), ['infra/ingress-istio → shop.shop.svc.cluster.local:8080 | 1×pooled + 4×1 | 4 | 0 | pod']);
    const row = result.routes[0]!;
    assert.equal(row.client, 'infra/ingress-istio');
    assert.equal(row.clientNamespace, 'infra');
    assert.deepEqual(row.legs.map((l) => [l.name, l.dataPlane, l.tries, l.connectionsPerTry, l.budget]), [
      ['downstream → gateway infra/ingress-istio', 'none', 1, 0, 'pod'],
      ['gateway infra/ingress-istio → shop.shop.svc.cluster.local:8080', 'gateway', 4, 1, 'pod'],
    ]);
    assert.equal(row.connectionPolicy?.dataPlane, 'gateway');
    assert.deepEqual(row.definedBy.path, ['spec', 'rules', 0, 'backendRefs', 0, 'name']);
    assert.ok(!result.findings.some((f) => f.ruleId === 'route-not-attached' || f.ruleId === 'gateway-unmodelled'));
  });

  it('gateway.istio.io/name-override names the client Deployment; without it <name>-<class>', async () => {
    const yaml = readFileSync(join(FIXTURES, 'httproute-north-south-istio-gateway.yaml'), 'utf8').replace('  name: ingress\n  namespace: infra\n', '  name: ingress\n  namespace: infra\n  annotations:\n    gateway.istio.io/name-override: edge\n');
    const result = await check({ paths: ['-'], cwd: ROOT, defaultNamespace: 'default', stdin: () => Buffer.from(yaml) });
    assert.deepEqual(result.routes.map((r) => [r.client, r.legs.map((l) => l.name)]), [['infra/edge', ['downstream → gateway infra/edge', 'gateway infra/edge → shop.shop.svc.cluster.local:8080']]]);
    // Near miss: an empty override is not a name (GetOrDefault keeps the default).
    const empty = await check({ paths: ['-'], cwd: ROOT, defaultNamespace: 'default', stdin: () => Buffer.from(yaml.replace('name-override: edge', 'name-override: ""')) });
    assert.deepEqual(empty.routes.map((r) => r.client), ['infra/ingress-istio']);
  });

  it('listener hostname: a route whose hostnames it does not cover gets no row and NoMatchingListenerHostname; a covered one attaches', async () => {
    // The fixture's route has hostnames: [shop.example.com].
    const withListenerHostname = (h: string) => readFileSync(join(FIXTURES, 'httproute-north-south-istio-gateway.yaml'), 'utf8').replace('    protocol: HTTP\n', `    protocol: HTTP\n    hostname: "${h}"\n`);
    const refused = await check({ paths: ['-'], cwd: ROOT, defaultNamespace: 'default', stdin: () => Buffer.from(withListenerHostname('*.shop.example.com')) });
    assert.deepEqual(refused.errors, []);
    assert.deepEqual(refused.routes, []);
    assert.deepEqual(refused.findings.filter((f) => f.ruleId === 'route-not-attached').map((f) => [f.location.line, f.message.split(':')[0]]), [[29, 'NoMatchingListenerHostname']]);
    const covered = await check({ paths: ['-'], cwd: ROOT, defaultNamespace: 'default', stdin: () => Buffer.from(withListenerHostname('*.example.com')) });
    assert.deepEqual(covered.routes.map((r) => r.client), ['infra/ingress-istio']);
    assert.deepEqual(covered.findings.filter((f) => f.ruleId === 'route-not-attached'), []);
  });

  it('an external backend (kind Hostname) is SNAT\'d onto the node; retry-budget-missing fires at the HTTPRoute rule', async () => {
    const { rows, result } = await run('httproute-north-south-external-backend-snat.yaml');
    assert.ok(rows.some((r) => r.startsWith('infra/egress-edge-istio → api.payments.example:80 | 1×pooled + 3×pooled | 0 | 0 | node (SNAT)')), rows.join('\n'));
    const row = result.routes.find((r) => r.client === 'infra/egress-edge-istio')!;
    assert.deepEqual(row.legs.map((l) => [l.dataPlane, l.budget, l.snat]), [['none', 'pod', false], ['gateway', 'node', true]]);
    const budget = result.findings.filter((f) => f.ruleId === 'retry-budget-missing' && f.location.line === 41);
    assert.equal(budget.length, 1);
    assert.match(budget[0]!.message, /^HTTPRoute retry without attempts \(2 retries\) to external api\.payments\.example:80 with no retry budget/);
  });

  it('near miss: the same route with connectionPool.http.maxRetries on the external host does not get retry-budget-missing', async () => {
    const yaml = readFileSync(join(FIXTURES, 'httproute-north-south-external-backend-snat.yaml'), 'utf8') + '---\napiVersion: networking.istio.io/v1\nkind: DestinationRule\nmetadata: { name: payments, namespace: infra }\nspec:\n  host: api.payments.example\n  trafficPolicy: { connectionPool: { http: { maxRetries: 5 } } }\n';
    const result = await check({ paths: ['-'], cwd: ROOT, defaultNamespace: 'default', stdin: () => Buffer.from(yaml) });
    assert.deepEqual(result.findings.filter((f) => f.ruleId === 'retry-budget-missing'), []);
  });

  it('listeners decide attachment: allowedRoutes Same refuses another namespace, a port with no listener matches nothing; no row', async () => {
    const { rows, result } = await run('httproute-listener-refuses-namespace.yaml');
    assert.deepEqual(rows, []);
    const refused = result.findings.filter((f) => f.ruleId === 'route-not-attached');
    assert.deepEqual(refused.map((f) => [f.location.line, f.message.split(':')[0]]), [[23, 'NotAllowedByListeners'], [25, 'NoMatchingParent']]);
    assert.ok(!result.findings.some((f) => f.ruleId === 'retries-implicit-default'), 'a route no parent applies has no retry policy');
  });

  it('near miss: allowedRoutes from: Selector matching the route\'s Namespace labels attaches it', async () => {
    const yaml = readFileSync(join(FIXTURES, 'httproute-listener-refuses-namespace.yaml'), 'utf8')
      .replace('    protocol: HTTP\n', '    protocol: HTTP\n    allowedRoutes:\n      namespaces:\n        from: Selector\n        selector: { matchLabels: { shared-gateway: "true" } }\n')
      .replace(/  - name: ingress\n    namespace: infra\n    port: 8443\n/, '') + '---\napiVersion: v1\nkind: Namespace\nmetadata: { name: shop, labels: { shared-gateway: "true" } }\n';
    const result = await check({ paths: ['-'], cwd: ROOT, defaultNamespace: 'default', stdin: () => Buffer.from(yaml) });
    assert.deepEqual(result.findings.filter((f) => f.ruleId === 'route-not-attached'), []);
    assert.deepEqual(result.routes.map((r) => r.client), ['infra/ingress-istio']);
  });
});

describe('Gateway API ReferenceGrant', () => {
  it('a cross-namespace backendRef with no ReferenceGrant: RefNotPermitted, no row for it; the granted mirror applies', async () => {
    const { rows, result } = await run('httproute-backendref-no-referencegrant.yaml');
    assert.deepEqual(result.routes.map((r) => r.destination), ['frontend.web.svc.cluster.local'], 'no row for prod/orders');
    assert.equal(rows.length, 1);
    const refused = result.findings.filter((f) => f.ruleId === 'route-not-attached');
    assert.deepEqual(refused.map((f) => f.location.line), [22]);
    assert.match(refused[0]!.message, /^RefNotPermitted: backendRef orders\/prod not accessible to a HTTPRoute in namespace "web"/);
    assert.deepEqual(result.findings.filter((f) => f.ruleId === 'mirror-amplification').map((f) => f.location.line), [26]);
  });

  it('near miss: a ReferenceGrant for every Service of prod lets the backendRef attach', async () => {
    const yaml = readFileSync(join(FIXTURES, 'httproute-backendref-no-referencegrant.yaml'), 'utf8').replace('    kind: Service\n    name: orders-shadow\n', '    kind: Service\n');
    const result = await check({ paths: ['-'], cwd: ROOT, defaultNamespace: 'default', stdin: () => Buffer.from(yaml) });
    assert.deepEqual(result.findings.filter((f) => f.ruleId === 'route-not-attached'), []);
    assert.deepEqual(result.routes.map((r) => r.destination).sort(), ['frontend.web.svc.cluster.local', 'orders.prod.svc.cluster.local']);
  });

  it('must fire: a ReferenceGrant from another namespace, or for GRPCRoutes only, does not allow an HTTPRoute', async () => {
    const base = readFileSync(join(FIXTURES, 'httproute-backendref-no-referencegrant.yaml'), 'utf8').replace('    kind: Service\n    name: orders-shadow\n', '    kind: Service\n');
    for (const yaml of [base.replace('    namespace: web\n  to:', '    namespace: shop\n  to:'), base.replace('    kind: HTTPRoute\n    namespace: web', '    kind: GRPCRoute\n    namespace: web')]) {
      const result = await check({ paths: ['-'], cwd: ROOT, defaultNamespace: 'default', stdin: () => Buffer.from(yaml) });
      // Neither the backendRef nor the mirror's backendRef (line 29) is allowed.
      assert.deepEqual(result.findings.filter((f) => f.ruleId === 'route-not-attached').map((f) => f.location.line), [22, 29]);
    }
  });
});

describe('Gateway API XBackendTrafficPolicy retryConstraint', () => {
  it('Istio 1.27+: the backend\'s retry budget (percent 25, minRetryConcurrency from minRetryRate.count) is in the model; not ignored', async () => {
    const yaml = readFileSync(join(FIXTURES, 'xbackendtrafficpolicy-retry-budget.yaml'), 'utf8');
    const result = await check({ paths: ['-'], cwd: ROOT, defaultNamespace: 'default', stdin: () => Buffer.from(yaml), istioVersion: '1.27' });
    const budget = result.routes[0]!.connectionPolicy?.http.retryBudget;
    assert.deepEqual(budget?.value, { percent: 25, minRetryConcurrency: 5 });
    assert.deepEqual(budget?.path, ['spec', 'retryConstraint']);
    assert.equal(budget?.object.ref.kind, 'XBackendTrafficPolicy');
    assert.deepEqual(result.findings.filter((f) => f.ruleId === 'setting-ignored'), []);
  });

  it('minRetryRate unset: Istio writes minRetryConcurrency 10; percent unset: the DestinationRule default 20', async () => {
    const yaml = readFileSync(join(FIXTURES, 'xbackendtrafficpolicy-retry-budget.yaml'), 'utf8').replace(/  retryConstraint:\n[\s\S]*?      interval: 1s\n/, '  retryConstraint:\n    budget: {}\n');
    const result = await check({ paths: ['-'], cwd: ROOT, defaultNamespace: 'default', stdin: () => Buffer.from(yaml), istioVersion: '1.28' });
    assert.deepEqual(result.routes[0]!.connectionPolicy?.http.retryBudget?.value, { percent: 20, minRetryConcurrency: 10 });
  });

  it('before Istio 1.27 it has no effect: setting-ignored at spec.retryConstraint', async () => {
    const yaml = readFileSync(join(FIXTURES, 'xbackendtrafficpolicy-retry-budget.yaml'), 'utf8');
    const result = await check({ paths: ['-'], cwd: ROOT, defaultNamespace: 'default', stdin: () => Buffer.from(yaml), istioVersion: '1.26' });
    assert.equal(result.routes[0]!.connectionPolicy?.http.retryBudget, undefined);
    const ignored = result.findings.filter((f) => f.ruleId === 'setting-ignored');
    assert.deepEqual(ignored.map((f) => f.location.line), [14]);
    assert.match(ignored[0]!.message, /Istio 1\.26 does not apply XBackendTrafficPolicy retryConstraint/);
  });

  it('near miss: a policy targeting another Service gives reviews no budget', async () => {
    const yaml = readFileSync(join(FIXTURES, 'xbackendtrafficpolicy-retry-budget.yaml'), 'utf8').replace('    name: reviews\n  retryConstraint', '    name: ratings\n  retryConstraint');
    const result = await check({ paths: ['-'], cwd: ROOT, defaultNamespace: 'default', stdin: () => Buffer.from(yaml), istioVersion: '1.27' });
    assert.equal(result.routes[0]!.connectionPolicy?.http.retryBudget, undefined);
  });
});

describe('Gateway API schema validation', () => {
  it('retry.attempts that is not an integer is schema-invalid at that field', async () => {
    const yaml = readFileSync(join(FIXTURES, 'httproute-schema-invalid-retry.yaml'), 'utf8');
    const result = await check({ paths: ['-'], cwd: ROOT, defaultNamespace: 'default', stdin: () => Buffer.from(yaml) });
    const invalid = result.findings.filter((f) => f.ruleId === 'schema-invalid');
    assert.deepEqual(invalid.map((f) => [f.location.line, f.message]), [[14, 'HTTPRoute prod/bad: spec.rules.0.retry.attempts must be integer']]);
  });

  it('near miss: valid HTTPRoute, Gateway and GatewayClass-free input has no schema-invalid', async () => {
    const { result } = await run('httproute-other-gateway-class-not-modelled.yaml');
    assert.deepEqual(result.findings.filter((f) => f.ruleId === 'schema-invalid'), []);
  });
});
