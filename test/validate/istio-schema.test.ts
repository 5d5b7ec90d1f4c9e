import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { loadAll } from 'js-yaml';
import {
  buildIstioSchemas,
  emptyStats,
  factorRepeatedSubschemas,
  serializeSchema,
  translateSchema,
  type JsonSchema,
} from '../../scripts/generate-istio-schemas.js';
import { hasIstioSchema, validateIstioObject } from '../../src/validate/istio-schema.js';

/** Repository root: this file runs as dist/test/validate/istio-schema.test.js. */
const repoRoot = fileURLToPath(new URL('../../../', import.meta.url));
const schemaDir = path.join(repoRoot, 'schemas', 'istio');
/** The shared corpus sits beside the repository (CI checks out ../shared). */
const istioCorpus = path.join(repoRoot, '..', 'shared', 'corpus', 'istio');
const crdFile = path.join(istioCorpus, 'manifests', 'charts', 'base', 'files', 'crd-all.gen.yaml');
const ISTIO_COMMIT = '86c9f01fd735fb01d8192f5bcaf0d424afb7f14c';

const VERSIONS = ['v1', 'v1beta1', 'v1alpha3'] as const;
const KINDS = ['DestinationRule', 'VirtualService', 'ServiceEntry', 'Sidecar', 'Gateway'] as const;

function object(kind: string, spec: unknown, version = 'v1'): Record<string, unknown> {
  return { apiVersion: `networking.istio.io/${version}`, kind, metadata: { name: 'x', namespace: 'default', labels: { app: 'x' } }, spec };
}

function validate(o: Record<string, unknown>) {
  return validateIstioObject(String(o.apiVersion), String(o.kind), o);
}

const VALID_SPECS: Record<(typeof KINDS)[number], unknown> = {
  DestinationRule: {
    host: 'reviews.prod.svc.cluster.local',
    exportTo: ['.'],
    trafficPolicy: {
      connectionPool: {
        tcp: { maxConnections: 100, connectTimeout: '30ms', tcpKeepalive: { time: '7200s', interval: '75s' } },
        http: { http1MaxPendingRequests: 1024, maxRequestsPerConnection: 10, idleTimeout: '60s', h2UpgradePolicy: 'UPGRADE' },
      },
      loadBalancer: { consistentHash: { httpCookie: { name: 'user', ttl: '0s' }, minimumRingSize: 1024 } },
      outlierDetection: { consecutive5xxErrors: 7, interval: '5m', baseEjectionTime: '15m', maxEjectionPercent: 50 },
      tls: { mode: 'ISTIO_MUTUAL' },
      portLevelSettings: [{ port: { number: 80 }, loadBalancer: { simple: 'LEAST_REQUEST' } }],
    },
    subsets: [
      { name: 'v1', labels: { version: 'v1' } },
      { name: 'v2', labels: { version: 'v2' }, trafficPolicy: { loadBalancer: { simple: 'ROUND_ROBIN' } } },
    ],
  },
  VirtualService: {
    hosts: ['reviews'],
    gateways: ['mesh'],
    http: [
      {
        name: 'v2-route',
        match: [{ uri: { prefix: '/api' }, headers: { 'end-user': { exact: 'jason' } }, ignoreUriCase: true }],
        route: [{ destination: { host: 'reviews', subset: 'v2', port: { number: 9080 } }, weight: 100 }],
        retries: { attempts: 3, perTryTimeout: '2s', retryOn: 'gateway-error,connect-failure' },
        timeout: '10s',
        headers: { request: { set: { 'x-a': 'b' } }, response: { remove: ['x-c'] } },
        fault: { delay: { percentage: { value: 0.1 }, fixedDelay: '5s' } },
      },
      { directResponse: { status: 503, body: { bytes: 'aGVsbG8=' } } },
    ],
    tcp: [{ match: [{ port: 27017 }], route: [{ destination: { host: 'mongo.backup.svc.cluster.local', port: { number: 5555 } } }] }],
  },
  ServiceEntry: {
    hosts: ['api.example.com'],
    location: 'MESH_EXTERNAL',
    ports: [
      { number: 443, name: 'https', protocol: 'TLS' },
      { number: 80, name: 'http', protocol: 'HTTP', targetPort: 8080 },
    ],
    resolution: 'DNS',
    endpoints: [{ address: 'us.example.com', ports: { https: 8443 }, weight: 1 }],
  },
  Sidecar: {
    workloadSelector: { labels: { app: 'ratings' } },
    ingress: [{ port: { number: 9080, protocol: 'HTTP', name: 'somename' }, defaultEndpoint: 'unix:///var/run/someuds.sock' }],
    egress: [{ hosts: ['./*', 'istio-system/*'] }],
    outboundTrafficPolicy: { mode: 'REGISTRY_ONLY' },
  },
  Gateway: {
    selector: { istio: 'ingressgateway' },
    servers: [
      { port: { number: 80, name: 'http', protocol: 'HTTP' }, hosts: ['*'], tls: { httpsRedirect: true } },
      { port: { number: 443, name: 'https', protocol: 'HTTPS' }, hosts: ['ns1/*.example.com'], tls: { mode: 'SIMPLE', credentialName: 'cert' } },
    ],
  },
};

