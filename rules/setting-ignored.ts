import { defineRule } from '../src/rules/engine.js';
import { fieldKey, type IgnoredSetting } from '../src/model/traffic.js';

/**
 * A setting that has no effect anywhere it applies: `connectionPool.http.*` written for a
 * destination whose every port the policy reaches is TLS or TCP (the sidecar sees no HTTP there, so Envoy's HTTP
 * protocol options are never used). Reported once per field, and only when no (client, port) cell the field
 * reaches is HTTP: a top-level setting that works on the host's HTTP port and not on its TLS port is normal.
 */
export default defineRule({
  meta: {
    id: 'setting-ignored',
    code: 'MSH109',
    family: 'config',
    description: 'A setting that has no effect where it is written: connectionPool.http on TLS/TCP-only ports, retry or timeout annotations under a ServiceProfile, Gateway API retry on a Linkerd route',
    defaultSeverity: 'warn',
    docs: 'docs/rules/setting-ignored.md',
    inputs: ['DestinationRule', 'ServiceEntry', 'Service', 'ServiceProfile', 'HTTPRoute', 'GRPCRoute'],
    defaultOptions: {},
    fixable: true,
  },
  create(context) {
    const effective = new Set<string>();
    const ignored = new Map<string, IgnoredSetting>();
    return {
      // A route's retries that some row applies (a sidecar or waypoint client) are not ignored, even where an
      // ambient client without a waypoint skips them.
      route(row) {
        const retries = row.retryPolicy;
        if (retries?.attempts.at) effective.add(fieldKey(retries.attempts.at));
        if (retries?.block) effective.add(fieldKey(retries.block));
      },
      ConnectionPolicy(policy) {
        for (const figure of [...Object.values(policy.http), ...Object.values(policy.tcp)]) if (figure) effective.add(fieldKey(figure));
        for (const i of policy.ignored) {
          const key = fieldKey(i.at);
          if (!ignored.has(key)) ignored.set(key, i);
        }
      },
      end() {
        // Route and retry settings a data plane does not read (e.g. retry.linkerd.io annotations under a ServiceProfile).
        for (const i of context.traffic.ignoredSettings ?? []) {
          const key = fieldKey(i.at);
          if (!ignored.has(key)) ignored.set(key, i);
        }
        for (const [key, i] of ignored) {
          if (effective.has(key)) continue;
          const fromDestinationRule = i.at.object.ref.kind === 'DestinationRule';
          context.report({
            object: i.at.object,
            path: i.at.path,
            value: i.field,
            message: `ignored: ${i.field}: ${JSON.stringify(i.value)}${fromDestinationRule && i.layer ? ` (${i.layer})` : ''} has no effect: ${i.reason}`,
            hint: i.hint ?? (i.reason.startsWith('no waypoint')
              ? 'give the destination a waypoint (istio.io/use-waypoint on its Service or Namespace) if these settings should apply, else remove them: ztunnel is L4 only'
              : i.at.object.ref.kind === 'EnvoyFilter'
              ? 'set it in the DestinationRule instead (connectionPool, trafficPolicy.retryBudget): istiod writes it into the cluster itself'
              : i.field === 'http.retryBudget' && !context.mesh.release.retryBudgetField
                ? 'use connectionPool.http.maxRetries on this Istio release, or upgrade to 1.27+ (or set --istio-version if the mesh runs a newer release)'
                : 'remove it, or set the port protocol to HTTP if the traffic is HTTP the sidecar should see (and the application sends plain HTTP)'),
            ...(fromDestinationRule ? { fix: { description: `remove ${i.field}, which has no effect here`, edits: [{ op: 'delete' as const, path: i.at.path }] } } : {}),
          });
        }
      },
    };
  },
});
