import { ruleTester } from '../helpers/rule-tester.js';

ruleTester('schema-invalid', {
  valid: [
    { name: 'valid DestinationRule', yaml: 'apiVersion: networking.istio.io/v1\nkind: DestinationRule\nmetadata:\n  name: a\nspec:\n  host: a\n  trafficPolicy:\n    connectionPool:\n      http:\n        maxRequestsPerConnection: 10\n' },
    { name: 'int-or-string accepted', yaml: 'apiVersion: networking.istio.io/v1beta1\nkind: VirtualService\nmetadata:\n  name: a\nspec:\n  hosts: [a]\n  http:\n  - route:\n    - destination:\n        host: a\n' },
    { name: 'empty document is skipped', yaml: '---\n# nothing\n---\n' },
    { name: 'non-Istio kinds are not validated', yaml: 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\ndata:\n  k: v\n' },
  ],
  invalid: [
    {
      name: 'unknown field (typo) at its line',
      yaml: 'apiVersion: networking.istio.io/v1\nkind: DestinationRule\nmetadata:\n  name: a\nspec:\n  host: a\n  trafficPolicy:\n    connectionPool:\n      http:\n        maxRequestPerConnection: 1\n',
      errors: [{ line: 10, column: 9, message: /maxRequestPerConnection/ }],
    },
    {
      name: 'wrong type',
      yaml: 'apiVersion: networking.istio.io/v1\nkind: DestinationRule\nmetadata:\n  name: a\nspec:\n  host: a\n  trafficPolicy:\n    connectionPool:\n      http:\n        maxRequestsPerConnection: lots\n',
      errors: [{ line: 10, message: /maxRequestsPerConnection/ }],
    },
    {
      name: 'bad enum',
      yaml: 'apiVersion: networking.istio.io/v1\nkind: ServiceEntry\nmetadata:\n  name: a\nspec:\n  hosts: [a.example.com]\n  resolution: SOMETIMES\n',
      errors: [{ line: 7, message: /resolution/ }],
    },
    { name: 'a document that is a list', yaml: '- a\n- b\n', errors: [{ line: 1, message: /not a mapping/ }] },
    { name: 'a document that is a scalar', yaml: 'apiVersion: v1\nkind: Namespace\nmetadata:\n  name: a\n---\njust text\n', errors: [{ line: 6, message: /a string, not a mapping/ }] },
    { name: 'kind not served in that version', yaml: 'apiVersion: networking.istio.io/v2\nkind: DestinationRule\nmetadata:\n  name: a\nspec:\n  host: a\n', errors: [{ line: 1, message: /not served/ }] },
  ],
});
