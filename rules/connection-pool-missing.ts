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
        if (!route.external && context.options.internal === false) return;
        const target = route.legs.length > 2 ? route.host : route.destination;
        const key = `${route.clientNamespace}|${target}|${route.subset ?? ''}|${route.port ?? ''}`;
        if (seen.has(key)) return;
        seen.add(key);
        const dr = context.model.destinationRuleFor(route.clientNamespace, route.destination);
        if (dr && context.model.effectivePolicy(dr, route.subset, route.port).connectionPool) return;
        const where = dr ? `DestinationRule ${dr.primary.namespace}/${dr.primary.object.ref.name} sets no connectionPool` : 'no DestinationRule applies';
        context.report({
          object: route.definedBy.object,
          path: route.definedBy.path,
          value: route.destination,
          severity: route.external ? context.severity : LOWER[context.severity],
          message: `${route.external ? 'MESH_EXTERNAL host' : 'host'} ${route.destination}${route.subset ? ` subset ${route.subset}` : ''}${route.port ? ` port ${route.port}` : ''} receives traffic from ${route.clientNamespace} but ${where}: nothing caps its connections (tcp.maxConnections is unbounded by default)`,
          hint: 'add a DestinationRule with trafficPolicy.connectionPool (tcp.maxConnections, http.http1MaxPendingRequests) for this host',
          // Fixable when a DestinationRule applies but sets no connectionPool: add the option's block at its top-level trafficPolicy.
          ...(dr
            ? {
                fix: {
                  description: `add trafficPolicy.connectionPool to DestinationRule ${dr.primary.namespace}/${dr.primary.object.ref.name}`,
                  object: dr.primary.object,
                  edits: [{ op: 'merge' as const, path: ['spec'], value: { trafficPolicy: { connectionPool: context.options.connectionPool } } }],
                },
              }
            : {}),
        });
      },
    };
  },
});
