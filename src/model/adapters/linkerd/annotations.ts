/**
 * Linkerd 2.16+ retry and timeout annotations on a Service, HTTPRoute or GRPCRoute → a {@link RetryPolicy} and a
 * route timeout. As the policy controller parses them (linkerd/linkerd2
 * `policy-controller/k8s/index/src/outbound/index/http.rs`, `parse_http_retry`; `grpc.rs`, `parse_grpc_retry`):
 *
 * - retries are on when any of `retry.linkerd.io/limit` (non-zero), `retry.linkerd.io/timeout` (non-zero) or the
 *   conditions (`retry.linkerd.io/http`: codes, ranges `500-504`, `5xx`, `gateway-error`; `retry.linkerd.io/grpc`:
 *   `cancelled`, `deadline-exceeded`, `internal`, `resource-exhausted`, `unavailable`) is written;
 * - `retry.linkerd.io/limit` is retries per request, default 1; there is no retry budget, only this count
 *   (Linkerd 2.16 retries reference); requests with a body over 64 KiB are not retried;
 * - `timeout.linkerd.io/request` bounds the whole request including retries; `…/response` and `…/idle` bound a
 *   response and an idle stream (Linkerd 2.16 timeouts reference).
 *
 * Route annotations override the parent Service's: when a route carries any `retry.linkerd.io/*` annotation, none of
 * the Service's apply to it (the same for `timeout.linkerd.io/*`).
 */
import type { ManifestObject } from '../../../load/objects.js';
import type { FieldPath } from '../../../types.js';
import type { RetryPolicy, Sourced, TraceItem } from '../../traffic.js';
import { traceAt } from '../../trace.js';
import { parseDurationSeconds } from '../../values.js';
import { annotationsOf } from './injection.js';

/** Prefix of Linkerd's retry annotations. */
export const RETRY_PREFIX = 'retry.linkerd.io/';
/** Prefix of Linkerd's timeout annotations. */
export const TIMEOUT_PREFIX = 'timeout.linkerd.io/';
/** Retries per request when `retry.linkerd.io/limit` is absent (Linkerd 2.16 retries reference; `http.rs`, `limit.unwrap_or(1)`). */
export const LINKERD_DEFAULT_RETRY_LIMIT = 1;
/** Why annotation retries are unbudgeted: a per-request count is all Linkerd reads (Linkerd 2.16 retries reference). */
export const ANNOTATION_RETRIES_UNBUDGETED = 'retry.linkerd.io annotations set a per-request limit only: Linkerd applies no retry budget to them (Linkerd 2.16 retries reference), so under failure every request becomes up to 1 + limit requests';

/** The path of an annotation in an object. */
export function annotationPath(key: string): FieldPath {
  return ['metadata', 'annotations', key];
}

/** The annotations of `object` with a prefix, as written. */
export function prefixed(object: ManifestObject, prefix: string): string[] {
  return Object.keys(annotationsOf(object.raw)).filter((k) => k.startsWith(prefix));
}

/**
 * The retry policy the `retry.linkerd.io/*` annotations of `object` define, or undefined when they enable no
 * retries. `route` is the route field the policy is reported at; `grpc` reads `retry.linkerd.io/grpc` instead of
 * `…/http` (a GRPCRoute; a Service carries both: the HTTP conditions are used here, the gRPC ones named in `retryOn`).
 */
export function annotationRetryPolicy(object: ManifestObject, route: { object: ManifestObject; path: FieldPath }, scope: { clientNamespace: string; host: string }, grpc = false): RetryPolicy | undefined {
  const a = annotationsOf(object.raw);
  const limitText = a[`${RETRY_PREFIX}limit`];
  const limit = limitText !== undefined && /^\d+$/.test(limitText.trim()) ? Number(limitText) : undefined;
  const timeout = parseDurationSeconds(a[`${RETRY_PREFIX}timeout`]);
  const conditionKeys = grpc ? [`${RETRY_PREFIX}grpc`] : [`${RETRY_PREFIX}http`, `${RETRY_PREFIX}grpc`];
  const conditionKey = conditionKeys.find((k) => a[k] !== undefined);
  const on = (limit !== undefined && limit > 0) || (timeout !== undefined && timeout > 0) || conditionKey !== undefined;
  if (!on) return undefined;
  const attempts = limit !== undefined && limit > 0 ? limit : LINKERD_DEFAULT_RETRY_LIMIT;
  const limitPath = annotationPath(`${RETRY_PREFIX}limit`);
  const policy: RetryPolicy = {
    route,
    ...scope,
    attempts:
      limit !== undefined && limit > 0
        ? { value: attempts, default: false, trace: traceAt(`${RETRY_PREFIX}limit: ${limit} retries per request (Linkerd proxy, client side)`, object, limitPath), at: { object, path: limitPath } }
        : { value: attempts, default: false, trace: traceAt(`retry.linkerd.io annotations without ${RETRY_PREFIX}limit: Linkerd retries ${LINKERD_DEFAULT_RETRY_LIMIT} time per request`, object, annotationPath(conditionKey ?? `${RETRY_PREFIX}timeout`)) },
    ...(conditionKey ? { retryOn: { value: a[conditionKey]!, at: { object, path: annotationPath(conditionKey) } } } : {}),
    block: { object, path: ['metadata', 'annotations'] },
    perTryTimeoutAt: { object, path: annotationPath(`${RETRY_PREFIX}timeout`) },
    unbudgeted: ANNOTATION_RETRIES_UNBUDGETED,
  };
  if (timeout !== undefined && timeout > 0) policy.perTryTimeout = { value: timeout, object, path: annotationPath(`${RETRY_PREFIX}timeout`) };
  return policy;
}

