/**
 * Which Istio release the input runs, and what that release does where meshlint's figures depend on it.
 *
 * The semantics are chosen by `--istio-version`, else `istio.version` of the configuration file, else the
 * version the input's own install objects name (an `IstioOperator` `spec.tag`, the `istio` ConfigMap's Helm
 * labels), else {@link NEWEST_MODELLED_ISTIO}. Each fact of {@link IstioSemantics} cites its primary source;
 * docs/istio-semantics.md lists them by version.
 */

/** A released Istio minor version, with the patch when the input gives one. */
export interface IstioVersion {
  major: number;
  minor: number;
  patch?: number;
}

/** Oldest release whose behaviour meshlint's table was checked against (the facts below hold from here on). */
export const OLDEST_MODELLED_ISTIO: IstioVersion = { major: 1, minor: 22 };
/** Newest release meshlint models; the default semantics. Istio 1.31 is the current release as of this table. */
export const NEWEST_MODELLED_ISTIO: IstioVersion = { major: 1, minor: 31 };

/**
 * Reads an Istio version as users and install objects write it: `1.24`, `1.24.3`, `v1.24.3`, an image tag
 * such as `1.24.3-distroless`, or a chart label `istiod-1.24.3`.
 * @returns the version, or `error`: one line saying what is wrong (for `--istio-version`, the configuration
 *   file, or a finding at the install object).
 */
export function parseIstioVersion(text: unknown): { version: IstioVersion } | { error: string } {
  if (typeof text === 'number' && Number.isFinite(text)) text = String(text);
  if (typeof text !== 'string') return { error: `an Istio version must be a string such as "1.24" (got ${text === null ? 'null' : typeof text})` };
  const trimmed = text.trim();
  // `istiod-1.24.3` (helm.sh/chart), `v1.24.3`, `1.24.3-distroless`, `1.24.0-rc.1`, `1.24.3+build`.
  const match = /^(?:[a-z][a-z-]*-)?v?(\d+)\.(\d+)(?:\.(\d+))?(?:[-+._][0-9A-Za-z.+-]*)?$/.exec(trimmed);
  if (!match) return { error: `"${trimmed}" is not an Istio version (expected MAJOR.MINOR or MAJOR.MINOR.PATCH, e.g. 1.24 or 1.24.3)` };
  const major = Number(match[1]);
  const minor = Number(match[2]);
  if (major !== 1) return { error: `"${trimmed}": meshlint models Istio 1.x releases (${formatIstioVersion(OLDEST_MODELLED_ISTIO)} to ${formatIstioVersion(NEWEST_MODELLED_ISTIO)})` };
  return { version: match[3] === undefined ? { major, minor } : { major, minor, patch: Number(match[3]) } };
}

/** `1.24` or `1.24.3`. */
export function formatIstioVersion(version: IstioVersion): string {
  return `${version.major}.${version.minor}${version.patch === undefined ? '' : `.${version.patch}`}`;
}

/** Negative, zero or positive as `a` is older than, the same minor release as, or newer than `b` (patches are not compared). */
export function compareIstioMinor(a: IstioVersion, b: IstioVersion): number {
  return a.major - b.major || a.minor - b.minor;
}

/** True when `version` is `major.minor` or newer. */
export function atLeast(version: IstioVersion, major: number, minor: number): boolean {
  return compareIstioMinor(version, { major, minor }) >= 0;
}

/**
 * istiod environment switches that change what meshlint models, as the install sets them (`values.pilot.env`
 * of an IstioOperator or Helm values, or the `compatibilityVersion` profile). Undefined: the release's default.
 */
export interface IstioFeatureFlags {
  /** `EXCLUDE_UNSAFE_503_FROM_DEFAULT_RETRY` (istio/istio `pilot/pkg/features/pilot.go`; default true since 1.24). */
  exclude503FromDefaultRetry?: boolean;
  /** `ENABLE_INBOUND_RETRY_POLICY` (istio/istio `pilot/pkg/features/pilot.go`; default false in 1.23, true since 1.24). */
  enableInboundRetryPolicy?: boolean;
}

/** Where the chosen version came from: the flag, the configuration file, an install object, or the default. */
export interface IstioVersionSource {
  /** e.g. `--istio-version 1.23`, `IstioOperator istio-system/installed-state spec.tag 1.24.3`. */
  text: string;
  kind: 'cli' | 'config' | 'input' | 'default';
}

/**
 * What one Istio release does where meshlint's figures depend on it. Every number carries its source.
 * Built by {@link istioSemantics}; read by the Istio adapter (default retries, inbound retries, `retryBudget`,
 * `meshConfig.defaultTrafficPolicy`) and shown in `explain` traces.
 */
