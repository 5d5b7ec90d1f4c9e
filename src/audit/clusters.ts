/**
 * `meshlint audit` over several clusters: `--context a --context b` or `--all-contexts`. Each context is read with
 * {@link readCluster} on its own (its own credentials, request timeout and coverage notes), a few at a time; a cluster
 * that cannot be read (unreachable, refused credentials, timeout) is recorded and the others are still read.
 */
import { AuditError, kubeconfigContextNames, readCluster, type AuditOptions, type ClusterRead } from './cluster.js';
import type { AuditFlags } from './options.js';
import { progressIndicator, type ProgressStream } from './progress.js';

/**
 * Clusters read at the same time. Each read already runs `concurrency` (4) list calls at once, so 4 clusters keep at
 * most 16 requests in flight: enough to hide one slow API server, few enough for one client.
 */
export const MAX_CONCURRENT_CLUSTERS = 4;

/** A context whose cluster could not be audited. */
export interface ClusterFailure {
  context: string;
  /** One line, no credentials (an {@link AuditError} message). */
  message: string;
}

/** `read 1,234 objects from https://… (context prod) in 2.1 s`: the line written when a cluster has been read. */
export function readSummary(read: ClusterRead, startedMs: number): string {
  return `read ${read.objects.length.toLocaleString('en-US')} objects from ${read.server} (context ${read.context}) in ${((Date.now() - startedMs) / 1000).toFixed(1)} s`;
}

/**
 * The contexts to audit each as its own cluster: every kubeconfig context for `--all-contexts`, the `--context`
 * values (duplicates removed, order kept) when there are two or more; undefined for a single-cluster audit.
 * @throws AuditError (via {@link kubeconfigContextNames}) when `--all-contexts` finds no usable kubeconfig.
 */
export function contextsToAudit(flags: Pick<AuditFlags, 'context' | 'allContexts'>, options: Pick<AuditOptions, 'kubeconfig'>, env?: Record<string, string | undefined>): string[] | undefined {
  if (flags.allContexts) return kubeconfigContextNames({ kubeconfig: options.kubeconfig, env });
  const contexts = [...new Set(flags.context ?? [])];
  return contexts.length > 1 ? contexts : undefined;
}

/**
 * Reads each context's cluster with {@link readCluster} (`options.context` replaced), at most
 * {@link MAX_CONCURRENT_CLUSTERS} at a time. When `stderr` is a terminal, one line per cluster as it finishes.
 * @returns the clusters read, in `contexts` order, and those that failed with an {@link AuditError}, in `contexts` order.
 * @throws whatever readCluster throws other than an AuditError (a bug, not a cluster failure).
 */
export async function readClusters(contexts: readonly string[], options: AuditOptions, stderr: ProgressStream): Promise<{ reads: ClusterRead[]; failures: ClusterFailure[] }> {
  const outcomes: Array<ClusterRead | ClusterFailure | undefined> = new Array(contexts.length);
  let next = 0;
  const worker = async () => {
    while (next < contexts.length) {
      const index = next++;
      const context = contexts[index];
      const started = Date.now();
      try {
        const read = await readCluster({ ...options, context, onProgress: undefined });
        outcomes[index] = read;
        progressIndicator(stderr)?.finish(readSummary(read, started));
      } catch (error) {
        if (!(error instanceof AuditError)) throw error;
        outcomes[index] = { context, message: error.message };
        progressIndicator(stderr)?.finish(`context ${context}: not audited: ${error.message}`);
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(MAX_CONCURRENT_CLUSTERS, contexts.length) }, worker));
  const reads = outcomes.filter((o): o is ClusterRead => o !== undefined && 'objects' in o);
  const failures = outcomes.filter((o): o is ClusterFailure => o !== undefined && !('objects' in o));
  return { reads, failures };
}
