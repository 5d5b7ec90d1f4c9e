/**
 * The speed-ups of issue 7 must not change what the model answers: trace items whose `location` is resolved on
 * first read serialise exactly as eagerly built ones, and lookups kept per (namespace, host) or per (namespace,
 * port, addresses) still tell apart the questions whose answers differ. Inputs go through the real loaders.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { locate } from '../../src/load/objects.js';
import { computeMultipliers } from '../../src/model/build-traffic.js';
import { traceAt } from '../../src/model/trace.js';
import type { RouteMultiplier } from '../../src/model/traffic.js';
import { dedent, docs, modelFromYaml, objectsFromYaml } from '../helpers/model.js';

const vs = dedent(`
  apiVersion: networking.istio.io/v1
  kind: VirtualService
  metadata:
    name: reviews
    namespace: shop
  spec:
    hosts: [reviews]
    http:
    - retries:
        attempts: 4
      route:
      - destination:
          host: reviews
`);

describe('traceAt: a trace item whose location is resolved on first read', () => {
  it('serialises as { text, location } with the location locate() gives, keys in that order', () => {
    const [object] = objectsFromYaml(vs);
    const path = ['spec', 'http', 0, 'retries', 'attempts'];
    const eager = { text: 'retries.attempts: 4', location: locate(object, path) };
    const lazy = traceAt('retries.attempts: 4', object, path);
    assert.deepEqual(Object.keys(lazy), ['text', 'location']);
    assert.equal(JSON.stringify(lazy), JSON.stringify(eager));
    assert.equal(lazy.location?.line, 10);
    assert.deepEqual({ ...lazy }, eager);
  });

  it('becomes a plain data property once read, and can be overwritten', () => {
    const [object] = objectsFromYaml(vs);
    const lazy = traceAt('x', object, ['spec', 'hosts']);
    assert.equal(typeof Object.getOwnPropertyDescriptor(lazy, 'location')?.get, 'function');
    const first = lazy.location;
    const descriptor = Object.getOwnPropertyDescriptor(lazy, 'location');
    assert.equal(descriptor?.get, undefined);
    assert.equal(descriptor?.value, first);
    assert.equal(lazy.location, first, 'resolved once, then kept');
    lazy.location = { file: 'other.yaml', line: 3, column: 1 };
    assert.equal(lazy.location.file, 'other.yaml');
  });

  it('a multiplier row reports the retries line through the lazy item', () => {
    const model = modelFromYaml(vs);
    const row = computeMultipliers(model).find((r) => r.host === 'reviews.shop.svc.cluster.local');
    assert.ok(row);
    const retries = row.legs[1].trace[0];
    assert.equal(retries.text, 'retries.attempts: 4');
    assert.deepEqual(retries.location, locate(model.virtualServices[0], ['spec', 'http', 0, 'retries', 'attempts']));
  });
});

describe('lookups kept per question', () => {
  const deployment = dedent(`
    apiVersion: apps/v1
    kind: Deployment
    metadata:
      name: app
      namespace: shop
    spec:
      template:
        metadata:
          labels:
            app: app
          annotations:
            sidecar.istio.io/inject: "true"
            traffic.sidecar.istio.io/excludeOutboundIPRanges: 203.0.113.0/24
        spec:
          containers:
          - name: app
            image: app
  `);
  const entry = (name: string, host: string, address?: string) =>
    [
      'apiVersion: networking.istio.io/v1',
      'kind: ServiceEntry',
      'metadata:',
      `  name: ${name}`,
      '  namespace: shop',
      'spec:',
      `  hosts: [${host}]`,
      '  location: MESH_EXTERNAL',
      `  resolution: ${address ? 'STATIC' : 'DNS'}`,
      '  ports:',
      '  - number: 443',
      '    name: tls',
      '    protocol: TLS',
      ...(address ? ['  endpoints:', `  - address: ${address}`] : []),
    ].join('\n') + '\n';
  const rowFor = (rows: RouteMultiplier[], host: string) => {
    const row = rows.find((r) => r.host === host);
    assert.ok(row, `no row for ${host}`);
    return row;
  };

  it('two hosts of one namespace and port: the one at an excluded address bypasses the sidecar, the other does not', () => {
    const model = modelFromYaml(docs(deployment, entry('a', 'a.example.com', '203.0.113.7'), entry('b', 'b.example.com'), entry('c', 'c.example.com', '203.0.113.9')));
    const rows = computeMultipliers(model);
    assert.equal(rowFor(rows, 'a.example.com').sidecar, false);
    assert.match(rowFor(rows, 'a.example.com').sidecarReason, /excludes 203\.0\.113\.7/);
    assert.equal(rowFor(rows, 'b.example.com').sidecar, true, 'near miss: no address, same namespace and port');
    assert.match(rowFor(rows, 'c.example.com').sidecarReason, /excludes 203\.0\.113\.9/, 'another excluded address gets its own reason');
    // Asked again, in the other order, the answers stay the same.
    assert.equal(model.sidecarForCall('shop', 'b.example.com', 443).sidecar, true);
    assert.equal(model.sidecarForCall('shop', 'a.example.com', 443).sidecar, false);
  });

  it('destinationRuleFor: kept per (namespace, host); client labels are still matched per call', () => {
    const rule = (name: string, selector?: string) =>
      [
        'apiVersion: networking.istio.io/v1',
        'kind: DestinationRule',
        'metadata:',
        `  name: ${name}`,
        '  namespace: shop',
        'spec:',
        '  host: api.example.com',
        ...(selector ? ['  workloadSelector:', '    matchLabels:', `      app: ${selector}`] : []),
      ].join('\n') + '\n';
    const model = modelFromYaml(docs(entry('api', 'api.example.com'), rule('all'), rule('canary', 'canary')));
    assert.equal(model.destinationRuleFor('shop', 'api.example.com')?.primary.object.ref.name, 'all');
    assert.equal(model.destinationRuleFor('shop', 'api.example.com', { app: 'canary' })?.primary.object.ref.name, 'canary');
    assert.equal(model.destinationRuleFor('shop', 'api.example.com')?.primary.object.ref.name, 'all', 'a labelled call does not change the kept answer');
    assert.equal(model.destinationRuleFor('other', 'api.example.com')?.primary.object.ref.name, 'all', 'exported to other namespaces');
    assert.equal(model.destinationRuleFor('shop', 'web.example.com'), null, 'near miss: another host');
    assert.equal(model.isExternal('api.example.com'), true);
    assert.equal(model.isExternal('reviews.shop.svc.cluster.local'), false);
  });
});