export interface IstioSemantics {
  version: IstioVersion;
  source: IstioVersionSource;
  /** Notes about the choice (a version outside the modelled range, a compatibility profile that applied). */
  notes: string[];
  /**
   * The retry policy istiod gives an HTTP route with no `retries` block when the mesh config sets no
   * `defaultHttpRetryPolicy` (istio/istio `pilot/pkg/networking/core/route/retry/retry.go`, `defaultPolicy`).
   */
  defaultRetry: {
    /** `num_retries`: 2. */
    attempts: number;
    /** `retry_on`: `connect-failure,refused-stream,unavailable,cancelled,retriable-status-codes`. */
    retryOn: string;
    /** `retriable_status_codes`: `[503]` before 1.24 (or with `EXCLUDE_UNSAFE_503_FROM_DEFAULT_RETRY=false`), else none. */
    retriableStatusCodes: number[];
    /** One line for traces: what the default retries on in this release, and why. */
    text: string;
  };
  /**
   * The retry policy of the receiving sidecar's inbound route to its own application, when this release sets
   * one: `reset-before-request`, 2 retries (istio/istio `pilot/pkg/networking/core/route/route.go`,
   * `BuildDefaultHTTPInboundRoute`; not on gRPC ports). Undefined when off.
   */
  inboundRetry?: { attempts: number; retryOn: string; text: string };
  /** `DestinationRule` `trafficPolicy.retryBudget` exists (istio/api#3512, Istio 1.27). */
  retryBudgetField: boolean;
  /** `meshConfig.defaultTrafficPolicy` exists (istio/api#3720, istio/istio#60664; after 1.30). */
  meshDefaultTrafficPolicy: boolean;
  /**
   * The cluster circuit breaker's `max_retries` istiod writes when `connectionPool.http.maxRetries` is unset:
   * 2^32−1 (istio/istio `pilot/pkg/networking/core/cluster_traffic_policy.go`, `getDefaultCircuitBreakerThresholds`),
   * where Envoy's own default is 3 (envoy `api/envoy/config/cluster/v3/circuit_breaker.proto`, `Thresholds.max_retries`).
   */
  circuitBreakerMaxRetries: number;
  /**
   * A waypoint's route for a Service with no route of its own (no VirtualService or HTTPRoute) gets the mesh
   * default retry policy (`meshConfig.defaultHttpRetryPolicy`, else Istio's default) since 1.31 (istio/istio#60682,
   * PR #60683; 1.31.0 change notes). Before, the waypoint used the sidecar's inbound route: only
   * {@link inboundRetry} (`reset-before-request`, 2 retries, when this release has it), else no retries.
   */
  waypointMeshDefaultRetry: boolean;
}

/** 2^32−1: the "unlimited" istiod writes into every cluster's circuit-breaker thresholds (`math.MaxUint32`). */
export const ISTIO_UNLIMITED_THRESHOLD = 4294967295;
/** Envoy's `max_retries` when a cluster's thresholds leave it unset (envoy `circuit_breaker.proto`). */
export const ENVOY_DEFAULT_MAX_RETRIES = 3;
/** `retryBudget.percent` default, % of active plus pending requests (istio/api `destination_rule.proto`; Envoy `RetryBudget.budget_percent`). */
export const RETRY_BUDGET_DEFAULT_PERCENT = 20;
/** `retryBudget.minRetryConcurrency` default (istio/api `destination_rule.proto`; Envoy `RetryBudget.min_retry_concurrency`). */
export const RETRY_BUDGET_DEFAULT_MIN_CONCURRENCY = 3;
/** Retries of Istio's default route policy (`retry.go`, `NumRetries: 2`). */
export const ISTIO_DEFAULT_RETRY_ON = 'connect-failure,refused-stream,unavailable,cancelled,retriable-status-codes';

/**
 * Reads a feature-flag value as istiod's `env.Register` does for booleans (Go `strconv.ParseBool`: `1`, `t`,
 * `T`, `TRUE`, `true`, `True`, and the false forms); undefined for anything else.
 */
export function parseFlag(value: unknown): boolean | undefined {
  if (typeof value === 'boolean') return value;
  if (typeof value !== 'string') return undefined;
  if (['1', 't', 'T', 'TRUE', 'true', 'True'].includes(value.trim())) return true;
  if (['0', 'f', 'F', 'FALSE', 'false', 'False'].includes(value.trim())) return false;
  return undefined;
}

