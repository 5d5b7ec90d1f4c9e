/**
 * Gateway API manifests for rule tests: one HTTPRoute or GRPCRoute attached to a mesh Service (GAMMA) with one
 * rule, so each rule's test states only the rule's fields. Line numbers are fixed: the rule item starts at line
 * 13 (`  - backendRefs:`), its backendRef name is line 14, and `extra` (the rest of the rule, indented four
 * spaces) starts at line 16.
 */
export interface MeshRouteOptions {
  name?: string;
  namespace?: string;
  /** The parent Service (and the backend unless `backend` is given). */
  service?: string;
  port?: number;
  /** The parentRef's group and kind (default: core Service `service`); e.g. `['networking.istio.io', 'ServiceEntry', 'api']` for an egress route. */
  parent?: [group: string, kind: string, name: string];
  /** The backendRef entry's lines after `    - `, e.g. `group: networking.istio.io\n      kind: Hostname\n      name: api.example.com` (two lines: name and one more). */
  backend?: string;
}

/** An HTTPRoute/GRPCRoute (`kind`) with a Service parent and one rule; `extra` is the rest of that rule (see the module comment). */
export function meshRoute(kind: 'HTTPRoute' | 'GRPCRoute', extra = '', options: MeshRouteOptions = {}): string {
  const { name = 'pay', namespace = 'shop', service = 'payments', port = 80 } = options;
  const [group, kind2, parentName] = options.parent ?? ['', 'Service', service];
  const backend = options.backend ?? `name: ${service}\n      port: ${port}`;
  return `apiVersion: gateway.networking.k8s.io/v1
kind: ${kind}
metadata:
  name: ${name}
  namespace: ${namespace}
spec:
  parentRefs:
  - group: "${group}"
    kind: ${kind2}
    name: ${parentName}
    port: ${port}
  rules:
  - backendRefs:
    - ${backend}
${extra}`;
}
