/**
 * What `meshlint audit` does once its flags are parsed: read the configuration (as `check` does), read the cluster
 * ({@link readCluster}; several with `readClusters`, `clusters.ts`), optionally dump what was read, analyse each
 * cluster with the same pipeline as `meshlint check` ({@link analyzeObjects}, then annotations and the baseline with
 * {@link silenceFindings}), and write the report with the coverage notes and the cluster(s) it came from. Loaded lazily by `command.ts` (it pulls in `@kubernetes/client-node`).
 */
import { budgetFrom, emit } from '../cli/output-options.js';
import { baselineToApply, printConfig, runConfigFrom, writeBaselineOf } from '../cli/config-options.js';
import { EXIT, UserError } from '../io.js';
import { analyzeObjects, budgetOf, silenceFindings, type AnalysisResult } from '../pipeline.js';
import type { ClusterAudit, ClusterSource } from '../report/format.js';
import { join } from 'node:path';
import type { Finding } from '../types.js';
import type { ManifestObject } from '../load/objects.js';
import { AuditError, dumpObjects, readCluster, type ClusterRead } from './cluster.js';
import { contextsToAudit, readClusters, readSummary, type ClusterFailure } from './clusters.js';
import type { AuditCommandFlags } from './options.js';
import { kubectlEditCommand, manifestObjectsOf } from './objects.js';
import { auditOptionsFrom } from './options.js';
import { progressIndicator, type ProgressStream } from './progress.js';
import { prometheusOptionsFrom } from '../live/options.js';
import type { LiveTraffic } from '../live/types.js';

/** What `--prometheus` resolves to (connection and query scope). */
type PrometheusOptions = NonNullable<ReturnType<typeof prometheusOptionsFrom>>;
import type { RunError } from '../types.js';

/** Where `runAudit` writes its progress; standard error unless a test passes another stream. */
export interface RunAuditIo {
  stderr?: ProgressStream;
  /** Environment for kubeconfig discovery; `process.env` by default. */
  env?: Record<string, string | undefined>;
}

/**
 * Runs `meshlint audit` with parsed flags and writes the report (standard output or `--output`).
 * @returns the exit code: 0 clean, 1 findings at error severity or more warnings than `--max-warnings`; with several
 *   contexts, 2 when any cluster could not be read (after the report of the others is written).
 * @throws UserError (exit code 2, one line, no credentials) when the cluster (a single one) cannot be read, `--dump` cannot be
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
  const options = auditOptionsFrom(flags, config.audit);
  let prometheus: PrometheusOptions | undefined;
  try {
    prometheus = prometheusOptionsFrom(flags, io.env, config.options.prometheus);
  } catch (error) {
    throw new UserError((error as Error).message);
  }
  const stderr = io.stderr ?? process.stderr;
  let several: string[] | undefined;
  try {
    several = contextsToAudit(flags, options, io.env);
  } catch (error) {
    if (error instanceof AuditError) throw new UserError(error.message, error.exitCode);
    throw error;
  }
  if (several) {
    // One Prometheus serves one cluster's pods and nodes: per-node budgets are an audit of one context.
    if (prometheus) throw new UserError('--prometheus reads the pods and nodes of one cluster: use it with a single --context');
    const { reads, failures } = await readClusters(several, { ...options, env: io.env }, stderr);
    if (options.dump) for (const read of reads) await dump(read, join(options.dump, dumpDirName(read.context)));
    return reportAudit(reads, failures, { flags, config, baseline, cwd, namespaces: options.namespaces ?? [], editContext: true });
  }
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
  progress?.finish(readSummary(read, started));
  if (options.dump) await dump(read, options.dump);
  return reportAudit([read], [], { flags, config, baseline, cwd, namespaces: options.namespaces ?? [], editContext: options.context !== undefined, prometheus });
}

/**
 * The directory of one context under `--dump DIR`: its name percent-encoded (RFC 3986), so `/` and other separators
 * stay inside the name, and `.` / `..` spelled `%2E`, so no context name leaves DIR.
 */
export function dumpDirName(context: string): string {
  const encoded = encodeURIComponent(context);
  return /^\.{1,2}$/.test(encoded) ? encoded.replace(/\./g, '%2E') : encoded;
}

async function dump(read: ClusterRead, dir: string): Promise<void> {
  try {
    await dumpObjects(read, dir);
  } catch (error) {
    throw new UserError(`cannot write the dump to ${dir}: ${(error as NodeJS.ErrnoException).code === 'EEXIST' ? (error as Error).message : ((error as NodeJS.ErrnoException).code ?? (error as Error).message)}`);
  }
}

/** What {@link reportAudit} needs besides the reads. */
interface ReportContext {
  flags: AuditCommandFlags;
  config: ReturnType<typeof runConfigFrom>;
  baseline: ReturnType<typeof baselineToApply>;
  cwd: string;
  namespaces: string[];
  /** Add `--context` to the `kubectl edit` hints (the user chose the context, or there are several). */
  editContext: boolean;
  /** `--prometheus` (single cluster only): live rates and per-node port budgets. */
  prometheus?: PrometheusOptions;
}

