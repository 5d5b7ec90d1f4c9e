/**
 * Every config and input rule meshlint ships, in catalogue order (DESIGN.md §4). Source and node rules are
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
import unusedDisableDirective from './unused-disable-directive.js';

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

export const inputRules: readonly Rule[] = [parseError, schemaInvalid];

/** Workflow rules (MSH4xx): about meshlint's own directives rather than the mesh. */
export const metaRules: readonly Rule[] = [unusedDisableDirective];
