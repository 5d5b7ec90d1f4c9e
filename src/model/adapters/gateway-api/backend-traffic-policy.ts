/**
 * Gateway API adapter: `XBackendTrafficPolicy` (`gateway.networking.x-k8s.io/v1alpha1`) `retryConstraint` → the
 * retry budget of the Services it targets, as Istio converts it (istio/istio
 * `pilot/pkg/config/kube/gateway/backend_policies.go`, `BackendTrafficPolicyCollection` and
 * `DestinationRuleCollection`): istiod writes a DestinationRule `<service>~gateway` for each targeted Service
 * with `trafficPolicy.retryBudget`: `percent` = `retryConstraint.budget.percent` (unset: the DestinationRule
 * default, 20), `minRetryConcurrency` = `retryConstraint.minRetryRate.count`, or 10 ("Gateway API default")
 * when `minRetryRate` is unset. `budget.interval` is not converted ("TODO: add support for interval"). Only
 * `targetRefs` of kind Service are accepted; several policies on one Service: the oldest wins (input order here).
 * DestinationRule `retryBudget` exists from Istio 1.27 (istio/api#3512), so earlier releases apply none of it.
 */
import type { ManifestObject } from '../../../load/objects.js';
import type { MeshModel } from '../../mesh.js';
import type { Sourced } from '../../traffic.js';
import { asArray, asNumber, asString, dig } from '../../values.js';

/** `minRetryConcurrency` istiod writes when `retryConstraint.minRetryRate` is unset (backend_policies.go: "Gateway API default"). */
export const XBACKEND_DEFAULT_MIN_RETRY_CONCURRENCY = 10;

const index = new WeakMap<MeshModel, Map<string, Sourced<Record<string, unknown>>>>();

/**
 * The retry budget an XBackendTrafficPolicy gives `host` (a Service FQDN), in DestinationRule `retryBudget`
 * shape (`percent` %, `minRetryConcurrency` retries), sourced at the policy's `spec.retryConstraint`; undefined
 * when no policy with a `retryConstraint` targets the Service. Indexed once per model.
 */
export function backendTrafficPolicyBudget(model: MeshModel, host: string): Sourced<Record<string, unknown>> | undefined {
  let byHost = index.get(model);
  if (!byHost) {
    index.set(model, (byHost = new Map()));
    for (const o of model.gatewayApi) if (o.ref.kind === 'XBackendTrafficPolicy') addPolicy(model, o, byHost);
  }
  return byHost.get(host);
}

function addPolicy(model: MeshModel, policy: ManifestObject, byHost: Map<string, Sourced<Record<string, unknown>>>): void {
  const constraint = dig(policy.raw, 'spec', 'retryConstraint');
  if (constraint === undefined || constraint === null) return;
  const percent = asNumber(dig(constraint, 'budget', 'percent'));
  const minRetryConcurrency = asNumber(dig(constraint, 'minRetryRate', 'count')) ?? XBACKEND_DEFAULT_MIN_RETRY_CONCURRENCY;
  const budget: Sourced<Record<string, unknown>> = { value: { ...(percent !== undefined ? { percent } : {}), minRetryConcurrency }, object: policy, path: ['spec', 'retryConstraint'] };
  for (const ref of asArray(dig(policy.raw, 'spec', 'targetRefs'))) {
    const name = asString(dig(ref, 'name'));
    if (!name || asString(dig(ref, 'kind')) !== 'Service' || (asString(dig(ref, 'group')) ?? '') !== '') continue;
    const host = `${name}.${policy.ref.namespace}.svc.${model.settings.clusterDomain}`;
    if (!byHost.has(host)) byHost.set(host, budget);
  }
}
