import { defineRule } from '../src/rules/engine.js';

/**
 * An HTTP route with no `retries` block: Istio retries it `meshConfig.defaultHttpRetryPolicy` times (2 by
 * default; Istio API reference, `HTTPRetry`), so each request may make 3 tries, which count in the multiplier.
 */
export default defineRule({
  meta: {
    id: 'retries-implicit-default',
    code: 'MSH105',
    family: 'config',
    description: 'An HTTP route without a retries block gets Istio’s default 2 retries: up to 3 tries per request count in the multiplier',
    defaultSeverity: 'info',
    docs: 'docs/rules/retries-implicit-default.md',
    inputs: ['VirtualService', 'HTTPRoute', 'GRPCRoute'],
    defaultOptions: {},
  },
  create(context) {
    return {
      TrafficRoute(route) {
        const retries = route.retryPolicy;
        // No retries block, no fault injection, something sent upstream: the mesh default applies.
        if (!retries?.attempts.default || retries.attempts.value === 0) return;
        const n = retries.attempts.value;
        // Gateway API rules (HTTPRoute `rules[i]`, GRPCRoute) say `retry`, VirtualService routes `retries`.
        const kind = route.at.object.ref.kind;
        const gatewayApi = kind === 'HTTPRoute' || kind === 'GRPCRoute';
        context.report({
          object: route.at.object,
          path: route.at.path,
          message: `${gatewayApi ? `${kind} rule` : 'HTTP route'} ${route.name !== undefined ? `"${route.name}" ` : ''}has no ${gatewayApi ? 'retry' : 'retries block'}: Istio's default of ${n} retries applies, up to ${n + 1} tries per request`,
          hint: kind === 'GRPCRoute' ? 'Istio converts no retry for GRPCRoute: set meshConfig.defaultHttpRetryPolicy, or route with an HTTPRoute or VirtualService to state the policy' : gatewayApi ? 'state the policy: add retry with attempts (attempts: 0 to disable) and timeouts.backendRequest' : 'state the policy: add retries with attempts and perTryTimeout (attempts: 0 to disable)',
        });
      },
    };
  },
});
