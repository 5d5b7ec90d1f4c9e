import { ruleTester } from '../helpers/rule-tester.js';

const dr = (http: string, tcp = '') => `apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata:
  name: ext
  namespace: shop
spec:
  host: api.example.com
  trafficPolicy:
    connectionPool:
      http:
${http}      tcp:
        maxConnections: 50
${tcp}`;

ruleTester('connection-churn-settings', {
  valid: [
    { name: 'large maxRequestsPerConnection', yaml: dr('        maxRequestsPerConnection: 1000\n') },
    { name: 'near miss: exactly the threshold (100)', yaml: dr('        maxRequestsPerConnection: 100\n') },
    { name: 'near miss: 1 is keepalive-disabled, not this rule', yaml: dr('        maxRequestsPerConnection: 1\n') },
    { name: 'idleTimeout at the threshold', yaml: dr('        idleTimeout: 30s\n') },
    { name: 'long maxConnectionDuration', yaml: dr('        idleTimeout: 1h\n', '        maxConnectionDuration: 10m\n') },
    { name: 'near miss: idleTimeout 0s disables the idle timeout (Envoy), it does not recycle', yaml: dr('        idleTimeout: 0s\n') },
    { name: 'near miss: a short tcp.idleTimeout is overridden by a long http.idleTimeout', yaml: dr('        idleTimeout: 1h\n', '        idleTimeout: 5s\n') },
    { name: 'threshold lowered by option', yaml: dr('        maxRequestsPerConnection: 10\n'), options: { minRequestsPerConnection: 10 } },
  ],
  invalid: [
    { name: 'maxRequestsPerConnection 2', yaml: dr('        maxRequestsPerConnection: 2\n'), errors: [{ line: 11, column: 9, message: /1\/2 of a new connection/, severity: 'warn' }] },
    { name: 'maxRequestsPerConnection 99', yaml: dr('        maxRequestsPerConnection: 99\n'), errors: [{ line: 11 }] },
    { name: 'short idleTimeout in ms', yaml: dr('        idleTimeout: 500ms\n'), errors: [{ line: 11, message: /0\.5 s/ }] },
    { name: 'short maxConnectionDuration', yaml: dr('        idleTimeout: 1h\n', '        maxConnectionDuration: 30s\n'), errors: [{ line: 14, message: /maxConnectionDuration of 30 s/ }] },
    { name: 'short tcp.idleTimeout with http.idleTimeout unset: HTTP connections fall back to it', yaml: dr('', '        idleTimeout: 5s\n'), errors: [{ line: 13, column: 9, message: /tcp\.idleTimeout of 5 s .*fall back/ }] },
    { name: 'option raises the bar', yaml: dr('        maxRequestsPerConnection: 500\n'), options: { minRequestsPerConnection: 1000 }, errors: [{ line: 11 }] },
  ],
});
