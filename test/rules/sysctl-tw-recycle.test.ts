import { ruleTester } from '../helpers/rule-tester.js';

const initContainer = (command: string) => `apiVersion: apps/v1
kind: Deployment
metadata:
  name: api
  namespace: shop
spec:
  template:
    spec:
      initContainers:
      - name: tune
        image: busybox
        securityContext:
          privileged: true
        command: ${command}
      containers:
      - name: api
        image: api
`;

ruleTester('sysctl-tw-recycle', {
  valid: [
    { name: 'near miss: tcp_tw_reuse', files: { 'node.conf': 'net.ipv4.tcp_tw_reuse = 1\n' } },
    { name: 'near miss: commented out', files: { 'node.conf': '# net.ipv4.tcp_tw_recycle = 1\n; net.ipv4.tcp_tw_recycle = 1\n' } },
    { name: 'near miss: read with cat', yaml: initContainer('["sh", "-c", "cat /proc/sys/net/ipv4/tcp_tw_recycle || true"]') },
    { name: 'near miss: inside a here-document body', yaml: initContainer('["sh", "-c", "cat > /tmp/x.conf <<EOF\\nsysctl -w net.ipv4.tcp_tw_recycle=1\\nEOF"]') },
    { name: 'near miss: a ConfigMap (not a pod spec)', yaml: 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\ndata:\n  tune.sh: sysctl -w net.ipv4.tcp_tw_recycle=1\n' },
  ],
  invalid: [
    { name: 'sysctl.d file', files: { 'sysctl.d/10-tw.conf': '\nnet.ipv4.tcp_tw_recycle = 1\n' }, errors: [{ line: 2, column: 1, message: /clients behind NAT.*Linux 4\.12 removed it/, severity: 'error' }] },
    { name: 'exec-form sysctl -w', yaml: initContainer('["sysctl", "-w", "net.ipv4.tcp_tw_recycle=1"]'), errors: [{ line: 14, message: /Deployment shop\/api/ }] },
    { name: 'echo into /proc/sys after other commands', yaml: initContainer('["/bin/sh", "-ec", "sysctl -w net.core.somaxconn=4096; echo 1 > /proc/sys/net/ipv4/tcp_tw_recycle"]'), errors: [{ line: 14 }] },
    { name: 'slash form in a pod securityContext', yaml: 'apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\nspec:\n  securityContext:\n    sysctls:\n    - name: net/ipv4/tcp_tw_recycle\n      value: "1"\n  containers:\n  - name: c\n    image: c\n', errors: [{ line: 8, message: /pod does not start/ }] },
    { name: 'set to 0: a warning, the sysctl no longer exists', files: { 'node.conf': 'net.ipv4.tcp_tw_recycle=0\n' }, errors: [{ line: 1, severity: 'warn', message: /removed in Linux 4\.12/ }] },
  ],
});
