/**
 * Linking application call sites to the mesh (Istio "Protocol Selection"; docs/model.md, "Ports and protocols"): the host a
 * call names (a URL or host literal, or an environment variable mapped in `source.envHosts`) is resolved as
 * Kubernetes DNS and Istio would resolve it and matched to a ServiceEntry, Service or VirtualService host of
 * the input; its port is matched too, because the sidecar applies HTTP settings only on a port it sees as
 * HTTP, and a port nothing declares goes to PassthroughCluster.
 */
import type { ManifestObject } from '../load/objects.js';
import type { AppCallSite } from '../source/types.js';
import type { FieldPath } from '../types.js';
import { serviceNamespaceOfHost } from './hosts.js';
import type { MeshModel, WorkloadView } from './mesh.js';
import { appliesToMesh } from './mesh.js';
import { asArray, asNumber, asString, dig } from './values.js';
import { servicePortProtocol } from './adapters/workloads/ports.js';

/** One fact behind a link, with the object field it was read from (for the multiplier trace). */
export interface LinkTrace {
  text: string;
  at?: { object: ManifestObject; path: FieldPath };
}

/** Where a call site goes, as the client's sidecar sees it. */
export interface CallSiteLink {
  site: AppCallSite;
  /** The destination host as Istio names it (FQDN for cluster Services; as written for external hosts). */
  host: string;
  /** Destination port (from the URL; scheme default 80/443; a database library's default port). */
  port?: number;
  /**
   * `http` when the sidecar sees HTTP on this port (Service/ServiceEntry port protocol HTTP, HTTP2, GRPC, or
   * an undeclared protocol that Istio's sniffing detects as HTTP); `tcp` for HTTPS originated by the app
   * (opaque TLS), TLS/TCP ports, and database protocols.
   */
  protocol: 'http' | 'tcp';
  /** The port is not declared for this host (or no ServiceEntry declares the external host): PassthroughCluster. */
  passthrough: boolean;
  /** Namespace of the calling workload: from `source.workloads`, else assumed (see `assumedNamespace`). */
  clientNamespace?: string;
  /** True when `clientNamespace` was inferred from the destination (a short name resolves in the caller's namespace) rather than configured. */
  assumedNamespace: boolean;
  /** The calling workload, when `source.workloads` names one the input has. */
  client?: WorkloadView;
  /** The object that declares the host (ServiceEntry host, Service, VirtualService host), when the input has one. */
  declaredBy?: { object: ManifestObject; path: FieldPath };
  trace: LinkTrace[];
}

/** Why a call site could not be linked (for the report's notes). */
export interface UnlinkedCallSite {
  site: AppCallSite;
  reason: string;
}

/**
 * Protocols on which the sidecar sees HTTP (Istio "Protocol Selection": `http`, `http2`, `grpc`, `grpc-web`;
 * also ServiceEntry `HTTP_PROXY`). `https` and `tls` are opaque TLS to a sidecar; `tcp`, `mongo`, `mysql`,
 * `redis` are TCP.
 */
function isHttpName(protocol: string): boolean {
  const p = protocol.toLowerCase();
  return p === 'http' || p === 'http2' || p === 'grpc' || p === 'grpc-web' || p === 'http_proxy';
}

export { servicePortProtocol } from './adapters/workloads/ports.js';

/** Hosts the input defines, for resolving what a call site names. */
interface KnownHosts {
  /** Mesh-bound VirtualService hosts (resolved) → the first VirtualService and host index. */
  virtualServiceHosts: Map<string, { object: ManifestObject; index: number }>;
}

function knownHosts(model: MeshModel): KnownHosts {
  const virtualServiceHosts = new Map<string, { object: ManifestObject; index: number }>();
  for (const vs of model.virtualServices) {
    if (!appliesToMesh(vs)) continue;
    asArray(dig(vs.raw, 'spec', 'hosts')).forEach((h, index) => {
      if (typeof h !== 'string') return;
      const resolved = model.resolve(h, vs.ref.namespace);
      if (!resolved.startsWith('*') && !virtualServiceHosts.has(resolved)) virtualServiceHosts.set(resolved, { object: vs, index });
    });
  }
  return { virtualServiceHosts };
}

