/**
 * node-port-budget: the per-node arithmetic over the incident's configuration (the real pipeline, objects as a
 * cluster serves them) with live traffic given directly, and the rule's thresholds with near misses.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { manifestObjectsOf } from '../../src/audit/objects.js';
import type { LiveTraffic } from '../../src/live/types.js';
import { analyzeObjects } from '../../src/pipeline.js';
import { incidentCluster, NAMESPACE, PAYMENTS_HOST, SEARCH_HOST } from '../helpers/incident.js';

/** The incident's configuration and placement, with checkout sending `now`/`peak` requests/s to the payments API. */
function analyse(now: number, peak: number, options: { ports?: number; rules?: Map<string, { severity: 'off' | 'warn' | 'error' | 'info'; options?: Record<string, unknown> }> } = {}) {
  const raw = incidentCluster() as Record<string, unknown>[];
  const config = manifestObjectsOf(raw.filter((o) => o.kind !== 'Pod' && o.kind !== 'Node'), 'test');
  const pods = raw.filter((o) => o.kind === 'Pod').map((o) => {
    const m = o.metadata as { name: string };
    return { namespace: NAMESPACE, name: m.name, node: (o.spec as { nodeName: string }).nodeName, workload: m.name.split('-')[0]!, workloadKind: 'Deployment', sidecar: true, ambient: false, hostNetwork: false };
  });
  const live: LiveTraffic = {
    prometheus: 'http://prometheus:9090',
    window: '5m',
    range: '7d',
    pods,
    nodes: ['node-a', 'node-b', 'node-c'].map((name) => ({ name, addresses: [], uri: `cluster://test/Node/${name}` })),
    rates: [
      { namespace: NAMESPACE, workload: 'checkout', destination: PAYMENTS_HOST, now, peak, reporter: 'source' },
      { namespace: NAMESPACE, workload: 'catalog', destination: SEARCH_HOST, now: 500, peak: 900, reporter: 'source' },
      { namespace: NAMESPACE, workload: 'catalog', destination: 'elsewhere.example.org', now: 1, peak: 2, reporter: 'source' },
    ],
    tcpOpened: [],
    upstreamConnections: null,
    nodeMetrics: new Map([['node-a', { timeWait: 1000, activeOpensPerSecond: 20 }]]),
    notes: [],
  };
  return analyzeObjects(config.objects, [], { live, ...(options.ports ? { ports: options.ports } : {}), ...(options.rules ? { rules: options.rules } : {}) });
}

const nodeFindings = (r: ReturnType<typeof analyse>) => r.findings.filter((f) => f.ruleId === 'node-port-budget').map((f) => `${f.severity} ${f.location.object?.name}`);

describe('node-port-budget', () => {
  it('sums each node’s pods: share of the workload rate × M on the SNAT’d legs', () => {
    const r = analyse(100, 200);
    const [a, b, c] = r.nodePorts!.nodes;
    // node-a holds 3 of checkout's 4 pods: 3/4 × 200 × M 3 = 450 connections/s at the peak, 27,000 ports.
    assert.equal(a!.node, 'node-a');
    assert.equal(a!.peak.connectionsPerSecond, 450);
    assert.equal(a!.peak.timeWait, 27000);
    assert.equal(a!.now.connectionsPerSecond, 225);
    assert.equal(a!.drivers[0]!.connectionsPerRequest, 3);
    assert.deepEqual(a!.gap, { timeWait: 1000 - 13500, connectionsPerSecond: 20 - 225 });
    // catalog → search is in-mesh (the pod's ports), so it adds nothing to node-b or node-c.
    assert.equal(b!.node, 'node-b');
    assert.equal(b!.peak.connectionsPerSecond, 150);
    assert.equal(c!.peak.connectionsPerSecond, 0);
    assert.equal(c!.peakHeadroom, null);
    assert.deepEqual(r.nodePorts!.unmatched.map((u) => u.destination), ['elsewhere.example.org']);
  });

  it('warns at 80 % of the range at the peak; 79 % is a near miss', () => {
    // 28,232 ports × 0.80 = 22,585.6 ports = 376.4 connections/s from node-a = 167.3 req/s for the workload.
    assert.deepEqual(nodeFindings(analyse(50, 167.4)), ['warn node-a']);
    assert.deepEqual(nodeFindings(analyse(50, 165)), []);
  });

  it('is an error at 100 % and says when the range is full', () => {
    const r = analyse(100, 220);
    assert.deepEqual(nodeFindings(r), ['error node-a']);
    const f = r.findings.find((x) => x.ruleId === 'node-port-budget')!;
    assert.match(f.message, /node node-a: at the peak rate its pods open 495 SNAT'd connections\/s, holding 29700 of 28232 ephemeral ports in TIME_WAIT \(105\.2 %\)/);
    assert.match(f.message, /full 55 s after traffic reaches it/);
    assert.equal(f.location.file, 'cluster://test/Node/node-a');
    // (28,232 − 13,500) / (495 − 225) = 54.6 s from the start of the peak.
    assert.ok(Math.abs(r.nodePorts!.nodes[0]!.exhaustsInSeconds! - 54.56) < 0.01);
  });

  it('a wider port range is headroom: the same traffic is no longer reported', () => {
    assert.deepEqual(nodeFindings(analyse(100, 220, { ports: 64512 })), []);
  });

  it('takes warnAt / errorAt options and can be turned off', () => {
    const rules = new Map([['node-port-budget', { severity: 'warn' as const, options: { warnAt: 0.5, errorAt: 0.9 } }]]);
    assert.deepEqual(nodeFindings(analyse(50, 120, { rules })), ['warn node-a']); // 16,200 ports: 57.4 %
    assert.deepEqual(nodeFindings(analyse(50, 190, { rules })), ['error node-a']); // 25,650 ports: 90.9 %
    assert.deepEqual(nodeFindings(analyse(50, 190)), ['warn node-a']); // the same with the defaults
    assert.deepEqual(nodeFindings(analyse(100, 220, { rules: new Map([['node-port-budget', { severity: 'off' as const }]]) })), []);
  });

  it('does nothing without live traffic', () => {
    const raw = incidentCluster() as Record<string, unknown>[];
    const r = analyzeObjects(manifestObjectsOf(raw.filter((o) => o.kind !== 'Pod' && o.kind !== 'Node'), 'test').objects, [], {});
    assert.equal(r.nodePorts, undefined);
    assert.equal(r.findings.filter((f) => f.ruleId === 'node-port-budget').length, 0);
  });
});
