import { defineRule } from '../src/rules/engine.js';
import type { RetryPolicy } from '../src/model/traffic.js';

/** How the route's retries were written: `retries.attempts: 3` (VirtualService), `retry.attempts: 3` or `retry without attempts (2 retries)` (HTTPRoute), `default retries`. */
function retriesLabel(retry: RetryPolicy): string {
  if (retry.attempts.default) return 'default retries';
  if (retry.attempts.at) return `${retry.attempts.at.path.slice(-2).join('.')}: ${retry.attempts.value}`;
  return `${retry.route.object.ref.kind} retry without attempts (${retry.attempts.value} retries)`;
}

/**
 * An HTTP route (a VirtualService `http` route, or an HTTPRoute rule: same RetryPolicy record) that retries (its own `retries`, or the mesh default) towards a `MESH_EXTERNAL` host whose
 * effective policy caps concurrent retries with neither `connectionPool.http.maxRetries` nor
 * `trafficPolicy.retryBudget` (Istio ≥ 1.27): istiod sets the cluster circuit breaker's `max_retries` to
 * 2^32−1 (istio/istio `cluster_traffic_policy.go`), so when the external service fails every request becomes
 * 1 + attempts requests and new connections from the node's shared SNAT ports, with nothing to stop it.
 */
export default defineRule({
  meta: {
    id: 'retry-budget-missing',
    code: 'MSH111',
    family: 'config',
    description: 'Retries to an external host with neither connectionPool.http.maxRetries nor trafficPolicy.retryBudget: nothing caps concurrent retries',
    defaultSeverity: 'warn',
    docs: 'docs/rules/retry-budget-missing.md',
    inputs: ['VirtualService', 'ServiceEntry', 'DestinationRule', 'Service', 'HTTPRoute', 'GRPCRoute'],
    defaultOptions: { highRate: 100 },
  },
  create(context) {
    const reported = new Set<string>();
    const highRate = Number(context.options.highRate);
    return {
      route(row) {
        const retry = row.retryPolicy;
        if (retry?.budget) return; // a ratio budget caps retries across requests
        if (retry?.unbudgeted) {
          const highRated = row.rps !== undefined && row.rps >= highRate;
          if (retry.attempts.value <= 0 || (!row.external && !highRated) || row.protocol !== 'http') return;
          const key = `${retry.route.object.origin.file}\u0000${retry.route.object.order}\u0000${retry.route.path.join('.')}\u0000${row.destination}\u0000${row.port ?? ''}`;
          if (reported.has(key)) return;
          reported.add(key);
          const at = retry.attempts.at ?? retry.block ?? retry.route;
          context.report({
            object: at.object,
            path: at.path,
            value: retry.attempts.value,
            message: `${retry.attempts.value} ${retry.attempts.value === 1 ? 'retry' : 'retries'} per request to ${row.external ? 'external ' : ''}${row.destination}${row.port ? `:${row.port}` : ''}${highRated ? ` at ${row.rps} requests/s` : ''} with no retry budget: ${retry.unbudgeted}${row.external ? ", and the new connections come from the node's SNAT ports" : ''}`,
            hint: 'cap retries across requests: keep the limit at 1 with a per-try timeout, or retry where a budget applies (e.g. a ServiceProfile retryBudget), or not at all for this host',
          });
          return;
        }
        const policy = row.connectionPolicy;
        if (!retry || retry.attempts.value <= 0 || !policy || !policy.external || policy.protocol !== 'http') return;
        if (policy.http.maxRetries || policy.http.retryBudget) return;
        const key = `${retry.route.object.origin.file}\u0000${retry.route.object.order}\u0000${retry.route.path.join('.')}\u0000${policy.host}\u0000${policy.port ?? ''}`;
        if (reported.has(key)) return;
        reported.add(key);
        const release = context.mesh.release;
        const ignoredBudget = policy.ignored.find((i) => i.field === 'http.retryBudget');
        const tries = 1 + retry.attempts.value;
        const cap = release.retryBudgetField ? 'set trafficPolicy.retryBudget (e.g. percent: 20, minRetryConcurrency: 3) or connectionPool.http.maxRetries in the DestinationRule for this host' : `set connectionPool.http.maxRetries in the DestinationRule for this host (trafficPolicy.retryBudget needs Istio 1.27; this run models ${release.version})`;
        context.report({
          object: retry.route.object,
          path: retry.route.path,
          value: retry.attempts.value,
          message: `${retriesLabel(retry)} to external ${policy.host}${policy.port ? `:${policy.port}` : ''} with no retry budget: istiod leaves the circuit breaker's max_retries at ${release.uncappedMaxRetries} (Envoy's own default is 3), so when it fails every request becomes up to ${tries} requests and ${tries}× the new connections from the node's SNAT ports${ignoredBudget ? ` (the retryBudget at ${ignoredBudget.at.object.ref.kind} ${ignoredBudget.at.object.ref.namespace}/${ignoredBudget.at.object.ref.name} is ignored: ${ignoredBudget.reason})` : ''}`,
          hint: cap,
        });
      },
    };
  },
});
