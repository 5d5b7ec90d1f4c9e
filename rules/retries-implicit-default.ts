import { defineRule } from '../src/rules/engine.js';
import { asArray, asRecord, dig } from '../src/model/values.js';

/**
 * An HTTP route with no `retries` block: Istio retries it `meshConfig.defaultHttpRetryPolicy` times (2 by
 * default; Istio API reference, `HTTPRetry`), so each request may make 3 tries, which count in the multiplier.
 */
export default defineRule({
  meta: {
    id: 'retries-implicit-default',
    code: 'MSH105',
    family: 'config',
    description: 'An HTTP route without a retries block gets Istio’s default 2 retries: up to 3 tries per request count in the multiplier',
    defaultSeverity: 'info',
    docs: 'docs/rules/retries-implicit-default.md',
    inputs: ['VirtualService'],
    defaultOptions: {},
  },
  create(context) {
    const n = context.model.settings.defaultRetryAttempts;
    return {
      VirtualService(vs) {
        if (n === 0) return;
        asArray(dig(vs.raw, 'spec', 'http')).forEach((route, i) => {
          const r = asRecord(route);
          if (!r || r.retries !== undefined || r.fault !== undefined || r.redirect !== undefined || r.directResponse !== undefined) return;
          context.report({
            object: vs,
            path: ['spec', 'http', i],
            message: `HTTP route ${typeof r.name === 'string' ? `"${r.name}" ` : ''}has no retries block: Istio's default of ${n} retries applies, up to ${n + 1} tries per request`,
            hint: 'state the policy: add retries with attempts and perTryTimeout (attempts: 0 to disable)',
          });
        });
      },
    };
  },
});
