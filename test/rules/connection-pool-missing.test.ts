import { serviceEntry } from '../helpers/manifests.js';
import { ruleTester } from '../helpers/rule-tester.js';
import { apiDestinationRule, egressGatewayYaml } from '../helpers/egress.js';

const se = serviceEntry('ext');
const drWith = (ns: string, policy: string) => `---
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata:
  name: ext
  namespace: ${ns}
spec:
  host: api.example.com
${policy}`;
const pool = '  trafficPolicy:\n    connectionPool:\n      tcp:\n        maxConnections: 20\n';

ruleTester('connection-pool-missing', {
  valid: [
    { name: 'egress gateway: the gateway’s namespace has a pool for the external host', yaml: egressGatewayYaml(apiDestinationRule('istio-system', pool)) },
    { name: 'egress gateway: a pool in the ServiceEntry’s namespace, exported to the gateway by default', yaml: egressGatewayYaml(apiDestinationRule('shop', pool)) },
    { name: 'external host with a pool in the client namespace', yaml: se + drWith('shop', pool) },
    { name: 'pool from the root namespace applies when nothing closer matches', yaml: se + drWith('istio-system', pool) },
    { name: 'wildcard DestinationRule with a pool', yaml: se + drWith('shop', pool).replace('host: api.example.com', 'host: "*.example.com"') },
    { name: 'internal host not reported with internal: false', yaml: 'apiVersion: networking.istio.io/v1\nkind: VirtualService\nmetadata:\n  name: r\n  namespace: prod\nspec:\n  hosts: [reviews]\n  http:\n  - route:\n    - destination:\n        host: reviews\n', options: { internal: false } },
  ],
  invalid: [
    {
      name: 'egress gateway: no pool for the external host on the gateway’s leg (the gateway Service has one)',
      yaml: egressGatewayYaml(),
      errors: [{ line: 27, severity: 'warn', message: /^MESH_EXTERNAL host api\.example\.com receives traffic from the egress gateway in istio-system but no DestinationRule applies/ }],
    },
    {
      name: 'near miss: egress gateway: a pool in shop exported only to shop does not reach the gateway',
      yaml: egressGatewayYaml(apiDestinationRule('shop', pool, '.')),
      errors: [{ line: 27, message: /from the egress gateway in istio-system/ }],
    },
    { name: 'external host, no DestinationRule', yaml: se, errors: [{ line: 8, column: 5, severity: 'warn', message: /MESH_EXTERNAL host api\.example\.com port 80 .* no DestinationRule applies/ }] },
    { name: 'near miss: DestinationRule with only tls', yaml: se + drWith('shop', '  trafficPolicy:\n    tls:\n      mode: SIMPLE\n'), errors: [{ line: 8, message: /sets no connectionPool/ }] },
    {
      name: 'near miss: client namespace DR shadows the root DR (no merging across namespaces)',
      yaml: se + drWith('shop', '  trafficPolicy:\n    tls:\n      mode: SIMPLE\n') + drWith('istio-system', pool),
      errors: [{ line: 8 }],
    },
    {
      name: 'near miss: DR in another namespace exported only to itself',
      yaml: se + drWith('other', pool).replace('spec:\n', 'spec:\n  exportTo: ["."]\n'),
      errors: [{ line: 8 }],
    },
    {
      name: 'internal host: one level lower (info)',
      yaml: 'apiVersion: networking.istio.io/v1\nkind: VirtualService\nmetadata:\n  name: r\n  namespace: prod\nspec:\n  hosts: [reviews]\n  http:\n  - route:\n    - destination:\n        host: reviews\n',
      errors: [{ line: 11, column: 9, severity: 'info', message: /host reviews\.prod\.svc\.cluster\.local/ }],
    },
  ],
});
