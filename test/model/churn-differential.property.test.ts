/**
 * Differential property test (issue 13, "Proof"): over generated meshes, every churn finding agrees with the
 * table for the same (client, destination, subset, port), and both agree with an independent reference of
 * Istio's layering written here from the generator's own description of the mesh (not from YAML):
 *
 *   effective maxRequestsPerConnection of (host, subset, port) = the last of: top level → top-level
 *   portLevelSettings[port] → subsets[subset].trafficPolicy → its portLevelSettings[port], each layer that sets a
 *   connectionPool replacing the whole block; it applies only where the port is HTTP (a TLS/TCP port ignores it).
 *
 * Checked: a row's sidecar leg opens 1/N connections per try exactly when the reference says N, and is pooled
 * otherwise; `keepalive-disabled` fires exactly at the fields the reference makes effective with 1 on some HTTP
 * cell (no error where the table says pooled, no pooled row where a rule reports keep-alive off);
 * `connection-churn-settings` (maxRequestsPerConnection) fires exactly at the effective fields with 2 … 99.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { analyzeObjects } from '../../src/pipeline.js';
import { objectsFromYaml } from '../helpers/model.js';

type Protocol = 'http' | 'tls' | 'tcp' | 'sniffed';
/** A connectionPool layer: absent (no layer), a pool without maxRequestsPerConnection (`pooled`), or a value. */
type Pool = undefined | 'pooled' | number;

interface ServiceSpec {
  ports: { number: number; protocol: Protocol; pool: Pool }[];
  top: Pool;
  subsets: { name: string; pool: Pool; portPools: Pool[] }[];
  route?: { subset?: string; port?: number };
}

const pool = fc.constantFrom<Pool>(undefined, undefined, 'pooled', 0, 1, 1, 2, 10, 1000);
const protocol = fc.constantFrom<Protocol>('http', 'http', 'tls', 'tcp', 'sniffed');

const service: fc.Arbitrary<ServiceSpec> = fc
  .record({
    ports: fc.uniqueArray(fc.record({ number: fc.constantFrom(80, 443, 8080, 9080), protocol, pool }), { minLength: 1, maxLength: 3, selector: (p) => p.number }),
    top: pool,
    subsets: fc.array(fc.record({ pool, portPools: fc.array(pool, { minLength: 3, maxLength: 3 }) }), { maxLength: 2 }).map((list) => list.map((s, i) => ({ ...s, name: `v${i + 1}` }))),
    routeKind: fc.constantFrom('none', 'no-port', 'port', 'subset', 'subset-port'),
  })
  .map(({ routeKind, ...spec }) => {
    const route = routeKind === 'none' ? undefined : {
      ...(routeKind.startsWith('subset') && spec.subsets.length ? { subset: spec.subsets[0]!.name } : {}),
      ...(routeKind.endsWith('port') && routeKind !== 'no-port' ? { port: spec.ports[0]!.number } : {}),
    };
    return { ...spec, ...(route ? { route } : {}) };
  });

const poolYaml = (p: Pool, indent: string) => (p === undefined ? '' : p === 'pooled' ? `${indent}connectionPool:\n${indent}  tcp:\n${indent}    maxConnections: 100\n` : `${indent}connectionPool:\n${indent}  http:\n${indent}    maxRequestsPerConnection: ${p}\n`);

function yamlOf(services: ServiceSpec[]): string {
  const docs: string[] = [];
  services.forEach((s, i) => {
    const name = `svc${i}`;
    const portName = (p: ServiceSpec['ports'][number]) => (p.protocol === 'sniffed' ? `port-${p.number}` : `${p.protocol}-${p.number}`);
    docs.push(`apiVersion: v1\nkind: Service\nmetadata:\n  name: ${name}\n  namespace: shop\nspec:\n  ports:\n${s.ports.map((p) => `  - name: ${portName(p)}\n    port: ${p.number}\n`).join('')}`);
    const levels = (pools: Pool[], indent: string) => {
      const set = s.ports.map((p, k) => ({ number: p.number, pool: pools[k] })).filter((x) => x.pool !== undefined);
      return set.length ? `${indent}portLevelSettings:\n${set.map((x) => `${indent}- port:\n${indent}    number: ${x.number}\n${poolYaml(x.pool, `${indent}  `)}`).join('')}` : '';
    };
    let dr = `apiVersion: networking.istio.io/v1\nkind: DestinationRule\nmetadata:\n  name: ${name}\n  namespace: shop\nspec:\n  host: ${name}\n`;
    const topLevel = poolYaml(s.top, '    ') + levels(s.ports.map((p) => p.pool), '    ');
    if (topLevel) dr += `  trafficPolicy:\n${topLevel}`;
    if (s.subsets.length) {
      dr += '  subsets:\n';
      for (const sub of s.subsets) {
        dr += `  - name: ${sub.name}\n    labels:\n      version: ${sub.name}\n`;
        const body = poolYaml(sub.pool, '      ') + levels(sub.portPools, '      ');
        if (body) dr += `    trafficPolicy:\n${body}`;
      }
    }
    docs.push(dr);
    if (s.route) {
      const dest = `        host: ${name}\n${s.route.subset ? `        subset: ${s.route.subset}\n` : ''}${s.route.port ? `        port:\n          number: ${s.route.port}\n` : ''}`;
      docs.push(`apiVersion: networking.istio.io/v1\nkind: VirtualService\nmetadata:\n  name: ${name}\n  namespace: shop\nspec:\n  hosts:\n  - ${name}\n  http:\n  - route:\n    - destination:\n${dest}    retries:\n      attempts: 0\n`);
    }
  });
  return docs.join('---\n');
}

