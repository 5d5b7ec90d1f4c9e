import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { meshObjects, writeMesh } from '../../scripts/bench/mesh-generator.js';
import { check } from '../../src/pipeline.js';
import { tempDir } from '../helpers/cli.js';

type Obj = Record<string, any>;

/**
 * The benchmark's meshes (issue 15, "Also"): the mixed mesh adds Gateway API, ambient and ingress objects to the
 * plain mesh of the same seed, and the plain mesh stays as every earlier benchmark measured it.
 */
describe('bench mesh generator', () => {
  const spec = { objects: 1200, seed: 20261201 };

  it('mixed: false is the plain mesh, and generation is deterministic', () => {
    assert.deepEqual(meshObjects({ ...spec, mixed: false }), meshObjects(spec));
    assert.deepEqual(meshObjects({ ...spec, mixed: true }), meshObjects({ ...spec, mixed: true }));
  });

  it('mixed: ambient namespaces with a waypoint, HTTPRoutes on Services and on the ingress Gateway, and the exact count', () => {
    const plain = meshObjects(spec).map((o) => o.object as Obj);
    const mixed = meshObjects({ ...spec, mixed: true }).map((o) => o.object as Obj);
    assert.equal(mixed.length, spec.objects);
    const ambient = mixed.filter((o) => o.kind === 'Namespace' && o.metadata.labels?.['istio.io/dataplane-mode'] === 'ambient');
    assert.ok(ambient.length >= 2, `ambient namespaces: ${ambient.length}`);
    for (const ns of ambient) {
      assert.equal(ns.metadata.labels['istio-injection'], undefined);
      const waypoint = mixed.find((o) => o.kind === 'Gateway' && o.metadata.namespace === ns.metadata.name);
      assert.equal(waypoint?.spec.gatewayClassName, 'istio-waypoint');
      assert.equal(waypoint?.metadata.name, ns.metadata.labels['istio.io/use-waypoint']);
    }
    const ingress = mixed.find((o) => o.kind === 'Gateway' && o.spec.gatewayClassName === 'istio');
    assert.deepEqual(ingress?.metadata, { name: 'ingress', namespace: 'istio-ingress' });
    const routes = mixed.filter((o) => o.kind === 'HTTPRoute');
    assert.ok(routes.some((r) => r.spec.parentRefs.some((p: Obj) => p.kind === 'Gateway' && p.name === 'ingress')), 'an HTTPRoute on the ingress Gateway');
    assert.ok(routes.every((r) => r.spec.parentRefs[0].kind === 'Service'), 'every HTTPRoute attaches to its Service (GAMMA)');
    assert.ok(routes.some((r) => r.spec.rules.some((rule: Obj) => rule.timeouts?.backendRequest)), 'some rules with timeouts.backendRequest');
    // The services are the plain mesh's: same Services, in the same order, up to the slots the added objects take.
    const names = (list: Obj[]) => list.filter((o) => o.kind === 'Service').map((o) => `${o.metadata.namespace}/${o.metadata.name}`);
    const mixedServices = names(mixed);
    assert.deepEqual(mixedServices, names(plain).slice(0, mixedServices.length));
    assert.ok(mixedServices.length >= names(plain).length - 5);
  });

  it('mixed: meshlint gives rows on the ambient, waypoint and gateway data planes as well as sidecar rows', async () => {
    const { dir, cleanup } = tempDir();
    try {
      writeMesh(dir, { ...spec, mixed: true });
      const result = await check({ paths: [dir], cwd: dir, defaultNamespace: 'default' });
      const planes = new Set(result.routes.flatMap((r) => r.legs.map((l) => l.dataPlane)));
      for (const plane of ['sidecar', 'ztunnel', 'waypoint', 'gateway'] as const) assert.ok(planes.has(plane), `a ${plane} leg among ${[...planes].join(', ')}`);
      assert.equal(result.errors.length, 0);
    } finally {
      cleanup();
    }
  });
});
