import { compareMinor, LATEST_KNOWN_KUBERNETES, matchesSysctlPattern, safeSysctl } from '../src/node/kubernetes.js';
import { reportSetting } from '../src/node/rule-support.js';
import { isNamespacedSysctl } from '../src/node/sysctl.js';
import { defineRule } from '../src/rules/engine.js';

/**
 * A pod `securityContext.sysctls` entry the kubelet rejects: a sysctl outside the safe set of the configured
 * Kubernetes version (`tcp_tw_reuse` is the usual one) and not allowed by `allowedUnsafeSysctls`, a sysctl that
 * is not namespaced at all, or a `net.*` sysctl in a `hostNetwork` pod. Such a pod is scheduled but does not
 * start (`SysctlForbidden`). Source: Kubernetes docs, "Using sysctls in a Kubernetes Cluster".
 */
export default defineRule({
  meta: {
    id: 'sysctl-unsafe',
    code: 'MSH304',
    family: 'node',
    description: 'unsafe sysctl (e.g. net.ipv4.tcp_tw_reuse) in a pod securityContext.sysctls: the kubelet rejects the pod unless the node allows it',
    defaultSeverity: 'error',
    docs: 'docs/rules/sysctl-unsafe.md',
    inputs: ['Pod', 'Deployment', 'StatefulSet', 'DaemonSet', 'ReplicaSet', 'Job', 'CronJob'],
    defaultOptions: { kubernetesVersion: LATEST_KNOWN_KUBERNETES, allowedUnsafeSysctls: [] },
  },
  create(context) {
    const version = String(context.options.kubernetesVersion);
    const allowed = (context.options.allowedUnsafeSysctls as unknown[]).map(String);
    return {
      sysctl(setting) {
        if (setting.via !== 'pod-securityContext' || !setting.object) return;
        const name = setting.name;
        const hostNetwork = setting.hostNetwork === true;
        const report = (message: string, hint: string): void => reportSetting(context, setting, { value: `${name}=${setting.value}`, message, hint });
        if (!isNamespacedSysctl(name)) {
          report(
            `${name} is not namespaced: it would change the whole node, so the kubelet rejects it in a pod spec even when --allowed-unsafe-sysctls names it (the pod does not start)`,
            'set it on the nodes instead (sysctl.d, the node image, or a privileged hostNetwork DaemonSet)',
          );
          return;
        }
        if (hostNetwork && name.startsWith('net.')) {
          report(
            `${name} in a hostNetwork pod: net.* sysctls are not allowed with host networking (the pod would change the node's network namespace), so the kubelet rejects the pod`,
            'set it on the nodes instead, or drop hostNetwork',
          );
          return;
        }
        const safe = safeSysctl(name);
        if (safe && compareMinor(safe.since, version) <= 0) return;
        if (allowed.some((p) => matchesSysctlPattern(name, p))) return;
        const why = safe
          ? `is safe only from Kubernetes ${safe.since}; on ${version} it is unsafe`
          : `is an unsafe sysctl (not in Kubernetes ${version}'s safe set${name === 'net.ipv4.tcp_tw_reuse' ? '; reusing TIME_WAIT ports is a node-wide trade-off' : ''})`;
        report(
          `${name} ${why}: the kubelet refuses to start the pod (SysctlForbidden) unless every node it may land on allows it with --allowed-unsafe-sysctls`,
          safe
            ? `upgrade, or allow it on the nodes (--allowed-unsafe-sysctls=${name}) and list it in this rule's allowedUnsafeSysctls`
            : `allow it on the nodes (kubelet --allowed-unsafe-sysctls=${name}) and list it in this rule's allowedUnsafeSysctls, or set it on the nodes instead`,
        );
      },
    };
  },
});
