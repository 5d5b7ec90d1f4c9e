import { ruleTester } from '../helpers/rule-tester.js';

const svc = (labels: string) => `apiVersion: v1
kind: Service
metadata:
  name: reviews
  namespace: shop
  labels:
${labels}spec:
  ports:
  - name: http
    port: 9080
---
`;
const waypoint = (namespace: string, labels: string, allowed = '') => `apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata:
  name: wp
  namespace: ${namespace}
  labels:
${labels || '    app: wp\n'}spec:
  gatewayClassName: istio-waypoint
  listeners:
  - name: mesh
    port: 15008
    protocol: HBONE
${allowed}---
`;
const useWp = '    istio.io/use-waypoint: wp\n';
/** A Deployment whose pod template names waypoint `wp` (workload-addressed traffic). */
const podUsesWp = `apiVersion: apps/v1
kind: Deployment
metadata:
  name: reviews
  namespace: shop
spec:
  template:
    metadata:
      labels:
        istio.io/use-waypoint: wp
    spec:
      containers:
      - name: app
        image: example/reviews:1
---
`;
const from = (f: string) => `    allowedRoutes:\n      namespaces:\n        from: ${f}\n`;

ruleTester('waypoint-unavailable', {
  valid: [
    { name: 'the waypoint exists and takes Service traffic (default waypoint-for: service)', yaml: svc(useWp) + waypoint('shop', '') },
    { name: 'waypoint-for: all takes Service traffic', yaml: svc(useWp) + waypoint('shop', '    istio.io/waypoint-for: all\n') },
    { name: 'use-waypoint: none opts out: nothing to check', yaml: svc('    istio.io/use-waypoint: none\n') },
    { name: 'near miss: a waypoint in another namespace that admits all namespaces', yaml: svc(useWp + '    istio.io/use-waypoint-namespace: infra\n') + waypoint('infra', '', from('All')) },
    {
      name: 'near miss: a workload waypoint named by a pod template',
      yaml: podUsesWp + waypoint('shop', '    istio.io/waypoint-for: workload\n'),
    },
  ],
  invalid: [
    { name: 'the waypoint is not in the input (info: it may exist in the cluster)', yaml: svc(useWp), errors: [{ line: 7, column: 5, severity: 'info', message: /^waypoint shop\/wp is not in the input: if it does not exist, traffic to it goes through ztunnel L4 only/ }] },
    { name: 'a workload-only waypoint does not take Service traffic', yaml: svc(useWp) + waypoint('shop', '    istio.io/waypoint-for: workload\n'), errors: [{ line: 7, severity: 'warn', message: /waypoint shop\/wp has istio\.io\/waypoint-for=workload: it does not take service-addressed traffic/ }] },
    { name: 'a service waypoint named by a pod template does not take workload traffic', yaml: podUsesWp + waypoint('shop', ''), errors: [{ line: 10, message: /waypoint-for=service \(default\): it does not take workload-addressed traffic/ }] },
    { name: 'a waypoint in another namespace whose listener admits only its own (allowedRoutes default Same)', yaml: svc(useWp + '    istio.io/use-waypoint-namespace: infra\n') + waypoint('infra', ''), errors: [{ line: 7, message: /does not admit namespace shop \(allowedRoutes\.namespaces\.from: Same\)/ }] },
    {
      name: 'the Namespace label names a waypoint the input lacks',
      yaml: 'apiVersion: v1\nkind: Namespace\nmetadata:\n  name: shop\n  labels:\n    istio.io/use-waypoint: shop-wp\n',
      errors: [{ line: 6, severity: 'info', message: /waypoint shop\/shop-wp is not in the input/ }],
    },
  ],
});
