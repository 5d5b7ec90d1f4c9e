import type { Severity } from '../types.js';

/** Which part of the input a rule reads (`meta`: meshlint's own suppression directives). */
export type RuleFamily = 'config' | 'input' | 'node' | 'source' | 'meta';

/**
 * Metadata every rule declares (the ESLint `meta` / istioctl analyzer `Metadata` equivalent). It feeds the
 * README rule table, SARIF `tool.driver.rules`, `meshlint rules`, and option validation.
 */
export interface RuleMeta {
  /** Stable id, kebab-case; never renamed (docs/rules/README.md). */
  id: string;
  /** Stable message code in the istioctl style, e.g. `MSH0001`; unique across rules. */
  code: string;
  family: RuleFamily;
  /** One line: what the rule reports. */
  description: string;
  defaultSeverity: Severity;
  /** Docs page, relative to the package root, e.g. `docs/rules/keepalive-disabled.md`. */
  docs: string;
  /** Kinds or inputs the rule reads (istioctl analyzers' `Inputs`), e.g. `['DestinationRule', 'ServiceEntry']`. */
  inputs: readonly string[];
  /** Default option values; validated with the JSON schema at `schemas/rules/<id>.json`. */
  defaultOptions: Readonly<Record<string, unknown>>;
  /** Whether `--fix` can repair it (issue: workflow). */
  fixable?: boolean;
}