/** Whether the input knows `host` (a ServiceEntry host, incl. wildcards; a Service; a VirtualService host). */
function isKnown(model: MeshModel, known: KnownHosts, host: string): boolean {
  return model.serviceEntriesFor(host).length > 0 || !!model.serviceFor(host) || known.virtualServiceHosts.has(host);
}

/**
 * Candidate FQDNs for a host as written in code, following the pod's DNS search path
 * (`<ns>.svc.<domain>`, `svc.<domain>`, `<domain>`): `payments` → `payments.<ns>.svc.cluster.local`;
 * `payments.shop` → `payments.shop.svc.cluster.local`; `api.example.com` as written.
 */
function candidates(model: MeshModel, known: KnownHosts, written: string, namespace: string | undefined): { host: string; namespace?: string }[] {
  const domain = model.settings.clusterDomain;
  const h = written.toLowerCase().replace(/\.$/, '');
  if (!h.includes('.')) {
    if (namespace) return [{ host: `${h}.${namespace}.svc.${domain}` }];
    // Unknown caller: any namespace whose Service or VirtualService has this short name.
    const out = new Map<string, string>();
    for (const svc of model.services) if (svc.ref.name === h) out.set(`${h}.${svc.ref.namespace}.svc.${domain}`, svc.ref.namespace);
    for (const host of known.virtualServiceHosts.keys()) {
      const ns = serviceNamespaceOfHost(host, domain);
      if (ns && host === `${h}.${ns}.svc.${domain}`) out.set(host, ns);
    }
    return [...out].map(([host, ns]) => ({ host, namespace: ns }));
  }
  const list = [h];
  if (!h.endsWith(`.${domain}`)) {
    if (h.endsWith('.svc')) list.unshift(`${h}.${domain}`);
    else if (h.split('.').length === 2) list.push(`${h}.svc.${domain}`);
  }
  const knownOnes = list.filter((c) => isKnown(model, known, c));
  return (knownOnes.length ? knownOnes : [list[list.length === 1 ? 0 : list.length - 1]!]).map((host) => ({ host }));
}

/**
 * Links each call site that names a host to the mesh. A call site with no static host (a URL built at run
 * time, an environment variable not in `source.envHosts`), or whose host no ServiceEntry, Service or
 * VirtualService of the input declares, is returned in `unlinked` with the reason. A short name with an
 * unknown caller namespace may link to several namespaces' Services (one link each).
 */
export function linkCallSites(model: MeshModel, sites: readonly AppCallSite[]): { links: CallSiteLink[]; unlinked: UnlinkedCallSite[] } {
  const known = knownHosts(model);
  const links: CallSiteLink[] = [];
  const unlinked: UnlinkedCallSite[] = [];
  for (const site of sites) {
    if (!site.host) {
      unlinked.push({ site, reason: 'no static host at the call site (map its environment variable in source.envHosts)' });
      continue;
    }
    const client = site.workload ? workloadNamed(model, site.workload.name, site.workload.namespace) : undefined;
    const configuredNs = site.workload?.namespace ?? client?.namespace;
    const cands = candidates(model, known, site.host, configuredNs);
    if (cands.length === 0) {
      unlinked.push({ site, reason: `short host name "${site.host}" matches no Service or VirtualService in the input, and the caller's namespace is unknown (map the source directory in source.workloads)` });
      continue;
    }
    for (const cand of cands) {
      const link = linkOne(model, known, site, cand.host);
      if (!link) {
        unlinked.push({ site, reason: `host ${cand.host} is not in the input (no ServiceEntry, Service or VirtualService)` });
        continue;
      }
      link.client = client;
      if (configuredNs) link.clientNamespace = configuredNs;
      else {
        link.clientNamespace = cand.namespace ?? namespaceOfDeclaration(link);
        link.assumedNamespace = link.clientNamespace !== undefined;
      }
      links.push(link);
    }
  }
  return { links, unlinked };
}

/** The workload `name` (in `namespace` when given) among the input's workloads, when exactly one matches. */
function workloadNamed(model: MeshModel, name: string, namespace: string | undefined): WorkloadView | undefined {
  const matches = model.workloads.filter((w) => w.object.ref.name === name && (namespace === undefined || w.namespace === namespace));
  return matches.length === 1 ? matches[0] : undefined;
}

function namespaceOfDeclaration(link: CallSiteLink): string | undefined {
  return link.declaredBy?.object.ref.namespace;
}

