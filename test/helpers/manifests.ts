import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** The first 5 lines of a `networking.istio.io/v1` object: `apiVersion`, `kind`, `metadata` with `name` and `namespace` (default `shop`). */
function networkingMetadata(kind: string, name: string, namespace = 'shop'): string {
  return `apiVersion: networking.istio.io/v1\nkind: ${kind}\nmetadata:\n  name: ${name}\n  namespace: ${namespace}\n`;
}

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
  /**
   * The lines under `connectionPool:` (6-space indent, each ending with a newline) instead of
   * `http.maxRequestsPerConnection` (`maxRequestsPerConnection` and `comment` then do nothing); `''` leaves the
   * text ending at `connectionPool:` for the caller to continue.
   */
  pool?: string;
  /** Text right after the connection pool, e.g. `portLevelSettings` under `trafficPolicy` (4-space indent), ending with a newline. */
  tail?: string;
}

/**
 * A DestinationRule with `connectionPool.http.maxRequestsPerConnection` (1 by default, so keepalive-disabled
 * fires), or the `pool` given. Without annotations or comment, `connectionPool:` is on line 9 and
 * `maxRequestsPerConnection` on line 11 (the first line of `pool` on line 10); each annotation adds one line,
 * plus one for `annotations:`.
 */
export function destinationRule(name: string, options: DestinationRuleOptions = {}): string {
  const annotations = Object.entries(options.annotations ?? {});
  return `${networkingMetadata('DestinationRule', name, options.namespace)}${annotations.length ? `  annotations:\n${annotations.map(([k, v]) => `    ${k}: ${JSON.stringify(v)}\n`).join('')}` : ''}spec:
  host: ${options.host ?? `${name}.example.com`}
  trafficPolicy:
    connectionPool:
${options.pool ?? `      http:\n${options.comment ?? ''}        maxRequestsPerConnection: ${options.maxRequestsPerConnection ?? 1}\n`}${options.tail ?? ''}`;
}

/** One entry of a ServiceEntry's `ports`. */
export interface ServiceEntryPort {
  number: number;
  name: string;
  protocol: string;
}

/** Port 80, HTTP: the port most rule tests give an external API. */
export const HTTP_80: ServiceEntryPort = { number: 80, name: 'http', protocol: 'HTTP' };
/** Port 443, TLS: an external API the sidecar passes through as opaque TLS. */
export const TLS_443: ServiceEntryPort = { number: 443, name: 'tls', protocol: 'TLS' };

/** Options of {@link serviceEntry}. */
export interface ServiceEntryOptions {
  namespace?: string;
  /** The one host; default `api.example.com`. */
  host?: string;
  /** Default {@link HTTP_80}. */
  ports?: readonly ServiceEntryPort[];
  /** Lines after `ports`, each ending with a newline; default `  resolution: DNS\n` (`location` is then MESH_EXTERNAL, the default). */
  tail?: string;
}

/**
 * A ServiceEntry for one external host (`api.example.com` in namespace `shop` by default). With one port,
 * `hosts:` is on line 7 and the port's `- number:` on line 10; the text ends with a newline, no `---`.
 */
export function serviceEntry(name: string, options: ServiceEntryOptions = {}): string {
  const ports = (options.ports ?? [HTTP_80]).map((p) => `  - number: ${p.number}\n    name: ${p.name}\n    protocol: ${p.protocol}\n`).join('');
  return `${networkingMetadata('ServiceEntry', name, options.namespace)}spec:
  hosts:
  - ${options.host ?? 'api.example.com'}
  ports:
${ports}${options.tail ?? '  resolution: DNS\n'}`;
}

/**
 * The `value` of an EnvoyFilter CLUSTER MERGE that sets Envoy's `HttpProtocolOptions` (the typed extension
 * protocol options istiod writes for a DestinationRule's http pool), with `common_http_protocol_options` set to
 * `common` (a YAML flow mapping). Each line is indented by `indent` spaces (the column under `value:` plus two) and
 * ends with a newline. `explicitHttp` adds `explicit_http_config` (HTTP/1.1 upstream), as istiod does.
 */
export function httpProtocolOptionsValue(common: string, indent: number, explicitHttp = true): string {
  return [
    'typed_extension_protocol_options:',
    '  envoy.extensions.upstreams.http.v3.HttpProtocolOptions:',
    '    "@type": type.googleapis.com/envoy.extensions.upstreams.http.v3.HttpProtocolOptions',
    ...(explicitHttp ? ['    explicit_http_config: { http_protocol_options: {} }'] : []),
    `    common_http_protocol_options: ${common}`,
  ]
    .map((line) => `${' '.repeat(indent)}${line}\n`)
    .join('');
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

/** Options of {@link virtualService}. */
export interface VirtualServiceOptions {
  namespace?: string;
  /** The one host it routes; default `api.example.com`. */
  host?: string;
  /** `gateways`, one per line; default none (the mesh). */
  gateways?: readonly string[];
  /** The route's one destination; default `host`. */
  destination?: string;
  /** The destination's `port.number`, when given. */
  port?: number;
  /** YAML under the route (4-space indent, each line ending with a newline), e.g. `    retries:\n      attempts: 3\n`. */
  routeLines?: string;
}

/**
 * A VirtualService `name` (namespace `shop` by default) with one HTTP route to one destination, block style:
 * `hosts:` on line 7, `http:` on line 9 and its route (`- route:`) on line 10, the destination's `host:` on line
 * 12; `gateways` add one line each plus one, a `port` two; `routeLines` follow.
 */
export function virtualService(name: string, options: VirtualServiceOptions = {}): string {
  const host = options.host ?? 'api.example.com';
  const gateways = options.gateways?.length ? `  gateways:\n${options.gateways.map((g) => `  - ${g}\n`).join('')}` : '';
  return `${networkingMetadata('VirtualService', name, options.namespace)}spec:
  hosts:
  - ${host}
${gateways}  http:
  - route:
    - destination:
        host: ${options.destination ?? host}
${options.port === undefined ? '' : `        port:\n          number: ${options.port}\n`}${options.routeLines ?? ''}`;
}

/**
 * Namespace `namespace` enrolled in ambient (`istio.io/dataplane-mode: ambient`, plus `nsLabels`, e.g.
 * `, istio.io/use-waypoint: waypoint`) with Service reviews (HTTP port 9080), then `rest` (routes for it), and with
 * `waypoint` the waypoint Gateway shop/waypoint (class istio-waypoint, HBONE 15008).
 */
export function ambientReviews(nsLabels: string, rest: string, options: { namespace?: string; waypoint?: boolean } = {}): string {
  const ns = options.namespace ?? 'shop';
  const waypoint = options.waypoint
    ? `---\napiVersion: gateway.networking.k8s.io/v1\nkind: Gateway\nmetadata: { name: waypoint, namespace: ${ns} }\nspec:\n  gatewayClassName: istio-waypoint\n  listeners: [{ name: mesh, port: 15008, protocol: HBONE }]\n`
    : '';
  return `apiVersion: v1
kind: Namespace
metadata: { name: ${ns}, labels: { istio.io/dataplane-mode: ambient${nsLabels} } }
---
apiVersion: v1
kind: Service
metadata: { name: reviews, namespace: ${ns} }
spec: { ports: [{ name: http, port: 9080 }] }
---
${rest}${waypoint}`;
}
