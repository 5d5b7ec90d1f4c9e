import { defineRule } from '../src/rules/engine.js';
import { locate } from '../src/load/objects.js';
import { dig } from '../src/model/values.js';
import { upstreamHops } from '../src/model/multiplier.js';

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
        if (route.passthrough) return; // no DestinationRule applies to PassthroughCluster
        for (const hop of upstreamHops(route, context.model.settings.clusterDomain)) {
          if (!hop.external) continue;
          const dr = context.model.destinationRuleFor(hop.proxyNamespace, hop.host);
          const pool = context.model.effectivePolicy(dr, hop.subset, hop.port).connectionPool;
          if (!pool || dig(pool.value, 'tcp', 'maxConnections') !== undefined) continue;
          const at = locate(pool.object, pool.path);
          const key = `${at.file}:${at.line}:${at.column}`;
          if (seen.has(key)) continue;
          seen.add(key);
          context.report({
            object: pool.object,
            path: pool.path,
            message: `connectionPool for external host ${dr?.host ?? hop.host} sets no tcp.maxConnections (default 2^32−1): nothing caps how many connections, and so ephemeral ports of the node's SNAT address, one workload holds open at once`,
            hint: 'set connectionPool.tcp.maxConnections to the concurrency the destination needs (e.g. 100); it caps open connections, not churn: keep keep-alive on too',
          });
        }
      },
    };
  },
});
