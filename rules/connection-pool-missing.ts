import { defineRule } from '../src/rules/engine.js';
import type { Severity } from '../src/types.js';

const LOWER: Record<Severity, Severity> = { error: 'warn', warn: 'info', info: 'info' };

/**
 * A destination that receives traffic (a VirtualService route, a ServiceEntry host) has no effective
 * `connectionPool` after DestinationRule precedence: nothing bounds the connections clients open to it.
 * Graded: the configured severity for `MESH_EXTERNAL` hosts (their legs are SNAT'd onto the node's ports),
 * one level lower for hosts inside the mesh.
 */
export default defineRule({
  meta: {
    id: 'connection-pool-missing',
    code: 'MSH102',
    family: 'config',
    description: 'A destination that receives traffic has no effective connectionPool after DestinationRule precedence (higher severity for MESH_EXTERNAL hosts)',
    defaultSeverity: 'warn',
    docs: 'docs/rules/connection-pool-missing.md',
    inputs: ['VirtualService', 'ServiceEntry', 'DestinationRule'],
    defaultOptions: { internal: true, connectionPool: { tcp: { maxConnections: 1000 } } },
    fixable: true,
  },
  create(context) {
    const seen = new Set<string>();
    return {
      route(route) {
        for (const leg of route.legs) {
          const policy = leg.policy; // absent for PassthroughCluster: no DestinationRule applies there
          if (!policy) continue;
          if (!policy.external && context.options.internal === false) continue;
          // One finding per (client, destination, subset): its ports share the answer unless portLevelSettings differ.
          const key = `${policy.clientNamespace}|${policy.host}|${policy.subset ?? ''}|${policy.connectionPool ? 'pool' : ''}`;
          if (seen.has(key)) continue;
          seen.add(key);
          if (policy.connectionPool) continue; // a DestinationRule's, or meshConfig.defaultTrafficPolicy's
          const dr = policy.destinationRule?.object;
          const where = dr ? `DestinationRule ${dr.ref.namespace}/${dr.ref.name} sets no connectionPool` : 'no DestinationRule applies';
          const from = leg.dataPlane === 'gateway' ? (route.client ? `gateway ${route.client}` : `the egress gateway in ${policy.clientNamespace}`) : policy.clientNamespace;
          context.report({
            object: route.definedBy.object,
            path: route.definedBy.path,
            value: policy.host,
            severity: policy.external ? context.severity : LOWER[context.severity],
            message: `${policy.external ? 'MESH_EXTERNAL host' : 'host'} ${policy.host}${policy.subset ? ` subset ${policy.subset}` : ''}${policy.port ? ` port ${policy.port}` : ''} receives traffic from ${from} but ${where}: nothing caps its connections (tcp.maxConnections is unbounded by default)`,
            hint: 'add a DestinationRule with trafficPolicy.connectionPool (tcp.maxConnections, http.http1MaxPendingRequests) for this host',
            // Fixable when a DestinationRule applies but sets no connectionPool: add the option's block at its top-level trafficPolicy.
            ...(dr
              ? {
                  fix: {
                    description: `add trafficPolicy.connectionPool to DestinationRule ${dr.ref.namespace}/${dr.ref.name}`,
                    object: dr,
                    edits: [{ op: 'merge' as const, path: ['spec'], value: { trafficPolicy: { connectionPool: context.options.connectionPool } } }],
                  },
                }
              : {}),
          });
        }
      },
    };
  },
});