/**
 * The flags a `compatibilityVersion` profile sets (istio/istio `manifests/helm-profiles/compatibility-version-1.23.yaml`,
 * the 1.24 upgrade notes): running 1.24+ with `compatibilityVersion: 1.23` turns both retry changes back off.
 */
export function compatibilityFlags(compatibility: IstioVersion): IstioFeatureFlags {
  if (atLeast(compatibility, 1, 24)) return {};
  return { exclude503FromDefaultRetry: false, enableInboundRetryPolicy: false };
}

/**
 * The semantics of `version` with the install's `flags` (which win over the release defaults).
 * Never throws. Versions older than {@link OLDEST_MODELLED_ISTIO} or newer than {@link NEWEST_MODELLED_ISTIO}
 * get the nearest modelled behaviour and a note saying so.
 */
export function istioSemantics(version: IstioVersion, source: IstioVersionSource = defaultVersionSource(), flags: IstioFeatureFlags = {}): IstioSemantics {
  const notes: string[] = [];
  const v = formatIstioVersion(version);
  if (compareIstioMinor(version, OLDEST_MODELLED_ISTIO) < 0) notes.push(`Istio ${v} is older than the oldest release meshlint models (${formatIstioVersion(OLDEST_MODELLED_ISTIO)}); its behaviour is assumed to match ${formatIstioVersion(OLDEST_MODELLED_ISTIO)}'s`);
  if (compareIstioMinor(version, NEWEST_MODELLED_ISTIO) > 0) notes.push(`Istio ${v} is newer than the newest release meshlint models (${formatIstioVersion(NEWEST_MODELLED_ISTIO)}); ${formatIstioVersion(NEWEST_MODELLED_ISTIO)}'s behaviour is assumed`);

  // EXCLUDE_UNSAFE_503_FROM_DEFAULT_RETRY: added in 1.24 with default true (istio/istio#50506); before, 503 was retried.
  const exclude503 = atLeast(version, 1, 24) ? (flags.exclude503FromDefaultRetry ?? true) : false;
  const codes = exclude503 ? [] : [503];
  const flag503 = flags.exclude503FromDefaultRetry === undefined ? '' : ` (EXCLUDE_UNSAFE_503_FROM_DEFAULT_RETRY=${flags.exclude503FromDefaultRetry})`;
  const defaultRetryText = exclude503
    ? `Istio ${v} default: 2 retries on ${ISTIO_DEFAULT_RETRY_ON}, 503 not retried (since 1.24)${flag503}`
    : `Istio ${v} default: 2 retries on ${ISTIO_DEFAULT_RETRY_ON} with retriable status code 503${atLeast(version, 1, 24) ? flag503 : ' (1.24 stopped retrying 503)'}`;

  // ENABLE_INBOUND_RETRY_POLICY: opt-in in 1.23 (default false), default true since 1.24 (istio/istio#51704).
  const inbound = atLeast(version, 1, 24) ? (flags.enableInboundRetryPolicy ?? true) : atLeast(version, 1, 23) ? (flags.enableInboundRetryPolicy ?? false) : false;
  const flagInbound = flags.enableInboundRetryPolicy === undefined ? '' : ` (ENABLE_INBOUND_RETRY_POLICY=${flags.enableInboundRetryPolicy})`;

  return {
    version,
    source,
    notes,
    defaultRetry: { attempts: 2, retryOn: ISTIO_DEFAULT_RETRY_ON, retriableStatusCodes: codes, text: defaultRetryText },
    ...(inbound
      ? { inboundRetry: { attempts: 2, retryOn: 'reset-before-request', text: `Istio ${v}: the receiving sidecar retries reset-before-request up to 2 times to its application (inbound retry policy, since 1.24)${flagInbound}` } }
      : {}),
    retryBudgetField: atLeast(version, 1, 27),
    meshDefaultTrafficPolicy: atLeast(version, 1, 31),
    circuitBreakerMaxRetries: ISTIO_UNLIMITED_THRESHOLD,
    waypointMeshDefaultRetry: atLeast(version, 1, 31),
  };
}

/** The source recorded when nothing names a version: the newest modelled release. */
export function defaultVersionSource(): IstioVersionSource {
  return { kind: 'default', text: `default: the newest release meshlint models (${formatIstioVersion(NEWEST_MODELLED_ISTIO)}); set --istio-version or istio.version to match your mesh` };
}

/** Semantics of the newest modelled release with its defaults: what meshlint assumes when nothing says otherwise. */
export function defaultIstioSemantics(): IstioSemantics {
  return istioSemantics(NEWEST_MODELLED_ISTIO);
}
