import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { computeMultipliers } from '../../src/model/multiplier.js';
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
  const routes = computeMultipliers(model);

  it('visits every object of a kind with each rule in turn, then the routes, then calls end', () => {
    const log: string[] = [];
    const first = ruleOf('first', (l) => ({ DestinationRule: (o) => l.push(`first DR ${o.ref.name}`), route: (r) => l.push(`first route ${r.host}`), end: () => l.push('first end') }), log);
    const second = ruleOf('second', (l) => ({ DestinationRule: (o) => l.push(`second DR ${o.ref.name}`), VirtualService: (o) => l.push(`second VS ${o.ref.name}`) }), log);
    assert.deepEqual(runRules([first, second], model, routes, new Map()), []);
    assert.deepEqual(log, ['first DR a', 'second DR a', 'first DR b', 'second DR b', 'second VS vs', 'first route a.shop.svc.cluster.local', 'first end']);
  });

  it('a rule that throws becomes an error finding at the object; the other rules and objects are still visited', () => {
    const log: string[] = [];
    const broken = ruleOf(
      'broken',
      () => ({
        DestinationRule: (o) => {
          if (o.ref.name === 'a') throw new Error('boom');
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
    const healthy = ruleOf('healthy', (l) => ({ DestinationRule: (o) => l.push(o.ref.name), route: () => l.push('route') }), log);
    const findings = runRules([broken, healthy], model, routes, new Map());
    assert.deepEqual(log, ['a', 'b', 'route'], 'the healthy rule saw everything');
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
    const off = ruleOf('off', (l) => ({ DestinationRule: () => l.push('visited') }), seen as string[]);
    runRules([withOptions, off], model, routes, new Map([['opts', { severity: 'warn', options: { b: 3 } }], ['off', { severity: 'off' }]]));
    assert.deepEqual(seen, [{ a: 1, b: 3 }]);
  });
});