describe('validateIstioObject: valid objects', () => {
  for (const version of VERSIONS) {
    for (const kind of KINDS) {
      it(`accepts a valid ${kind} in networking.istio.io/${version}`, () => {
        assert.deepEqual(validate(object(kind, VALID_SPECS[kind], version)), []);
      });
    }
  }

  it('accepts an object with status and unknown metadata fields (neither is checked)', () => {
    const o: Record<string, unknown> = { ...object('Gateway', VALID_SPECS.Gateway), status: { anything: [1] } };
    (o.metadata as Record<string, unknown>).annotations = { 'a/b': 'c' };
    assert.deepEqual(validate(o), []);
  });

  it('accepts null in a non-nullable object field, as the API server prunes it', () => {
    assert.deepEqual(validate(object('DestinationRule', { host: 'a', trafficPolicy: null })), []);
  });
});

describe('validateIstioObject: issues', () => {
  it('reports a wrong type at the field, naming it', () => {
    const o = object('DestinationRule', { host: 'a', trafficPolicy: { connectionPool: { http: { maxRequestsPerConnection: '1' } } } });
    assert.deepEqual(validate(o), [
      {
        path: ['spec', 'trafficPolicy', 'connectionPool', 'http', 'maxRequestsPerConnection'],
        message: 'spec.trafficPolicy.connectionPool.http.maxRequestsPerConnection must be integer',
      },
    ]);
  });

  it('reports an unknown field (typo) at the unknown key', () => {
    const o = object('DestinationRule', { host: 'a', trafficPolicy: { connectionPool: { http: { maxRequestPerConnection: 1 } } } });
    assert.deepEqual(validate(o), [
      {
        path: ['spec', 'trafficPolicy', 'connectionPool', 'http', 'maxRequestPerConnection'],
        message: 'unknown field "maxRequestPerConnection" in spec.trafficPolicy.connectionPool.http',
      },
    ]);
  });

  it('reports an unknown top-level field', () => {
    const o = { ...object('Gateway', VALID_SPECS.Gateway), sepc: {} };
    assert.deepEqual(validate(o), [{ path: ['sepc'], message: 'unknown field "sepc" at the top level of the object' }]);
  });

  it('reports a bad enum value with the values the CRD allows', () => {
    const o = object('ServiceEntry', { hosts: ['a.example.com'], resolution: 'DNS_RR' });
    assert.deepEqual(validate(o), [
      { path: ['spec', 'resolution'], message: 'spec.resolution must be one of NONE, STATIC, DNS, DNS_ROUND_ROBIN, DYNAMIC_DNS' },
    ]);
  });

  it('reports a missing required field at the parent object', () => {
    assert.deepEqual(validate(object('ServiceEntry', { resolution: 'DNS' })), [{ path: ['spec'], message: 'spec is missing required field "hosts"' }]);
    assert.deepEqual(validate({ apiVersion: 'networking.istio.io/v1', kind: 'ServiceEntry', metadata: { name: 'x' } }), [
      { path: [], message: 'missing required field "spec"' },
    ]);
    // A required field given as null is pruned by the API server, so it is missing.
    assert.deepEqual(validate(object('ServiceEntry', { hosts: null })), [{ path: ['spec'], message: 'spec is missing required field "hosts"' }]);
  });

  it('merges several missing required fields of one object into one issue', () => {
    const o = object('ServiceEntry', { hosts: ['a'], ports: [{ protocol: 'TCP' }] });
    assert.deepEqual(validate(o), [{ path: ['spec', 'ports', 0], message: 'spec.ports[0] is missing required fields "number", "name"' }]);
  });

  it('collapses the oneOf branches of a protobuf oneof into one issue at the object', () => {
    const o = object('DestinationRule', { host: 'a', trafficPolicy: { loadBalancer: { simple: 'ROUND_ROBIN', consistentHash: { useSourceIp: true } } } });
    assert.deepEqual(validate(o), [
      {
        path: ['spec', 'trafficPolicy', 'loadBalancer'],
        message: 'spec.trafficPolicy.loadBalancer may set only one of simple, consistentHash, backendUtilization (found simple and consistentHash)',
      },
    ]);
  });

  it('reports a wrong type once, not once per oneOf branch', () => {
    const o = object('VirtualService', { hosts: ['a'], http: [{ match: [{ uri: 'prefix:/api' }] }] });
    assert.deepEqual(validate(o), [{ path: ['spec', 'http', 0, 'match', 0, 'uri'], message: 'spec.http[0].match[0].uri must be object' }]);
  });

  it('keeps a list index (number) apart from a map key that looks like one (string)', () => {
    const o = object('DestinationRule', { host: 'a', subsets: [{ name: 'v1', labels: { '0': 1 } }] });
    const issues = validate(o);
    assert.deepEqual(issues, [{ path: ['spec', 'subsets', 0, 'labels', '0'], message: 'spec.subsets[0].labels["0"] must be string' }]);
    assert.equal(typeof issues![0]!.path[2], 'number');
    assert.equal(typeof issues![0]!.path[4], 'string');
  });

  it('unescapes JSON-pointer segments in map keys', () => {
    const o = object('Sidecar', { workloadSelector: { labels: { 'app.kubernetes.io/name~x': 5 } } });
    assert.deepEqual(validate(o), [
      { path: ['spec', 'workloadSelector', 'labels', 'app.kubernetes.io/name~x'], message: 'spec.workloadSelector.labels["app.kubernetes.io/name~x"] must be string' },
    ]);
  });

  it('reports the same shared block at each place it is used, with that place as the path', () => {
    const o = object('DestinationRule', {
      host: 'a',
      trafficPolicy: { tls: { mode: 'STRICT' } },
      subsets: [{ name: 'v1', trafficPolicy: { tls: { mode: 'STRICT' } } }],
    });
    assert.deepEqual(validate(o), [
      { path: ['spec', 'trafficPolicy', 'tls', 'mode'], message: 'spec.trafficPolicy.tls.mode must be one of DISABLE, SIMPLE, MUTUAL, ISTIO_MUTUAL' },
      { path: ['spec', 'subsets', 0, 'trafficPolicy', 'tls', 'mode'], message: 'spec.subsets[0].trafficPolicy.tls.mode must be one of DISABLE, SIMPLE, MUTUAL, ISTIO_MUTUAL' },
    ]);
  });

  it('reports a repeated list-map key (x-kubernetes-list-type: map) at the later item', () => {
    const o = object('ServiceEntry', {
      hosts: ['a'],
      ports: [
        { number: 80, name: 'http' },
        { number: 8080, name: 'http' },
      ],
    });
    assert.deepEqual(validate(o), [{ path: ['spec', 'ports', 1], message: 'spec.ports[1] repeats name "http" of spec.ports[0]; spec.ports is keyed by name' }]);
  });

  it('reports null as a list item (only object fields are pruned)', () => {
    assert.deepEqual(validate(object('DestinationRule', { host: 'a', subsets: [null] })), [{ path: ['spec', 'subsets', 0], message: 'spec.subsets[0] must be object' }]);
  });

  it('checks int32 range and base64 (format byte)', () => {
    const dr = object('DestinationRule', { host: 'a', trafficPolicy: { connectionPool: { http: { maxRequestsPerConnection: 2 ** 31 } } } });
    assert.deepEqual(validate(dr), [
      {
        path: ['spec', 'trafficPolicy', 'connectionPool', 'http', 'maxRequestsPerConnection'],
        message: 'spec.trafficPolicy.connectionPool.http.maxRequestsPerConnection must be a 32-bit integer (-2147483648 to 2147483647)',
      },
    ]);
    const vs = object('VirtualService', { hosts: ['a'], http: [{ directResponse: { status: 200, body: { bytes: 'not base64!' } } }] });
    assert.deepEqual(validate(vs), [
      { path: ['spec', 'http', 0, 'directResponse', 'body', 'bytes'], message: 'spec.http[0].directResponse.body.bytes must be base64-encoded (format byte)' },
    ]);
  });

  it('checks numeric bounds (uint32 in the CRD; the 1-65535 port rule is CEL and not checked)', () => {
    const port = (number: number) => object('Gateway', { servers: [{ port: { number, name: 'x', protocol: 'HTTP' }, hosts: ['*'] }] });
    assert.deepEqual(validate(port(-1)), [{ path: ['spec', 'servers', 0, 'port', 'number'], message: 'spec.servers[0].port.number must be >= 0' }]);
    assert.deepEqual(validate(port(70000)), []);
  });

  it('rejects a non-object', () => {
    assert.deepEqual(validateIstioObject('networking.istio.io/v1', 'Gateway', 'x'), [{ path: [], message: 'the object must be object' }]);
  });
});

