/**
 * Every config, input and node rule meshlint ships, in catalogue order (DESIGN.md §4). Source rules are
 * listed in `src/rules/registry.ts` as their rule files land.
 */
import type { Rule } from '../src/rules/engine.js';
import parseError from './parse-error.js';
import schemaInvalid from './schema-invalid.js';
import keepaliveDisabled from './keepalive-disabled.js';
import connectionPoolMissing from './connection-pool-missing.js';
import connectionChurnSettings from './connection-churn-settings.js';
import retriesAggressive from './retries-aggressive.js';
import retriesImplicitDefault from './retries-implicit-default.js';
import mirrorAmplification from './mirror-amplification.js';
import connectionLimitUnbounded from './connection-limit-unbounded.js';
import h2UpgradeAvailable from './h2-upgrade-available.js';
import sysctlPortRange from './sysctl-port-range.js';
import sysctlTwRecycle from './sysctl-tw-recycle.js';
import sysctlFinTimeoutNotTimeWait from './sysctl-fin-timeout-not-time-wait.js';
import sysctlUnsafe from './sysctl-unsafe.js';

export const configRules: readonly Rule[] = [
  keepaliveDisabled,
  connectionPoolMissing,
  connectionChurnSettings,
  retriesAggressive,
  retriesImplicitDefault,
  mirrorAmplification,
  connectionLimitUnbounded,
  h2UpgradeAvailable,
];

/** Node rules (DESIGN.md §4, Node): they visit the sysctl settings of the input. */
export const nodeRules: readonly Rule[] = [sysctlPortRange, sysctlTwRecycle, sysctlFinTimeoutNotTimeWait, sysctlUnsafe];

export const inputRules: readonly Rule[] = [parseError, schemaInvalid];
