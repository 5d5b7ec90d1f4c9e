/**
 * What `meshlint audit` does once its flags are parsed: read the cluster ({@link readCluster}), optionally dump what
 * was read, analyse it with the same pipeline as `meshlint check` ({@link analyzeObjects}), and write the report with
 * the coverage notes and the cluster it came from. Loaded lazily by `command.ts` (it pulls in `@kubernetes/client-node`).
 */
import { budgetFrom, emit } from '../cli/main.js';
import { UserError } from '../cli/io.js';
import { DEFAULT_EPHEMERAL_PORTS, TIME_WAIT_SECONDS } from '../facts.js';
import { analyzeObjects, sortFindings, type AnalysisResult } from '../pipeline.js';
import type { ClusterSource } from '../report/format.js';
import type { Finding } from '../types.js';
import { AuditError, dumpObjects, readCluster, type ClusterRead } from './cluster.js';
import type { AuditCommandFlags } from './command.js';
import { kubectlEditCommand, manifestObjectsOf } from './objects.js';
import { auditOptionsFrom } from './options.js';
import { progressIndicator, type ProgressStream } from './progress.js';

/** Where `runAudit` writes its progress; standard error unless a test passes another stream. */
export interface RunAuditIo {
  stderr?: ProgressStream;
  /** Environment for kubeconfig discovery; `process.env` by default. */
  env?: Record<string, string | undefined>;
}

/**
 * Runs `meshlint audit` with parsed flags and writes the report (standard output or `--output`).
 * @returns the exit code: 0 clean, 1 findings at error severity or more warnings than `--max-warnings`.
 * @throws UserError (exit code 2, one line, no credentials) when the cluster cannot be read or `--dump` cannot be
 *   written.
 */
export async function runAudit(flags: AuditCommandFlags, io: RunAuditIo = {}): Promise<number> {
  const options = auditOptionsFrom(flags);
  const stderr = io.stderr ?? process.stderr;
  const progress = progressIndicator(stderr);
  const started = Date.now();
  let read: ClusterRead;
  try {
    read = await readCluster({ ...options, env: io.env, onProgress: progress ? (p) => progress.update(p) : undefined });
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
      throw new UserError(`cannot write the dump to ${options.dump}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
    }
  }

  const { objects, skipped } = manifestObjectsOf(read.objects, read.context);
  const budget = budgetFrom(flags);
  const analysed = analyzeObjects(objects, [], { rules: flags.rule, ...budget });
  const byKind: Record<string, number> = {};
  for (const o of objects) byKind[o.ref.kind] = (byKind[o.ref.kind] ?? 0) + 1;
  const result: AnalysisResult = {
    findings: sortFindings(analysed.findings.map((f) => withEditHint(f, flags.context))),
    routes: analysed.routes,
    errors: [],
    stats: { files: 0, documents: read.objects.length, objects: objects.length, byKind, skipped },
    budget: { ports: budget.ports ?? DEFAULT_EPHEMERAL_PORTS, timeWaitSeconds: budget.timeWaitSeconds ?? TIME_WAIT_SECONDS, rps: budget.rps },
  };
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
