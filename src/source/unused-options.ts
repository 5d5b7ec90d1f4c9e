/**
 * The `source.workloads` (`--workload`) and `source.envHosts` (`--env-host`) entries that had no effect on a run:
 * a workload path under which no source file was scanned, a workload name without a namespace that no workload of
 * the input has (the name is what gives the namespace; with `NAMESPACE/NAME` the namespace is used as given), an
 * environment variable that no call site reads its destination from. Each is one line for standard error: a typo
 * in either option otherwise silently leaves call sites unlinked or in an assumed namespace.
 */
import path from 'node:path';
import type { ManifestObject } from '../load/objects.js';
import { WORKLOAD_VIEW_KINDS } from '../model/mesh.js';
import type { AppCallSite } from './types.js';

/** What {@link unusedSourceOptions} compares the options with. */
export interface SourceOptionUse {
  workloads: readonly { path: string; workload: string; namespace?: string }[];
  envHosts: Readonly<Record<string, string>>;
  /** Working directory the workload paths are relative to. */
  cwd: string;
  /** Source files scanned (absolute or relative to `cwd`). */
  sourceFiles: readonly string[];
  callSites: readonly AppCallSite[];
  /** The input's objects (manifests or a cluster), for workload names. */
  objects: readonly ManifestObject[];
}

/** One warning line per unused entry, in option order; empty when every entry was used. */
export function unusedSourceOptions(use: SourceOptionUse): string[] {
  const warnings: string[] = [];
  const scanned = use.sourceFiles.map((f) => path.resolve(use.cwd, f));
  for (const w of use.workloads) {
    const dir = path.resolve(use.cwd, w.path);
    const name = `${w.namespace ? `${w.namespace}/` : ''}${w.workload}`;
    if (!scanned.some((f) => f === dir || f.startsWith(dir.endsWith(path.sep) ? dir : dir + path.sep))) {
      warnings.push(`--workload ${w.path}=${name}: no source file was scanned under ${w.path}; the mapping is unused`);
    } else if (w.namespace === undefined && !use.objects.some((o) => WORKLOAD_VIEW_KINDS.has(o.ref.kind) && o.ref.name === w.workload && (w.namespace === undefined || o.ref.namespace === w.namespace))) {
      warnings.push(`--workload ${w.path}=${name}: no Deployment, StatefulSet, DaemonSet, Pod, ReplicaSet, Job or CronJob named ${name} in the input, so its namespace is unknown and assumed; name it as NAMESPACE/${name}`);
    }
  }
  const read = new Set(use.callSites.map((s) => s.env).filter((e): e is string => e !== undefined));
  for (const name of Object.keys(use.envHosts)) {
    if (!read.has(name)) warnings.push(`--env-host ${name}: no call site reads its destination from $${name}; the mapping is unused`);
  }
  return warnings;
}