/** `timeout.linkerd.io/request` of `object` in seconds (the whole request, retries included), when written and non-zero. */
export function annotationTimeout(object: ManifestObject): Sourced<number> | undefined {
  const path = annotationPath(`${TIMEOUT_PREFIX}request`);
  const value = parseDurationSeconds(annotationsOf(object.raw)[`${TIMEOUT_PREFIX}request`]);
  return value !== undefined && value > 0 ? { value, object, path } : undefined;
}

/**
 * Linkerd's timeouts of a route, in seconds (Linkerd 2.16 timeouts reference; parsed by the policy controller,
 * linkerd/linkerd2 `policy-controller/k8s/index/src/outbound/index/http.rs`): `request`, the whole request-response
 * stream including retries (`timeout.linkerd.io/request`, a policy.linkerd.io HTTPRoute's `timeouts.request`, a
 * ServiceProfile route's `timeout`); `response`, one backend response in flight (`timeout.linkerd.io/response`);
 * `idle`, a stream with no frames either way, whatever its state (`timeout.linkerd.io/idle`).
 */
export interface LinkerdTimeouts {
  request?: Sourced<number>;
  response?: Sourced<number>;
  idle?: Sourced<number>;
  /** Timeout fields written on the route that the client proxy does not apply, each with why: shown on the leg so explain says why they are absent. */
  unapplied?: UnappliedTimeout[];
}

/**
 * A route timeout field (seconds, non-zero) that Linkerd does not hand to the client proxy: a `policy.linkerd.io`
 * HTTPRoute's `timeouts.backendRequest`, its `timeouts.request` under a `timeout.linkerd.io/request` annotation, or
 * a Gateway API HTTPRoute's `timeouts` (linkerd/linkerd2 `policy-controller/k8s/index/src/outbound/index/http.rs`).
 */
export interface UnappliedTimeout {
  timeout: Sourced<number>;
  /** Why the proxy does not apply it, with the source. */
  reason: string;
}

/** `timeout.linkerd.io/response` and `timeout.linkerd.io/idle` of `object`, each when written and non-zero. */
export function annotationStreamTimeouts(object: ManifestObject): Pick<LinkerdTimeouts, 'response' | 'idle'> {
  const out: Pick<LinkerdTimeouts, 'response' | 'idle'> = {};
  for (const kind of ['response', 'idle'] as const) {
    const path = annotationPath(`${TIMEOUT_PREFIX}${kind}`);
    const value = parseDurationSeconds(annotationsOf(object.raw)[`${TIMEOUT_PREFIX}${kind}`]);
    if (value !== undefined && value > 0) out[kind] = { value, object, path };
  }
  return out;
}

/**
 * What a Linkerd route's timeouts do to the client proxy's connections, as `explain` lines on its leg to the
 * destination. A timeout that fires fails the request with 504 and is not retried (only `retry.linkerd.io/timeout`
 * is a retryable, per-try timeout: Linkerd 2.16 timeouts and retries references), so timeouts never add tries. On
 * meshed HTTP/2 between proxies the expired request's stream is reset and the pooled connection stays; on an
 * HTTP/1.1 connection (an unmeshed or external destination) a response cannot be abandoned without closing the
 * connection (RFC 9112, connection management), so each expiry costs the proxy one new connection, whose port then
 * waits in TIME_WAIT (the proxy closed first). The multiplier counts requests that complete: pooled.
 */
export function linkerdTimeoutTrace(timeouts: LinkerdTimeouts, leg: { http: boolean; meshed: boolean }): TraceItem[] {
  if (!leg.http) return [];
  const effect = leg.meshed
    ? 'on expiry the HTTP/2 stream is reset and the pooled connection between proxies stays'
    : 'on expiry the proxy closes its HTTP/1.1 connection to the destination: one new connection (and one port in TIME_WAIT) per expired request';
  const what = {
    request: 'the whole request, retries included, is failed with 504 after',
    response: 'a backend response still in flight is failed with 504 after',
    idle: 'a stream with no frames either way is failed after',
  } as const;
  const out: TraceItem[] = [];
  for (const kind of ['request', 'response', 'idle'] as const) {
    const t = timeouts[kind];
    if (!t) continue;
    const field = t.path.at(-1);
    out.push(traceAt(`${typeof field === 'string' && field.includes('/') ? field : t.path.join('.')}: ${what[kind]} ${t.value}s, not retried; ${effect} (Linkerd 2.16 timeouts reference)`, t.object, t.path));
  }
  for (const { timeout: t, reason } of timeouts.unapplied ?? []) {
    out.push(traceAt(`${t.path.join('.')}: ${t.value}s is not applied by the client proxy (no effect on this leg's tries or connections): ${reason}`, t.object, t.path));
  }
  return out;
}
