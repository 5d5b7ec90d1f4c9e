import { defineRule } from '../src/rules/engine.js';
import { parseDurationSeconds } from '../src/model/values.js';
import { fieldKey } from '../src/model/traffic.js';
import type { FieldPath } from '../src/types.js';

/** The name a finding gives a field: an annotation key as written (`retry.linkerd.io/limit`), else `fallback`. */
function fieldName(path: FieldPath | undefined, fallback: string): string {
  const last = path?.[path.length - 1];
  return typeof last === 'string' && last.includes('/') ? last : fallback;
}

/** `retryOn` conditions that retry after the upstream already did work or reset: with no per-try timeout each try can hang for the whole route timeout. */
const HEAVY_RETRY_ON = ['5xx', 'gateway-error', 'reset', 'reset-before-request'];

/**
 * The `perTryTimeout` the fix adds: the rule option (default `2s`), shortened to
 * `floor(timeout / (attempts + 1))` milliseconds when the option's tries would not fit in the route
 * `timeout` (so the fix does not create the tries × perTryTimeout finding). Undefined (no fix) when the
 * option is not a duration or the share is below Istio's 1 ms minimum (VirtualService HTTPRetry reference).
 */
function perTryTimeoutFix(option: string, optionSeconds: number | undefined, attempts: number, timeout: number | undefined): string | undefined {
  if (optionSeconds === undefined || optionSeconds <= 0) return undefined;
  if (timeout === undefined || timeout <= 0 || optionSeconds * (attempts + 1) <= timeout) return option;
  const ms = Math.floor((timeout * 1000) / (attempts + 1));
  if (ms < 1) return undefined;
  return ms % 1000 === 0 ? `${ms / 1000}s` : `${ms}ms`;
}

/**
 * Retry policies that multiply attempts: high `retries.attempts` (or a retry count limit such as
 * `retry.linkerd.io/limit`); `retryOn` with 5xx / gateway-error / reset and no per-try timeout (or, where the
 * API has none, no route timeout); a ratio retry budget above `maxRetryRatio`; tries × `perTryTimeout` beyond the
 * route `timeout`; retries stacked across legs (application, sidecar, egress gateway).
 */
