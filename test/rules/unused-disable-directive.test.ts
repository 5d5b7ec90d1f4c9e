import { ruleTester } from '../helpers/rule-tester.js';

const on = { reportUnusedDisableDirectives: true };
/** A DestinationRule with keep-alive off (keepalive-disabled fires on line `10 + extra lines`). */
const dr = (annotations = '', comment = '') => `apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata:
  name: ext
  namespace: shop
${annotations ? `  annotations:\n${annotations}` : ''}spec:
  host: api.example.com
  trafficPolicy:
    connectionPool:
      http:
${comment}        maxRequestsPerConnection: 1
`;

ruleTester('unused-disable-directive', {
  valid: [
    { name: 'a comment that silences its finding', yaml: dr('', '        # meshlint-disable-next-line keepalive-disabled\n'), check: on },
    { name: 'an annotation that silences its finding', yaml: dr('    meshlint.io/ignore: keepalive-disabled\n'), check: on },
    { name: '"*" that silences a finding', yaml: dr('    meshlint.io/ignore: "*"\n'), check: on },
    { name: 'near miss: an unused directive without --report-unused-disable-directives', yaml: dr('', '        # meshlint-disable-next-line retries-aggressive\n') },
    { name: 'near miss: a block scalar that contains the directive text is not a comment', yaml: `apiVersion: v1\nkind: Service\nmetadata:\n  name: s\n  annotations:\n    note: |\n      # meshlint-disable-next-line keepalive-disabled\nspec:\n  ports: []\n`, check: on },
    { name: 'galley.istio.io/analyze-suppress is istioctl’s: never reported as unused', yaml: dr('    galley.istio.io/analyze-suppress: IST0106,IST0102\n'), check: on },
  ],
  invalid: [
    {
      name: 'a comment for another rule',
      yaml: dr('', '        # meshlint-disable-next-line retries-aggressive -- we retry a lot\n'),
      check: on,
      errors: [{ line: 11, column: 9, message: /unused meshlint-disable-next-line comment: there is no retries-aggressive finding on line 12/, severity: 'warn' }],
    },
    {
      name: 'a comment two lines above the finding (wrong line)',
      yaml: dr('', '        # meshlint-disable-next-line keepalive-disabled\n        # another comment\n'),
      check: on,
      errors: [{ line: 11, message: /no keepalive-disabled finding on line 12/ }],
    },
    {
      name: 'a misspelt rule id in an annotation, and the used id beside it is not reported',
      yaml: dr('    meshlint.io/ignore: keepalive-disabled,keepalive-disabeld\n'),
      check: on,
      errors: [{ line: 7, column: 5, message: /names "keepalive-disabeld", which is not a meshlint rule/ }],
    },
    {
      name: 'meshlint-disable for the rest of a document with nothing to silence',
      yaml: `# meshlint-disable connection-churn-settings\n${dr()}`,
      check: on,
      errors: [{ line: 1, column: 1, message: /from line 1 to the end of the document/ }],
    },
    {
      name: 'severity from the rules setting',
      yaml: dr('    meshlint.io/ignore: mirror-amplification\n'),
      check: { ...on, rules: new Map([['unused-disable-directive', { severity: 'error' as const }]]) },
      errors: [{ line: 7, severity: 'error' }],
    },
  ],
});
