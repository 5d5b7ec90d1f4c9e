import { ruleTester } from '../helpers/rule-tester.js';

const conf = (text: string) => ({ 'sysctl.d/99-ports.conf': text });

/** A pod with `securityContext.sysctls` and container ports. */
const pod = (sysctls: string, ports = '', extra = '') => `apiVersion: v1
kind: Pod
metadata:
  name: app
  namespace: shop
  labels:
    app: app
spec:
  securityContext:
    sysctls:
${sysctls}  containers:
  - name: app
    image: app
${ports}${extra}`;

const hostNetworkDaemonSet = (script: string, ports = '') => `apiVersion: apps/v1
kind: DaemonSet
metadata:
  name: tune
  namespace: kube-system
spec:
  template:
    spec:
      hostNetwork: true
      initContainers:
      - name: sysctl
        image: busybox
        command: ["sh", "-c", ${JSON.stringify(script)}]
      containers:
      - name: agent
        image: agent
${ports}`;

ruleTester('sysctl-port-range', {
  valid: [
    { name: 'the Linux default range', files: conf('net.ipv4.ip_local_port_range = 32768 60999\n') },
    { name: 'wide range with the NodePort range reserved', files: conf('net.ipv4.ip_local_port_range = 1024 65535\nnet.ipv4.ip_local_reserved_ports = 30000-32767\n') },
    { name: 'near miss: range ends just below the NodePort range', files: conf('net.ipv4.ip_local_port_range = 1024 29999\n') },
    { name: 'near miss: range starts just above the NodePort range', files: conf('net.ipv4.ip_local_port_range = 32768 65535\n') },
    { name: 'near miss: below 1024 after ip_unprivileged_port_start was lowered', files: conf('net.ipv4.ip_unprivileged_port_start = 80\nnet.ipv4.ip_local_port_range = 1000 29999\n') },
    { name: 'near miss: exactly minPorts usable ports', files: conf('net.ipv4.ip_local_port_range = 40000 40099\n'), options: { minPorts: 100 } },
    { name: 'reserved ports in a later file count too', files: { 'sysctl.d/10-range.conf': 'net.ipv4.ip_local_port_range = 1024 65535\n', 'sysctl.d/20-reserved.conf': 'net.ipv4.ip_local_reserved_ports = 30000-32767\n' } },
    { name: 'reserved ports from the configuration count on the node', files: conf('net.ipv4.ip_local_port_range = 1024 65535\n'), node: { ip_local_reserved_ports: '30000-32767' } },
    { name: 'a custom nodePortRange outside the range', files: conf('net.ipv4.ip_local_port_range = 1024 65535\n'), options: { nodePortRange: '1000-1023' } },
    { name: 'pod: a wide range, the pod listens outside it', yaml: pod('    - name: net.ipv4.ip_local_port_range\n      value: "32768 60999"\n', '    ports:\n    - containerPort: 8080\n') },
    { name: 'pod: NodePorts do not matter in the pod network namespace', yaml: pod('    - name: net.ipv4.ip_local_port_range\n      value: "30000 65535"\n') },
    { name: 'pod: its listening port is reserved', yaml: pod('    - name: net.ipv4.ip_local_port_range\n      value: "1024 65535"\n    - name: net.ipv4.ip_local_reserved_ports\n      value: "8080"\n', '    ports:\n    - containerPort: 8080\n') },
    { name: 'near miss: another sysctl', files: conf('net.ipv4.ip_local_reserved_ports = 1024-65535\n') },
    { name: 'near miss: a read, not a write', yaml: hostNetworkDaemonSet('sysctl net.ipv4.ip_local_port_range') },
    { name: 'near miss: the value comes from a variable', yaml: hostNetworkDaemonSet('sysctl -w net.ipv4.ip_local_port_range="$RANGE"') },
  ],
  invalid: [
    {
      name: 'the NodePort range is not reserved (sysctl.d)',
      files: conf('# widened for the gateway\nnet.ipv4.ip_local_port_range = 1024 65535\n'),
      errors: [{ line: 2, column: 1, message: /overlaps the NodePort range 30000-32767 \(2,768 ports: 30000-32767\) not in ip_local_reserved_ports/, severity: 'warn' }],
    },
    {
      name: 'partly reserved: the rest is listed',
      files: conf('net.ipv4.ip_local_port_range = 1024 65535\nnet.ipv4.ip_local_reserved_ports = 30000-31999\n'),
      errors: [{ line: 1, message: /768 ports: 32000-32767/ }],
    },
    {
      name: 'narrow range',
      files: conf('net.ipv4.ip_local_port_range = 50000 51000\n'),
      errors: [{ line: 1, message: /leaves 1,001 usable ephemeral ports .* at 16 new connections\/s/ }],
    },
    {
      name: 'reserved ports make a range narrow',
      files: conf('net.ipv4.ip_local_port_range = 40000 40199\nnet.ipv4.ip_local_reserved_ports = 40000-40150\n'),
      options: { minPorts: 100 },
      errors: [{ line: 1, message: /leaves 49 usable/ }],
    },
    {
      name: 'invalid: low above high',
      files: conf('net.ipv4.ip_local_port_range = 60999 32768\n'),
      errors: [{ line: 1, message: /kernel rejects the write \(EINVAL\)/, severity: 'error' }],
    },
    {
      name: 'invalid: below ip_unprivileged_port_start',
      files: conf('net.ipv4.ip_local_port_range = 1023 29999\n'),
      errors: [{ line: 1, message: /starts below net\.ipv4\.ip_unprivileged_port_start \(1024\)/, severity: 'error' }],
    },
    {
      name: 'hostNetwork DaemonSet command over a hostPort (script line inside sh -c)',
      yaml: hostNetworkDaemonSet('set -e\n# ports\nsysctl -w net.ipv4.ip_local_port_range="32768 65535"', '        ports:\n        - containerPort: 9100\n          hostPort: 40000\n'),
      errors: [{ line: 13, message: /listening port 40000 \(hostPort of DaemonSet kube-system\/tune container agent\)/ }],
    },
    {
      name: 'pod: its own containerPort inside the range',
      yaml: pod('    - name: net.ipv4.ip_local_port_range\n      value: "1024 65535"\n', '    ports:\n    - containerPort: 8080\n'),
      errors: [{ line: 11, column: 7, message: /listening port 8080 \(containerPort of Pod shop\/app container app\)/ }],
    },
    {
      name: 'pod: a Service targetPort selecting it',
      yaml: `${pod('    - name: net.ipv4.ip_local_port_range\n      value: "1024 65535"\n')}---
apiVersion: v1
kind: Service
metadata:
  name: app
  namespace: shop
spec:
  selector:
    app: app
  ports:
  - port: 80
    targetPort: 9090
`,
      errors: [{ line: 11, message: /9090 \(targetPort of Service shop\/app\)/ }],
    },
  ],
});
