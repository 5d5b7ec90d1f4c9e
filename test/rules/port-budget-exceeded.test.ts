import { destinationRule, serviceEntry, virtualService } from '../helpers/manifests.js';
import { ruleTester } from '../helpers/rule-tester.js';

/**
 * An external HTTP API with keep-alive off and `attempts` retries: attempts + 1 new SNAT'd connections per request.
 * The ServiceEntry is 13 lines, so the VirtualService's destination `host:` (where the finding points) is line 26.
 */
const api = (attempts: number, mrpc = 1) =>
  `${serviceEntry('api')}---
${virtualService('api', { routeLines: `    retries:\n      attempts: ${attempts}\n      perTryTimeout: 2s\n` })}---
${destinationRule('api', { host: 'api.example.com', maxRequestsPerConnection: mrpc })}`;

ruleTester('port-budget-exceeded', {
  valid: [
    { name: 'no stated rate: nothing to check', yaml: api(3) },
    { name: 'pooled: nothing churns at any rate', yaml: api(3, 0), check: { rps: 100000 } },
    { name: 'near miss: 76.5 % of the budget (90 × 4 × 60 = 21,600)', yaml: api(3), check: { rps: 90 } },
    { name: 'a wider port range holds it (--port-range 1024-65535: 64,512 ports)', yaml: api(3), check: { rps: 200, ports: 64512 } },
    { name: 'warnShare 0.9 lets 85 % pass', yaml: api(3), check: { rps: 100 }, options: { warnShare: 0.9 } },
  ],
  invalid: [
    { name: '200 req/s × 4 × 60 s = 48,000 ports > 28,232', yaml: api(3), check: { rps: 200 }, errors: [{ line: 26, severity: 'error', message: /48,000 ports in TIME_WAIT .* more than the 28,232 of the node's SNAT ports: connect\(\) fails with EADDRNOTAVAIL above 117 req\/s/ }] },
    { name: '85 % of the budget is a warning', yaml: api(3), check: { rps: 100 }, errors: [{ line: 26, severity: 'warn', message: /24,000 ports .* 85\.01 % of the 28,232/ }] },
    { name: 'TIME_WAIT of 30 s halves the ports held', yaml: api(3), check: { rps: 200, timeWaitSeconds: 30 }, errors: [{ line: 26, severity: 'warn', message: /24,000 ports in TIME_WAIT \(200 × 4 new connections × 30 s\)/ }] },
  ],
});