describe('hasIstioSchema / unknown kinds', () => {
  it('returns null and false for kinds without a schema', () => {
    assert.equal(validateIstioObject('networking.istio.io/v1', 'EnvoyFilter', {}), null, 'EnvoyFilter is served as v1alpha3 only');
    assert.equal(validateIstioObject('networking.istio.io/v1alpha3', 'WorkloadEntry', {}), null);
    assert.equal(validateIstioObject('networking.istio.io/v2', 'DestinationRule', {}), null);
    assert.equal(validateIstioObject('security.istio.io/v1', 'AuthorizationPolicy', {}), null);
    assert.equal(validateIstioObject('apps/v1', 'Deployment', {}), null);
    assert.equal(validateIstioObject('networking.istio.io/v1', 'destinationrule', {}), null);
    assert.equal(hasIstioSchema('gateway.networking.k8s.io/v1', 'Gateway'), false);
  });

  it('has a schema for each kind in v1, v1beta1 and v1alpha3', () => {
    for (const version of VERSIONS) for (const kind of KINDS) assert.equal(hasIstioSchema(`networking.istio.io/${version}`, kind), true, `${kind} ${version}`);
  });

  it('loads no ajv compiler on import, hasIstioSchema, or validating with the build’s precompiled validators', () => {
    const module = new URL('../../src/validate/istio-schema.js', import.meta.url).href;
    const script = `
      import { createRequire } from 'node:module';
      const m = await import(${JSON.stringify(module)});
      const require = createRequire(${JSON.stringify(module)});
      const loaded = () => Object.keys(require.cache).some((k) => k.includes('/node_modules/ajv/dist/ajv.js'));
      m.hasIstioSchema('networking.istio.io/v1', 'Gateway');
      const before = loaded();
      m.validateIstioObject('networking.istio.io/v1', 'Gateway', { spec: {} });
      console.log(JSON.stringify({ before, after: loaded() }));`;
    const run = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' });
    assert.equal(run.status, 0, run.stderr);
    assert.deepEqual(JSON.parse(run.stdout), { before: false, after: false });
  });
});

