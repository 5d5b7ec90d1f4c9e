import { ruleTester } from '../helpers/rule-tester.js';

const deployment = (sysctls: string, extra = '') => `apiVersion: apps/v1
kind: Deployment
metadata:
  name: api
  namespace: shop
spec:
  template:
    spec:
${extra}      securityContext:
        sysctls:
${sysctls}      containers:
      - name: api
        image: api
`;
const item = (name: string, value: string) => `        - name: ${name}\n          value: "${value}"\n`;

ruleTester('sysctl-unsafe', {
  valid: [
    { name: 'safe: ip_local_port_range', yaml: deployment(item('net.ipv4.ip_local_port_range', '1024 65535')) },
    { name: 'safe since 1.27: ip_local_reserved_ports', yaml: deployment(item('net.ipv4.ip_local_reserved_ports', '30000-32767')), options: { kubernetesVersion: '1.27' } },
    { name: 'near miss: tcp_fin_timeout on 1.29 (safe from 1.29)', yaml: deployment(item('net.ipv4.tcp_fin_timeout', '30')), options: { kubernetesVersion: '1.29', allowedUnsafeSysctls: [] } },
    { name: 'allowed by an exact name', yaml: deployment(item('net.ipv4.tcp_tw_reuse', '1')), options: { kubernetesVersion: '1.32', allowedUnsafeSysctls: ['net.ipv4.tcp_tw_reuse'] } },
    { name: 'allowed by a prefix pattern', yaml: deployment(item('net.core.somaxconn', '4096')), options: { kubernetesVersion: '1.32', allowedUnsafeSysctls: ['net.core.*'] } },
    { name: 'slash form of a safe sysctl', yaml: deployment(item('net/ipv4/ip_local_port_range', '1024 65535')) },
    { name: 'near miss: an unsafe sysctl set by a privileged init container command (node tuning, not a pod sysctl)', yaml: 'apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\nspec:\n  initContainers:\n  - name: t\n    image: busybox\n    command: ["sysctl", "-w", "net.ipv4.tcp_tw_reuse=1"]\n  containers:\n  - name: c\n    image: c\n' },
    { name: 'near miss: the same sysctl in a sysctl.d file', files: { 'node.conf': 'net.ipv4.tcp_tw_reuse = 1\n' } },
  ],
  invalid: [
    { name: 'tcp_tw_reuse', yaml: deployment(item('net.ipv4.tcp_tw_reuse', '1')), errors: [{ line: 11, column: 11, message: /net\.ipv4\.tcp_tw_reuse is an unsafe sysctl.*SysctlForbidden/, severity: 'error' }] },
    { name: 'tcp_fin_timeout on 1.28', yaml: deployment(item('net.ipv4.tcp_fin_timeout', '30')), options: { kubernetesVersion: '1.28', allowedUnsafeSysctls: [] }, errors: [{ line: 11, message: /safe only from Kubernetes 1\.29; on 1\.28/ }] },
    { name: 'not namespaced: vm.max_map_count, even when allowed', yaml: deployment(item('vm.max_map_count', '262144')), options: { kubernetesVersion: '1.32', allowedUnsafeSysctls: ['vm.*'] }, errors: [{ line: 11, message: /not namespaced/ }] },
    { name: 'hostNetwork pod with a safe net.* sysctl', yaml: deployment(item('net.ipv4.ip_local_port_range', '1024 65535'), '      hostNetwork: true\n'), errors: [{ line: 12, message: /not allowed with host networking/ }] },
    {
      name: 'a pattern for another prefix does not allow it',
      yaml: deployment(item('net.ipv4.ip_local_port_range', '1024 65535') + item('net.ipv4.tcp_tw_reuse', '1')),
      options: { kubernetesVersion: '1.32', allowedUnsafeSysctls: ['net.core.*'] },
      errors: [{ line: 13 }],
    },
  ],
});
