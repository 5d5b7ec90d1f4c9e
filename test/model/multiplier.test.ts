/**
 * The multiplier's arithmetic (src/model/multiplier.ts) over neutral records only, built by hand here without a
 * MeshModel or an adapter (docs/architecture.md, "The model stage: builder and multiplier"): M from legs and
 * mirrors, the budgets each row is charged to, the exhaustion rate of the tightest, the SNAT'd share, and the
 * ports held at a request rate (docs/model.md, "Budgets": 28,232 ports, TIME_WAIT 60 s).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DEFAULT_EPHEMERAL_PORTS, TIME_WAIT_SECONDS } from '../../src/facts.js';
import { chargeRows, multiplierOf } from '../../src/model/multiplier.js';
import type { BudgetScope, Leg, RouteMultiplier } from '../../src/model/traffic.js';
import { objectsFromYaml } from '../helpers/model.js';

/** The ServiceEntry a row is defined by (only its identity matters to the arithmetic: it is never read). */
const [ENTRY] = objectsFromYaml('apiVersion: networking.istio.io/v1\nkind: ServiceEntry\nmetadata: {name: api, namespace: shop}\nspec: {hosts: [api.example.com]}\n');

function leg(name: string, tries: number, connectionsPerTry: number, budget: BudgetScope): Leg {
  return { name, dataPlane: name.startsWith('app') ? 'none' : 'sidecar', tries, connectionsPerTry, budget, snat: budget === 'node', trace: [] };
}

/** A row as the builder hands it over: legs and mirrors set, budgets not yet charged. */
function row(legs: Leg[], mirrors: RouteMultiplier['mirrors'] = [], clientNamespace = 'shop'): RouteMultiplier {
  return {
    clientNamespace,
    sidecar: true,
    sidecarReason: 'injected',
    host: 'api.example.com',
    destination: 'api.example.com',
    port: 443,
    protocol: 'http',
    external: true,
    definedBy: { object: ENTRY!, path: ['spec', 'hosts', 0] },
    legs,
    mirrors,
    total: multiplierOf(legs, mirrors),
    snatConnections: 0,
    budgets: [],
    budgetScope: 'pod',
    budgetConnections: 0,
    exhaustionRps: null,
    appLeg: null,
    notes: [],
  };
}

function close(actual: number | null | undefined, expected: number, what: string): void {
  assert.ok(actual !== null && actual !== undefined && Math.abs(actual - expected) < 1e-9, `${what}: got ${actual}, expected ${expected}`);
}

describe('multiplier arithmetic over neutral records', () => {
  it('M is Σ tries × new connections per try over the legs, plus the mirrors', () => {
    const mirror = { host: 'shadow.shop.svc.cluster.local', percentage: 10, connections: 0.3, budget: 'pod' as const, trace: [] };
    close(multiplierOf([leg('app → sidecar', 1, 0, 'pod'), leg('sidecar → api', 3, 1, 'node')], [mirror]), 3.3, 'M');
    close(multiplierOf([leg('app → sidecar', 2, 1, 'pod'), leg('sidecar → api', 6, 0.5, 'node')], []), 5, 'M with keep-alive off at the app and 1/2 per try upstream');
    assert.equal(multiplierOf([leg('app → sidecar', 1, 0, 'pod'), leg('sidecar → api', 3, 0, 'pod')], []), 0, 'pooled everywhere: no new connection per request');
  });

  it('charges each budget, picks the lowest exhaustion rate, and sets the SNAT share and ports held', () => {
    // Pod: 2 tries × 1 = 2 new connections per request; node (SNAT'd): 4 tries × 1/4 = 1, plus a 50 % mirror of 1.
    const r = row([leg('app → sidecar', 2, 1, 'pod'), leg('sidecar → api', 4, 0.25, 'node')], [{ host: 'mirror.example.com', percentage: 50, connections: 1, budget: 'node', trace: [] }]);
    chargeRows([r], { rps: 10 });
    assert.deepEqual(r.budgets.map((b) => [b.scope, b.connections]), [['pod', 2], ['node', 2]]);
    close(r.budgets[0]!.exhaustionRps, DEFAULT_EPHEMERAL_PORTS / (2 * TIME_WAIT_SECONDS), 'pod exhaustion rate');
    assert.equal(r.snatConnections, 2);
    assert.equal(r.budgetConnections, 2);
    close(r.exhaustionRps, DEFAULT_EPHEMERAL_PORTS / 120, 'tightest');
    assert.equal(r.budgetPorts, DEFAULT_EPHEMERAL_PORTS);
    assert.equal(r.rps, 10);
    assert.equal(r.portsHeld, 10 * 2 * TIME_WAIT_SECONDS);
  });

  it('the tightest budget is the one with the lowest exhaustion rate, not the first', () => {
    const r = row([leg('app → sidecar', 1, 1, 'pod'), leg('sidecar → api', 3, 1, 'node')]);
    chargeRows([r], { ports: 1000, timeWaitSeconds: 30 });
    assert.equal(r.budgetScope, 'node');
    close(r.exhaustionRps, 1000 / (3 * 30), 'node exhaustion rate with --port-range and --time-wait');
    assert.deepEqual(r.budgetTrace, [{ text: 'ports = 1000 (--port-range / ports option)' }]);
    assert.equal(r.rps, undefined, 'no rate given: no ports held');
    assert.equal(r.portsHeld, undefined);
  });

  it('with nothing churning, the node budget is named when a leg is SNAT\'d, else the pod; the exhaustion rate is null', () => {
    const snat = row([leg('app → sidecar', 1, 0, 'pod'), leg('sidecar → api', 3, 0, 'node')]);
    const inPod = row([leg('app → sidecar', 1, 0, 'pod'), leg('sidecar → api', 3, 0, 'pod')]);
    chargeRows([snat, inPod], {});
    assert.equal(snat.budgetScope, 'node');
    assert.equal(inPod.budgetScope, 'pod');
    assert.equal(snat.exhaustionRps, null);
    assert.equal(inPod.exhaustionRps, null);
    assert.deepEqual(inPod.budgets.map((b) => b.scope), ['pod']);
  });

  it('takes each budget from budgetFor (node settings) per scope and client namespace, its notes once, and a per-route rate from rpsFor', () => {
    const asked: string[] = [];
    const r = row([leg('app → sidecar', 1, 1, 'pod'), leg('sidecar → api', 1, 1, 'node')], [], 'payments');
    chargeRows([r], {
      rps: 5,
      rpsFor: (route) => (route.clientNamespace === 'payments' ? 20 : undefined),
      budgetFor: (scope, ns) => {
        asked.push(`${scope}:${ns}`);
        return { ports: scope === 'node' ? 500 : 2000, trace: [{ text: `${scope} range` }], notes: ['tcp_tw_reuse = 1'] };
      },
    });
    assert.deepEqual(asked, ['pod:payments', 'node:payments']);
    assert.equal(r.budgetScope, 'node');
    close(r.exhaustionRps, 500 / 60, 'node budget from budgetFor');
    assert.deepEqual(r.notes, ['tcp_tw_reuse = 1']);
    assert.equal(r.rps, 20, 'rpsFor wins over rps');
    assert.equal(r.portsHeld, 20 * 1 * 60);
  });
});