describe('EnvoyFilter (networking.istio.io/v1alpha3)', () => {
  const filter = (patch: Record<string, unknown>) => ({ spec: { configPatches: [patch] } });

  it('accepts a CLUSTER MERGE whose patch value is any Envoy configuration (a Struct)', () => {
    const valid = filter({
      applyTo: 'CLUSTER',
      match: { context: 'SIDECAR_OUTBOUND', cluster: { service: 'reviews.shop.svc.cluster.local', portNumber: 9080, subset: 'v1' } },
      patch: { operation: 'MERGE', value: { typed_extension_protocol_options: { 'envoy.extensions.upstreams.http.v3.HttpProtocolOptions': { common_http_protocol_options: { idle_timeout: '5s' } } } } },
    });
    assert.deepEqual(validateIstioObject('networking.istio.io/v1alpha3', 'EnvoyFilter', valid), []);
  });

  it('reports an unknown match field, a context or operation Istio does not know', () => {
    const paths = (patch: Record<string, unknown>) => validateIstioObject('networking.istio.io/v1alpha3', 'EnvoyFilter', filter(patch))!.map((i) => i.path.join('.'));
    assert.deepEqual(paths({ applyTo: 'CLUSTER', match: { cluster: { serviceName: 'reviews' } }, patch: { operation: 'MERGE' } }), ['spec.configPatches.0.match.cluster.serviceName']);
    assert.ok(paths({ applyTo: 'CLUSTER', match: { context: 'OUTBOUND' }, patch: { operation: 'MERGE' } }).includes('spec.configPatches.0.match.context'));
    assert.ok(paths({ applyTo: 'CLUSTER', patch: { operation: 'UPSERT' } }).includes('spec.configPatches.0.patch.operation'));
  });
});

