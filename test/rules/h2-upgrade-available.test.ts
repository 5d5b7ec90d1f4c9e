import { ruleTester } from '../helpers/rule-tester.js';

const svc = (portName: string) => `apiVersion: v1
kind: Service
metadata:
  name: inventory
  namespace: shop
spec:
  ports:
  - name: ${portName}
    port: 8080
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata:
  name: inventory
  namespace: shop
spec:
  hosts: [inventory]
  http:
  - route:
    - destination:
        host: inventory
        port:
          number: 8080
    retries:
      attempts: 1
`;
const dr = (http: string) => `---
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata:
  name: inventory
  namespace: shop
spec:
  host: inventory
  trafficPolicy:
    connectionPool:
      http:
${http}`;

ruleTester('h2-upgrade-available', {
  valid: [
    { name: 'UPGRADE set', yaml: svc('http') + dr('        h2UpgradePolicy: UPGRADE\n') },
    { name: 'near miss: deliberate DO_NOT_UPGRADE', yaml: svc('http') + dr('        h2UpgradePolicy: DO_NOT_UPGRADE\n') },
    { name: 'near miss: gRPC port is already HTTP/2', yaml: svc('grpc-api') },
    { name: 'near miss: TCP port', yaml: svc('tcp-db') },
    { name: 'mesh-wide UPGRADE', yaml: svc('http'), mesh: { h2UpgradePolicy: 'UPGRADE' } },
    { name: 'external host is not upgraded blindly', yaml: 'apiVersion: networking.istio.io/v1\nkind: ServiceEntry\nmetadata:\n  name: e\nspec:\n  hosts: [api.example.com]\n  ports:\n  - number: 80\n    name: http\n    protocol: HTTP\n' },
  ],
  invalid: [
    { name: 'HTTP service, no DestinationRule', yaml: svc('http'), errors: [{ line: 21, column: 9, severity: 'info', message: /HTTP\/1\.1 from shop to in-mesh inventory\.shop\.svc\.cluster\.local/ }] },
    { name: 'pool without h2UpgradePolicy: points at the pool', yaml: svc('http-web') + dr('        maxRequestsPerConnection: 0\n'), errors: [{ line: 35, column: 5 }] },
    { name: 'UPGRADE made ineffective by useClientProtocol', yaml: svc('http') + dr('        h2UpgradePolicy: UPGRADE\n        useClientProtocol: true\n'), errors: [{ line: 38, message: /ineffective/ }] },
  ],
});