/** The reference: the effective maxRequestsPerConnection of (service, subset, port) and the field that set it, or undefined (pooled). */
function reference(s: ServiceSpec, subset: string | undefined, port: number): { value: number; field: string } | undefined {
  let effective: { pool: Pool; field: string } | undefined;
  const apply = (p: Pool, base: string) => {
    if (p !== undefined) effective = { pool: p, field: `${base}.connectionPool.http.maxRequestsPerConnection` };
  };
  const k = s.ports.findIndex((p) => p.number === port);
  const levelIndex = (pools: Pool[]) => s.ports.map((p, i) => ({ i, pool: pools[i] })).filter((x) => x.pool !== undefined).findIndex((x) => x.i === k);
  apply(s.top, 'spec.trafficPolicy');
  const top = levelIndex(s.ports.map((p) => p.pool));
  if (top >= 0) apply(s.ports[k]!.pool, `spec.trafficPolicy.portLevelSettings[${top}]`);
  const j = s.subsets.findIndex((x) => x.name === subset);
  if (j >= 0) {
    const sub = s.subsets[j]!;
    apply(sub.pool, `spec.subsets[${j}].trafficPolicy`);
    const lvl = levelIndex(sub.portPools);
    if (lvl >= 0) apply(sub.portPools[k], `spec.subsets[${j}].trafficPolicy.portLevelSettings[${lvl}]`);
  }
  if (!effective || typeof effective.pool !== 'number' || effective.pool <= 0) return undefined;
  return { value: effective.pool, field: effective.field };
}

const isHttp = (p: Protocol) => p === 'http' || p === 'sniffed';

describe('churn findings agree with the model’s effective policy (differential, generated meshes)', () => {
  it('keepalive-disabled, connection-churn-settings and the table rows match the reference layering', () => {
    fc.assert(
      fc.property(fc.array(service, { minLength: 1, maxLength: 3 }), (services) => {
        const objects = objectsFromYaml(yamlOf(services));
        const { findings, routes } = analyzeObjects(objects, [], {});
        const at = (ruleId: string) => new Set(findings.filter((f) => f.ruleId === ruleId).map((f) => `${f.location.object?.name}:${f.location.fieldPath}`));
        const expectedOff = new Set<string>();
        const expectedChurn = new Set<string>();
        services.forEach((s, i) => {
          for (const subset of [undefined, ...s.subsets.map((x) => x.name)]) {
            for (const p of s.ports) {
              const ref = reference(s, subset, p.number);
              if (!ref || !isHttp(p.protocol)) continue;
              if (ref.value === 1) expectedOff.add(`svc${i}:${ref.field}`);
              else if (ref.value < 100) expectedChurn.add(`svc${i}:${ref.field}`);
            }
          }
          // Table rows: the sidecar leg of each (subset, port) row follows the reference.
          for (const row of routes.filter((r) => r.destination === `svc${i}.shop.svc.cluster.local`)) {
            const p = s.ports.find((x) => x.number === row.port);
            assert.ok(p, `row port ${row.port} is a declared port of svc${i}`);
            if (s.route?.port !== undefined) assert.equal(row.port, s.route.port);
            const ref = reference(s, row.subset, row.port!);
            const expected = ref && isHttp(p.protocol) ? 1 / ref.value : 0;
            assert.equal(row.legs[1]!.connectionsPerTry, expected, `svc${i} subset ${row.subset ?? '-'} port ${row.port} (${p.protocol})`);
          }
          if (s.route && s.route.port === undefined) {
            const rows = routes.filter((r) => r.destination === `svc${i}.shop.svc.cluster.local`).map((r) => r.port);
            const http = s.ports.filter((p) => isHttp(p.protocol)).map((p) => p.number);
            assert.deepEqual(rows, http.length ? http : s.ports.map((p) => p.number), 'a route without a port reaches each HTTP port (else each port)');
          }
        });
        assert.deepEqual([...at('keepalive-disabled')].sort(), [...expectedOff].sort(), 'keepalive-disabled fires exactly where keep-alive is off on an HTTP cell');
        assert.deepEqual([...at('connection-churn-settings')].filter((k) => k.endsWith('maxRequestsPerConnection')).sort(), [...expectedChurn].sort(), 'connection-churn-settings (maxRequestsPerConnection) likewise');
      }),
      { numRuns: 150 },
    );
  });
});