describe('generated schema files', () => {
  const files = readdirSync(schemaDir).filter((f) => f.endsWith('.json'));

  it('has one file per kind and version, naming source and commit in $comment', () => {
    assert.equal(files.length, KINDS.length * VERSIONS.length + 1, 'plus EnvoyFilter v1alpha3');
    for (const file of files) {
      const schema = JSON.parse(readFileSync(path.join(schemaDir, file), 'utf8')) as JsonSchema;
      assert.equal(Object.keys(schema)[0], '$comment', file);
      assert.match(String(schema.$comment), new RegExp(`manifests/charts/base/files/crd-all\\.gen\\.yaml at commit ${ISTIO_COMMIT}`), file);
    }
  });

  it('are valid JSON Schema that ajv compiles in strict mode', () => {
    const require = createRequire(import.meta.url);
    const { Ajv } = require('ajv') as typeof import('ajv');
    const addFormats = (require('ajv-formats') as typeof import('ajv-formats')).default;
    for (const file of files) {
      const ajv = new Ajv({ strict: true, strictTypes: false, strictRequired: false, allErrors: true, inlineRefs: false });
      addFormats(ajv, ['int32', 'int64', 'float', 'double', 'date-time', 'byte']);
      ajv.addKeyword({ keyword: 'x-kubernetes-list-map-keys', type: 'array', schemaType: 'array', validate: () => true });
      assert.doesNotThrow(() => ajv.compile(JSON.parse(readFileSync(path.join(schemaDir, file), 'utf8'))), file);
    }
  });

  it('are what the generator produces from the CRDs (regenerate if this fails)', (t) => {
    if (!existsSync(crdFile)) {
      t.skip(`Istio CRDs not found at ${crdFile} (../shared is absent)`);
      return;
    }
    const generated = buildIstioSchemas(readFileSync(crdFile, 'utf8'), { file: 'manifests/charts/base/files/crd-all.gen.yaml', commit: ISTIO_COMMIT });
    assert.equal(generated.length, files.length);
    for (const g of generated) assert.equal(serializeSchema(g.schema), readFileSync(path.join(schemaDir, g.fileName), 'utf8'), g.fileName);
  });
});

