/**
 * EnvoyFilter overrides of the effective connection policy: the hook the connection-policy builder calls after
 * the DestinationRule layers (an EnvoyFilter patch is applied to the generated cluster, after istiod turned the
 * DestinationRule into it, so its value wins; istio/api `networking/v1alpha3/envoy_filter.proto`).
 *
 * This file is the plug-in point for the EnvoyFilter adapter (issue 13, "Istio as released now"): it returns
 * every {@link PolicyOverride} that applies to one proxy's cluster for (host, subset, port). Until that adapter
 * lands it returns none.
 */
import type { MeshModel } from '../../mesh.js';
import type { PolicyOverride } from '../../traffic.js';

/** The proxy and cluster an override is looked up for (the cluster name is `outbound|<port>|<subset>|<host>`). */
export interface OverrideQuery {
  /** Namespace of the proxy that opens the connections (the client's sidecar, or the gateway's). */
  proxyNamespace: string;
  /** Labels of the proxy's workload when known (for `workloadSelector` / `targetRefs`). */
  proxyLabels?: Record<string, string>;
  /** `SIDECAR_OUTBOUND` for a client sidecar, `GATEWAY` for a gateway proxy. */
  context: 'SIDECAR_OUTBOUND' | 'GATEWAY';
  host: string;
  subset?: string;
  port?: number;
}

/**
 * The overrides EnvoyFilters apply to the cluster of `query`, in the order Envoy would apply them (the last one
 * for a field wins). Never throws; a patch it cannot interpret is not returned (the adapter counts it instead).
 */
export function envoyFilterOverrides(_model: MeshModel, _query: OverrideQuery): PolicyOverride[] {
  return [];
}
