import { defineRule } from '../src/rules/engine.js';
import type { Severity } from '../src/types.js';
import { upstreamHops } from '../src/model/multiplier.js';

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
        if (route.passthrough) return; // no DestinationRule applies to PassthroughCluster
        for (const hop of upstreamHops(route, context.model.settings.clusterDomain)) {
          if (!hop.external && context.options.internal === false) continue;
          const key = `${hop.proxyNamespace}|${hop.host}|${hop.subset ?? ''}|${hop.port ?? ''}`;
          if (seen.has(key)) continue;
          seen.add(key);
          const dr = context.model.destinationRuleFor(hop.proxyNamespace, hop.host);
          if (context.model.effectivePolicy(dr, hop.subset, hop.port).connectionPool) continue; // a DestinationRule's, or meshConfig.defaultTrafficPolicy's
          const where = dr ? `DestinationRule ${dr.primary.namespace}/${dr.primary.object.ref.name} sets no connectionPool` : 'no DestinationRule applies';
          const from = hop.proxyNamespace === route.clientNamespace ? route.clientNamespace : `the egress gateway in ${hop.proxyNamespace}`;
          context.report({
            object: route.definedBy.object,
            path: route.definedBy.path,
            value: hop.host,
            severity: hop.external ? context.severity : LOWER[context.severity],
            message: `${hop.external ? 'MESH_EXTERNAL host' : 'host'} ${hop.host}${hop.subset ? ` subset ${hop.subset}` : ''}${hop.port ? ` port ${hop.port}` : ''} receives traffic from ${from} but ${where}: nothing caps its connections (tcp.maxConnections is unbounded by default)`,
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
        }
      },
    };
  },
});
