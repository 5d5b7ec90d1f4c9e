import { defineRule } from '../src/rules/engine.js';
import { trafficPolicyLayers } from '../src/model/mesh.js';
import { asNumber, dig } from '../src/model/values.js';

/**
 * `connectionPool.http.maxRequestsPerConnection: 1` at any layer of a DestinationRule: keep-alive is off, so
 * every request (and every retry) opens a new upstream connection whose port then sits in TIME_WAIT for 60 s.
 */
export default defineRule({
  meta: {
    id: 'keepalive-disabled',
    code: 'MSH101',
    family: 'config',
    description: 'connectionPool.http.maxRequestsPerConnection: 1 turns keep-alive off: every request opens a new connection',
    defaultSeverity: 'error',
    docs: 'docs/rules/keepalive-disabled.md',
    inputs: ['DestinationRule', 'ServiceEntry'],
    defaultOptions: {},
    fixable: true,
  },
  create(context) {
    return {
      DestinationRule(dr) {
        for (const layer of trafficPolicyLayers(dr)) {
          const path = [...layer.path, 'connectionPool', 'http', 'maxRequestsPerConnection'];
          if (asNumber(dig(dr.raw, ...path)) !== 1) continue;
          const host = context.model.resolve(String(dig(dr.raw, 'spec', 'host') ?? ''), dr.ref.namespace);
          const external = context.model.isExternal(host);
          context.report({
            object: dr,
            path,
            value: 1,
            message: `maxRequestsPerConnection: 1 (${layer.label}) disables keep-alive to ${host}: every request and retry opens a new connection that holds an ephemeral port in TIME_WAIT for 60 s${external ? ', from the node’s shared SNAT ports' : ''}`,
            hint: 'remove it (0 = unlimited, the default) or set a large value such as 1000; use tcp.maxConnectionDuration to rotate connections instead',
            fix: { description: `remove maxRequestsPerConnection: 1 (${layer.label}): keep-alive on, the default`, edits: [{ op: 'delete', path }] },
          });
        }
      },
    };
  },
});
