import { defineRule } from '../src/rules/engine.js';
import { fieldKey } from '../src/model/traffic.js';

/**
 * An external host's effective `connectionPool` leaves `tcp.maxConnections` unset (default 2^32−1, Istio
 * ConnectionPoolSettings.TCPSettings): nothing caps the connections one workload holds open at once, each on an
 * ephemeral port of its node's SNAT address. It caps concurrency, not churn: ports in TIME_WAIT are bounded by
 * keep-alive, not by this. For routes through an egress gateway the gateway's DestinationRules are checked.
 * (Hosts with no pool at all are reported by `connection-pool-missing`.)
 */
export default defineRule({
  meta: {
    id: 'connection-limit-unbounded',
    code: 'MSH107',
    family: 'config',
    description: 'tcp.maxConnections unset on an external host: nothing caps the connections (and ephemeral ports) one workload holds open at once on its node',
    defaultSeverity: 'warn',
    docs: 'docs/rules/connection-limit-unbounded.md',
    inputs: ['DestinationRule', 'ServiceEntry', 'VirtualService'],
    defaultOptions: {},
  },
  create(context) {
    const seen = new Set<string>();
    return {
      route(route) {
        for (const leg of route.legs) {
          const policy = leg.policy; // absent for PassthroughCluster: no DestinationRule applies there
          const pool = policy?.connectionPool;
          if (!policy?.external || !pool || policy.tcp.maxConnections) continue;
          const key = fieldKey(pool);
          if (seen.has(key)) continue;
          seen.add(key);
          context.report({
            object: pool.object,
            path: pool.path,
            message: `connectionPool for external host ${policy.host} sets no tcp.maxConnections (default 2^32−1): nothing caps how many connections, and so ephemeral ports of the node's SNAT address, one workload holds open at once`,
            hint: 'set connectionPool.tcp.maxConnections to the concurrency the destination needs (e.g. 100); it caps open connections, not churn: keep keep-alive on too',
          });
        }
      },
    };
  },
});
