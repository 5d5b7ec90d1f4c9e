/**
 * What every meshlint ESLint rule module carries besides ESLint's own fields: the canonical metadata it
 * was built from (`rules/<id>.ts`), the severity the meshlint scanner gives each message, and a fix hint.
 */
import type { JSONSchema4 } from 'json-schema';
import type { Rule } from 'eslint';
import type { Severity } from '../../types.js';
import type { RuleMeta } from '../../rules/meta.js';

/** Base of the published docs; the same base the SARIF reporter links to. */
export const DOCS_BASE_URL = 'https://github.com/meshlint/meshlint/blob/main/';

/** An ESLint rule plus the meshlint-specific fields the scanner reads. */
export interface MeshlintEslintRule extends Rule.RuleModule {
  /** Canonical metadata (`rules/<id>.ts`): the id, code, description and default severity. */
  meshlint: RuleMeta;
  /** Severity per messageId where it differs from `meshlint.defaultSeverity` (e.g. `info` for scanners). */
  messageSeverity: Readonly<Partial<Record<string, Severity>>>;
  /** One-line fix hint per messageId (`Finding.hint`). */
  hints: Readonly<Partial<Record<string, string>>>;
}

/** ESLint `meta.docs` from the canonical metadata. */
export function eslintDocs(meta: RuleMeta): { description: string; url: string; recommended: boolean } {
  return { description: meta.description, url: DOCS_BASE_URL + meta.docs, recommended: true };
}

/** The rule's options after defaults (ESLint 9 applies `meta.defaultOptions`; RuleTester and older cores may not). */
export function ruleOptions<T extends object>(context: Rule.RuleContext, defaults: T): T {
  return { ...defaults, ...((context.options[0] ?? {}) as Partial<T>) };
}

/**
 * Builds the JSON schema of a rule's single options object. `schemas/rules/<id>.json` holds the same schema
 * with draft-07 `$schema`/`$id` added (a test keeps the two equal); ESLint gets it without them.
 */
export function optionsSchema(id: string, description: string, properties: Record<string, JSONSchema4>): JSONSchema4 {
  return {
    title: `${id} options`,
    description,
    type: 'object',
    properties,
    additionalProperties: false,
  };
}
