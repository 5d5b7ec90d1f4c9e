import { destinationRule, serviceEntry } from '../helpers/manifests.js';
import { ruleTester } from '../helpers/rule-tester.js';
import { apiDestinationRule, egressGatewayYaml } from '../helpers/egress.js';

/** ServiceEntry ext (`location` lines after its ports) and a DestinationRule ending at `connectionPool:` for the caller to continue. */
const se = (location = '') => `${serviceEntry('ext', { tail: location })}---\n${destinationRule('ext', { host: 'api.example.com', pool: '' })}`;

ruleTester('connection-limit-unbounded', {
  valid: [
    {
      name: 'egress gateway: the gateway sees maxConnections in its own namespace (the client’s pool without it is shadowed for the gateway)',
      yaml: egressGatewayYaml(apiDestinationRule('istio-system', '  trafficPolicy:\n    connectionPool:\n      tcp:\n        maxConnections: 50\n'), apiDestinationRule('shop', '  trafficPolicy:\n    connectionPool:\n      http:\n        http1MaxPendingRequests: 10\n', '.')),
    },
    { name: 'maxConnections set', yaml: se() + '      tcp:\n        maxConnections: 100\n' },
    { name: 'near miss: internal ServiceEntry (MESH_INTERNAL)', yaml: se('  location: MESH_INTERNAL\n') + '      http:\n        http1MaxPendingRequests: 10\n' },
    { name: 'no pool at all is connection-pool-missing, not this rule', yaml: se().replace('  trafficPolicy:\n    connectionPool:\n', '') },
  ],
  invalid: [
    {
      name: 'egress gateway: the pool the gateway applies to the external host lacks maxConnections',
      yaml: egressGatewayYaml(apiDestinationRule('istio-system', '  trafficPolicy:\n    connectionPool:\n      http:\n        http1MaxPendingRequests: 10\n')),
      errors: [{ line: 64, column: 5, message: /external host api\.example\.com sets no tcp\.maxConnections/ }],
    },
    { name: 'pool with only http settings', yaml: se() + '      http:\n        http1MaxPendingRequests: 10\n', errors: [{ line: 22, column: 5, message: /no tcp\.maxConnections/ }] },
    { name: 'near miss: connectTimeout is not a limit', yaml: se() + '      tcp:\n        connectTimeout: 1s\n', errors: [{ line: 22 }] },
  ],
});
