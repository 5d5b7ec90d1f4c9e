/**
 * What `meshlint audit` does once its flags are parsed: read the configuration (as `check` does), read the cluster
 * ({@link readCluster}), optionally dump what was read, analyse it with the same pipeline as `meshlint check`
 * ({@link analyzeObjects}, then annotations and the baseline with {@link silenceFindings}), and write the report with
 * the coverage notes and the cluster it came from. Loaded lazily by `command.ts` (it pulls in `@kubernetes/client-node`).
 */
import { budgetFrom, emit } from '../cli/main.js';
import { baselineToApply, printConfig, runConfigFrom, writeBaselineOf } from '../cli/config-options.js';
import { EXIT, UserError } from '../cli/io.js';
import { analyzeObjects, budgetOf, silenceFindings, type AnalysisResult } from '../pipeline.js';
import type { ClusterSource } from '../report/format.js';
import type { Finding } from '../types.js';
import { AuditError, dumpObjects, readCluster, type ClusterRead } from './cluster.js';
import type { AuditCommandFlags } from './command.js';
import { kubectlEditCommand, manifestObjectsOf } from './objects.js';
import { auditOptionsFrom } from './options.js';
import { progressIndicator, type ProgressStream } from './progress.js';
import { prometheusOptionsFrom } from '../live/options.js';
import type { RunError } from '../types.js';

/** Where `runAudit` writes its progress; standard error unless a test passes another stream. */
export interface RunAuditIo {
  stderr?: ProgressStream;
  /** Environment for kubeconfig discovery; `process.env` by default. */
  env?: Record<string, string | undefined>;
}

/**
 * Runs `meshlint audit` with parsed flags and writes the report (standard output or `--output`).
 * @returns the exit code: 0 clean, 1 findings at error severity or more warnings than `--max-warnings`.
 * @throws UserError (exit code 2, one line, no credentials) when the cluster cannot be read, `--dump` cannot be
 *   written, or the configuration file or `--baseline` is unusable (ConfigError, also exit 2).
 */
export async function runAudit(flags: AuditCommandFlags, io: RunAuditIo = {}): Promise<number> {
  const cwd = process.cwd();
  const config = runConfigFrom(flags, cwd); // before any request: a bad configuration file is exit 2 with nothing read
  if (flags.printConfig) {
    printConfig(config, cwd);
    return EXIT.OK;
  }
  const baseline = baselineToApply(flags, cwd);
  const options = auditOptionsFrom(flags);
  let prometheus;
  try {
    prometheus = prometheusOptionsFrom(flags, io.env, config.options.prometheus);
  } catch (error) {
    throw new UserError((error as Error).message);
  }
  const stderr = io.stderr ?? process.stderr;
  const progress = progressIndicator(stderr);
  const started = Date.now();
  let read: ClusterRead;
  try {
    read = await readCluster({ ...options, placement: prometheus !== undefined, env: io.env, onProgress: progress ? (p) => progress.update(p) : undefined });
  } catch (error) {
    progress?.clear();
    if (error instanceof AuditError) throw new UserError(error.message, error.exitCode);
    throw error;
  }
  progress?.finish(`read ${read.objects.length.toLocaleString('en-US')} objects from ${read.server} (context ${read.context}) in ${((Date.now() - started) / 1000).toFixed(1)} s`);

  if (options.dump) {
    try {
      await dumpObjects(read, options.dump);
    } catch (error) {
      throw new UserError(`cannot write the dump to ${options.dump}: ${(error as NodeJS.ErrnoException).code === 'EEXIST' ? (error as Error).message : ((error as NodeJS.ErrnoException).code ?? (error as Error).message)}`);
    }
  }

  const errors: RunError[] = [];
  let configObjects = read.objects;
  let live;
  if (prometheus) {
    const { isPlacementObject, readLiveTraffic } = await import('./live.js');
    configObjects = read.objects.filter((o) => !isPlacementObject(o));
    const got = await readLiveTraffic(read.objects, read.context, prometheus);
    if ('error' in got) errors.push({ subject: 'prometheus', message: `${got.error}; the static analysis is reported without live rates` });
    else live = got.live;
  }
  const { objects, skipped } = manifestObjectsOf(configObjects, read.context);
  const analysisOptions = { ...budgetFrom(flags), ...config.options, ...(live ? { live } : {}) };
  const analysed = analyzeObjects(objects, [], analysisOptions);
  // Objects read from a cluster carry no comments: only their meshlint.io/ignore annotations and the baseline silence findings.
  const silenced = await silenceFindings({ findings: analysed.findings, objects, manifestTexts: new Map(), sourceFiles: [], options: { ...analysisOptions, cwd, baseline } });
  const byKind: Record<string, number> = {};
  for (const o of objects) byKind[o.ref.kind] = (byKind[o.ref.kind] ?? 0) + 1;
  let result: AnalysisResult = {
    findings: silenced.findings,
    routes: analysed.routes,
    errors,
    stats: { files: 0, documents: read.objects.length, objects: objects.length, byKind, skipped },
    budget: budgetOf(analysisOptions, analysed.node),
    suppressed: silenced.suppressed,
    ...(silenced.baseline ? { baseline: silenced.baseline } : {}),
    ...(analysed.nodePorts ? { nodePorts: analysed.nodePorts } : {}),
  };
  if (flags.baselineWrite) result = writeBaselineOf(result, flags.baselineWrite, cwd);
  result = { ...result, findings: result.findings.map((f) => withEditHint(f, flags.context)), suppressed: result.suppressed?.map((f) => withEditHint(f, flags.context)) };
  const cluster: ClusterSource = { context: read.context, server: read.server, istioVersion: read.istioVersion, namespaces: options.namespaces ?? [] };
  return emit(result, flags, { coverage: read.coverage, cluster });
}

/**
 * The finding with the `kubectl edit` command that opens its object appended to its hint (`--context` included when
 * the user chose one), so every format carries it.
 */
function withEditHint(finding: Finding, context: string | undefined): Finding {
  const object = finding.location.object;
  if (!object) return finding;
  const edit = `edit it with: ${kubectlEditCommand(object, context)}`;
  return { ...finding, hint: finding.hint ? `${finding.hint} (${edit})` : edit };
}
