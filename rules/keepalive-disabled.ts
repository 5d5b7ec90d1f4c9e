import { defineRule } from '../src/rules/engine.js';
import { layerLabel } from '../src/model/adapters/istio/connection-policy.js';
import { fieldKey } from '../src/model/traffic.js';

/**
 * The effective policy of a client for an HTTP port has `connectionPool.http.maxRequestsPerConnection: 1`
 * (from any DestinationRule layer, or an override): keep-alive is off, so every request (and every retry) opens
 * a new upstream connection whose port then sits in TIME_WAIT. Settings on TLS/TCP ports have no effect and are
 * `setting-ignored`'s. One finding per field, however many (client, subset, port) cells it applies to.
 */
export default defineRule({
  meta: {
    id: 'keepalive-disabled',
    code: 'MSH101',
    family: 'config',
    description: 'connectionPool.http.maxRequestsPerConnection: 1 turns keep-alive off: every request opens a new connection',
    defaultSeverity: 'error',
    docs: 'docs/rules/keepalive-disabled.md',
    inputs: ['DestinationRule', 'ServiceEntry', 'Service'],
    defaultOptions: {},
    fixable: true,
  },
  create(context) {
    const seen = new Set<string>();
    return {
      ConnectionPolicy(policy) {
        const field = policy.http.maxRequestsPerConnection;
        if (field?.value !== 1) return;
        const key = fieldKey(field);
        if (seen.has(key)) return;
        seen.add(key);
        const label = layerLabel(field);
        context.report({
          object: field.object,
          path: field.path,
          value: 1,
          message: `maxRequestsPerConnection: 1 (${label}) disables keep-alive to ${policy.host}: every request and retry opens a new connection that holds an ephemeral port in TIME_WAIT for ${context.traffic.timeWaitSeconds} s${policy.external ? ', from the node’s shared SNAT ports' : ''}`,
          hint: 'remove it (0 = unlimited, the default) or set a large value such as 1000; use tcp.maxConnectionDuration to rotate connections instead',
          fix: { description: `remove maxRequestsPerConnection: 1 (${label}): keep-alive on, the default`, edits: [{ op: 'delete', path: field.path }] },
        });
      },
    };
  },
});
