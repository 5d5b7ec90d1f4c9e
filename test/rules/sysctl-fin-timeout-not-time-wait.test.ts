import { ruleTester } from '../helpers/rule-tester.js';

ruleTester('sysctl-fin-timeout-not-time-wait', {
  valid: [
    { name: 'the default, 60', files: { 'node.conf': 'net.ipv4.tcp_fin_timeout = 60\n' } },
    { name: 'near miss: raised', files: { 'node.conf': 'net.ipv4.tcp_fin_timeout = 120\n' } },
    { name: 'near miss: another timeout', files: { 'node.conf': 'net.netfilter.nf_conntrack_tcp_timeout_time_wait = 30\n' } },
    { name: 'near miss: not a number', files: { 'node.conf': 'net.ipv4.tcp_fin_timeout = fast\n' } },
  ],
  invalid: [
    { name: 'lowered in sysctl.d', files: { 'sysctl.d/90-tw.conf': '# shorten TIME_WAIT\nnet.ipv4.tcp_fin_timeout = 15\n' }, errors: [{ line: 2, column: 1, message: /FIN-WAIT-2 only.*60 s in TIME_WAIT \(TCP_TIMEWAIT_LEN/, severity: 'warn' }] },
    { name: 'just below the default', files: { 'node.conf': '-net.ipv4.tcp_fin_timeout=59\n' }, errors: [{ line: 1, column: 2 }] },
    {
      name: 'pod securityContext (safe from 1.29)',
      yaml: 'apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\n  namespace: shop\nspec:\n  securityContext:\n    sysctls:\n    - name: net.ipv4.tcp_fin_timeout\n      value: "10"\n  containers:\n  - name: c\n    image: c\n',
      errors: [{ line: 9, column: 7, message: /Pod shop\/p \(securityContext\.sysctls; applies to the pod's own network namespace\)/ }],
    },
    {
      name: 'printf | tee in a multi-line script',
      yaml: 'apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\nspec:\n  hostNetwork: true\n  containers:\n  - name: c\n    image: c\n    command:\n    - bash\n    - -c\n    - |\n      set -eu\n      printf %s 5 | tee /proc/sys/net/ipv4/tcp_fin_timeout\n      exec sleep infinity\n',
      errors: [{ line: 13, message: /= 5 in Pod default\/p \(a container command; applies to the node\)/ }],
    },
  ],
});