describe('generator translation', () => {
  it('translates x-kubernetes-int-or-string to integer-or-string, accepting both', () => {
    // None of the networking kinds has an int-or-string field in spec (only status.observedGeneration), so the
    // translation is checked on its own.
    const translated = translateSchema(
      {
        type: 'object',
        properties: { port: { 'x-kubernetes-int-or-string': true, anyOf: [{ type: 'integer' }, { type: 'string' }], description: 'x' } },
      },
      emptyStats(),
    );
    assert.deepEqual(translated, { type: 'object', properties: { port: { type: ['integer', 'string'] } }, additionalProperties: false });
    const require = createRequire(import.meta.url);
    const { Ajv } = require('ajv') as typeof import('ajv');
    const check = new Ajv({ allErrors: true }).compile(translated);
    assert.equal(check({ port: 8080 }), true);
    assert.equal(check({ port: 'http' }), true);
    assert.equal(check({ port: true }), false);
    assert.equal(check({ port: 1.5 }), false);
  });

  it('leaves preserve-unknown-fields objects open, closes others, and counts dropped CEL rules', () => {
    const stats = emptyStats();
    const translated = translateSchema(
      {
        type: 'object',
        properties: {
          open: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true, properties: { a: { type: 'string' } } },
          any: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true },
          flag: { type: 'boolean', nullable: true },
        },
        'x-kubernetes-validations': [{ rule: 'has(self.open)', message: 'open is required' }],
      },
      stats,
    );
    assert.deepEqual(translated, {
      type: 'object',
      properties: {
        open: { type: 'object', properties: { a: { type: 'string' } } },
        any: { type: 'object' },
        flag: { type: ['boolean', 'null'] },
      },
      additionalProperties: false,
    });
    assert.equal(stats.celRules, 1);
    assert.deepEqual(stats.celMessages, { 'open is required': 1 });
  });

  it('refuses schema keywords it does not know', () => {
    assert.throws(() => translateSchema({ type: 'object', 'x-kubernetes-new-thing': true }, emptyStats()), /unsupported schema keyword "x-kubernetes-new-thing"/);
  });

  it('factors repeated subschemas into definitions without changing what they mean', () => {
    const block = { type: 'object', properties: { a: { type: 'string', enum: ['x', 'y', 'z'] }, b: { type: 'integer', format: 'int32' } }, additionalProperties: false };
    const schema: JsonSchema = { type: 'object', properties: { one: block, list: { type: 'array', items: { type: 'object', properties: { two: block }, additionalProperties: false } } } };
    const factored = factorRepeatedSubschemas(schema, 50);
    assert.deepEqual(Object.keys(factored.definitions as object), ['one']);
    assert.deepEqual(factored.properties, {
      one: { $ref: '#/definitions/one' },
      list: { type: 'array', items: { type: 'object', properties: { two: { $ref: '#/definitions/one' } }, additionalProperties: false } },
    });
    const expand = (node: unknown): unknown => {
      if (Array.isArray(node)) return node.map(expand);
      if (typeof node !== 'object' || node === null) return node;
      const record = node as Record<string, unknown>;
      if (typeof record.$ref === 'string') return expand((factored.definitions as Record<string, unknown>)[record.$ref.slice('#/definitions/'.length)]);
      return Object.fromEntries(Object.entries(record).filter(([k]) => k !== 'definitions').map(([k, v]) => [k, expand(v)]));
    };
    assert.deepEqual(expand(factored), schema);
  });
});

describe('Istio samples', () => {
  const samples = path.join(istioCorpus, 'samples');

  it('validates every networking object in istio/samples without issues', (t) => {
    if (!existsSync(samples)) {
      t.skip(`Istio samples not found at ${samples} (../shared is absent)`);
      return;
    }
    const found: string[] = [];
    const problems: string[] = [];
    for (const relative of readdirSync(samples, { recursive: true, encoding: 'utf8' }).sort()) {
      if (!/\.ya?ml$/.test(relative)) continue;
      let documents: unknown[];
      try {
        documents = loadAll(readFileSync(path.join(samples, relative), 'utf8'));
      } catch {
        continue; // Helm templates that are not YAML until rendered
      }
      for (const document of documents) {
        if (typeof document !== 'object' || document === null) continue;
        const { apiVersion, kind } = document as Record<string, unknown>;
        if (typeof apiVersion !== 'string' || typeof kind !== 'string' || !hasIstioSchema(apiVersion, kind)) continue;
        found.push(`${relative} ${kind}`);
        const issues = validateIstioObject(apiVersion, kind, document);
        if (issues!.length > 0) problems.push(`${relative} ${kind}: ${issues!.map((i) => i.message).join('; ')}`);
      }
    }
    assert.ok(found.length >= 60, `expected at least 60 networking objects in samples, found ${found.length}`);
    assert.ok(found.some((f) => f.startsWith('bookinfo/networking/destination-rule-all.yaml DestinationRule')));
    assert.deepEqual(problems, []);
  });
});
