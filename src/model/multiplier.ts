/**
 * The connection multiplier's arithmetic over the neutral traffic model (`traffic.ts`): a row's M from its legs
 * and mirrors, the port budgets its new connections are charged to, the request rate at which TIME_WAIT fills
 * the tightest one, the share SNAT'd onto the node's ports, and the ports held at a given request rate. It reads
 * only neutral records ({@link Leg}, {@link RouteMultiplier}, {@link PortBudget}); `build-traffic.ts` builds them
 * from the adapters. `docs/model.md` is the reference for every figure.
 */
import { DEFAULT_EPHEMERAL_PORTS, DEFAULT_PORT_RANGE_HIGH, DEFAULT_PORT_RANGE_LOW, TIME_WAIT_SECONDS } from '../facts.js';
import type { BudgetScope, Leg, PortBudget, PortBudgetFigure, RouteMultiplier } from './traffic.js';

/** Inputs of the arithmetic besides the rows. */
export interface BudgetOptions {
  /** Request rate per route, requests/s (`--rps`). */
  rps?: number;
  /** Rate of one route, requests/s, where it differs from `rps` (the configuration's per-host / per-workload `rps`); undefined → `rps`. */
  rpsFor?: (route: RouteMultiplier) => number | undefined;
  /** Usable ephemeral ports per source IP (range less reserved); default 28,232 (Linux 32768–60999). */
  ports?: number;
  /** Seconds a port stays in TIME_WAIT; default 60 (`TCP_TIMEWAIT_LEN`). */
  timeWaitSeconds?: number;
  /**
   * The port budget of a route from the node settings (`NodeSettings.budgetFor` in `src/node/settings.ts`):
   * the node's for `node` scope, the client pods' for `pod` scope. `ports`, when given, wins over it.
   */
  budgetFor?: (scope: 'node' | 'pod', clientNamespace: string) => PortBudgetFigure;
}

/**
 * M, the worst-case new TCP connections per logical request: Σ over `legs` of tries × connectionsPerTry, plus
 * each mirror's `connections` (new connections per request).
 */
export function multiplierOf(legs: readonly Leg[], mirrors: readonly { connections: number }[]): number {
  return legs.reduce((sum, leg) => sum + leg.tries * leg.connectionsPerTry, 0) + mirrors.reduce((s, m) => s + m.connections, 0);
}

/**
 * Charges every row's new connections to its port budgets ({@link chargeBudgets}) with the usable ports of
 * `options` (`ports`, else `budgetFor`, else the Linux default range 32768–60999), and, when the row has a
 * request rate (`rpsFor`, else `rps`, requests/s), sets `rps` and `portsHeld`: rate × budgetConnections ×
 * TIME_WAIT seconds (default 60, `TCP_TIMEWAIT_LEN`). Mutates the rows.
 */
export function chargeRows(rows: readonly RouteMultiplier[], options: BudgetOptions): void {
  const ports = options.ports ?? DEFAULT_EPHEMERAL_PORTS;
  const tw = options.timeWaitSeconds ?? TIME_WAIT_SECONDS;
  for (const row of rows) {
    const figureFor = (scope: BudgetScope): PortBudgetFigure =>
      options.ports !== undefined || !options.budgetFor ? { ports, trace: [{ text: options.ports !== undefined ? `ports = ${ports} (--port-range / ports option)` : `ports = ${ports} (Linux default range ${DEFAULT_PORT_RANGE_LOW}-${DEFAULT_PORT_RANGE_HIGH})` }], notes: [] } : options.budgetFor(scope, row.clientNamespace);
    chargeBudgets(row, figureFor, tw);
    const rate = options.rpsFor?.(row) ?? options.rps;
    if (rate !== undefined) {
      row.rps = rate;
      row.portsHeld = rate * row.budgetConnections * tw;
    }
  }
}

/**
 * Charges every leg's (and mirror's) new connections to the budget it draws from and picks the tightest:
 * the lowest exhaustion rate; with nothing churning, the node's when any leg is SNAT'd, else the pod's. Sets the
 * row's `budgets` (each scope's ports, new connections per request and exhaustion rate in requests/s: ports /
 * (connections × `tw` seconds), null when nothing churns), `snatConnections` and the tightest budget's fields.
 * `figureFor` gives a scope's usable ports; `tw` is TIME_WAIT in seconds.
 */
export function chargeBudgets(row: RouteMultiplier, figureFor: (scope: BudgetScope) => PortBudgetFigure, tw: number): void {
  const connections: Record<BudgetScope, number> = { pod: 0, node: 0 };
  const present = new Set<BudgetScope>();
  for (const leg of row.legs) {
    connections[leg.budget] += leg.tries * leg.connectionsPerTry;
    present.add(leg.budget);
  }
  for (const m of row.mirrors) {
    connections[m.budget] += m.connections;
    present.add(m.budget);
  }
  row.budgets = (['pod', 'node'] as const).filter((scope) => present.has(scope)).map((scope) => {
    const figure = figureFor(scope);
    for (const note of figure.notes) if (!row.notes.includes(note)) row.notes.push(note);
    return { scope, ports: figure.ports, connections: connections[scope], exhaustionRps: connections[scope] > 0 ? figure.ports / (connections[scope] * tw) : null, trace: figure.trace };
  });
  const churning = row.budgets.filter((b) => b.exhaustionRps !== null).sort((a, b) => a.exhaustionRps! - b.exhaustionRps!);
  const tightest = churning[0] ?? row.budgets.find((b) => b.scope === 'node') ?? row.budgets[0]!;
  row.snatConnections = connections.node;
  row.budgetScope = tightest.scope;
  row.budgetConnections = tightest.connections;
  row.budgetPorts = tightest.ports;
  row.budgetTrace = tightest.trace;
  row.exhaustionRps = tightest.exhaustionRps;
}
