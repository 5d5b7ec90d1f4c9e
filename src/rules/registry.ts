import { configRules, inputRules, metaRules, nodeRules, sourceRules } from '../../rules/index.js';
import type { Rule } from './engine.js';
import type { RuleMeta } from './meta.js';

/** All rules: input, config, source, node, rules registered at start-up, then workflow (meta) rules. */
export function allRules(): readonly Rule[] {
  return [...inputRules, ...configRules, ...sourceRules, ...nodeRules, ...extraRules, ...metaRules];
}

/** Rules registered by other families (node) at start-up. */
const extraRules: Rule[] = [];

/** Adds rules of another family (their metadata; findings come from their own scanners). */
export function registerRules(rules: readonly Rule[]): void {
  for (const rule of rules) if (!extraRules.some((r) => r.meta.id === rule.meta.id)) extraRules.push(rule);
}

/** Metadata of the rule with this id, or undefined. */
export function ruleMeta(id: string): RuleMeta | undefined {
  return allRules().find((r) => r.meta.id === id)?.meta;
}