function linkOne(model: MeshModel, known: KnownHosts, site: AppCallSite, host: string): CallSiteLink | null {
  const appTls = site.scheme === 'https';
  const base = (protocol: 'http' | 'tcp', passthrough: boolean, declaredBy: CallSiteLink['declaredBy'], trace: LinkTrace[]): CallSiteLink => ({
    site,
    host,
    port: site.port,
    protocol,
    passthrough,
    assumedNamespace: false,
    declaredBy,
    trace,
  });
  const tlsNote: LinkTrace[] = appTls ? [{ text: 'https:// from the application: opaque TLS to the sidecar, only TCP-level settings apply (no HTTP retries, no http pool settings)' }] : [];
  const portText = site.port !== undefined ? `port ${site.port}` : 'the port';

  // ServiceEntry hosts.
  const entries = model.serviceEntriesFor(host);
  if (entries.length) {
    const e = entries[0]!;
    const declaredBy = { object: e.object, path: ['spec', 'hosts', e.index] as FieldPath };
    const port = site.port === undefined ? (e.ports.length === 1 ? e.ports[0] : undefined) : e.ports.find((p) => p.number === site.port);
    if (!port && e.ports.length && site.port !== undefined) {
      return base('tcp', true, declaredBy, [
        { text: `${portText} is not declared by ServiceEntry ${e.object.ref.namespace}/${e.object.ref.name}: PassthroughCluster, none of this host's VirtualService or DestinationRule settings apply`, at: { object: e.object, path: ['spec', 'ports'] } },
      ]);
    }
    const http = !appTls && (port ? isHttpName(port.protocol) : site.scheme === 'http');
    const trace: LinkTrace[] = [...tlsNote];
    if (port) trace.push({ text: `ServiceEntry port ${port.number} protocol ${port.protocol || '(unset)'}`, at: { object: e.object, path: ['spec', 'ports', port.index] } });
    const link = base(http ? 'http' : 'tcp', false, declaredBy, trace);
    if (link.port === undefined && port) link.port = port.number;
    return link;
  }

  // Kubernetes Services.
  const svc = model.serviceFor(host);
  if (svc) {
    const declaredBy = { object: svc, path: ['metadata', 'name'] as FieldPath };
    const ports = asArray(dig(svc.raw, 'spec', 'ports'));
    const i = site.port === undefined ? (ports.length === 1 ? 0 : -1) : ports.findIndex((p) => asNumber(dig(p, 'port')) === site.port);
    if (i < 0 && ports.length && site.port !== undefined) {
      return base('tcp', true, declaredBy, [
        { text: `${portText} is not a port of Service ${svc.ref.namespace}/${svc.ref.name}: no listener for it, the sidecar passes the connection through (PassthroughCluster)`, at: { object: svc, path: ['spec', 'ports'] } },
      ]);
    }
    const declared = i >= 0 ? servicePortProtocol(ports[i]) : undefined;
    // Undeclared protocol: Istio sniffs HTTP/1.1 and HTTP/2; an HTTP call site is HTTP, a database client is TCP.
    const http = !appTls && (declared ? isHttpName(declared) : site.scheme === 'http');
    const trace: LinkTrace[] = [...tlsNote];
    if (i >= 0) trace.push({ text: `Service port ${asNumber(dig(ports[i], 'port'))} protocol ${declared ?? 'not declared (detected by the sidecar)'}`, at: { object: svc, path: ['spec', 'ports', i] } });
    const link = base(http ? 'http' : 'tcp', false, declaredBy, trace);
    if (link.port === undefined && i >= 0) link.port = asNumber(dig(ports[i], 'port'));
    return link;
  }

  // A VirtualService host with neither ServiceEntry nor Service in the input: the port cannot be checked.
  const vs = known.virtualServiceHosts.get(host);
  if (vs) {
    return base(appTls || !site.scheme ? 'tcp' : 'http', false, { object: vs.object, path: ['spec', 'hosts', vs.index] }, [
      ...tlsNote,
      { text: `neither a ServiceEntry nor a Service for ${host} is in the input: the port is not checked` },
    ]);
  }

  // A host the input does not know: an external host goes to PassthroughCluster under ALLOW_ANY, but with no
  // object to anchor a route to, the call site is reported as unlinked.
  return null;
}
