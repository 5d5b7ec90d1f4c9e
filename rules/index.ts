/**
 * Every config, input, source, node and workflow rule meshlint ships, in catalogue order (by code: MSH0xx input,
 * MSH1xx config, MSH2xx source, MSH3xx node, MSH4xx workflow; docs/rules/README.md).
 */
import type { Rule } from '../src/rules/engine.js';
import { meta as clientPerRequest } from './client-per-request.js';
import { meta as keepaliveDisabledClient } from './keepalive-disabled-client.js';
import { meta as dbClientPerRequest } from './db-client-per-request.js';
import { meta as appRetries } from './app-retries.js';
import { meta as responseBodyNotClosed } from './response-body-not-closed.js';
import { meta as idlePoolTooSmall } from './idle-pool-too-small.js';
import parseError from './parse-error.js';
import schemaInvalid from './schema-invalid.js';
import inputNotRendered from './input-not-rendered.js';
import keepaliveDisabled from './keepalive-disabled.js';
import connectionPoolMissing from './connection-pool-missing.js';
import connectionChurnSettings from './connection-churn-settings.js';
import retriesAggressive from './retries-aggressive.js';
import retriesImplicitDefault from './retries-implicit-default.js';
import mirrorAmplification from './mirror-amplification.js';
import connectionLimitUnbounded from './connection-limit-unbounded.js';
import h2UpgradeAvailable from './h2-upgrade-available.js';
import settingIgnored from './setting-ignored.js';
import portBudgetExceeded from './port-budget-exceeded.js';
import retryBudgetMissing from './retry-budget-missing.js';
import envoyfilterUnmodelled from './envoyfilter-unmodelled.js';
import waypointUnavailable from './waypoint-unavailable.js';
import retriesNonIdempotent from './retries-non-idempotent.js';
import gatewayUnmodelled from './gateway-unmodelled.js';
import routeNotAttached from './route-not-attached.js';
import unusedDisableDirective from './unused-disable-directive.js';
import sysctlPortRange from './sysctl-port-range.js';
import sysctlTwRecycle from './sysctl-tw-recycle.js';
import sysctlFinTimeoutNotTimeWait from './sysctl-fin-timeout-not-time-wait.js';
import sysctlUnsafe from './sysctl-unsafe.js';
import nodePortBudget from './node-port-budget.js';

export const configRules: readonly Rule[] = [
  keepaliveDisabled,
  connectionPoolMissing,
  connectionChurnSettings,
  retriesAggressive,
  retriesImplicitDefault,
  mirrorAmplification,
  connectionLimitUnbounded,
  h2UpgradeAvailable,
  settingIgnored,
  portBudgetExceeded,
  retryBudgetMissing,
  envoyfilterUnmodelled,
  waypointUnavailable,
  retriesNonIdempotent,
  gatewayUnmodelled,
  routeNotAttached,
];

/** Node rules (MSH3xx): they visit the sysctl settings of the input, and (live audits) each node's port budget. */
export const nodeRules: readonly Rule[] = [sysctlPortRange, sysctlTwRecycle, sysctlFinTimeoutNotTimeWait, sysctlUnsafe, nodePortBudget];

export const inputRules: readonly Rule[] = [parseError, schemaInvalid, inputNotRendered];

/** Workflow rules (MSH4xx): about meshlint's own directives rather than the mesh. */
export const metaRules: readonly Rule[] = [unusedDisableDirective];

/**
 * Application-source rules (metadata only: their findings come from the source scanners, `src/source/`).
 * Ordered by code (MSH201…).
 */
export const sourceRules: readonly Rule[] = [clientPerRequest, keepaliveDisabledClient, responseBodyNotClosed, idlePoolTooSmall, dbClientPerRequest, appRetries].map((meta) => ({ meta }));
