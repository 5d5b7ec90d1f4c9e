import { defineRule } from '../src/rules/engine.js';

/**
 * HTTP/1.1 between sidecars to an in-mesh destination that could use HTTP/2: `h2UpgradePolicy: UPGRADE`
 * multiplexes many requests on one connection (Istio API reference, `ConnectionPoolSettings.HTTPSettings`;
 * the mesh default `DO_NOT_UPGRADE`). `useClientProtocol: true` makes the upgrade ineffective.
 */
export default defineRule({
  meta: {
    id: 'h2-upgrade-available',
    code: 'MSH108',
    family: 'config',
    description: 'HTTP/1.1 to an in-mesh destination that could be upgraded to HTTP/2 (h2UpgradePolicy: UPGRADE) and multiplex requests on fewer connections',
    defaultSeverity: 'info',
    docs: 'docs/rules/h2-upgrade-available.md',
    inputs: ['VirtualService', 'DestinationRule', 'Service'],
    defaultOptions: {},
  },
  create(context) {
    const seen = new Set<string>();
    const meshUpgrades = context.mesh.h2UpgradePolicy === 'UPGRADE';
    return {
      route(route) {
        if (route.protocol !== 'http' || route.external || route.sidecar === false) return;
        if (/egressgateway|ingressgateway/.test(route.destination)) return;
        const key = `${route.destination}|${route.port ?? ''}`;
        if (seen.has(key)) return;
        seen.add(key);
        const cp = route.connectionPolicy;
        if (!cp || cp.protocol !== 'http') return; // a TCP or TLS port: no HTTP to upgrade
        const proto = cp.declaredProtocol ?? '';
        if (proto.includes('grpc') || proto.includes('http2') || proto.includes('h2c')) return; // HTTP/2 already
        const pool = cp.connectionPool;
        const policy = cp.http.h2UpgradePolicy?.value;
        const clientProtocol = cp.http.useClientProtocol?.value === true;
        if (policy === 'UPGRADE' && clientProtocol) {
          context.report({
            object: pool!.object,
            path: [...pool!.path, 'http', 'useClientProtocol'],
            message: `h2UpgradePolicy: UPGRADE for ${route.destination} is ineffective: useClientProtocol: true keeps the client's HTTP/1.1`,
            hint: 'remove useClientProtocol, or accept HTTP/1.1 pooling',
          });
          return;
        }
        if (policy === 'UPGRADE' || policy === 'DO_NOT_UPGRADE' || meshUpgrades) return; // upgraded, or a deliberate choice
        context.report({
          object: pool ? pool.object : route.definedBy.object,
          path: pool ? pool.path : route.definedBy.path,
          message: `HTTP/1.1 from ${route.clientNamespace} to in-mesh ${route.destination}: sidecars open one connection per concurrent request; h2UpgradePolicy: UPGRADE would multiplex them on one HTTP/2 connection`,
          hint: 'set trafficPolicy.connectionPool.http.h2UpgradePolicy: UPGRADE (or meshConfig.h2UpgradePolicy) if the application speaks HTTP semantics only',
        });
      },
    };
  },
});
