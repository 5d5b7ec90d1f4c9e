import { defineRule } from '../src/rules/engine.js';
import { trafficPolicyLayers } from '../src/model/mesh.js';
import { asNumber, dig, parseDurationSeconds } from '../src/model/values.js';

/**
 * Pool settings that recycle connections often enough to churn under load: a small
 * `maxRequestsPerConnection` (2 … `minRequestsPerConnection` − 1), a short `http.idleTimeout` (Istio default
 * 1 h; when unset, HTTP connections use `tcp.idleTimeout`, which is then checked instead; `0s` disables the
 * timeout and is not reported) or a short `tcp.maxConnectionDuration` (default unlimited).
 */
export default defineRule({
  meta: {
    id: 'connection-churn-settings',
    code: 'MSH103',
    family: 'config',
    description: 'maxRequestsPerConnection small, or http.idleTimeout / tcp.maxConnectionDuration short enough to recycle pooled connections under load',
    defaultSeverity: 'warn',
    docs: 'docs/rules/connection-churn-settings.md',
    inputs: ['DestinationRule'],
    defaultOptions: { minRequestsPerConnection: 100, minIdleTimeoutSeconds: 30, minConnectionDurationSeconds: 300 },
  },
  create(context) {
    const minRequests = Number(context.options.minRequestsPerConnection);
    const minIdle = Number(context.options.minIdleTimeoutSeconds);
    const minDuration = Number(context.options.minConnectionDurationSeconds);
    return {
      DestinationRule(dr) {
        for (const layer of trafficPolicyLayers(dr)) {
          const pool = [...layer.path, 'connectionPool'];
          const mrpc = asNumber(dig(dr.raw, ...pool, 'http', 'maxRequestsPerConnection'));
          if (mrpc !== undefined && mrpc >= 2 && mrpc < minRequests) {
            context.report({
              object: dr,
              path: [...pool, 'http', 'maxRequestsPerConnection'],
              value: mrpc,
              message: `maxRequestsPerConnection: ${mrpc} (${layer.label}) closes each connection after ${mrpc} requests: 1/${mrpc} of a new connection per request`,
              hint: `raise it to at least ${minRequests}, or remove it (0 = unlimited)`,
            });
          }
          // http.idleTimeout falls back to tcp.idleTimeout when unset (Istio ConnectionPoolSettings); 0 disables it (Envoy).
          const httpIdle = dig(dr.raw, ...pool, 'http', 'idleTimeout');
          const idleField = httpIdle !== undefined ? 'http' : 'tcp';
          const idleRaw = httpIdle ?? dig(dr.raw, ...pool, 'tcp', 'idleTimeout');
          const idle = parseDurationSeconds(idleRaw);
          if (idle !== undefined && idle > 0 && idle < minIdle) {
            context.report({
              object: dr,
              path: [...pool, idleField, 'idleTimeout'],
              value: idleRaw,
              message: `${idleField}.idleTimeout of ${idle} s (${layer.label}) closes pooled connections between bursts; the next burst opens new ones (Istio default: 1 h)${idleField === 'tcp' ? '; HTTP connections fall back to it because http.idleTimeout is unset' : ''}`,
              hint: `use at least ${minIdle} s, or remove it`,
            });
          }
          const duration = parseDurationSeconds(dig(dr.raw, ...pool, 'tcp', 'maxConnectionDuration'));
          if (duration !== undefined && duration > 0 && duration < minDuration) {
            context.report({
              object: dr,
              path: [...pool, 'tcp', 'maxConnectionDuration'],
              value: dig(dr.raw, ...pool, 'tcp', 'maxConnectionDuration'),
              message: `tcp.maxConnectionDuration of ${duration} s (${layer.label}) recycles every connection that often, busy or not (Istio default: no limit)`,
              hint: `use at least ${minDuration} s`,
            });
          }
        }
      },
    };
  },
});
