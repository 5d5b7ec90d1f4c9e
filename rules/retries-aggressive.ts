import { defineRule } from '../src/rules/engine.js';
import { parseDurationSeconds } from '../src/model/values.js';

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
 * Retry policies that multiply attempts: high `retries.attempts`; `retryOn` with 5xx / gateway-error / reset
 * and no `perTryTimeout`; tries × `perTryTimeout` beyond the route `timeout`; retries stacked across legs
 * (application, sidecar, egress gateway).
 */
export default defineRule({
  meta: {
    id: 'retries-aggressive',
    code: 'MSH104',
    family: 'config',
    description: 'High retries.attempts, 5xx/gateway-error/reset retries without perTryTimeout, tries × perTryTimeout beyond the route timeout, or retries stacked across legs',
    defaultSeverity: 'warn',
    docs: 'docs/rules/retries-aggressive.md',
    inputs: ['VirtualService', 'HTTPRoute', 'GRPCRoute'],
    defaultOptions: { maxAttempts: 3, perTryTimeout: '2s' },
    fixable: true,
  },
  create(context) {
    const maxAttempts = Number(context.options.maxAttempts);
    const perTryOption = String(context.options.perTryTimeout);
    const perTryOptionSeconds = parseDurationSeconds(perTryOption);
    return {
      TrafficRoute(route) {
        const retries = route.retryPolicy;
        if (!retries || retries.attempts.default || !retries.block) return;
        const { object } = retries.block;
        const base = retries.block.path;
        const attempts = retries.attempts.value;
        if (retries.attempts.at && attempts > maxAttempts) {
          // `retries.attempts` (VirtualService) or `retry.attempts` (HTTPRoute): the field as written.
          const field = retries.attempts.at.path.slice(-2).join('.');
          context.report({
            object,
            path: retries.attempts.at.path,
            value: attempts,
            message: `${field}: ${attempts} allows ${attempts + 1} tries per request (more than ${maxAttempts} retries): under failure each try is another upstream request and, without keep-alive, another connection`,
            hint: `use at most ${maxAttempts} retries with a ${field.startsWith('retry.') ? 'timeouts.backendRequest' : 'perTryTimeout'}`,
            // Lowering the count to the rule's maximum only removes tries; same field in both APIs (VirtualService
            // `retries.attempts`, HTTPRoute `retry.attempts`).
            fix: { description: `lower ${field} to ${maxAttempts}`, edits: [{ op: 'set' as const, path: retries.attempts.at.path, value: maxAttempts }] },
          });
        }
        if (!attempts) return;
        const retryOn = retries.retryOn?.value ?? '';
        const heavy = retryOn.split(',').map((s) => s.trim()).filter((s) => HEAVY_RETRY_ON.includes(s));
        const timeout = route.timeout?.value;
        if (heavy.length && !retries.perTryTimeout && retries.retryOn?.at) {
          const fixValue = perTryTimeoutFix(perTryOption, perTryOptionSeconds, attempts, timeout);
          context.report({
            object,
            path: retries.retryOn.at.path,
            value: heavy.join(','),
            message: `retryOn ${heavy.join(',')} without perTryTimeout: each try may wait the whole route timeout before the next, and slow upstreams get ${attempts + 1}× the requests`,
            hint: `add retries.perTryTimeout (e.g. ${perTryOption})`,
            ...(fixValue ? { fix: { description: `add perTryTimeout: ${fixValue}`, edits: [{ op: 'set' as const, path: [...base, 'perTryTimeout'], value: fixValue }] } } : {}),
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
