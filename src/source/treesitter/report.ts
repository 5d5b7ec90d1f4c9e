/**
 * Findings of the tree-sitter scanner: rule metadata (severity, options) from `rules/<id>.ts`, and the
 * construction of a {@link Finding} at a node.
 */
import type { SgNode } from '@ast-grep/napi';
import type { Finding, Severity } from '../../types.js';
import type { RuleMeta } from '../../rules/meta.js';
import { meta as appRetries } from '../../../rules/app-retries.js';
import { meta as clientPerRequest } from '../../../rules/client-per-request.js';
import { meta as dbClientPerRequest } from '../../../rules/db-client-per-request.js';
import { meta as idlePoolTooSmall } from '../../../rules/idle-pool-too-small.js';
import { meta as keepaliveDisabledClient } from '../../../rules/keepalive-disabled-client.js';
import { meta as responseBodyNotClosed } from '../../../rules/response-body-not-closed.js';
import { position } from './syntax.js';

/** The source rules this scanner implements, by id. */
export const SOURCE_RULES: Readonly<Record<string, RuleMeta>> = {
  [clientPerRequest.id]: clientPerRequest,
  [keepaliveDisabledClient.id]: keepaliveDisabledClient,
  [responseBodyNotClosed.id]: responseBodyNotClosed,
  [idlePoolTooSmall.id]: idlePoolTooSmall,
  [dbClientPerRequest.id]: dbClientPerRequest,
  [appRetries.id]: appRetries,
};

/** Options of the scanner's rules after defaults (`rules/<id>.ts` `defaultOptions`, then the user's). */
export class RuleSettings {
  private readonly disabled: ReadonlySet<string>;

  constructor(
    private readonly ruleOptions: Readonly<Record<string, Readonly<Record<string, unknown>>>> = {},
    disabledRules: readonly string[] = [],
  ) {
    this.disabled = new Set(disabledRules);
  }

  /** Whether `id` runs. */
  enabled(id: string): boolean {
    return !this.disabled.has(id);
  }

  /** One option of rule `id`, falling back to the rule's default. */
  option<T>(id: string, name: string): T {
    const user = this.ruleOptions[id];
    if (user && name in user) return user[name] as T;
    return SOURCE_RULES[id]?.defaultOptions[name] as T;
  }
}

/** A finding of rule `ruleId` at `node`. `severity` defaults to the rule's default severity. */
export function findingAt(
  file: string,
  node: SgNode,
  ruleId: string,
  message: string,
  extra: { severity?: Severity; hint?: string; value?: unknown } = {},
): Finding {
  return findingAtPosition(file, position(node), ruleId, message, extra);
}

/** A finding of rule `ruleId` at a 1-based line and column (records that outlive their syntax tree). */
export function findingAtPosition(
  file: string,
  pos: { line: number; column: number },
  ruleId: string,
  message: string,
  extra: { severity?: Severity; hint?: string; value?: unknown } = {},
): Finding {
  const f: Finding = {
    ruleId,
    severity: extra.severity ?? SOURCE_RULES[ruleId]?.defaultSeverity ?? 'warn',
    message,
    location: { file, line: pos.line, column: pos.column },
  };
  if (extra.hint) f.hint = extra.hint;
  if (extra.value !== undefined) f.value = extra.value;
  return f;
}
