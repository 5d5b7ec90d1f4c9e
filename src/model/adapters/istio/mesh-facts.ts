/**
 * Istio adapter: the mesh-wide {@link MeshFacts} rules read, as neutral values, from the {@link MeshModel}:
 * `meshConfig.h2UpgradePolicy`, the modelled Istio release's facts (`versions.ts`), the EnvoyFilter patches the
 * model leaves out (`envoyfilter-index.ts`), and the workloads' listening ports (`adapters/workloads/listening-ports.ts`).
 */
import type { ManifestObject } from '../../../load/objects.js';
import type { MeshModel } from '../../mesh.js';
import type { ListeningPort, MeshFacts } from '../../traffic.js';
import { nodeListeningPorts, podListeningPorts } from '../workloads/listening-ports.js';
import { formatIstioVersion } from './versions.js';
import { multiNetworkGateways } from '../gateway-api/attachment.js';

/**
 * The facts of `model` for the rule context. The EnvoyFilter index is read on the first
 * `unmodelledPatches()` call, node listening ports are computed once on the first `nodeListeningPorts()` call,
 * pod listening ports on each `podListeningPorts()` call (linear in the input's Services).
 */
export function meshFacts(model: MeshModel): MeshFacts {
  const istio = model.settings.istio;
  let nodePorts: ListeningPort[] | undefined;
  return {
    h2UpgradePolicy: model.settings.h2UpgradePolicy,
    release: { version: formatIstioVersion(istio.version), retryBudgetField: istio.retryBudgetField, uncappedMaxRetries: istio.circuitBreakerMaxRetries },
    unmodelledPatches: () => model.envoyFilterIndex().unmodelled,
    nodeListeningPorts: () => (nodePorts ??= nodeListeningPorts(model)),
    podListeningPorts: (workload: ManifestObject) => podListeningPorts(model, workload),
    multiNetworkGateways: () => multiNetworkGateways(model).map(({ gateway, role }) => ({ object: gateway.object, key: gateway.key, className: gateway.className, role })),
  };
}
