/**
 * Linkerd adapter (issue 16): ServiceProfiles, retry.linkerd.io / timeout.linkerd.io annotations and HTTPRoutes
 * on a Linkerd Service become the same RetryPolicy / TrafficRoute records and multiplier rows as Istio's, with the
 * Linkerd legs of docs/model.md ("Linkerd"). Each case runs a fixture of test/fixtures/linkerd/ (named for what it
 * shows, with its expected rows in its header comment) through the real `check` pipeline.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { runFixture } from '../helpers/fixture-rows.js';
import { modelFromYaml, docs } from '../helpers/model.js';
import { linkerdTraffic } from '../../src/model/adapters/linkerd/routes.js';
import { ROOT } from '../helpers/paths.js';

const run = (fixture: string, options = {}) => runFixture('linkerd', fixture, options);
const ids = (findings: { ruleId: string; location: { line: number } }[], rule: string) => findings.filter((f) => f.ruleId === rule).map((f) => f.location.line);

describe('Linkerd: ServiceProfile', () => {
  it('default retryBudget (0.2 / 10 / 10s): 1.2 tries at the client proxy, HTTP/2 between proxies, three legs', async () => {
    const { result, rows, explained } = await run('serviceprofile-retryable-default-budget.yaml');
    assert.deepEqual(rows.map((r) => r.split(' | ').slice(0, 3).join(' | ')), [
      'shop → orders.shop.svc.cluster.local:8080 | 1×pooled + 1.2×pooled + 1.2×pooled | 0',
      'shop → orders.shop.svc.cluster.local:8080 | 1×pooled + 1.2×pooled + 1.2×pooled | 0',
    ]);
    const row = result.routes[0]!;
    assert.deepEqual(row.legs.map((l) => [l.name, l.dataPlane]), [
      ['app → linkerd-proxy', 'none'],
      ['linkerd-proxy → orders.shop.svc.cluster.local:8080', 'linkerd-proxy'],
      ['linkerd-proxy (inbound) → app at orders.shop.svc.cluster.local:8080', 'linkerd-proxy'],
    ]);
    const budget = row.retryPolicy?.budget;
    assert.deepEqual(budget && [budget.retryRatio, budget.minRetriesPerSecond, budget.ttl, budget.default], [0.2, 10, 10, true]);
    assert.equal(row.retryPolicy?.attempts.default, false, 'written (isRetryable), not a mesh default');
    assert.match(explained, /data plane: app → linkerd-proxy \[app\], linkerd-proxy → orders\.shop\.svc\.cluster\.local:8080 \[linkerd-proxy\]/);
    assert.match(explained, /isRetryable: true, retries capped by the retry budget: at most 0\.2 retries per request.*<stdin>:36:7/);
    assert.match(explained, /upgraded to HTTP\/2 between Linkerd proxies/);
    // The GET route has a timeout; the POST one has none and is state-changing.
    assert.deepEqual(ids(result.findings, 'retries-aggressive'), [42]);
    assert.deepEqual(ids(result.findings, 'retries-non-idempotent'), [40]);
    assert.deepEqual(ids(result.findings, 'retries-implicit-default'), [], 'Linkerd does not retry by default');
    assert.deepEqual(ids(result.findings, 'retry-budget-missing'), [], 'a ServiceProfile budget caps the retries');
    assert.deepEqual(ids(result.findings, 'h2-upgrade-available'), [], 'Linkerd upgrades meshed HTTP/1.1 itself');
    assert.deepEqual(ids(result.findings, 'connection-pool-missing'), [], 'no DestinationRule concept in Linkerd');
  });

  it('retryRatio 1.0 doubles the tries; the Service annotations are ignored while the ServiceProfile exists', async () => {
    const { result, rows } = await run('serviceprofile-budget-ratio-annotations-ignored.yaml');
    assert.match(rows[0]!, /^billing → ledger\.billing\.svc\.cluster\.local:9090 \| 1×pooled \+ 2×pooled \+ 2×pooled \| 0 \|/);
    assert.deepEqual(ids(result.findings, 'retries-aggressive'), [34]);
    assert.match(result.findings.find((f) => f.ruleId === 'retries-aggressive')!.message, /^retryBudget\.retryRatio: 1 lets retries add up to 100% of the requests/);
    const ignored = result.findings.filter((f) => f.ruleId === 'setting-ignored');
    assert.deepEqual(ignored.map((f) => [f.location.line, f.location.fieldPath]), [
      [12, 'metadata.annotations.retry.linkerd.io/http'],
      [13, 'metadata.annotations.retry.linkerd.io/limit'],
      [14, 'metadata.annotations.timeout.linkerd.io/request'],
    ]);
    assert.match(ignored[0]!.message, /ServiceProfile billing\/ledger\.billing\.svc\.cluster\.local describes/);
    assert.equal(result.routes[0]!.retryPolicy?.unbudgeted, undefined);
  });

  it('a written retryBudget missing a field takes 0 for it, not the default (profile_translator.go copies each field)', () => {
    const model = modelFromYaml(docs('apiVersion: linkerd.io/v1alpha2\nkind: ServiceProfile\nmetadata: { name: a.b.svc.cluster.local, namespace: b }\nspec:\n  retryBudget: { retryRatio: 0.5, ttl: 5s }\n  routes: [{ name: all, condition: { pathRegex: /.* }, isRetryable: true }]\n'));
    assert.equal(model.linkerd.length, 1, 'the loader keeps ServiceProfiles');
    const budget = linkerdTraffic(model).routes[0]!.retryPolicy!.budget!;
    assert.deepEqual([budget.retryRatio, budget.minRetriesPerSecond, budget.ttl, budget.default], [0.5, 0, 5, false]);
  });
});

describe('Linkerd: retry and timeout annotations', () => {
  it('Service annotations: limit 5 → 6 tries at the proxy; the limit and the missing retry timeout are reported at their annotations', async () => {
    const { result, rows } = await run('service-annotations-retry-limit.yaml');
    assert.match(rows[0]!, /^web → payments\.web\.svc\.cluster\.local:80 \| 1×pooled \+ 6×pooled \+ 6×pooled \| 0 \|/);
    const aggressive = result.findings.filter((f) => f.ruleId === 'retries-aggressive');
    assert.deepEqual(aggressive.map((f) => [f.location.line, f.message.split(':')[0]]), [[11, 'retry.linkerd.io/http 5xx without retry.linkerd.io/timeout'], [12, 'retry.linkerd.io/limit']]);
    assert.deepEqual(ids(result.findings, 'retries-implicit-default'), []);
    assert.equal(result.routes[0]!.sidecarReason, 'Linkerd proxy: pod annotation linkerd.io/inject=enabled', 'proxy-enable-native-sidecar does not change enrolment');
    assert.deepEqual(ids(result.findings, 'retry-budget-missing'), [], 'in-mesh host, no rate given');
  });

  it('annotation retries at a high request rate have no budget: retry-budget-missing (near miss: below highRate)', async () => {
    const high = await run('service-annotations-retry-limit.yaml', { rps: 200 });
    assert.deepEqual(ids(high.result.findings, 'retry-budget-missing'), [12]);
    assert.match(high.result.findings.find((f) => f.ruleId === 'retry-budget-missing')!.message, /^5 retries per request to payments\.web\.svc\.cluster\.local:80 at 200 requests\/s with no retry budget/);
    const low = await run('service-annotations-retry-limit.yaml', { rps: 99 });
    assert.deepEqual(ids(low.result.findings, 'retry-budget-missing'), []);
  });

  it('a Gateway API HTTPRoute on a Linkerd Service: route annotations override the Service, retry and timeouts fields are ignored', async () => {
    const { result, rows } = await run('gateway-httproute-on-linkerd-service.yaml');
    assert.deepEqual(rows.map((r) => r.split(' | ').slice(0, 3).join(' | ')), ['api → catalog.api.svc.cluster.local:8080 | 1×pooled + 3×pooled + 3×pooled | 0']);
    const retry = result.routes[0]!.retryPolicy!;
    assert.equal(retry.attempts.value, 2);
    assert.equal(retry.retryOn?.value, 'gateway-error');
    assert.equal(retry.perTryTimeout?.value, 0.5);
    const ignored = result.findings.filter((f) => f.ruleId === 'setting-ignored');
    assert.deepEqual(ignored.map((f) => [f.location.line, f.value]), [[44, 'retry'], [45, 'timeouts']]);
    assert.match(ignored[0]!.message, /Linkerd does not read HTTPRoute rules\[\]\.retry/);
    assert.deepEqual(ids(result.findings, 'retries-implicit-default'), [], "Istio's default does not apply to a Linkerd Service's route");
    assert.deepEqual(ids(result.findings, 'retries-aggressive'), [], 'the route retry of 5 attempts is not in force');
  });

  it('timeout.linkerd.io/request, /response and /idle: shown on the proxy leg with what an expiry does to its connection; no tries added', async () => {
    const { result, explained } = await run('timeout-annotations.yaml');
    assert.deepEqual(result.findings, []);
    const byHost = new Map(result.routes.map((r) => [r.host, r]));
    const catalog = byHost.get('catalog.shop.svc.cluster.local')!.legs[1]!;
    assert.equal(catalog.tries, 1, 'timeouts are not retried');
    assert.deepEqual(catalog.trace.filter((t) => /^timeout\.linkerd\.io/.test(t.text)).map((t) => [t.text.split(':')[0], t.location?.line]), [
      ['timeout.linkerd.io/request', 20],
      ['timeout.linkerd.io/response', 21],
      ['timeout.linkerd.io/idle', 22],
    ]);
    assert.match(explained, /timeout\.linkerd\.io\/response: a backend response still in flight is failed with 504 after 2s, not retried; on expiry the HTTP\/2 stream is reset and the pooled connection between proxies stays/);
    // The route's timeout annotations replace the Service's: 1.5s response, and the Service's idle is not in force.
    const maps = byHost.get('maps.shop.svc.cluster.local')!.legs[1]!;
    assert.deepEqual(maps.trace.filter((t) => /^timeout\.linkerd\.io/.test(t.text)).map((t) => t.location?.line), [48]);
    assert.match(explained, /failed with 504 after 1\.5s, not retried; on expiry the proxy closes its HTTP\/1\.1 connection to the destination: one new connection \(and one port in TIME_WAIT\) per expired request/);
  });

  it('a policy.linkerd.io HTTPRoute without retry annotations: no retries, timeouts.request is the route timeout', async () => {
    const { result, rows } = await run('policy-httproute-timeouts-no-retries.yaml');
    assert.match(rows[0]!, /^shop → cart\.shop\.svc\.cluster\.local:80 \| 1×pooled \+ 1×pooled \+ 1×pooled \| 0 \|/);
    assert.equal(result.routes[0]!.retryPolicy, undefined);
    assert.deepEqual(result.findings, []);
  });

  it('HTTPRoute timeouts as Linkerd 2.16+ reads them: request applied, backendRequest and Gateway API timeouts not, the annotation over the field', async () => {
    const { result, explained } = await run('policy-httproute-backend-request.yaml');
    const model = modelFromYaml(readFileSync(path.join(ROOT, 'test/fixtures/linkerd/policy-httproute-backend-request.yaml'), 'utf8'));
    const routeTimeout = (host: string) => linkerdTraffic(model).routes.find((r) => r.service === host)?.timeout?.value;
    const ignored = result.findings.filter((f) => f.ruleId === 'setting-ignored');
    // backendRequest 0s (line 63) means "no timeout": nothing to report.
    assert.deepEqual(ignored.map((f) => [f.location.line, f.value]), [[38, 'timeouts.backendRequest'], [62, 'timeouts.request'], [84, 'timeouts']]);
    assert.match(ignored[0]!.message, /timeouts\.backendRequest: "1s" has no effect: Linkerd 2\.16\+ does not read timeouts\.backendRequest/);
    assert.match(ignored[1]!.message, /timeout\.linkerd\.io\/request \(3s, on HTTPRoute search\) takes priority over the HTTPRoute's timeouts\.request/);
    assert.deepEqual(result.findings.filter((f) => f.ruleId !== 'setting-ignored'), []);
    const leg = (host: string) => result.routes.find((r) => r.host === host)!.legs[1]!;
    const timeoutLines = (host: string) => leg(host).trace.filter((t) => /timeout/.test(t.text.split(':')[0]!)).map((t) => [t.text.split(':')[0], t.location?.line]);
    for (const host of ['cart', 'search', 'maps']) assert.equal(leg(`${host}.shop.svc.cluster.local`).tries, 1, `${host}: timeouts add no tries`);
    assert.deepEqual(timeoutLines('cart.shop.svc.cluster.local'), [['spec.rules.0.timeouts.request', 37], ['spec.rules.0.timeouts.backendRequest', 38]]);
    assert.equal(routeTimeout('cart.shop.svc.cluster.local'), 5);
    assert.deepEqual(timeoutLines('search.shop.svc.cluster.local'), [['timeout.linkerd.io/request', 56], ['spec.rules.0.timeouts.request', 62]]);
    assert.equal(routeTimeout('search.shop.svc.cluster.local'), 3, 'the annotation wins');
    assert.deepEqual(timeoutLines('maps.shop.svc.cluster.local'), [['spec.rules.0.timeouts.request', 85], ['spec.rules.0.timeouts.backendRequest', 86]]);
    assert.equal(routeTimeout('maps.shop.svc.cluster.local'), undefined, 'a Gateway API route timeout is not in force');
    assert.match(explained, /spec\.rules\.0\.timeouts\.backendRequest: 1s is not applied by the client proxy \(no effect on this leg's tries or connections\): Linkerd 2\.16\+ does not read/);
    assert.match(explained, /spec\.rules\.0\.timeouts\.request: 4s is not applied by the client proxy .*convert_gateway_rule/);
  });
});

describe('Linkerd: ports and meshes', () => {
  it('opaque ports are TCP with no retries; a skipped outbound port is one leg from the app', async () => {
    const { result } = await run('opaque-and-skipped-ports.yaml');
    const byPort = new Map(result.routes.map((r) => [r.port, r]));
    assert.deepEqual([...byPort.keys()], [8080, 5432, 7000, 6000]);
    assert.equal(byPort.get(8080)!.protocol, 'http');
    assert.equal(byPort.get(8080)!.legs[1]!.tries, 2, 'retry.linkerd.io/http without a limit: 1 retry');
    for (const port of [5432, 7000]) {
      const row = byPort.get(port)!;
      assert.equal(row.protocol, 'tcp');
      assert.equal(row.retryPolicy, undefined);
      assert.equal(row.legs[1]!.tries, 1);
      assert.match(row.legs[1]!.trace.at(-1)!.text, /^opaque TCP/);
    }
    assert.match(byPort.get(5432)!.legs[1]!.trace.at(-1)!.text, /lists port 5432 in config\.linkerd\.io\/opaque-ports/);
    const skipped = byPort.get(6000)!;
    assert.deepEqual(skipped.legs.map((l) => l.name), ['app → store.data.svc.cluster.local:6000']);
    assert.equal(skipped.sidecar, false);
    assert.match(skipped.sidecarReason, /skips outbound port 6000/);
  });

  it('external destinations: an ExternalName Service and an EgressNetwork route are SNAT\'d at the node; an in-cluster ExternalName is not', async () => {
    const { result, rows, explained } = await run('externalname-and-egressnetwork.yaml');
    assert.deepEqual(rows.map((r) => r.split(' | ').slice(0, 5).join(' | ')), [
      'shop → httpbin.org:80 | 1×pooled + 4×pooled | 0 | 0 | node (SNAT)',
      'shop → ledger.shop.svc.cluster.local:80 | 1×pooled + 3×pooled + 3×pooled | 0 | 0 | pod',
      'shop → stripe.shop.svc.cluster.local:80 | 1×pooled + 3×pooled | 0 | 0 | node (SNAT)',
    ]);
    const byHost = new Map(result.routes.map((r) => [r.host, r]));
    for (const host of ['httpbin.org', 'stripe.shop.svc.cluster.local']) {
      const leg = byHost.get(host)!.legs[1]!;
      assert.deepEqual([leg.budget, leg.snat], ['node', true], host);
    }
    assert.deepEqual(byHost.get('ledger.shop.svc.cluster.local')!.legs[1]!.snat, false);
    assert.match(explained, /note: Service shop\/stripe is type ExternalName: cluster DNS answers with a CNAME to api\.stripe\.com/);
    // Annotation retries have no budget: reported for the external hosts only.
    assert.deepEqual(ids(result.findings, 'retry-budget-missing'), [22, 65]);
    assert.deepEqual(ids(result.findings, 'route-not-attached'), [], 'an EgressNetwork parent is a Linkerd parent, not an unattached route');
  });

  it('an EgressNetwork route without hostnames stands for the whole network', () => {
    const model = modelFromYaml(docs('apiVersion: policy.linkerd.io/v1beta3\nkind: HTTPRoute\nmetadata: { name: all, namespace: shop, annotations: { retry.linkerd.io/limit: "1" } }\nspec:\n  parentRefs: [{ name: egress, kind: EgressNetwork, group: policy.linkerd.io }]\n  rules: [{}]\n'));
    const routes = linkerdTraffic(model).routes;
    assert.deepEqual(routes.map((r) => [r.service, r.retryPolicy?.attempts.value]), [['egressnetwork/shop/egress', 1]]);
    assert.equal(model.isExternal('egressnetwork/shop/egress'), true);
  });

  it('Istio and Linkerd in one input: each namespace keeps its own data plane', async () => {
    const { result } = await run('mixed-istio-and-linkerd.yaml');
    const istio = result.routes.find((r) => r.clientNamespace === 'istio-apps')!;
    const linkerd = result.routes.find((r) => r.clientNamespace === 'linkerd-apps')!;
    assert.deepEqual(istio.legs.map((l) => l.dataPlane), ['none', 'sidecar']);
    assert.deepEqual(linkerd.legs.map((l) => l.dataPlane), ['none', 'linkerd-proxy', 'linkerd-proxy']);
    assert.equal(istio.legs[1]!.tries, 3);
    assert.equal(linkerd.legs[1]!.tries, 2);
    assert.deepEqual(ids(result.findings, 'retries-implicit-default'), [30], 'only the Istio route');
  });

  it('injection: the pod annotation wins over the namespace; disabled means no proxy', () => {
    const model = modelFromYaml(
      docs(
        'apiVersion: v1\nkind: Namespace\nmetadata: { name: n, annotations: { linkerd.io/inject: enabled } }\n',
        'apiVersion: apps/v1\nkind: Deployment\nmetadata: { name: off, namespace: n }\nspec: { template: { metadata: { annotations: { linkerd.io/inject: disabled } }, spec: { containers: [] } } }\n',
        'apiVersion: apps/v1\nkind: Deployment\nmetadata: { name: on, namespace: n }\nspec: { template: { metadata: { annotations: { config.alpha.linkerd.io/proxy-enable-native-sidecar: "true" } }, spec: { containers: [] } } }\n',
        'apiVersion: apps/v1\nkind: Deployment\nmetadata: { name: edge, namespace: other }\nspec: { template: { metadata: { annotations: { linkerd.io/inject: ingress } }, spec: { containers: [] } } }\n',
      ),
    );
    const byName = new Map(model.workloads.map((w) => [w.object.ref.name, w]));
    assert.equal(byName.get('off')!.linkerd?.mode, 'disabled');
    assert.notEqual(byName.get('off')!.sidecarReason.startsWith('Linkerd'), true);
    assert.equal(byName.get('on')!.sidecar, true);
    assert.equal(byName.get('on')!.sidecarReason, 'Linkerd proxy: namespace n annotation linkerd.io/inject=enabled');
    assert.equal(byName.get('edge')!.linkerd?.mode, 'ingress');
    assert.equal(byName.get('edge')!.sidecar, true);
  });
});