/**
 * Analyses each cluster read on its own (each is its own mesh: its own DestinationRules, ServiceEntries and mesh
 * config), then silences (annotations, baseline) and reports all findings at once, each tagged with its cluster.
 * One read: the report of a single-cluster audit. Several (or any failure): a several-cluster report with a line per
 * cluster; a cluster that could not be read is a run error (exit 2 once the report is written).
 * @returns the exit code of {@link emit}.
 */
async function reportAudit(reads: ClusterRead[], failures: ClusterFailure[], ctx: ReportContext): Promise<number> {
  const { flags, config, baseline, cwd } = ctx;
  const baseOptions = { ...budgetFrom(flags), ...config.options };
  let analysisOptions: typeof baseOptions & { live?: LiveTraffic } = baseOptions;
  const errors: RunError[] = failures.map((f) => ({ subject: `context ${f.context}`, message: f.message }));
  let nodePorts: AnalysisResult['nodePorts'];
  const objects: ManifestObject[] = [];
  const findings: Finding[] = [];
  const routes: AnalysisResult['routes'] = [];
  const byKind: Record<string, number> = {};
  const skipped: Record<string, number> = {};
  let documents = 0;
  let node: ReturnType<typeof analyzeObjects>['node'] | undefined;
  const analysedPerContext = new Map<string, number>();
  for (const read of reads) {
    let configObjects = read.objects;
    if (ctx.prometheus) {
      const { isPlacementObject, readLiveTraffic } = await import('./live.js');
      configObjects = read.objects.filter((o) => !isPlacementObject(o));
      const got = await readLiveTraffic(read.objects, read.context, ctx.prometheus);
      if ('error' in got) errors.push({ subject: 'prometheus', message: `${got.error}; the static analysis is reported without live rates` });
      else analysisOptions = { ...baseOptions, live: got.live };
    }
    const cluster = manifestObjectsOf(configObjects, read.context);
    analysedPerContext.set(read.context, cluster.objects.length);
    const analysed = analyzeObjects(cluster.objects, [], analysisOptions);
    if (analysed.nodePorts) nodePorts = analysed.nodePorts;
    // Loops, not push(...x): a cluster can hold more objects than a call's argument limit (~125k).
    for (const o of cluster.objects) objects.push(o);
    for (const f of analysed.findings) findings.push(f);
    for (const r of analysed.routes) routes.push(r);
    node ??= analysed.node;
    documents += read.objects.length;
    for (const o of cluster.objects) byKind[o.ref.kind] = (byKind[o.ref.kind] ?? 0) + 1;
    for (const [kind, n] of Object.entries(cluster.skipped)) skipped[kind] = (skipped[kind] ?? 0) + n;
  }
  // Objects read from a cluster carry no comments: only their meshlint.io/ignore annotations and the baseline silence findings.
  const silenced = await silenceFindings({ findings, objects, manifestTexts: new Map(), sourceFiles: [], options: { ...analysisOptions, cwd, baseline } });
  let result: AnalysisResult = {
    findings: silenced.findings,
    routes,
    errors,
    stats: { files: 0, documents, objects: objects.length, byKind, skipped },
    budget: budgetOf(analysisOptions, node ?? analyzeObjects([], [], analysisOptions).node),
    suppressed: silenced.suppressed,
    ...(silenced.baseline ? { baseline: silenced.baseline } : {}),
    ...(nodePorts ? { nodePorts } : {}),
  };
  if (flags.baselineWrite) result = writeBaselineOf(result, flags.baselineWrite, cwd);
  // Every object's file is its clusterUri, `cluster://<percent-encoded context>/…` (objects.ts).
  const prefixes = reads.map((r) => [`cluster://${encodeURIComponent(r.context)}/`, r.context] as const);
  const tag = (f: Finding): Finding => {
    const cluster = prefixes.find(([prefix]) => f.location.file.startsWith(prefix))?.[1];
    return withEditHint(cluster ? { ...f, cluster } : f, ctx.editContext ? cluster : undefined);
  };
  result = { ...result, findings: result.findings.map(tag), suppressed: result.suppressed?.map(tag) };
  if (reads.length === 1 && failures.length === 0) {
    const read = reads[0];
    const cluster: ClusterSource = { context: read.context, server: read.server, istioVersion: read.istioVersion, namespaces: ctx.namespaces };
    return emit(result, flags, { coverage: read.coverage, cluster });
  }
  const clusters: ClusterAudit[] = [
    ...reads.map((r) => ({ context: r.context, server: r.server, istioVersion: r.istioVersion, namespaces: ctx.namespaces, objects: analysedPerContext.get(r.context) ?? 0 })),
    ...failures.map((f) => ({ context: f.context, istioVersion: null, namespaces: ctx.namespaces, objects: 0, error: f.message })),
  ];
  const coverage = reads.flatMap((r) => r.coverage.map((note) => ({ ...note, message: `context ${r.context}: ${note.message}`, cluster: r.context })));
  return emit(result, flags, { coverage, clusters });
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
