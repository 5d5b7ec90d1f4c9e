import { defineRule } from '../src/rules/engine.js';

/** `mirror` / `mirrors[]` send a copy of each request to another destination with its own connection pools. */
export default defineRule({
  meta: {
    id: 'mirror-amplification',
    code: 'MSH106',
    family: 'config',
    description: 'Traffic mirroring multiplies outbound requests (and connections where the mirror destination churns)',
    defaultSeverity: 'warn',
    docs: 'docs/rules/mirror-amplification.md',
    inputs: ['VirtualService', 'HTTPRoute', 'GRPCRoute'],
    defaultOptions: { minPercentage: 0 },
  },
  create(context) {
    const min = Number(context.options.minPercentage);
    return {
      TrafficRoute(route) {
        for (const m of route.mirrors) {
          if (m.percentage <= min) continue;
          context.report({
            object: m.at.object,
            path: m.at.path,
            value: m.percentage,
            message: `route mirrors ${m.percentage}% of requests to ${m.host}: +${(m.percentage / 100).toFixed(2)} outbound requests per request, on ${m.host}'s own connection pools`,
            hint: `mirror a small percentage (${m.at.object.ref.kind === 'VirtualService' ? 'mirrorPercentage' : 'requestMirror.percent'}) and give the mirror destination a pooled connectionPool`,
          });
        }
      },
    };
  },
});
