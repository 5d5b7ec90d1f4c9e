import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** Options of {@link destinationRule}. */
export interface DestinationRuleOptions {
  namespace?: string;
  /** Host; default `<name>.example.com`. */
  host?: string;
  /** `connectionPool.http.maxRequestsPerConnection`; default 1 (keep-alive off). */
  maxRequestsPerConnection?: number;
  /** `metadata.annotations` (values written as JSON strings). */
  annotations?: Record<string, string>;
  /** Lines written just above `maxRequestsPerConnection` (e.g. a disable comment), ending with a newline. */
  comment?: string;
}

/**
 * A DestinationRule with `connectionPool.http.maxRequestsPerConnection` (1 by default, so keepalive-disabled
 * fires). Without annotations or comment, `maxRequestsPerConnection` is on line 11; each annotation adds one
 * line, plus one for `annotations:`.
 */
export function destinationRule(name: string, options: DestinationRuleOptions = {}): string {
  const annotations = Object.entries(options.annotations ?? {});
  return `apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata:
  name: ${name}
  namespace: ${options.namespace ?? 'shop'}
${annotations.length ? `  annotations:\n${annotations.map(([k, v]) => `    ${k}: ${JSON.stringify(v)}\n`).join('')}` : ''}spec:
  host: ${options.host ?? `${name}.example.com`}
  trafficPolicy:
    connectionPool:
      http:
${options.comment ?? ''}        maxRequestsPerConnection: ${options.maxRequestsPerConnection ?? 1}
`;
}

/** Writes `files` (relative path → text) under `root`, creating directories. */
export function writeTree(root: string, files: Record<string, string>): void {
  for (const [name, text] of Object.entries(files)) {
    mkdirSync(join(root, name, '..'), { recursive: true });
    writeFileSync(join(root, name), text);
  }
}

/**
 * A Service `name` (one `http` port, 9080 by default) and a mesh VirtualService routing every request to it, both
 * in `namespace` (default `shop`): 14 lines, then `routeLines` (YAML under the route, 4-space indent, ending
 * with a newline, e.g. `    retries: { attempts: 3 }\n`).
 */
export function routedService(name = 'reviews', options: { namespace?: string; port?: number; routeLines?: string } = {}): string {
  const namespace = options.namespace ?? 'shop';
  return `apiVersion: v1
kind: Service
metadata: { name: ${name}, namespace: ${namespace} }
spec:
  ports: [{ name: http, port: ${options.port ?? 9080} }]
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: { name: ${name}, namespace: ${namespace} }
spec:
  hosts: [${name}]
  http:
  - route:
    - destination: { host: ${name} }
${options.routeLines ?? ''}`;
}