export default defineRule({
  meta: {
    id: 'retries-aggressive',
    code: 'MSH104',
    family: 'config',
    description: 'High retries.attempts (or retry limit), 5xx/gateway-error/reset retries without a per-try timeout, a retry budget ratio above 0.2, tries × perTryTimeout beyond the route timeout, or retries stacked across legs',
    defaultSeverity: 'warn',
    docs: 'docs/rules/retries-aggressive.md',
    inputs: ['VirtualService', 'HTTPRoute', 'GRPCRoute', 'ServiceProfile', 'Service'],
    defaultOptions: { maxAttempts: 3, perTryTimeout: '2s', maxRetryRatio: 0.2 },
    fixable: true,
  },
  create(context) {
    const maxAttempts = Number(context.options.maxAttempts);
    const perTryOption = String(context.options.perTryTimeout);
    const perTryOptionSeconds = parseDurationSeconds(perTryOption);
    const maxRetryRatio = Number(context.options.maxRetryRatio);
    const budgets = new Set<string>();
    return {
      TrafficRoute(route) {
        const retries = route.retryPolicy;
        if (!retries || retries.attempts.default || !retries.block) return;
        const { object } = retries.block;
        const base = retries.block.path;
        const attempts = retries.attempts.value;
        const budget = retries.budget;
        if (budget?.at && budget.retryRatio > maxRetryRatio && !budgets.has(fieldKey(budget.at))) {
          budgets.add(fieldKey(budget.at));
          context.report({
            object: budget.at.object,
            path: [...budget.at.path, 'retryRatio'],
            value: budget.retryRatio,
            message: `retryBudget.retryRatio: ${budget.retryRatio} lets retries add up to ${+(budget.retryRatio * 100).toFixed(1)}% of the requests to ${retries.host} (plus ${budget.minRetriesPerSecond}/s): when it fails, it gets up to ${+(1 + budget.retryRatio).toFixed(2)}× its load and, without keep-alive, its connections`,
            hint: `keep retryRatio at or below ${maxRetryRatio}`,
            fix: { description: `set retryRatio: ${maxRetryRatio}`, edits: [{ op: 'set' as const, path: [...budget.at.path, 'retryRatio'], value: maxRetryRatio }] },
          });
        }
        if (retries.attempts.at && attempts > maxAttempts) {
          // `retries.attempts` (VirtualService), `retry.attempts` (HTTPRoute) or an annotation (`retry.linkerd.io/limit`): the field as written.
          const field = fieldName(retries.attempts.at.path, retries.attempts.at.path.slice(-2).join('.'));
          const annotation = field.startsWith('retry.linkerd.io/');
          context.report({
            object,
            path: retries.attempts.at.path,
            value: attempts,
            message: `${field}: ${attempts} allows ${attempts + 1} tries per request (more than ${maxAttempts} retries): under failure each try is another upstream request and, without keep-alive, another connection`,
            hint: `use at most ${maxAttempts} retries with a ${annotation ? 'retry.linkerd.io/timeout' : field.startsWith('retry.') ? 'timeouts.backendRequest' : 'perTryTimeout'}`,
            // Lowering the count to the rule's maximum only removes tries; same field in both APIs (VirtualService
            // `retries.attempts`, HTTPRoute `retry.attempts`). A Linkerd annotation's value is a string
            // (Kubernetes annotations are map[string]string).
            fix: { description: `lower ${field} to ${maxAttempts}`, edits: [{ op: 'set' as const, path: retries.attempts.at.path, value: annotation ? String(maxAttempts) : maxAttempts }] },
          });
        }
        if (!attempts) return;
        const retryOn = retries.retryOn?.value ?? '';
        const heavy = retryOn.split(',').map((s) => s.trim()).filter((s) => HEAVY_RETRY_ON.includes(s));
        const timeout = route.timeout?.value;
        const retryOnName = fieldName(retries.retryOn?.at?.path, 'retryOn');
        if (heavy.length && retries.perTryTimeoutAt === null && !timeout && retries.retryOn?.at) {
          // No per-try timeout in this API (a ServiceProfile route): only the route timeout ends the tries.
          context.report({
            object,
            path: retries.retryOn.at.path,
            value: heavy.join(','),
            message: `retryable route without timeout: failures (${heavy.join(',')}) are retried until the retry budget is spent, and each try may hang as long as the upstream does`,
            hint: 'add a timeout to the route (it bounds every try together)',
          });
        } else if (heavy.length && retries.perTryTimeoutAt !== null && !retries.perTryTimeout && retries.retryOn?.at) {
          const fixValue = perTryTimeoutFix(perTryOption, perTryOptionSeconds, attempts, timeout);
          const perTryAt = retries.perTryTimeoutAt ?? { object, path: [...base, 'perTryTimeout'] };
          const perTryName = fieldName(perTryAt.path, 'perTryTimeout');
          context.report({
            object,
            path: retries.retryOn.at.path,
            value: heavy.join(','),
            message: `${retryOnName} ${heavy.join(',')} without ${perTryName}: each try may wait the whole route timeout before the next, and slow upstreams get ${+(attempts + 1).toFixed(2)}× the requests`,
            hint: perTryName === 'perTryTimeout' ? `add retries.perTryTimeout (e.g. ${perTryOption})` : `add ${perTryName} (e.g. ${perTryOption})`,
            ...(fixValue ? { fix: { description: `add ${perTryName}: ${fixValue}`, ...(perTryAt.object !== object ? { object: perTryAt.object } : {}), edits: [{ op: 'set' as const, path: perTryAt.path, value: fixValue }] } } : {}),
          });
        }
        const perTry = retries.perTryTimeout?.value;
        if (perTry !== undefined && timeout !== undefined && timeout > 0 && perTry * (attempts + 1) > timeout) {
          context.report({
            object,
            path: retries.perTryTimeout!.path,
            value: `${attempts + 1}x${perTry}s>${timeout}s`,
            message: `${attempts + 1} tries × perTryTimeout ${perTry} s = ${+(perTry * (attempts + 1)).toFixed(3)} s exceeds the route timeout of ${timeout} s: the last tries are cut off while their connections were already opened`,
            hint: 'make (attempts + 1) × perTryTimeout fit within timeout',
          });
        }
      },
      route(route) {
        const factors: string[] = [];
        let previous = 1;
        route.legs.forEach((leg, i) => {
          // The first leg's tries are the application's own (its retries, from source).
          if (leg.tries > previous) factors.push(`${i === 0 ? 'application' : leg.name} ×${+(leg.tries / previous).toFixed(2)}`);
          previous = Math.max(previous, leg.tries);
        });
        if (factors.length < 2) return;
        context.report({
          object: route.definedBy.object,
          path: route.definedBy.path,
          value: factors.join(' · '),
          message: `retries stack across legs to ${route.host} (${factors.join(' · ')}): up to ${route.legs[route.legs.length - 1].tries} tries reach the destination per request`,
          hint: 'retry at one layer only (usually the sidecar closest to the destination)',
        });
      },
    };
  },
});
