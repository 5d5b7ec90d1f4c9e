import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { describe, it } from 'node:test';
import { createIstioAjv, schemaDigest } from '../../src/validate/istio-schema.js';
import type { ErrorObject, ValidateFunction } from 'ajv';

const schemaDir = new URL('../../../schemas/istio/', import.meta.url);
const compiledDir = new URL('../../src/validate/compiled/', import.meta.url);
const require = createRequire(import.meta.url);

/** Objects that exercise types, enums, required fields, formats, oneOf, unknown fields and list-map keys. */
const SPECS: Record<string, unknown[]> = {
  DestinationRule: [
    { host: 'a', trafficPolicy: { connectionPool: { http: { maxRequestsPerConnection: '1', h2UpgradePolicy: 'SIDEWAYS' } } } },
    { host: 'a', trafficPolicy: { connectionPool: { http: { maxRequestsPerConnection: 2 ** 40 } } }, subsets: [{ labels: {} }, null] },
    { host: 'a', trafficPolicy: { loadBalancer: { simple: 'ROUND_ROBIN', consistentHash: { httpHeaderName: 'x' } } }, bogus: 1 },
  ],
  VirtualService: [
    { hosts: ['a'], http: [{ retries: { attempts: -1, perTryTimeout: 5 }, route: [{ destination: {} }] }] },
    { hosts: 'a', http: { route: [] } },
    { hosts: ['a'], http: [{ directResponse: { status: 200, body: { bytes: 'not base64!' } } }] },
  ],
  ServiceEntry: [
    { hosts: ['a'], ports: [{ number: 80, name: 'http' }, { number: 8080, name: 'http' }, { number: 81, name: 'http' }], location: 'MESH_OUTSIDE' },
    { hosts: [], resolution: 'DNS', ports: [{ number: 'eighty', name: 7 }] },
  ],
  Sidecar: [{ egress: [{ hosts: 'x' }], outboundTrafficPolicy: { mode: 'SOMETIMES' } }],
  Gateway: [{ servers: [{ port: { number: -1, name: 'x', protocol: 'HTTP' }, hosts: ['*'] }] }, { servers: 'all', selector: { app: 7 } }],
  EnvoyFilter: [{ configPatches: [{ applyTo: 'CLUSTERS', match: { context: 'OUTBOUND', cluster: { portNumber: -1 }, listener: {} }, patch: { operation: 'MERGE' } }] }],
};

function normalise(errors: readonly ErrorObject[] | null | undefined) {
  return (errors ?? []).map((e) => ({ instancePath: e.instancePath, schemaPath: e.schemaPath, keyword: e.keyword, params: e.params }));
}

describe('precompiled Istio validators (build step)', () => {
  const files = readdirSync(schemaDir).filter((f) => f.endsWith('.json'));

  it('exist for every schema and carry the digest of the schema text they were made from', () => {
    for (const file of files) {
      const mod = require(new URL(file.replace(/\.json$/, '.cjs'), compiledDir).pathname) as { default: unknown; schemaSha1: string };
      assert.equal(typeof mod.default, 'function', file);
      assert.equal(mod.schemaSha1, schemaDigest(readFileSync(new URL(file, schemaDir), 'utf8')), `${file}: stale, rebuild`);
    }
  });

  it('report exactly what ajv compiling the same schema at run time reports', () => {
    const ajv = createIstioAjv();
    let compared = 0;
    for (const file of files) {
      const kind = /_([A-Za-z]+)\.json$/.exec(file)![1]!;
      const version = /_(v1(?:alpha3|beta1)?)_/.exec(file)![1]!;
      const runtime = ajv.compile(JSON.parse(readFileSync(new URL(file, schemaDir), 'utf8')));
      const pre = (require(new URL(file.replace(/\.json$/, '.cjs'), compiledDir).pathname) as { default: ValidateFunction }).default;
      for (const spec of SPECS[kind] ?? []) {
        const object = { apiVersion: `networking.istio.io/${version}`, kind, metadata: { name: 'x' }, spec };
        assert.equal(pre(object), runtime(object), `${file} ${JSON.stringify(spec)}`);
        assert.deepEqual(normalise(pre.errors), normalise(runtime.errors), `${file} ${JSON.stringify(spec)}`);
        assert.ok((pre.errors ?? []).length > 0, `${file}: the case must be invalid to compare errors`);
        compared++;
      }
    }
    assert.equal(compared, files.reduce((n, f) => n + (SPECS[/_([A-Za-z]+)\.json$/.exec(f)![1]!]?.length ?? 0), 0));
    assert.ok(files.every((f) => SPECS[/_([A-Za-z]+)\.json$/.exec(f)![1]!]), 'a case for every kind');
  });
});
