import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { linkCallSites, servicePortProtocol } from '../../src/model/link.js';
import { computeMultipliers } from '../../src/model/build-traffic.js';
import type { AppCallSite } from '../../src/source/types.js';
import { dedent, docs, modelFromYaml } from '../helpers/model.js';

const site = (over: Partial<AppCallSite>): AppCallSite => ({
  file: 'src/app.js',
  line: 10,
  column: 3,
  language: 'javascript',
  clientPerRequest: false,
  keepAliveOff: false,
  appTries: 1,
  evidence: 'fetch()',
  ...over,
});

const SERVICES = docs(
  dedent(`
    apiVersion: v1
    kind: Service
    metadata: {name: reviews, namespace: prod}
    spec:
      ports:
      - {name: http-web, port: 9080}
      - {name: grpc, port: 9090}
      - {name: tls-admin, port: 9443}
      - {port: 7000}
  `),
  dedent(`
    apiVersion: v1
    kind: Service
    metadata: {name: reviews, namespace: staging}
    spec:
      ports:
      - {name: http, port: 9080}
  `),
  dedent(`
    apiVersion: v1
    kind: Service
    metadata: {name: orders-db, namespace: prod}
    spec:
      ports:
      - {name: tcp-postgres, port: 5432}
  `),
  dedent(`
    apiVersion: apps/v1
    kind: Deployment
    metadata: {name: frontend, namespace: web}
    spec:
      template:
        metadata:
          labels: {app: frontend, sidecar.istio.io/inject: "false"}
  `),
);

describe('linking call sites to mesh hosts', () => {
  const model = modelFromYaml(SERVICES);

  it('resolves a short name in the configured namespace, else in every namespace that has it', () => {
    const configured = linkCallSites(model, [site({ host: 'reviews', port: 9080, scheme: 'http', workload: { name: 'x', namespace: 'staging' } })]);
    assert.deepEqual(configured.links.map((l) => [l.host, l.clientNamespace, l.assumedNamespace]), [['reviews.staging.svc.cluster.local', 'staging', false]]);
    const unknown = linkCallSites(model, [site({ host: 'reviews', port: 9080, scheme: 'http' })]);
    assert.deepEqual(unknown.links.map((l) => [l.host, l.clientNamespace, l.assumedNamespace]).sort(), [
      ['reviews.prod.svc.cluster.local', 'prod', true],
      ['reviews.staging.svc.cluster.local', 'staging', true],
    ]);
  });

  it('follows the DNS search path for name.namespace and name.namespace.svc', () => {
    for (const host of ['reviews.prod', 'reviews.prod.svc', 'reviews.prod.svc.cluster.local']) {
      const { links } = linkCallSites(model, [site({ host, port: 9080, scheme: 'http' })]);
      assert.deepEqual(links.map((l) => l.host), ['reviews.prod.svc.cluster.local'], host);
    }
  });

  it('takes the protocol from the Service port (appProtocol / name prefix); unnamed ports follow the call', () => {
    const proto = (port: number, scheme?: 'http' | 'https') => linkCallSites(model, [site({ host: 'reviews.prod', port, scheme })]).links[0]!;
    assert.equal(proto(9080, 'http').protocol, 'http');
    assert.equal(proto(9090, 'http').protocol, 'http', 'grpc is HTTP/2 to the sidecar');
    assert.equal(proto(9443, 'http').protocol, 'tcp', 'tls-admin: opaque');
    assert.equal(proto(7000, 'http').protocol, 'http', 'unnamed port, plain HTTP call: sniffed as HTTP');
    assert.equal(proto(9080, 'https').protocol, 'tcp', 'https:// from the app is opaque TLS whatever the port says');
    assert.equal(linkCallSites(model, [site({ host: 'orders-db.prod', port: 5432 })]).links[0]!.protocol, 'tcp');
    assert.equal(servicePortProtocol({ name: 'http2-x', appProtocol: 'grpc' }), 'grpc', 'appProtocol wins over the name');
    assert.equal(servicePortProtocol({ name: 'web' }), undefined);
  });

  it('sends an undeclared port to PassthroughCluster and leaves unknown or dynamic hosts unlinked', () => {
    const { links, unlinked } = linkCallSites(model, [
      site({ host: 'reviews.prod', port: 1234, scheme: 'http' }),
      site({ host: 'nowhere.example.com', port: 443, scheme: 'https' }),
      site({ evidence: 'fetch(); destination from $API_URL (not in envHosts)' }),
      site({ host: 'ghost', port: 80, scheme: 'http' }),
    ]);
    assert.deepEqual(links.map((l) => [l.host, l.passthrough]), [['reviews.prod.svc.cluster.local', true]]);
    assert.equal(unlinked.length, 3);
    assert.match(unlinked.map((u) => u.reason).join('\n'), /not in the input[\s\S]*envHosts[\s\S]*short host name "ghost"/);
  });

  it('uses the mapped workload: its namespace and its sidecar decision', () => {
    const [row] = computeMultipliers(model, { callSites: [site({ host: 'reviews.prod', port: 9080, scheme: 'http', clientPerRequest: true, workload: { name: 'frontend' } })] });
    assert.equal(row!.clientNamespace, 'web');
    assert.equal(row!.sidecar, false, 'the frontend pod opts out of injection');
    assert.deepEqual(row!.legs.map((l) => [l.name, l.tries, l.connectionsPerTry]), [['app → reviews.prod.svc.cluster.local', 1, 1]]);
  });
});

