import { defineRule } from '../src/rules/engine.js';
import { locate } from '../src/load/objects.js';
import { dig } from '../src/model/values.js';

/**
 * An external host's effective `connectionPool` leaves `tcp.maxConnections` unset (default 2^32−1): nothing
 * caps the ephemeral ports one workload can take from its node. (Hosts with no pool at all are reported by
 * `connection-pool-missing`.)
 */
export default defineRule({
  meta: {
    id: 'connection-limit-unbounded',
    code: 'MSH107',
    family: 'config',
    description: 'tcp.maxConnections unset on an external host: nothing caps the ports one workload can take from its node',
    defaultSeverity: 'warn',
    docs: 'docs/rules/connection-limit-unbounded.md',
    inputs: ['DestinationRule', 'ServiceEntry', 'VirtualService'],
    defaultOptions: {},
  },
  create(context) {
    const seen = new Set<string>();
    return {
      route(route) {
        if (!route.external) return;
        const target = route.legs.length > 2 ? route.host : route.destination;
        const dr = context.model.destinationRuleFor(route.clientNamespace, target);
        const pool = context.model.effectivePolicy(dr, route.subset, route.port).connectionPool;
        if (!pool || dig(pool.value, 'tcp', 'maxConnections') !== undefined) return;
        const at = locate(pool.object, pool.path);
        const key = `${at.file}:${at.line}:${at.column}`;
        if (seen.has(key)) return;
        seen.add(key);
        context.report({
          object: pool.object,
          path: pool.path,
          message: `connectionPool for external host ${dr?.host ?? target} sets no tcp.maxConnections (default 2^32−1): one workload can take every ephemeral port of its node's SNAT address`,
          hint: 'set connectionPool.tcp.maxConnections to the concurrency the destination needs (e.g. 100)',
        });
      },
    };
  },
});
