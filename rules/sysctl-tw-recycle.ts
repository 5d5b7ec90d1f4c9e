import { TCP_TW_RECYCLE_REMOVED_IN } from '../src/facts.js';
import { reportSetting, settingOrigin } from '../src/node/rule-support.js';
import { defineRule } from '../src/rules/engine.js';

/**
 * `net.ipv4.tcp_tw_recycle` set anywhere: with 1 it dropped connections from clients behind NAT (their TCP
 * timestamps are not monotonic across hosts); it was removed in Linux 4.12, so on current kernels the write
 * itself fails (kernel commit 4396e46187ca, "tcp: remove tcp_tw_recycle").
 */
export default defineRule({
  meta: {
    id: 'sysctl-tw-recycle',
    code: 'MSH302',
    family: 'node',
    description: `net.ipv4.tcp_tw_recycle set: it broke clients behind NAT and no longer exists (removed in Linux ${TCP_TW_RECYCLE_REMOVED_IN})`,
    defaultSeverity: 'error',
    docs: 'docs/rules/sysctl-tw-recycle.md',
    inputs: ['sysctl.d', 'Pod', 'Deployment', 'StatefulSet', 'DaemonSet', 'Job', 'CronJob'],
    defaultOptions: {},
  },
  create(context) {
    return {
      sysctl(setting) {
        if (setting.name !== 'net.ipv4.tcp_tw_recycle') return;
        const enabled = setting.value.trim() !== '0';
        const failure =
          setting.via === 'pod-securityContext'
            ? 'the pod does not start on such kernels'
            : setting.via === 'sysctl.d'
              ? 'systemd-sysctl and sysctl -p report an error for it'
              : 'the command fails (sysctl: cannot stat /proc/sys/net/ipv4/tcp_tw_recycle)';
        reportSetting(context, setting, {
          value: setting.value,
          severity: enabled ? undefined : 'warn',
          message: enabled
            ? `net.ipv4.tcp_tw_recycle = ${setting.value} in ${settingOrigin(setting)}: on kernels that still had it, it dropped connections from clients behind NAT (per-host TCP timestamps are not monotonic across the NAT); Linux ${TCP_TW_RECYCLE_REMOVED_IN} removed it, so there ${failure}`
            : `net.ipv4.tcp_tw_recycle = 0 in ${settingOrigin(setting)}: the sysctl was removed in Linux ${TCP_TW_RECYCLE_REMOVED_IN}, so ${failure}`,
          hint: 'remove it; TIME_WAIT pressure is fixed by reusing connections (keep-alive, pools), and the port ceiling by ip_local_port_range',
        });
      },
    };
  },
});
