import { DEFAULT_CLUSTER_DOMAIN } from '../facts.js';

/**
 * Host names as Istio resolves them (Istio API reference, DestinationRule `host` / VirtualService `hosts`):
 * a short name (no dot) is expanded with the namespace of the rule that wrote it
 * (`reviews` in `prod` → `reviews.prod.svc.cluster.local`); a name with a dot is taken as written;
 * `*` and `*.suffix` are wildcards.
 */
export function resolveHost(host: string, ruleNamespace: string, clusterDomain: string = DEFAULT_CLUSTER_DOMAIN): string {
  const h = host.trim().toLowerCase();
  if (h === '*' || h.includes('.')) return h;
  return `${h}.${ruleNamespace}.svc.${clusterDomain}`;
}

/** True when `pattern` (an FQDN or a wildcard like `*.example.com` or `*`) matches the concrete `host`. */
export function hostMatches(pattern: string, host: string): boolean {
  if (pattern === '*') return true;
  if (pattern.startsWith('*')) {
    const suffix = pattern.slice(1); // ".example.com"
    return host.endsWith(suffix) && host.length > suffix.length;
  }
  if (host.startsWith('*')) return false;
  return pattern === host;
}

/** Higher is more specific: an exact host beats every wildcard; a longer wildcard suffix beats a shorter one. */
export function hostSpecificity(pattern: string): number {
  if (!pattern.startsWith('*')) return Number.MAX_SAFE_INTEGER;
  return pattern.length;
}

/** Namespace of a Kubernetes Service host `name.ns.svc.<domain>`, or undefined for any other host. */
export function serviceNamespaceOfHost(host: string, clusterDomain: string = DEFAULT_CLUSTER_DOMAIN): string | undefined {
  const suffix = `.svc.${clusterDomain}`;
  if (!host.endsWith(suffix)) return undefined;
  const parts = host.slice(0, -suffix.length).split('.');
  return parts.length === 2 ? parts[1] : undefined;
}

/** True for hosts inside the cluster's DNS domain. */
export function isClusterHost(host: string, clusterDomain: string = DEFAULT_CLUSTER_DOMAIN): boolean {
  return host.endsWith(`.svc.${clusterDomain}`) || host.endsWith(`.${clusterDomain}`);
}

/**
 * Whether an object with `exportTo` in namespace `ownNamespace` is visible to clients in `clientNamespace`
 * (Istio API reference, `exportTo`: absent = `*`; `.` = own namespace; `~` = none; else namespace names).
 */
export function isExportedTo(exportTo: unknown, ownNamespace: string, clientNamespace: string): boolean {
  if (!Array.isArray(exportTo) || exportTo.length === 0) return true;
  for (const entry of exportTo) {
    if (entry === '*') return true;
    if (entry === '.' && ownNamespace === clientNamespace) return true;
    if (entry === clientNamespace) return true;
  }
  return false;
}