describe('call sites in the multiplier', () => {
  const yaml = docs(
    dedent(`
      apiVersion: networking.istio.io/v1
      kind: ServiceEntry
      metadata: {name: ext, namespace: egress}
      spec:
        hosts: [api.example.com]
        ports:
        - {number: 80, name: http, protocol: HTTP}
        - {number: 443, name: tls, protocol: TLS}
    `),
    dedent(`
      apiVersion: networking.istio.io/v1
      kind: VirtualService
      metadata: {name: ext, namespace: egress}
      spec:
        hosts: [api.example.com]
        http:
        - match: [{port: 80}]
          route: [{destination: {host: api.example.com}}]
          retries: {attempts: 4}
    `),
    dedent(`
      apiVersion: networking.istio.io/v1
      kind: DestinationRule
      metadata: {name: ext, namespace: egress}
      spec:
        host: api.example.com
        trafficPolicy:
          connectionPool:
            http: {maxRequestsPerConnection: 1}
    `),
  );
  const model = modelFromYaml(yaml);

  it('joins the row of its namespace: one row per call site, so the worst one is never hidden', () => {
    const worst = site({ host: 'api.example.com', port: 80, scheme: 'http', line: 7, keepAliveOff: true, appTries: 2, evidence: 'agent: false' });
    const pooled = site({ host: 'api.example.com', port: 80, scheme: 'http', line: 3 });
    for (const callSites of [[pooled, worst], [worst, pooled], [worst]]) {
      const rows = computeMultipliers(model, { callSites });
      assert.equal(rows.length, callSites.length, 'a row per (route, call site)');
      const row = rows.find((r) => r.appLeg?.line === 7)!;
      assert.deepEqual(row.legs.map((l) => [l.tries, l.connectionsPerTry]), [[2, 1], [10, 1]]);
      assert.equal(row.total, 12);
      assert.equal(Math.max(...rows.map((r) => r.total)), 12, 'adding a pooled call site keeps the worst figure');
    }
    const other = computeMultipliers(model, { callSites: [pooled] });
    assert.equal(other[0]!.total, 5, 'near miss: the pooled call site alone is 1 try at the app, 5 at the sidecar');
  });

  it('gets a row of its own for another client namespace, through the VirtualService that namespace sees', () => {
    const rows = computeMultipliers(model, { callSites: [site({ host: 'api.example.com', port: 80, scheme: 'http', clientPerRequest: true, workload: { name: 'cart', namespace: 'shop' } })] });
    const shop = rows.find((r) => r.clientNamespace === 'shop')!;
    assert.ok(shop, rows.map((r) => r.clientNamespace).join());
    assert.deepEqual(shop.legs.map((l) => [l.tries, l.connectionsPerTry]), [[1, 1], [5, 1]]);
    assert.equal(rows.find((r) => r.clientNamespace === 'egress')!.appLeg, null, 'the VirtualService namespace’s own row stays unanalysed');
  });

  it('does not put HTTPS from the app on the HTTP route: TLS port, no sidecar retries, no maxRequestsPerConnection', () => {
    const rows = computeMultipliers(model, { callSites: [site({ host: 'api.example.com', port: 443, scheme: 'https', clientPerRequest: true, appTries: 3 })] });
    const tls = rows.find((r) => r.port === 443)!;
    assert.equal(tls.protocol, 'tcp');
    assert.deepEqual(tls.legs.map((l) => [l.tries, l.connectionsPerTry]), [[3, 1], [3, 1]]);
    assert.equal(rows.find((r) => r.port === undefined || r.protocol === 'http')!.appLeg, null);
  });

  it('reports the call sites it could not link', () => {
    const unlinked: string[] = [];
    computeMultipliers(model, { callSites: [site({ host: 'other.example.com', port: 443, scheme: 'https' })], onUnlinked: (u) => unlinked.push(u.reason) });
    assert.deepEqual(unlinked, ['host other.example.com is not in the input (no ServiceEntry, Service or VirtualService)']);
  });
});
