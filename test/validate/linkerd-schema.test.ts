/**
 * Linkerd ServiceProfiles are validated against the schema generated from linkerd/linkerd2's CRD
 * (`schemas/linkerd/`, `scripts/generate-linkerd-schemas.ts`): a `schema-invalid` finding at the field.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { check } from '../../src/pipeline.js';
import { buildLinkerdSchemas } from '../../scripts/generate-linkerd-schemas.js';
import { ROOT } from '../helpers/paths.js';

async function schemaFindings(yaml: string) {
  const result = await check({ paths: ['-'], cwd: ROOT, defaultNamespace: 'default', stdin: () => Buffer.from(yaml) });
  return result.findings.filter((f) => f.ruleId === 'schema-invalid').map((f) => `${f.location.line}:${f.location.column} ${f.message}`);
}

const PROFILE = `apiVersion: linkerd.io/v1alpha2
kind: ServiceProfile
metadata: { name: web.shop.svc.cluster.local, namespace: shop }
spec:
  retryBudget: { retryRatio: 0.2, minRetriesPerSecond: 10, ttl: 10s }
  routes:
  - name: GET /
    condition: { method: GET, pathRegex: / }
    isRetryable: true
    timeout: 1s
`;

describe('Linkerd ServiceProfile schema', () => {
  it('a valid profile has no finding (v1alpha2 and v1alpha1)', async () => {
    assert.deepEqual(await schemaFindings(PROFILE), []);
    assert.deepEqual(await schemaFindings(PROFILE.replace('v1alpha2', 'v1alpha1')), []);
  });

  it('wrong types, a misspelt field and an incomplete retryBudget are reported at their lines', async () => {
    const bad = PROFILE.replace('retryRatio: 0.2, minRetriesPerSecond: 10, ttl: 10s', 'retryRatio: lots, ttl: 10s').replace('isRetryable: true', 'isRetryable: "yes"').replace('timeout: 1s', 'timout: 1s');
    assert.deepEqual(await schemaFindings(bad), [
      '5:3 ServiceProfile shop/web.shop.svc.cluster.local: spec.retryBudget is missing required field "minRetriesPerSecond"',
      '5:18 ServiceProfile shop/web.shop.svc.cluster.local: spec.retryBudget.retryRatio must be number',
      '9:5 ServiceProfile shop/web.shop.svc.cluster.local: spec.routes[0].isRetryable must be boolean',
      '10:5 ServiceProfile shop/web.shop.svc.cluster.local: unknown field "timout" in spec.routes[0]',
    ]);
  });

  it('an unserved version is reported at apiVersion', async () => {
    assert.deepEqual(await schemaFindings(PROFILE.replace('v1alpha2', 'v1beta9')), ['1:1 ServiceProfile is not served in linkerd.io/v1beta9 (Linkerd serves it in linkerd.io/v1alpha2 and v1alpha1)']);
  });
});

const EGRESS = `apiVersion: policy.linkerd.io/v1alpha1
kind: EgressNetwork
metadata: { name: internet, namespace: linkerd-egress }
spec:
  trafficPolicy: Allow
  networks:
  - cidr: 0.0.0.0/0
    except: [10.0.0.0/8]
`;

describe('Linkerd policy.linkerd.io schemas', () => {
  it('a valid EgressNetwork has no finding', async () => {
    assert.deepEqual(await schemaFindings(EGRESS), []);
  });

  it('EgressNetwork: a value outside the enum, a misspelt field, a missing required field, an unserved version', async () => {
    const bad = EGRESS.replace('trafficPolicy: Allow', 'trafficPolicy: allow').replace('except:', 'exept:');
    assert.deepEqual(await schemaFindings(bad), [
      '5:3 EgressNetwork linkerd-egress/internet: spec.trafficPolicy must be one of Allow, Deny',
      '8:5 EgressNetwork linkerd-egress/internet: unknown field "exept" in spec.networks[0]',
    ]);
    assert.deepEqual(await schemaFindings(EGRESS.replace('  trafficPolicy: Allow\n', '')), ['4:1 EgressNetwork linkerd-egress/internet: spec is missing required field "trafficPolicy"']);
    assert.deepEqual(await schemaFindings(EGRESS.replace('v1alpha1', 'v1beta1')), ['1:1 EgressNetwork is not served in policy.linkerd.io/v1beta1 (Linkerd serves it in policy.linkerd.io/v1alpha1)']);
  });

  it('an unknown policy.linkerd.io kind is not validated', async () => {
    assert.deepEqual(await schemaFindings('apiVersion: policy.linkerd.io/v1beta3\nkind: Server\nmetadata: { name: s, namespace: shop }\nspec: { bogus: 1 }\n'), []);
  });
});

const ROUTE = `apiVersion: policy.linkerd.io/v1beta3
kind: HTTPRoute
metadata: { name: web-canary, namespace: shop }
spec:
  parentRefs:
  - name: web
    kind: Service
    group: core
    port: 8080
  rules:
  - matches:
    - path: { type: PathPrefix, value: /api }
      headers:
      - name: x-canary
        value: "true"
      method: GET
    filters:
    - type: RequestHeaderModifier
      requestHeaderModifier:
        set: [{ name: x-route, value: canary }]
    backendRefs:
    - name: web-v2
      port: 8080
      weight: 10
    - name: web-v1
      port: 8080
      weight: 90
    timeouts: { request: 5s, backendRequest: 2s }
`;

describe('Linkerd policy.linkerd.io HTTPRoute schemas (v1beta3, v1beta2, v1beta1, v1alpha1)', () => {
  it('a valid route has no finding', async () => {
    assert.deepEqual(await schemaFindings(ROUTE), []);
  });

  it('a misspelt field under rules[].matches, a port of the wrong type and an unknown filter type are reported at their lines', async () => {
    const bad = ROUTE.replace('      method: GET', '      methods: GET').replace('    port: 8080\n  rules', '    port: "8080"\n  rules').replace('    - type: RequestHeaderModifier', '    - type: RequestMirror');
    assert.deepEqual(await schemaFindings(bad), [
      '9:5 HTTPRoute shop/web-canary: spec.parentRefs[0].port must be integer',
      '16:7 HTTPRoute shop/web-canary: unknown field "methods" in spec.rules[0].matches[0]',
      '18:7 HTTPRoute shop/web-canary: spec.rules[0].filters[0].type must be one of RequestHeaderModifier, RequestRedirect',
    ]);
  });

  it('near misses: a path type outside the enum, a port out of range, a header name with a space, ResponseHeaderModifier only on backendRefs', async () => {
    const bad = ROUTE.replace('type: PathPrefix, value: /api', 'type: Prefix, value: /api').replace('      port: 8080\n      weight: 10', '      port: 70000\n      weight: 10').replace('name: x-canary', 'name: x canary').replace('    - type: RequestHeaderModifier\n      requestHeaderModifier:', '    - type: ResponseHeaderModifier\n      responseHeaderModifier:');
    const found = await schemaFindings(bad);
    assert.deepEqual(found, [
      '12:15 HTTPRoute shop/web-canary: spec.rules[0].matches[0].path.type must be one of Exact, PathPrefix, RegularExpression',
      "14:9 HTTPRoute shop/web-canary: spec.rules[0].matches[0].headers[0].name must match the pattern ^[A-Za-z0-9!#$%&'*+\\-.^_\\x60|~]+$",
      '18:7 HTTPRoute shop/web-canary: spec.rules[0].filters[0].type must be one of RequestHeaderModifier, RequestRedirect',
      '19:7 HTTPRoute shop/web-canary: unknown field "responseHeaderModifier" in spec.rules[0].filters[0]',
      '23:7 HTTPRoute shop/web-canary: spec.rules[0].backendRefs[0].port must be <= 65535',
    ]);
    // On a backendRef, ResponseHeaderModifier is in the enum (the CRD lists it there).
    const onBackend = ROUTE.replace('      weight: 90\n', '      weight: 90\n      filters:\n      - type: ResponseHeaderModifier\n        responseHeaderModifier: { remove: [x-internal] }\n');
    assert.deepEqual(await schemaFindings(onBackend), []);
  });

  it('v1beta2: the same schema without rules[].timeouts (Linkerd added timeouts in v1beta3)', async () => {
    const v1beta2 = ROUTE.replace('v1beta3', 'v1beta2');
    assert.deepEqual(await schemaFindings(v1beta2.replace('    timeouts: { request: 5s, backendRequest: 2s }\n', '')), []);
    assert.deepEqual(await schemaFindings(v1beta2), ['28:5 HTTPRoute shop/web-canary: unknown field "timeouts" in spec.rules[0]']);
    assert.deepEqual(await schemaFindings(v1beta2.replace('      method: GET', '      methods: GET')), [
      '16:7 HTTPRoute shop/web-canary: unknown field "methods" in spec.rules[0].matches[0]',
      '28:5 HTTPRoute shop/web-canary: unknown field "timeouts" in spec.rules[0]',
    ]);
  });

  it('v1beta1: no timeouts, a parentRefs port without bounds, backendRefs of name, port, namespace and filters only', async () => {
    const v1beta1 = ROUTE.replace('v1beta3', 'v1beta1').replace('    timeouts: { request: 5s, backendRequest: 2s }\n', '').replace(/      weight: \d+\n/g, '');
    assert.deepEqual(await schemaFindings(v1beta1), []);
    // v1beta1 puts no bound on parentRefs[].port (v1beta2 and v1beta3 do: 1..65535).
    assert.deepEqual(await schemaFindings(v1beta1.replace('    port: 8080\n  rules', '    port: 70000\n  rules')), []);
    assert.deepEqual(await schemaFindings(ROUTE.replace('    port: 8080\n  rules', '    port: 70000\n  rules')), ['9:5 HTTPRoute shop/web-canary: spec.parentRefs[0].port must be <= 65535']);
    assert.deepEqual(await schemaFindings(ROUTE.replace('v1beta3', 'v1beta1').replace('    timeouts: { request: 5s, backendRequest: 2s }\n', '')), [
      '24:7 HTTPRoute shop/web-canary: unknown field "weight" in spec.rules[0].backendRefs[0]',
      '27:7 HTTPRoute shop/web-canary: unknown field "weight" in spec.rules[0].backendRefs[1]',
    ]);
    assert.deepEqual(await schemaFindings(v1beta1.replace('      method: GET', '      methods: GET')), ['16:7 HTTPRoute shop/web-canary: unknown field "methods" in spec.rules[0].matches[0]']);
  });

  it('v1alpha1 has the v1beta1 schema; a version Linkerd does not serve is reported at apiVersion', async () => {
    const v1alpha1 = ROUTE.replace('v1beta3', 'v1alpha1').replace('    timeouts: { request: 5s, backendRequest: 2s }\n', '').replace(/      weight: \d+\n/g, '');
    assert.deepEqual(await schemaFindings(v1alpha1), []);
    assert.deepEqual(await schemaFindings(v1alpha1.replace('      method: GET', '      methods: GET')), ['16:7 HTTPRoute shop/web-canary: unknown field "methods" in spec.rules[0].matches[0]']);
    assert.deepEqual(await schemaFindings(ROUTE.replace('v1beta3', 'v1')), ['1:1 HTTPRoute is not served in policy.linkerd.io/v1 (Linkerd serves it in policy.linkerd.io/v1alpha1, policy.linkerd.io/v1beta1, policy.linkerd.io/v1beta2, policy.linkerd.io/v1beta3)']);
  });
});

describe('generate-linkerd-schemas', () => {
  it('drops Helm template lines, keeps served versions of the wanted kinds, closes objects', () => {
    const template = `apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: serviceprofiles.linkerd.io
  labels:
    helm.sh/chart: {{ .Chart.Name }}
spec:
  group: linkerd.io
  names: { kind: ServiceProfile }
  versions:
  - name: v1alpha2
    served: true
    schema: { openAPIV3Schema: { type: object, properties: { spec: { type: object, properties: { routes: { type: array, items: { type: object, description: x, properties: { name: { type: string } } } } } } } } }
  - name: v1alpha0
    served: false
    schema: { openAPIV3Schema: { type: object, properties: {} } }
---
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata: { name: servers.policy.linkerd.io }
spec: { group: policy.linkerd.io, names: { kind: Server }, versions: [] }
`;
    const schemas = buildLinkerdSchemas(template, { path: 'charts/x.yaml', commit: '0'.repeat(40) });
    assert.deepEqual(schemas.map((s) => s.fileName), ['linkerd.io_v1alpha2_ServiceProfile.json']);
    const spec = (schemas[0]!.schema.properties as Record<string, Record<string, unknown>>).spec!;
    const item = ((spec.properties as Record<string, Record<string, unknown>>).routes!.items as Record<string, unknown>);
    assert.equal(item.additionalProperties, false);
    assert.equal(item.description, undefined);
    assert.match(String(schemas[0]!.schema.$comment), /charts\/x\.yaml at commit 0{40}/);
  });
});
