/**
 * `meshlint check --prometheus`: the rates only. Each route row's request rate is the peak Prometheus recorded for
 * its client namespace and host (`istio_requests_total{reporter="source"}`, summed over the namespace's
 * workloads), so the report's ports held in TIME_WAIT and the rules use measured traffic instead of `--rps`.
 */
import type { RouteMultiplier } from '../model/traffic.js';
import { PrometheusClient, PrometheusError, type PrometheusConnection } from './prometheus.js';
import { namespaceRateQuery, peakOf, type QueryScope } from './queries.js';

/**
 * Reads the peak rate per (namespace, host) and returns a rate function for the route rows (undefined for a row
 * Prometheus has no rate for, so the configured `rps` applies), or `error`: one line, no credentials.
 */
export async function routeRatesFrom(prometheus: { connection: PrometheusConnection; scope: QueryScope; at?: number }): Promise<{ rpsFor: (route: RouteMultiplier) => number | undefined; routes: number } | { error: string }> {
  const client = new PrometheusClient(prometheus.connection);
  try {
    const samples = await client.query(peakOf(namespaceRateQuery(prometheus.scope), prometheus.scope), prometheus.at);
    const rates = new Map<string, number>();
    for (const s of samples) rates.set(`${s.labels.source_workload_namespace ?? ''}\u0000${s.labels.destination_service ?? ''}`, s.value);
    return { rpsFor: (route) => rates.get(`${route.clientNamespace}\u0000${route.host}`), routes: rates.size };
  } catch (error) {
    if (error instanceof PrometheusError) return { error: error.message };
    throw error;
  } finally {
    await client.close();
  }
}
