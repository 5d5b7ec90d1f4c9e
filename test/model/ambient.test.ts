/**
 * Ambient data plane (issue 15): enrolment by `istio.io/dataplane-mode`, waypoints by `istio.io/use-waypoint`, and
 * the legs each gives. Fixtures under test/fixtures/ambient/ are named for what they show; each runs through the
 * real `check` pipeline and the stylish reporter.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { check } from '../../src/pipeline.js';
import { stylish } from '../../src/report/stylish.js';
import { ROOT } from '../helpers/paths.js';
import { objectsFromYaml } from '../helpers/model.js';
import { ambientReviews } from '../helpers/manifests.js';
import { DEFAULT_MESH_SETTINGS, MeshModel } from '../../src/model/mesh.js';
import { waypointFor } from '../../src/model/adapters/workloads/ambient.js';

const FIXTURES = join(ROOT, 'test', 'fixtures', 'ambient');

async function run(fixture: string, transform: (yaml: string) => string = (y) => y, istioVersion?: string) {
  const yaml = transform(readFileSync(join(FIXTURES, fixture), 'utf8'));
  const result = await check({ paths: ['-'], cwd: ROOT, defaultNamespace: 'default', stdin: () => Buffer.from(yaml), ...(istioVersion ? { istioVersion } : {}) });
  assert.deepEqual(result.errors, []);
  const text = stylish(result, { color: false, explain: false, version: 'test' });
  const lines = text.split('\n');
  const start = lines.findIndex((l) => l.startsWith('client → destination'));
  const rows = lines.slice(start + 1).filter((l) => l.includes(' → ') && !l.startsWith('ports =')).map((l) => l.replace(/\s{2,}/g, ' | ').trim());
  return { result, rows };
}

describe('ambient', () => {
  it('no waypoint: ztunnel L4 only, pooled HBONE, no retries; the DestinationRule pool setting is ignored, not keepalive-disabled', async () => {
    const { result, rows } = await run('ambient-no-waypoint-l4-only.yaml');
    assert.match(rows[0]!, /^shop → reviews\.shop\.svc\.cluster\.local:9080 \| 1×pooled \+ 1×pooled \| 0 \|/);
    const row = result.routes[0]!;
    assert.deepEqual(row.legs.map((l) => l.dataPlane), ['none', 'ztunnel']);
    assert.equal(row.retryPolicy, undefined);
    assert.deepEqual(result.findings.filter((f) => f.ruleId === 'keepalive-disabled'), []);
    // Both what the user wrote for L7 are reported: the VirtualService retries and the DestinationRule pool field.
    const ignored = result.findings.filter((f) => f.ruleId === 'setting-ignored');
    assert.deepEqual(ignored.map((f) => [f.location.line, f.message.split(' has no effect')[0]]), [[34, 'ignored: retries.attempts: 3'], [47, 'ignored: http.maxRequestsPerConnection: 1 (top level)']].sort((a, b) => (a[0] as number) - (b[0] as number)));
    for (const f of ignored) assert.match(f.message, /no waypoint: ambient L4 only/);
    assert.match(ignored[0]!.message, /ztunnel applies no route retries; no istio\.io\/use-waypoint label on Service shop\/reviews or its namespace/);
    const explained = stylish(result, { color: false, explain: true, version: 'test' });
    assert.match(explained, /data plane: app → ztunnel \[app\], ztunnel → ztunnel reviews\.shop\.svc\.cluster\.local:9080 \[ztunnel\]/);
    assert.match(explained, /sidecar: no \(ambient: Namespace shop has istio\.io\/dataplane-mode=ambient\)/);
  });

  it('a waypoint is the L7 leg: it applies the retries and the DestinationRule (keep-alive off)', async () => {
    const { result, rows } = await run('ambient-waypoint-l7-retries.yaml');
    assert.match(rows[0]!, /^shop → reviews\.shop\.svc\.cluster\.local:9080 \| 1×pooled \+ 1×pooled \+ 4×1 \| 4 \|/);
    assert.deepEqual(result.routes[0]!.legs.map((l) => l.dataPlane), ['none', 'ztunnel', 'waypoint']);
    assert.equal(result.findings.filter((f) => f.ruleId === 'keepalive-disabled').length, 1);
    assert.deepEqual(result.findings.filter((f) => f.ruleId === 'setting-ignored'), []);
  });

  it('near misses: a pod-level dataplane-mode none, or a sidecar-injected namespace, is not ambient', async () => {
    const none = await run('ambient-no-waypoint-l4-only.yaml', (y) => y.replace('istio.io/dataplane-mode: ambient', 'istio.io/dataplane-mode: none'));
    assert.ok(!none.result.routes[0]!.legs.some((l) => l.dataPlane === 'ztunnel'));
    const injected = await run('ambient-no-waypoint-l4-only.yaml', (y) => y.replace('istio.io/dataplane-mode: ambient', 'istio.io/dataplane-mode: ambient\n    istio-injection: enabled'));
    assert.deepEqual(injected.result.routes[0]!.legs.map((l) => l.dataPlane), ['none', 'sidecar']);
    assert.equal(injected.result.findings.filter((f) => f.ruleId === 'keepalive-disabled').length, 1);
  });

  it('a pod template label enrols the pod in a namespace without one; explain cites the label line', async () => {
    const { result, rows } = await run('ambient-pod-label-enrols.yaml');
    assert.match(rows[0]!, /^shop → reviews\.shop\.svc\.cluster\.local:9080 \| 1×pooled \+ 1×pooled \| 0 \|/);
    assert.deepEqual(result.routes[0]!.legs.map((l) => l.dataPlane), ['none', 'ztunnel']);
    const explained = stylish(result, { color: false, explain: true, version: 'test' });
    assert.match(explained, /app → ztunnel: ambient: Deployment shop\/reviews-client pod label istio\.io\/dataplane-mode=ambient {2}\(<stdin>:20:9\)/);
    assert.match(explained, /HBONE .*one pool per pod, keyed by \{source identity, destination identities, destination address, source IP\} \(istio\/ztunnel src\/proxy\/pool\.rs, WorkloadKey\); up to 100 streams per connection \(POOL_MAX_STREAMS_PER_CONNECTION\)/);
    // Near misses: the pod opts out with none in an ambient namespace; a sidecar-injected pod is never ambient.
    const none = await run('ambient-pod-label-enrols.yaml', (y) => y.replace('  name: shop\n---', '  name: shop\n  labels:\n    istio.io/dataplane-mode: ambient\n---').replace('        istio.io/dataplane-mode: ambient', '        istio.io/dataplane-mode: none'));
    assert.ok(!none.result.routes[0]!.legs.some((l) => l.dataPlane === 'ztunnel'));
    const injected = await run('ambient-pod-label-enrols.yaml', (y) => y.replace('        istio.io/dataplane-mode: ambient', '        istio.io/dataplane-mode: ambient\n        sidecar.istio.io/inject: "true"'));
    assert.deepEqual(injected.result.routes[0]!.legs.map((l) => l.dataPlane), ['none', 'sidecar']);
    // The older annotation can opt a pod out of an injecting namespace (it is then ambient by its label), never in.
    const annotated = await run('ambient-pod-label-enrols.yaml', (y) => y.replace('    metadata:\n      labels:\n        istio.io/dataplane-mode: ambient', '    metadata:\n      annotations:\n        sidecar.istio.io/inject: "true"\n      labels:\n        istio.io/dataplane-mode: ambient'));
    assert.deepEqual(annotated.result.routes[0]!.legs.map((l) => l.dataPlane), ['none', 'ztunnel']);
    const optedOut = await run('ambient-pod-label-enrols.yaml', (y) => y.replace('  name: shop\n---', '  name: shop\n  labels:\n    istio-injection: enabled\n---').replace('    metadata:\n      labels:\n        istio.io/dataplane-mode: ambient', '    metadata:\n      annotations:\n        sidecar.istio.io/inject: "false"\n      labels:\n        istio.io/dataplane-mode: ambient'));
    assert.deepEqual(optedOut.result.routes[0]!.legs.map((l) => l.dataPlane), ['none', 'ztunnel']);
    const stillInjected = await run('ambient-pod-label-enrols.yaml', (y) => y.replace('  name: shop\n---', '  name: shop\n  labels:\n    istio-injection: enabled\n---'));
    assert.deepEqual(stillInjected.result.routes[0]!.legs.map((l) => l.dataPlane), ['none', 'sidecar']);
    const opted = await run('ambient-pod-label-enrols.yaml', (y) => y.replace('      labels:\n        istio.io/dataplane-mode: ambient', '      annotations:\n        ambient.istio.io/redirection: disabled\n      labels:\n        istio.io/dataplane-mode: ambient'));
    assert.ok(!opted.result.routes[0]!.legs.some((l) => l.dataPlane === 'ztunnel'));
  });

  it('egress waypoint: the ServiceEntry label sends external traffic through the waypoint, whose connections are SNAT\'d at its node', async () => {
    const { result, rows } = await run('ambient-egress-waypoint.yaml');
    assert.match(rows[0]!, /^shop → api\.example\.com:80 \| 1×pooled \+ 1×pooled \+ 3×1 \| 3 \| 3 \| node \(SNAT\)/);
    const legs = result.routes[0]!.legs;
    assert.deepEqual(legs.map((l) => [l.dataPlane, l.budget, l.snat]), [['none', 'pod', false], ['ztunnel', 'pod', false], ['waypoint', 'node', true]]);
    assert.equal(legs[1]!.name, 'ztunnel → waypoint istio-egress/egress-waypoint');
    // Near miss: without the label ztunnel passes the app's own connections through (pooled app: nothing churns).
    const direct = await run('ambient-egress-waypoint.yaml', (y) => y.replace('    istio.io/use-waypoint: egress-waypoint\n', ''));
    assert.match(direct.rows[0]!, /^shop → api\.example\.com:80 \| 1×pooled \+ 1×pooled \| 0 \| 0 \| node \(SNAT\)/);
    assert.deepEqual(direct.result.routes[0]!.legs.map((l) => [l.dataPlane, l.snat]), [['none', false], ['ztunnel', true]]);
    assert.equal(direct.result.findings.filter((f) => f.ruleId === 'keepalive-disabled').length, 0);
  });

  it('a waypoint with no route: mesh default retries from Istio 1.31, the inbound reset-before-request before, none before 1.24', async () => {
    const v131 = await run('ambient-egress-waypoint.yaml', undefined, '1.31');
    assert.equal(v131.result.routes[0]!.legs[2]!.tries, 3);
    assert.ok(v131.result.routes[0]!.retryPolicy?.attempts.default);
    assert.ok(v131.result.routes[0]!.legs[2]!.trace.some((t) => /applies the mesh default retry policy \(since 1\.31: istio\/istio#60682\)/.test(t.text)));
    const v130 = await run('ambient-egress-waypoint.yaml', undefined, '1.30');
    assert.equal(v130.result.routes[0]!.legs[2]!.tries, 3);
    assert.equal(v130.result.routes[0]!.retryPolicy, undefined);
    assert.ok(v130.result.routes[0]!.legs[2]!.trace.some((t) => /uses the sidecar's inbound route: reset-before-request, up to 2 retries/.test(t.text)));
    const v123 = await run('ambient-egress-waypoint.yaml', undefined, '1.23');
    assert.equal(v123.result.routes[0]!.legs[2]!.tries, 1);
    assert.match(v123.rows[0]!, /1×pooled \+ 1×pooled \+ 1×1 \| 1 \|/);
    // A mesh default of 5 retries: the waypoint applies it from 1.31 only.
    const mesh = (y: string) => y + '---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: istio\n  namespace: istio-system\ndata:\n  mesh: |\n    defaultHttpRetryPolicy:\n      attempts: 5\n';
    assert.equal((await run('ambient-egress-waypoint.yaml', mesh, '1.31')).result.routes[0]!.legs[2]!.tries, 6);
    assert.equal((await run('ambient-egress-waypoint.yaml', mesh, '1.30')).result.routes[0]!.legs[2]!.tries, 3);
  });

  it('an HTTPRoute on an Istio Gateway to a Service with a waypoint gives one row, through the waypoint (not a second north-south row)', async () => {
    const httpRoute = (y: string) =>
      y +
      '---\napiVersion: gateway.networking.k8s.io/v1\nkind: Gateway\nmetadata:\n  name: edge\n  namespace: istio-ingress\nspec:\n  gatewayClassName: istio\n  listeners:\n  - name: http\n    port: 80\n    protocol: HTTP\n    allowedRoutes:\n      namespaces:\n        from: All\n' +
      '---\napiVersion: gateway.networking.k8s.io/v1\nkind: HTTPRoute\nmetadata:\n  name: edge-reviews\n  namespace: istio-ingress\nspec:\n  parentRefs:\n  - name: edge\n  rules:\n  - backendRefs:\n    - name: reviews\n      namespace: shop\n      port: 9080\n' +
      '---\napiVersion: gateway.networking.k8s.io/v1beta1\nkind: ReferenceGrant\nmetadata:\n  name: from-ingress\n  namespace: shop\nspec:\n  from:\n  - group: gateway.networking.k8s.io\n    kind: HTTPRoute\n    namespace: istio-ingress\n  to:\n  - group: ""\n    kind: Service\n';
    const { result } = await run('ambient-ingress-use-waypoint.yaml', httpRoute);
    const fromRoute = result.routes.filter((r) => r.definedBy.object.ref.kind === 'HTTPRoute');
    assert.equal(fromRoute.length, 1, fromRoute.map((r) => r.legs.map((l) => l.name).join(' + ')).join('\n'));
    assert.deepEqual(fromRoute[0]!.legs.map((l) => l.dataPlane), ['gateway', 'waypoint']);
    assert.equal(fromRoute[0]!.client, 'istio-ingress/edge-istio', "the client is Istio's Deployment for the Gateway");
    const overridden = await run('ambient-ingress-use-waypoint.yaml', (y) => httpRoute(y).replace('  name: edge\n  namespace: istio-ingress\n', '  name: edge\n  namespace: istio-ingress\n  annotations:\n    gateway.istio.io/name-override: public-edge\n'));
    assert.deepEqual(overridden.result.routes.filter((r) => r.definedBy.object.ref.kind === 'HTTPRoute').map((r) => r.client), ['istio-ingress/public-edge']);
  });

  it('ingress-use-waypoint: the gateway retries to the waypoint and the waypoint retries again (3 × 4 tries)', async () => {
    const { result, rows } = await run('ambient-ingress-use-waypoint.yaml');
    assert.ok(rows.some((r) => /^istio-ingress → reviews\.shop\.svc\.cluster\.local:9080 \| 3×pooled \+ 12×1 \| 12 \|/.test(r)), rows.join('\n'));
    assert.ok(rows.some((r) => /^shop → reviews\.shop\.svc\.cluster\.local:9080 \| 1×pooled \+ 1×pooled \+ 4×1 \| 4 \|/.test(r)), rows.join('\n'));
    const ingress = result.routes.find((r) => r.clientNamespace === 'istio-ingress')!;
    assert.deepEqual(ingress.legs.map((l) => [l.name, l.dataPlane]), [['gateway → waypoint shop/waypoint', 'gateway'], ['waypoint → reviews.shop.svc.cluster.local:9080', 'waypoint']]);
    const explained = stylish(result, { color: false, explain: true, version: 'test' });
    assert.match(explained, /waypoint → reviews\.shop\.svc\.cluster\.local:9080: Service shop\/reviews has istio\.io\/ingress-use-waypoint=true: the waypoint shop\/waypoint applies the Service's route after the gateway's {2}\(<stdin>:21:5\)/);
    // Near miss: without the label ingress traffic skips the waypoint: only the gateway's 3 tries, to the pods.
    const skip = await run('ambient-ingress-use-waypoint.yaml', (y) => y.replace('    istio.io/ingress-use-waypoint: "true"\n', '    app: reviews\n'));
    assert.ok(skip.rows.some((r) => /^istio-ingress → reviews\.shop\.svc\.cluster\.local:9080 \| 3×1 \| 3 \|/.test(r)), skip.rows.join('\n'));
    const off = await run('ambient-ingress-use-waypoint.yaml', (y) => y.replace('    istio.io/ingress-use-waypoint: "true"\n', '    istio.io/ingress-use-waypoint: "no"\n'));
    assert.ok(off.rows.some((r) => /^istio-ingress → reviews\.shop\.svc\.cluster\.local:9080 \| 3×1 \| 3 \|/.test(r)), off.rows.join('\n'));
  });

  it('an unusable waypoint: the Service label decides alone (no namespace fallback), ztunnel L4 and a waypoint-unavailable finding', async () => {
    const { result, rows } = await run('ambient-waypoint-unavailable.yaml');
    assert.match(rows.find((r) => r.includes('reviews.shop'))!, /1×pooled \+ 1×pooled \| 0 \|/);
    assert.match(rows.find((r) => r.includes('ratings.shop'))!, /1×pooled \+ 1×pooled \+ 3×pooled \| 0 \|/);
    const findings = result.findings.filter((f) => f.ruleId === 'waypoint-unavailable').map((f) => [f.location.line, f.severity]);
    assert.deepEqual(findings, [[21, 'warn'], [33, 'info']]);
    // Read from a cluster, a missing waypoint is missing: istiod binds none, and ztunnel carries the traffic L4 only.
    const yaml = readFileSync(join(FIXTURES, 'ambient-waypoint-unavailable.yaml'), 'utf8');
    const fromCluster = objectsFromYaml(yaml).map((o) => ({ ...o, origin: { ...o.origin, file: `cluster://test/${o.ref.kind}/${o.ref.name}` } }));
    const model = new MeshModel(fromCluster, DEFAULT_MESH_SETTINGS);
    const ratings = waypointFor(model, 'ratings.shop.svc.cluster.local');
    assert.equal(ratings.waypoint, undefined);
    assert.match(ratings.reason, /names waypoint shop\/missing-wp, which the cluster does not have: istiod gives it no waypoint \(WaypointIsNotReady\)/);
    assert.equal(waypointFor(model, 'reviews.shop.svc.cluster.local').waypoint, undefined);
  });
});

describe('fixtures/ambient (the user-facing example): Gateway API routes in ambient mode', () => {
  it('a GAMMA HTTPRoute on a Service with a waypoint is the waypoint\'s L7 leg; one parented on the waypoint is refused; the ingress client follows name-override and listener hostnames', async () => {
    const yaml = readFileSync(join(ROOT, 'fixtures', 'ambient', 'shop.yaml'), 'utf8');
    const result = await check({ paths: ['-'], cwd: ROOT, defaultNamespace: 'default', stdin: () => Buffer.from(yaml) });
    assert.deepEqual(result.errors, []);
    const reviews = result.routes.find((r) => r.destination === 'reviews.shop.svc.cluster.local')!;
    assert.deepEqual(reviews.legs.map((l) => [l.name, l.dataPlane, l.tries, l.connectionsPerTry]), [
      ['app → ztunnel', 'none', 1, 0],
      ['ztunnel → waypoint shop/waypoint', 'ztunnel', 1, 0],
      ['waypoint → reviews.shop.svc.cluster.local:9080', 'waypoint', 4, 1],
    ]);
    assert.equal(reviews.retryPolicy?.route.object.ref.name, 'reviews', 'the waypoint applies the GAMMA route\'s retry, not the one parented on the waypoint');
    assert.deepEqual(result.routes.map((r) => r.client ?? r.clientNamespace).sort(), ['shop', 'shop/shop-edge']);
    const refused = result.findings.filter((f) => f.ruleId === 'route-not-attached').map((f) => [f.location.line, f.message.split(':')[0]]);
    assert.deepEqual(refused, [[119, 'NotAllowedByListeners'], [167, 'NoMatchingListenerHostname']]);
    assert.ok(!result.findings.some((f) => f.ruleId === 'setting-ignored' || f.ruleId === 'gateway-unmodelled'));
  });
});

describe('ambient without a waypoint: no L7 route effects', () => {
  const mirrorToShadow = 'apiVersion: v1\nkind: Service\nmetadata: { name: shadow, namespace: shop }\nspec: { ports: [{ name: http, port: 9080 }] }\n---\n' +
    'apiVersion: networking.istio.io/v1\nkind: VirtualService\nmetadata: { name: reviews, namespace: shop }\nspec:\n  hosts: [reviews]\n  http:\n  - route: [{ destination: { host: reviews } }]\n    mirror: { host: shadow }\n---\n' +
    'apiVersion: networking.istio.io/v1\nkind: DestinationRule\nmetadata: { name: shadow, namespace: shop }\nspec:\n  host: shadow\n  trafficPolicy: { connectionPool: { http: { maxRequestsPerConnection: 1 } } }\n';
  const run = async (yaml: string) => check({ paths: ['-'], cwd: ROOT, defaultNamespace: 'default', stdin: () => Buffer.from(yaml) });

  it('a mirror is not counted in the row (ztunnel mirrors nothing), and mirror-amplification and retries-implicit-default stay quiet', async () => {
    const result = await run(ambientReviews('', mirrorToShadow));
    assert.deepEqual(result.errors, []);
    const row = result.routes.find((r) => r.destination === 'reviews.shop.svc.cluster.local')!;
    assert.deepEqual(row.mirrors, []);
    assert.equal(row.total, 0);
    assert.deepEqual(result.findings.filter((f) => f.ruleId === 'mirror-amplification' || f.ruleId === 'retries-implicit-default'), []);
    // What the user wrote is said to do nothing, at the mirror.
    assert.deepEqual(result.findings.filter((f) => f.ruleId === 'setting-ignored').map((f) => [f.location.line, f.message]), [[22, 'ignored: mirror: "100% to shadow.shop.svc.cluster.local" has no effect: no waypoint: ambient L4 only (ztunnel mirrors no request)']]);
  });

  it('near miss: with a waypoint the mirror counts (keep-alive off to shadow: 1 new connection per request)', async () => {
    const result = await run(ambientReviews(', istio.io/use-waypoint: waypoint', mirrorToShadow, { waypoint: true }));
    const row = result.routes.find((r) => r.destination === 'reviews.shop.svc.cluster.local')!;
    assert.deepEqual(row.mirrors.map((m) => [m.host, m.connections]), [['shadow.shop.svc.cluster.local', 1]]);
    assert.equal(result.findings.filter((f) => f.ruleId === 'mirror-amplification').length, 1);
    assert.deepEqual(result.findings.filter((f) => f.ruleId === 'setting-ignored'), []);
  });
});
