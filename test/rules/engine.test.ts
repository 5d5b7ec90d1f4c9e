import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { meshFacts } from '../../src/model/adapters/istio/mesh-facts.js';
import { buildTrafficModel } from '../../src/model/build-traffic.js';
import { NodeSettings } from '../../src/node/settings.js';
import { defineRule, runRules, type Rule, type RuleVisitors } from '../../src/rules/engine.js';
import { docs, modelFromYaml } from '../helpers/model.js';

const MESH = docs(
  `apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: a, namespace: shop}
spec: {host: a.shop.svc.cluster.local}`,
  `apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: vs, namespace: shop}
spec:
  hosts: [a.shop.svc.cluster.local]
  http:
  - route:
    - destination: {host: a.shop.svc.cluster.local}`,
  `apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: b, namespace: shop}
spec: {host: b.shop.svc.cluster.local}`,
);

/** A config rule with the given id whose visitors come from `visitors`. */
const ruleOf = (id: string, visitors: (log: string[]) => RuleVisitors, log: string[]): Rule =>
  defineRule({
    meta: { id, code: 'MSH999', family: 'config', description: id, defaultSeverity: 'warn', docs: '', inputs: ['DestinationRule'], defaultOptions: {} },
    create: () => visitors(log),
  });

describe('rules engine (runRules)', () => {
  const model = modelFromYaml(MESH);
  const traffic = buildTrafficModel(model);
  const routes = traffic.routes;
  const mesh = meshFacts(model);
  const node = new NodeSettings(model.objects);
  /** `host|port` of each connection policy, in the traffic model's order. */
  const cells = traffic.connectionPolicies.map((p) => `${p.host}|${p.port ?? ''}`);

  it('visits every record of a kind with each rule in turn, then the routes, then calls end', () => {
    assert.deepEqual(cells, ['a.shop.svc.cluster.local|', 'b.shop.svc.cluster.local|'], 'the route to a, then the DestinationRule b');
    const log: string[] = [];
    const first = ruleOf('first', (l) => ({ ConnectionPolicy: (p) => l.push(`first policy ${p.host}`), route: (r) => l.push(`first route ${r.host}`), end: () => l.push('first end') }), log);
    const second = ruleOf('second', (l) => ({ ConnectionPolicy: (p) => l.push(`second policy ${p.host}`), RetryPolicy: (r) => l.push(`second retries ${r.host}`) }), log);
    assert.deepEqual(runRules([first, second], mesh, routes, new Map(), node, traffic), []);
    assert.deepEqual(log, [
      'first policy a.shop.svc.cluster.local',
      'second policy a.shop.svc.cluster.local',
      'first policy b.shop.svc.cluster.local',
      'second policy b.shop.svc.cluster.local',
      'second retries a.shop.svc.cluster.local',
      'first route a.shop.svc.cluster.local',
      'first end',
    ]);
  });

  it('a rule that throws becomes an error finding at the object; the other rules and objects are still visited', () => {
    const log: string[] = [];
    const broken = ruleOf(
      'broken',
      () => ({
        ConnectionPolicy: (p) => {
          if (p.host === 'a.shop.svc.cluster.local') throw new Error('boom');
        },
        route: () => {
          throw new TypeError('bad route');
        },
        end: () => {
          throw 'not an Error';
        },
      }),
      log,
    );
    const healthy = ruleOf('healthy', (l) => ({ ConnectionPolicy: (p) => l.push(p.host), route: () => l.push('route') }), log);
    const findings = runRules([broken, healthy], mesh, routes, new Map(), node, traffic);
    assert.deepEqual(log, ['a.shop.svc.cluster.local', 'b.shop.svc.cluster.local', 'route'], 'the healthy rule saw everything');
    assert.deepEqual(
      findings.map((f) => [f.ruleId, f.severity, f.message, f.location.file, f.location.line]),
      [
        ['broken', 'error', 'internal error in rule broken: boom (please report this)', 'model-test.yaml', 1],
        ['broken', 'error', 'internal error in rule broken: bad route (please report this)', 'model-test.yaml', 6],
        ['broken', 'error', 'internal error in rule broken: not an Error (please report this)', '<meshlint>', 1],
      ],
    );
  });

  it('skips a rule turned off, and gives a rule its options over its defaults', () => {
    const seen: unknown[] = [];
    const withOptions = defineRule({
      meta: { id: 'opts', code: 'MSH998', family: 'config', description: 'opts', defaultSeverity: 'warn', docs: '', inputs: ['DestinationRule'], defaultOptions: { a: 1, b: 2 } },
      create: (context) => ({ end: () => seen.push(context.options) }),
    });
    const off = ruleOf('off', (l) => ({ ConnectionPolicy: () => l.push('visited') }), seen as string[]);
    runRules([withOptions, off], mesh, routes, new Map([['opts', { severity: 'warn', options: { b: 3 } }], ['off', { severity: 'off' }]]), node, traffic);
    assert.deepEqual(seen, [{ a: 1, b: 3 }]);
  });
});
