import type { ManifestObject, Origin } from '../load/objects.js';
import { locate, locateIn } from '../load/objects.js';
import type { Finding, Severity } from '../types.js';
import { validateIstioObject } from './istio-schema.js';
import { validateGatewayApiObject } from './gateway-api-schema.js';

/**
 * The validate stage: Istio networking objects against Istio's published CRD schemas, Gateway API objects against
 * `@kubernetes-models/gateway-api`, Linkerd ServiceProfiles, EgressNetworks and policy.linkerd.io HTTPRoutes
 * (v1beta3, v1beta2, v1beta1, v1alpha1) against Linkerd's CRD schemas, and documents that
 * are not mappings. Each problem is a `schema-invalid` finding at the offending field's line; the object
 * still goes on to the model, which reads what it can.
 */
export function validateObjects(objects: readonly ManifestObject[], notMappings: readonly { origin: Origin; got: string }[], severity: Severity): Finding[] {
  const findings: Finding[] = [];
  for (const { origin, got } of notMappings) {
    findings.push({ ruleId: 'schema-invalid', severity, message: `document is ${got}, not a mapping: a Kubernetes object must be a mapping with apiVersion and kind`, location: locateIn(origin, []) });
  }
  for (const object of objects) {
    if (object.group === 'gateway.networking.k8s.io' || object.group === 'gateway.networking.x-k8s.io') {
      for (const f of gatewayApiFindings(object, severity)) findings.push(f);
      continue;
    }
    if (object.group === 'policy.linkerd.io') {
      // EgressNetwork and HTTPRoute against the schemas generated from linkerd/linkerd2's CRDs (schemas/linkerd/).
      const issues = validateIstioObject(object.ref.apiVersion, object.ref.kind, object.raw);
      if (issues === null) {
        const unserved = linkerdPolicyUnserved(object.ref.kind, object.version);
        if (unserved !== undefined) findings.push({ ruleId: 'schema-invalid', severity, message: `${object.ref.kind} is not served in ${object.ref.apiVersion} (${unserved})`, location: locate(object, ['apiVersion']) });
      }
      for (const issue of issues ?? []) findings.push({ ruleId: 'schema-invalid', severity, message: `${object.ref.kind} ${object.ref.namespace}/${object.ref.name}: ${issue.message}`, location: locate(object, issue.path), value: issue.message });
      continue;
    }
    if (object.group === 'linkerd.io') {
      // ServiceProfile against the schema generated from linkerd/linkerd2's CRD (schemas/linkerd/).
      const issues = validateIstioObject(object.ref.apiVersion, object.ref.kind, object.raw);
      if (issues === null) findings.push({ ruleId: 'schema-invalid', severity, message: `${object.ref.kind} is not served in ${object.ref.apiVersion} (Linkerd serves it in linkerd.io/v1alpha2 and v1alpha1)`, location: locate(object, ['apiVersion']) });
      else for (const issue of issues) findings.push({ ruleId: 'schema-invalid', severity, message: `${object.ref.kind} ${object.ref.namespace}/${object.ref.name}: ${issue.message}`, location: locate(object, issue.path), value: issue.message });
      continue;
    }
    if (object.group !== 'networking.istio.io') continue;
    const issues = validateIstioObject(object.ref.apiVersion, object.ref.kind, object.raw);
    if (issues === null) {
      findings.push({ ruleId: 'schema-invalid', severity, message: `${object.ref.kind} is not served in ${object.ref.apiVersion} (Istio serves it in networking.istio.io/v1, v1beta1 and v1alpha3)`, location: locate(object, ['apiVersion']) });
      continue;
    }
    for (const issue of issues) {
      findings.push({ ruleId: 'schema-invalid', severity, message: `${object.ref.kind} ${object.ref.namespace}/${object.ref.name}: ${issue.message}`, location: locate(object, issue.path), value: issue.message });
    }
  }
  return findings;
}

/** `schema-invalid` findings of one Gateway API object, against `@kubernetes-models/gateway-api`'s validators. */
function gatewayApiFindings(object: ManifestObject, severity: Severity): Finding[] {
  const issues = validateGatewayApiObject(object.group, object.version, object.ref.kind, object.raw);
  if (issues === null) {
    return [{ ruleId: 'schema-invalid', severity, message: `${object.ref.kind} is not served in ${object.ref.apiVersion} (Gateway API schemas of @kubernetes-models/gateway-api 2.0.0)`, location: locate(object, ['apiVersion']) }];
  }
  return issues.map((issue) => ({ ruleId: 'schema-invalid', severity, message: `${object.ref.kind} ${object.ref.namespace ? `${object.ref.namespace}/` : ''}${object.ref.name}: ${issue.message}`, location: locate(object, issue.path), value: issue.message }));
}

/**
 * Served versions of the policy.linkerd.io kinds meshlint validates, from linkerd/linkerd2's CRDs at commit
 * 111fc98d7bef30c5a2e95502d8b0738aebfefab5 (`charts/linkerd-crds/templates/policy/egress-network.yaml`: v1alpha1;
 * `policy/httproute.yaml`: v1alpha1, v1beta1, v1beta2 and v1beta3, all `served: true`). Each has a generated schema
 * (schemas/linkerd/README.md); this list names the served versions when an object's version has none.
 */
const LINKERD_POLICY_SERVED: Readonly<Record<string, readonly string[]>> = { EgressNetwork: ['v1alpha1'], HTTPRoute: ['v1alpha1', 'v1beta1', 'v1beta2', 'v1beta3'] };

/**
 * Why a policy.linkerd.io object without a generated schema is not served, e.g. `Linkerd serves it in
 * policy.linkerd.io/v1alpha1`; undefined when its version is served (or the kind is not one meshlint validates).
 */
function linkerdPolicyUnserved(kind: string, version: string): string | undefined {
  const served = LINKERD_POLICY_SERVED[kind];
  if (served === undefined || served.includes(version)) return undefined;
  return `Linkerd serves it in ${served.map((v) => `policy.linkerd.io/${v}`).join(', ')}`;
}
