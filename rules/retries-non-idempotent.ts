import { defineRule } from '../src/rules/engine.js';

/** Methods that change state and are not idempotent (RFC 9110 §9.2.2: GET, HEAD, OPTIONS, TRACE, PUT and DELETE are idempotent). */
const STATE_CHANGING_METHODS = ['POST', 'PATCH'];

/** Retry conditions under which the upstream never received the request: a retry cannot repeat its effect. */
const BEFORE_REQUEST = ['connect-failure', 'refused-stream', 'reset-before-request'];

/**
 * A route that changes state — it matches only POST or PATCH, or a path the `paths` option marks — and is retried
 * after the upstream may have acted (5xx, gateway-error, reset, a ServiceProfile `isRetryable`, Linkerd retry
 * annotations): a retry can run the same payment or order twice, and under failure it is another request and
 * connection per try.
 */
export default defineRule({
  meta: {
    id: 'retries-non-idempotent',
    code: 'MSH114',
    family: 'config',
    description: 'A state-changing route (POST, PATCH, or a path marked in the options) is retried after the upstream may have processed the request',
    defaultSeverity: 'warn',
    docs: 'docs/rules/retries-non-idempotent.md',
    inputs: ['ServiceProfile', 'HTTPRoute', 'GRPCRoute', 'Service', 'VirtualService'],
    defaultOptions: { paths: [] },
  },
  create(context) {
    const marked = (Array.isArray(context.options.paths) ? context.options.paths : []).map((p) => new RegExp(String(p)));
    return {
      TrafficRoute(route) {
        const retries = route.retryPolicy;
        if (!retries || retries.attempts.default || retries.attempts.value <= 0) return;
        const conditions = (retries.retryOn?.value ?? '').split(',').map((c) => c.trim()).filter(Boolean);
        // No conditions written: the data plane's defaults, which retry failed responses.
        if (conditions.length && conditions.every((c) => BEFORE_REQUEST.includes(c))) return;
        const methods = route.methods?.value.filter((m) => STATE_CHANGING_METHODS.includes(m)) ?? [];
        const onlyStateChanging = methods.length > 0 && methods.length === route.methods!.value.length;
        const markedPath = route.paths?.value.find((p) => marked.some((re) => re.test(p)));
        if (!onlyStateChanging && markedPath === undefined) return;
        const at = onlyStateChanging ? route.methods!.at : route.paths!.at;
        const what = onlyStateChanging ? `matches ${[...new Set(methods)].join(', ')}` : `matches ${markedPath}, marked state-changing in the options`;
        context.report({
          object: at.object,
          path: at.path,
          value: onlyStateChanging ? methods.join(',') : markedPath,
          message: `${route.at.object.ref.kind} route ${route.name !== undefined ? `"${route.name}" ` : ''}${what} and is retried (${conditions.length ? conditions.join(',') : 'the default conditions'}): a request the upstream already processed may run again, and each retry is another request to ${retries.host}`,
          hint: 'retry only idempotent routes: drop the retry for this route (isRetryable, retry annotations), or retry only on connect-failure / refused-stream',
        });
      },
    };
  },
});
