import { defineRule } from '../src/rules/engine.js';
import { layerLabel } from '../src/model/adapters/istio/connection-policy.js';
import { fieldKey, type FieldRef } from '../src/model/traffic.js';
import { dig } from '../src/model/values.js';

/**
 * Effective pool settings that recycle connections often enough to churn under load: a small
 * `maxRequestsPerConnection` (2 … `minRequestsPerConnection` − 1) or a short `http.idleTimeout` on an HTTP port
 * (Istio default 1 h; when unset, HTTP connections use `tcp.idleTimeout`, which is then checked instead; `0s`
 * disables the timeout and is not reported), or a short `tcp.maxConnectionDuration` on any port (default
 * unlimited). Read from the model's effective policy per (client, destination, port): settings that have no
 * effect where they stand are `setting-ignored`'s, not churn.
 */
export default defineRule({
  meta: {
    id: 'connection-churn-settings',
    code: 'MSH103',
    family: 'config',
    description: 'maxRequestsPerConnection small, or http.idleTimeout / tcp.maxConnectionDuration short enough to recycle pooled connections under load',
    defaultSeverity: 'warn',
    docs: 'docs/rules/connection-churn-settings.md',
    inputs: ['DestinationRule', 'Service', 'ServiceEntry'],
    defaultOptions: { minRequestsPerConnection: 100, minIdleTimeoutSeconds: 30, minConnectionDurationSeconds: 300 },
  },
  create(context) {
    const minRequests = Number(context.options.minRequestsPerConnection);
    const minIdle = Number(context.options.minIdleTimeoutSeconds);
    const minDuration = Number(context.options.minConnectionDurationSeconds);
    const seen = new Set<string>();
    /** True the first time a field is seen: one finding per field, however many cells it applies to. */
    const first = (field: FieldRef) => {
      const key = fieldKey(field);
      if (seen.has(key)) return false;
      seen.add(key);
      return true;
    };
    return {
      ConnectionPolicy(policy) {
        const mrpc = policy.http.maxRequestsPerConnection;
        if (mrpc && mrpc.value >= 2 && mrpc.value < minRequests && first(mrpc)) {
          context.report({
            object: mrpc.object,
            path: mrpc.path,
            value: mrpc.value,
            message: `maxRequestsPerConnection: ${mrpc.value} (${layerLabel(mrpc)}) closes each connection after ${mrpc.value} requests: 1/${mrpc.value} of a new connection per request`,
            hint: `raise it to at least ${minRequests}, or remove it (0 = unlimited)`,
          });
        }
        // http.idleTimeout falls back to tcp.idleTimeout when unset (Istio ConnectionPoolSettings); 0 disables it (Envoy).
        const httpIdle = policy.protocol === 'http' ? policy.http.idleTimeout : undefined;
        const idle = httpIdle ?? (policy.protocol === 'http' ? policy.tcp.idleTimeout : undefined);
        const idleField = httpIdle ? 'http' : 'tcp';
        if (idle && idle.value > 0 && idle.value < minIdle && first(idle)) {
          context.report({
            object: idle.object,
            path: idle.path,
            value: dig(idle.object.raw, ...idle.path), // as written: baseline fingerprints key on it
            message: `${idleField}.idleTimeout of ${idle.value} s (${layerLabel(idle)}) closes pooled connections between bursts; the next burst opens new ones (Istio default: 1 h)${idleField === 'tcp' ? '; HTTP connections fall back to it because http.idleTimeout is unset' : ''}`,
            hint: `use at least ${minIdle} s, or remove it`,
          });
        }
        const duration = policy.tcp.maxConnectionDuration;
        if (duration && duration.value > 0 && duration.value < minDuration && first(duration)) {
          context.report({
            object: duration.object,
            path: duration.path,
            value: dig(duration.object.raw, ...duration.path),
            message: `tcp.maxConnectionDuration of ${duration.value} s (${layerLabel(duration)}) recycles every connection that often, busy or not (Istio default: no limit)`,
            hint: `use at least ${minDuration} s`,
          });
        }
      },
    };
  },
});
