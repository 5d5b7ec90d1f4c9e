import { defineRule } from '../src/rules/engine.js';
import { asArray, asNumber, asRecord, asString, dig } from '../src/model/values.js';

/** `mirror` / `mirrors[]` send a copy of each request to another destination with its own connection pools. */
export default defineRule({
  meta: {
    id: 'mirror-amplification',
    code: 'MSH106',
    family: 'config',
    description: 'Traffic mirroring multiplies outbound requests (and connections where the mirror destination churns)',
    defaultSeverity: 'warn',
    docs: 'docs/rules/mirror-amplification.md',
    inputs: ['VirtualService'],
    defaultOptions: { minPercentage: 0 },
  },
  create(context) {
    const min = Number(context.options.minPercentage);
    return {
      VirtualService(vs) {
        asArray(dig(vs.raw, 'spec', 'http')).forEach((route, i) => {
          const r = asRecord(route) ?? {};
          const mirrors: { host: string; pct: number; path: (string | number)[] }[] = [];
          const single = asString(dig(r, 'mirror', 'host'));
          if (single) mirrors.push({ host: single, pct: asNumber(dig(r, 'mirrorPercentage', 'value')) ?? 100, path: ['spec', 'http', i, 'mirror'] });
          asArray(r.mirrors).forEach((m, j) => {
            const host = asString(dig(m, 'destination', 'host'));
            if (host) mirrors.push({ host, pct: asNumber(dig(m, 'percentage', 'value')) ?? 100, path: ['spec', 'http', i, 'mirrors', j] });
          });
          for (const m of mirrors) {
            if (m.pct <= min) continue;
            context.report({
              object: vs,
              path: m.path,
              value: m.pct,
              message: `route mirrors ${m.pct}% of requests to ${m.host}: +${(m.pct / 100).toFixed(2)} outbound requests per request, on ${m.host}'s own connection pools`,
              hint: 'mirror a small percentage (mirrorPercentage) and give the mirror destination a pooled connectionPool',
            });
          }
        });
      },
    };
  },
});
