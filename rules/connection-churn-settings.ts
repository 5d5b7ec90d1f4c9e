import { defineRule } from '../src/rules/engine.js';
import { fieldKey, type FieldRef } from '../src/model/traffic.js';

/** `EnvoyFilter shop/hcm configPatches[0]` for a figure an EnvoyFilter wrote. */
function envoyFilterLabel(figure: FieldRef): string {
  return `EnvoyFilter ${figure.object.ref.namespace}/${figure.object.ref.name} configPatches[${String(figure.path[2] ?? '?')}]`;
}

/**
 * Effective pool settings that recycle connections often enough to churn under load: a small
 * `maxRequestsPerConnection` (2 … `minRequestsPerConnection` − 1) or a short `http.idleTimeout` on an HTTP port
 * (Istio default 1 h; when unset, HTTP connections use `tcp.idleTimeout`, which is then checked instead; `0s`
 * disables the timeout and is not reported), or a short `tcp.maxConnectionDuration` on any port (default
 * unlimited). Read from the model's effective policy per (client, destination, port): settings that have no
 * effect where they stand are `setting-ignored`'s, not churn. The same idle threshold applies to the HTTP
 * connection manager's `idle_timeout` and `stream_idle_timeout` that EnvoyFilter NETWORK_FILTER patches set on
 * the client's outbound or the destination's inbound listener (`ListenerFigures` in `src/model/traffic.ts`).
 */
export default defineRule({
  meta: {
    id: 'connection-churn-settings',
    code: 'MSH103',
    family: 'config',
    description: 'maxRequestsPerConnection small, or http.idleTimeout / tcp.maxConnectionDuration short enough to recycle pooled connections under load',
    defaultSeverity: 'warn',
    docs: 'docs/rules/connection-churn-settings.md',
    inputs: ['DestinationRule', 'Service', 'ServiceEntry', 'EnvoyFilter'],
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
            message: `maxRequestsPerConnection: ${mrpc.value} (${mrpc.layer}) closes each connection after ${mrpc.value} requests: 1/${mrpc.value} of a new connection per request`,
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
            value: idle.written, // as written: baseline fingerprints key on it
            message: `${idleField}.idleTimeout of ${idle.value} s (${idle.layer}) closes pooled connections between bursts; the next burst opens new ones (Istio default: 1 h)${idleField === 'tcp' ? '; HTTP connections fall back to it because http.idleTimeout is unset' : ''}`,
            hint: `use at least ${minIdle} s, or remove it`,
          });
        }
        // HTTP connection manager timeouts from EnvoyFilter NETWORK_FILTER patches (traffic.ts ListenerFigures), same thresholds.
        for (const side of ['outbound', 'inbound'] as const) {
          const where = side === 'outbound'
            ? `the client sidecar's outbound listener${policy.port !== undefined ? ` for port ${policy.port}` : ''} (${policy.clientNamespace}): it closes the application's idle connections to its sidecar, and the next request opens a new one`
            : `${policy.host}${policy.port !== undefined ? `:${policy.port}` : ''}'s inbound listener: it closes idle connections from calling proxies, so their pools empty between bursts whatever their DestinationRule's idleTimeout`;
          const hcmIdle = policy.listener[`${side}IdleTimeout`];
          if (hcmIdle && hcmIdle.value > 0 && hcmIdle.value < minIdle && first(hcmIdle)) {
            context.report({
              object: hcmIdle.object,
              path: hcmIdle.path,
              value: hcmIdle.written,
              message: `HTTP connection manager idle_timeout of ${hcmIdle.value} s (${envoyFilterLabel(hcmIdle)}) on ${where} (Envoy default: 1 h)`,
              hint: `use at least ${minIdle} s, or remove the patch`,
            });
          }
          const streamIdle = policy.listener[`${side}StreamIdleTimeout`];
          if (streamIdle && streamIdle.value > 0 && streamIdle.value < minIdle && first(streamIdle)) {
            context.report({
              object: streamIdle.object,
              path: streamIdle.path,
              value: streamIdle.written,
              message: `HTTP connection manager stream_idle_timeout of ${streamIdle.value} s (${envoyFilterLabel(streamIdle)}) on ${side === 'outbound' ? `the client sidecar's outbound listener${policy.port !== undefined ? ` for port ${policy.port}` : ''}` : `${policy.host}${policy.port !== undefined ? `:${policy.port}` : ''}'s inbound listener`} resets every request that sends or receives nothing for ${streamIdle.value} s; on HTTP/1.1 the connection closes with it (Envoy default: 5 min)`,
              hint: `use at least ${minIdle} s, or remove the patch`,
            });
          }
        }
        const duration = policy.tcp.maxConnectionDuration;
        if (duration && duration.value > 0 && duration.value < minDuration && first(duration)) {
          context.report({
            object: duration.object,
            path: duration.path,
            value: duration.written,
            message: `tcp.maxConnectionDuration of ${duration.value} s (${duration.layer}) recycles every connection that often, busy or not (Istio default: no limit)`,
            hint: `use at least ${minDuration} s`,
          });
        }
      },
    };
  },
});
