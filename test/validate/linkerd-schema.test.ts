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

  it('a policy.linkerd.io HTTPRoute has no generated schema yet: read, never reported as unserved', async () => {
    const route = 'apiVersion: policy.linkerd.io/v1beta3\nkind: HTTPRoute\nmetadata: { name: r, namespace: shop }\nspec:\n  parentRefs: [{ name: web, kind: Service, group: core }]\n  rules: [{ bogus: 1 }]\n';
    assert.deepEqual(await schemaFindings(route), []);
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
