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
import type { RetryPolicy, TraceItem } from '../../traffic.js';
import { traceAt } from '../../trace.js';
import { asNumber, asRecord, asString, dig, parseDurationSeconds } from '../../values.js';
import { serviceNamespaceOfHost } from '../../hosts.js';
import { declaredPort, servicePortProtocol } from '../workloads/ports.js';

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
  // A retries block without retryOn keeps Istio's default conditions (retry.go ConvertPolicy starts from DefaultPolicy).
  policy.retryOn = retryOn !== undefined ? { value: retryOn, at: { object: vs, path: [...routePath, 'retries', 'retryOn'] } } : { value: model.settings.istio.defaultRetry.retryOn };
  if (perTry !== undefined) policy.perTryTimeout = { value: perTry, object: vs, path: [...routePath, 'retries', 'perTryTimeout'] };
  return policy;
}

/**
 * The mesh default retry policy, for a route with no `retries` block (`why` says which):
 * `meshConfig.defaultHttpRetryPolicy` when the mesh config sets one (its `attempts`, 0 when unset, and its
 * `retryOn` over Istio's conditions: istio/istio `retry.go`, `ConvertPolicy`), else the default of the modelled
 * Istio release (2 retries on `connect-failure,refused-stream,unavailable,cancelled,retriable-status-codes`,
 * 503 among the retriable codes before 1.24; `adapters/istio/versions.ts`). `at` is the object and field the
 * route is defined by.
 */
export function defaultRetryPolicy(model: MeshModel, object: ManifestObject, path: FieldPath, why: string, scope: RetryScope): RetryPolicy {
  const istio = model.settings.istio;
  const mesh = model.settings.defaultHttpRetryPolicy;
  if (mesh) {
    const n = model.settings.defaultRetryAttempts;
    const retryOn = asString(mesh.value.retryOn);
    return {
      route: { object, path },
      ...scope,
      attempts: { value: n, default: true, trace: traceAt(`${why}: meshConfig.defaultHttpRetryPolicy applies: ${n} retries${retryOn ? ` on ${retryOn}` : ` on ${istio.defaultRetry.retryOn}`}`, mesh.object, mesh.path) },
      retryOn: retryOn ? { value: retryOn, at: { object: mesh.object, path: [...mesh.path, 'retryOn'] } } : { value: istio.defaultRetry.retryOn },
    };
  }
  const n = model.settings.defaultRetryAttempts;
  const text = n === istio.defaultRetry.attempts ? istio.defaultRetry.text : `${n} retries (mesh settings)`;
  return { route: { object, path }, ...scope, attempts: { value: n, default: true, trace: traceAt(`${why}: ${text}`, object, path) }, retryOn: { value: istio.defaultRetry.retryOn } };
}

/**
 * The inbound retries of the receiving sidecar for an HTTP request to `host:port` (Istio ≥ 1.24, or 1.23 with
 * `ENABLE_INBOUND_RETRY_POLICY=true`: `reset-before-request`, 2 retries, istio/istio `route.go`
 * `BuildDefaultHTTPInboundRoute`). Undefined when the release has none, the destination is outside the mesh
 * (no receiving sidecar: MESH_EXTERNAL, or a namespace without sidecars), or the port is gRPC (Istio skips it there).
 */
export function inboundRetriesFor(model: MeshModel, host: string, port: number | undefined): { attempts: number; retryOn: string; trace: TraceItem } | undefined {
  const inbound = model.settings.istio.inboundRetry;
  if (!inbound || model.isExternal(host)) return undefined;
  const namespace = serviceNamespaceOfHost(host, model.settings.clusterDomain);
  if (!namespace || model.namespaceSidecar(namespace).sidecar === false) return undefined;
  const declared = declaredPort(model, host, port);
  if (declared) {
    const raw = dig(declared.at.object.raw, ...declared.at.path);
    const protocol = (declared.at.object.ref.kind === 'Service' ? servicePortProtocol(raw) : asString(dig(raw, 'protocol')))?.toLowerCase();
    if (protocol === 'grpc' || protocol === 'grpc-web') return undefined;
  }
  return { attempts: inbound.attempts, retryOn: inbound.retryOn, trace: { text: `${inbound.text}: up to ${1 + inbound.attempts} tries from the server's sidecar to its application per try that reaches it` } };
}
