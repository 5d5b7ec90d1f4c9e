/**
 * Istio adapter: the retry policy of an HTTP route (istio/api `networking/v1alpha3/virtual_service.proto`,
 * `HTTPRetry`): `retries.attempts` retries, i.e. 1 + attempts tries; no `retries` block → the mesh default
 * (`meshConfig.defaultHttpRetryPolicy`, else Istio's 2 retries: istio/istio
 * `pilot/pkg/networking/core/route/retry/retry.go` `DefaultPolicy`); a `retries` block without `attempts`, or
 * `attempts: 0`, → none; a route with `fault` injection → none.
 *
 * This is where the retry default is decided: {@link defaultRetryPolicy}. Version-dependent semantics
 * (`--istio-version`: the 1.24 503 exclusion, inbound retries, `retryBudget`) plug in here.
 */
import type { ManifestObject } from '../../../load/objects.js';
import type { FieldPath } from '../../../types.js';
import type { MeshModel } from '../../mesh.js';
import type { RetryPolicy } from '../../traffic.js';
import { traceAt } from '../../trace.js';
import { asNumber, asRecord, asString, dig, parseDurationSeconds } from '../../values.js';

/** Who the policy is for: the client namespace and the host it calls. */
export interface RetryScope {
  clientNamespace: string;
  host: string;
}

/** The retry policy of the route at `routePath` (a VirtualService `spec.http[i]`) of `vs`. */
export function retryPolicyOf(model: MeshModel, vs: ManifestObject, routePath: FieldPath, scope: RetryScope): RetryPolicy {
  const route = asRecord(dig(vs.raw, ...routePath)) ?? {};
  const at = { object: vs, path: routePath };
  if (route.fault !== undefined) return { route: at, ...scope, attempts: { value: 0, default: false, trace: traceAt('fault injection on the route disables retries', vs, [...routePath, 'fault']) } };
  const retries = asRecord(route.retries);
  if (!retries) return defaultRetryPolicy(model, vs, routePath, 'no retries block', scope);
  const attempts = asNumber(retries.attempts);
  const retryOn = asString(retries.retryOn);
  const perTry = parseDurationSeconds(retries.perTryTimeout);
  const policy: RetryPolicy = {
    route: at,
    ...scope,
    attempts:
      attempts === undefined
        ? { value: 0, default: false, trace: traceAt('retries block without attempts: no retries', vs, [...routePath, 'retries']) }
        : { value: Math.max(0, attempts), default: false, trace: traceAt(`retries.attempts: ${attempts}`, vs, [...routePath, 'retries', 'attempts']), at: { object: vs, path: [...routePath, 'retries', 'attempts'] } },
    block: { object: vs, path: [...routePath, 'retries'] },
  };
  if (retryOn !== undefined) policy.retryOn = { value: retryOn, at: { object: vs, path: [...routePath, 'retries', 'retryOn'] } };
  if (perTry !== undefined) policy.perTryTimeout = { value: perTry, object: vs, path: [...routePath, 'retries', 'perTryTimeout'] };
  return policy;
}

/**
 * The mesh default retry policy, for a route with no `retries` block (`why` says which): `meshConfig.defaultHttpRetryPolicy.attempts`
 * when the mesh config sets it, else Istio's 2 retries. `at` is the object and field the route is defined by.
 */
export function defaultRetryPolicy(model: MeshModel, object: ManifestObject, path: FieldPath, why: string, scope: RetryScope): RetryPolicy {
  const n = model.settings.defaultRetryAttempts;
  return { route: { object, path }, ...scope, attempts: { value: n, default: true, trace: traceAt(`${why}: Istio's default of ${n} retries applies`, object, path) } };
}
