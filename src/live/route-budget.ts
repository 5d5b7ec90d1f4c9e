/**
 * The one place the live audit reads the model's route rows. The model's budgets are being reworked per leg; when
 * they are, only this adapter changes.
 */
import { locate } from '../load/objects.js';
import type { RouteMultiplier } from '../model/traffic.js';
import type { Location } from '../types.js';

/** What the per-node arithmetic needs of one route row. */
export interface RouteBudget {
  /** Namespace of the clients the row is computed for. */
  clientNamespace: string;
  /** Host the client calls (FQDN), as Istio's `destination_service` names it. */
  host: string;
  port?: number;
  /** Whose ephemeral ports the row's new connections draw on: the node's (SNAT'd legs) or the pod's. */
  scope: 'node' | 'pod';
  /** New connections per request drawing on that budget (M on the SNAT'd legs for `node` scope). */
  connectionsPerRequest: number;
  /** Where the route is defined (VirtualService `http[i]…`, ServiceEntry host). */
  at: Location;
}

/**
 * The row's port budget: `budgetScope` and `budgetConnections` of `src/model/multiplier.ts`. The location is
 * resolved when called (route rows resolve it lazily), so call it only for rows that reach the report.
 */
export function routeBudgetOf(row: RouteMultiplier): RouteBudget {
  return {
    clientNamespace: row.clientNamespace,
    host: row.host,
    ...(row.port !== undefined ? { port: row.port } : {}),
    scope: row.budgetScope,
    connectionsPerRequest: row.budgetConnections,
    get at() {
      return locate(row.definedBy.object, row.definedBy.path);
    },
  };
}
