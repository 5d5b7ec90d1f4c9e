/**
 * Ports a destination host declares, with what the proxy sees on each: the Kubernetes Service's `spec.ports`
 * (protocol from `appProtocol`, else the port name prefix; Istio "Protocol Selection") or the ServiceEntry's
 * `spec.ports[].protocol`. A destination written without a port reaches each of these ports (Istio builds one
 * outbound cluster per host and port: `outbound|<port>|<subset>|<host>`, istio/istio
 * `pilot/pkg/model/service.go` `BuildSubsetKey`), each with its own `portLevelSettings` layer.
 */
import type { FieldPath } from '../../../types.js';
import type { MeshModel } from '../../mesh.js';
import type { FieldRef, PortProtocol } from '../../traffic.js';
import { asArray, asNumber, asString, dig } from '../../values.js';

/** One declared port of a host. */
export interface DeclaredPort {
  number: number;
  protocol: PortProtocol;
  /** The protocol as the input writes it, lowercased (`appProtocol` and port name of a Service port, `protocol` of a ServiceEntry port), for finer checks such as HTTP/2. */
  declared: string;
  /** e.g. `ServiceEntry port 443 protocol TLS`, `Service port 9080 name http` . */
  reason: string;
  at: FieldRef;
}

/** Protocol of a Service port per Istio's explicit selection: `appProtocol`, else the port name `<protocol>[-<suffix>]`; undefined = sniffed. */
export function servicePortProtocol(port: unknown): string | undefined {
  const app = asString(dig(port, 'appProtocol'));
  if (app) return app.toLowerCase();
  const name = asString(dig(port, 'name'))?.toLowerCase();
  if (!name) return undefined;
  const prefix = name.split('-')[0]!;
  const known = ['http', 'http2', 'https', 'tcp', 'tls', 'grpc', 'mongo', 'mysql', 'redis', 'udp'];
  if (name.startsWith('grpc-web')) return 'grpc-web';
  return known.includes(prefix) ? prefix : undefined;
}

/**
 * What the sidecar sees for an Istio protocol name (case-insensitive): HTTP for `http`, `http2`, `grpc`,
 * `grpc-web`, `http_proxy`; opaque TLS for `https`, `tls`; TCP for the rest. An unset protocol is sniffed:
 * HTTP traffic is detected as HTTP, so `http` (the worst case for HTTP settings) is assumed.
 */
export function portProtocolOf(protocol: string | undefined): PortProtocol {
  const p = (protocol ?? '').toLowerCase();
  if (p === '' || p === 'http' || p === 'http2' || p === 'grpc' || p === 'grpc-web' || p === 'http_proxy') return 'http';
  if (p === 'https' || p === 'tls') return 'tls';
  return 'tcp';
}

/**
 * The ports `host` declares: the first visible ServiceEntry's (exact host, then wildcard), else the Service's.
 * Empty when the input declares none (no Service or ServiceEntry, or one without ports).
 */
export function declaredPorts(model: MeshModel, host: string): readonly DeclaredPort[] {
  // Asked for every route and policy cell: kept per model and host (the model does not change once built).
  let byHost = portCache.get(model);
  if (!byHost) portCache.set(model, (byHost = new Map()));
  let ports = byHost.get(host);
  if (!ports) byHost.set(host, (ports = findDeclaredPorts(model, host)));
  return ports;
}

const portCache = new WeakMap<MeshModel, Map<string, readonly DeclaredPort[]>>();

function findDeclaredPorts(model: MeshModel, host: string): DeclaredPort[] {
  const entry = model.serviceEntriesFor(host)[0];
  if (entry) {
    return entry.ports.map((p) => ({
      number: p.number,
      protocol: portProtocolOf(p.protocol),
      declared: p.protocol.toLowerCase(),
      reason: `ServiceEntry ${entry.object.ref.namespace}/${entry.object.ref.name} port ${p.number} protocol ${p.protocol || '(unset: sniffed)'}`,
      at: { object: entry.object, path: ['spec', 'ports', p.index] as FieldPath },
    }));
  }
  const svc = model.serviceFor(host);
  if (!svc) return [];
  return asArray(dig(svc.raw, 'spec', 'ports')).flatMap((p, i) => {
    const number = asNumber(dig(p, 'port'));
    if (number === undefined) return [];
    const declared = servicePortProtocol(p);
    return [{ number, protocol: portProtocolOf(declared), declared: `${asString(dig(p, 'appProtocol')) ?? ''} ${asString(dig(p, 'name')) ?? ''}`.trim().toLowerCase(), reason: `Service ${svc.ref.namespace}/${svc.ref.name} port ${number} protocol ${declared ?? '(not declared: sniffed)'}`, at: { object: svc, path: ['spec', 'ports', i] as FieldPath } }];
  });
}

/** The declared port `port` of `host`, when the input declares it. */
export function declaredPort(model: MeshModel, host: string, port: number | undefined): DeclaredPort | undefined {
  if (port === undefined) return undefined;
  return declaredPorts(model, host).find((p) => p.number === port);
}
