import { DEFAULT_TCP_FIN_TIMEOUT_SECONDS, TIME_WAIT_SECONDS } from '../src/facts.js';
import { reportSetting, settingOrigin } from '../src/node/rule-support.js';
import { defineRule } from '../src/rules/engine.js';

/**
 * `net.ipv4.tcp_fin_timeout` lowered below its default (60 s), the usual mistaken fix for TIME_WAIT: it bounds
 * FIN-WAIT-2; TIME_WAIT lasts `TCP_TIMEWAIT_LEN` = 60 s whatever it says (kernel `include/net/tcp.h`, `Documentation/networking/ip-sysctl.rst` `tcp_fin_timeout`).
 */
export default defineRule({
  meta: {
    id: 'sysctl-fin-timeout-not-time-wait',
    code: 'MSH303',
    family: 'node',
    description: 'net.ipv4.tcp_fin_timeout lowered as a TIME_WAIT fix: it bounds FIN-WAIT-2; TIME_WAIT stays 60 s',
    defaultSeverity: 'warn',
    docs: 'docs/rules/sysctl-fin-timeout-not-time-wait.md',
    inputs: ['sysctl.d', 'Pod', 'Deployment', 'StatefulSet', 'DaemonSet', 'Job', 'CronJob'],
    defaultOptions: {},
  },
  create(context) {
    return {
      sysctl(setting) {
        if (setting.name !== 'net.ipv4.tcp_fin_timeout') return;
        const seconds = Number(setting.value);
        if (!/^\s*\d+\s*$/.test(setting.value) || seconds >= DEFAULT_TCP_FIN_TIMEOUT_SECONDS) return;
        reportSetting(context, setting, {
          value: seconds,
          message: `net.ipv4.tcp_fin_timeout = ${seconds} in ${settingOrigin(setting)} shortens FIN-WAIT-2 only: a closed connection's port still stays ${TIME_WAIT_SECONDS} s in TIME_WAIT (TCP_TIMEWAIT_LEN, hard-coded in include/net/tcp.h), so this frees no ephemeral ports`,
          hint: 'cut the churn instead (keep-alive, connection pools; meshlint check lists where), or raise the ceiling with ip_local_port_range',
        });
      },
    };
  },
});
