/**
 * Helpers the node rules (`rules/sysctl-*.ts`) share: reporting at a setting's place, and describing where a
 * setting takes effect. The ports the input's workloads and Services listen on come from the model
 * (`MeshFacts` in `src/model/traffic.ts`, through the rule context).
 */
import type { RuleContext } from '../rules/engine.js';
import type { Severity } from '../types.js';
import type { SysctlSetting } from './sysctl.js';

/** What a node rule says about one setting. */
export interface SettingReport {
  message: string;
  hint?: string;
  value?: unknown;
  severity?: Severity;
}

/** Reports a finding at a setting: at its field inside the workload, or at its line of a sysctl.d file. */
export function reportSetting(context: RuleContext, setting: SysctlSetting, report: SettingReport): void {
  if (setting.object && setting.path) context.report({ ...report, object: setting.object, path: setting.path });
  else context.report({ ...report, location: setting.location });
}

/** `in DaemonSet kube-system/tune (hostNetwork)`, `in sysctl.d file node/99.conf`: where a setting is written and applies. */
export function settingOrigin(setting: SysctlSetting): string {
  if (!setting.object) return `sysctl.d file ${setting.location.file} (the node)`;
  const ref = setting.object.ref;
  const how = setting.via === 'pod-securityContext' ? 'securityContext.sysctls' : 'a container command';
  const where = setting.scope === 'node' ? 'the node' : "the pod's own network namespace";
  return `${ref.kind} ${ref.namespace}/${ref.name} (${how}; applies to ${where})`;
}
