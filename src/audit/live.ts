/**
 * The live part of `meshlint audit --prometheus`: the pods and nodes the cluster read returned, joined with what
 * Prometheus measured. Loaded only when `--prometheus` is given.
 */
import { collectLiveTraffic } from '../live/collect.js';
import { clusterNodes, placedPods } from '../live/placement.js';
import type { PrometheusConnection } from '../live/prometheus.js';
import { PrometheusError } from '../live/prometheus.js';
import type { QueryScope } from '../live/queries.js';
import type { LiveTraffic } from '../live/types.js';
import { clusterUri } from './objects.js';

/** Pods and Nodes are read only for the placement; they are not analysed as configuration. */
export function isPlacementObject(obj: Record<string, unknown>): boolean {
  return (obj.kind === 'Pod' || obj.kind === 'Node') && obj.apiVersion === 'v1';
}

/**
 * Queries Prometheus and joins the result to the pods and nodes among `objects`.
 * @returns the live traffic, or `error`: one line (no credentials) when Prometheus could not be used; the audit
 *   then reports the static analysis and exits 2.
 */
export async function readLiveTraffic(
  objects: readonly Record<string, unknown>[],
  context: string,
  prometheus: { connection: PrometheusConnection; scope: QueryScope; at?: number },
): Promise<{ live: LiveTraffic } | { error: string }> {
  const pods = placedPods(objects);
  const nodes = clusterNodes(objects, (name) => clusterUri(context, { kind: 'Node', namespace: '', name }));
  try {
    return { live: await collectLiveTraffic({ ...prometheus, pods, nodes }) };
  } catch (error) {
    if (error instanceof PrometheusError) return { error: error.message };
    throw error;
  }
}
