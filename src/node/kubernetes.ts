/**
 * What the kubelet accepts in a pod's `securityContext.sysctls`, by Kubernetes version. Source: Kubernetes
 * documentation, "Using sysctls in a Kubernetes Cluster" (tasks/administer-cluster/sysctl-cluster), list of safe
 * sysctls with the release that added each, and `pkg/kubelet/sysctl/safe_sysctls.go`. Everything else is
 * unsafe: the kubelet refuses to start the pod (reason `SysctlForbidden`) unless the node's kubelet allows the
 * name with `--allowed-unsafe-sysctls`, which only namespaced sysctls can be.
 */

/** One safe sysctl and the Kubernetes minor version from which the kubelet accepts it by default. */
export interface SafeSysctl {
  name: string;
  /** `major.minor`, e.g. `1.29`; `1.0` for the original set. */
  since: string;
  /** Oldest Linux release where the sysctl is namespaced (the kubelet drops it from the safe set below that). */
  kernel?: string;
}

/** The safe set (docs "Using sysctls in a Kubernetes Cluster"). */
export const SAFE_SYSCTLS: readonly SafeSysctl[] = [
  { name: 'kernel.shm_rmid_forced', since: '1.0' },
  { name: 'net.ipv4.ip_local_port_range', since: '1.0' },
  { name: 'net.ipv4.tcp_syncookies', since: '1.0' },
  { name: 'net.ipv4.ping_group_range', since: '1.18' },
  { name: 'net.ipv4.ip_unprivileged_port_start', since: '1.22' },
  { name: 'net.ipv4.ip_local_reserved_ports', since: '1.27', kernel: '3.16' },
  { name: 'net.ipv4.tcp_keepalive_time', since: '1.29', kernel: '4.5' },
  { name: 'net.ipv4.tcp_fin_timeout', since: '1.29', kernel: '4.6' },
  { name: 'net.ipv4.tcp_keepalive_intvl', since: '1.29', kernel: '4.5' },
  { name: 'net.ipv4.tcp_keepalive_probes', since: '1.29', kernel: '4.5' },
  { name: 'net.ipv4.tcp_rmem', since: '1.32', kernel: '4.15' },
  { name: 'net.ipv4.tcp_wmem', since: '1.32', kernel: '4.15' },
];

/** The newest Kubernetes version whose safe set this table knows; the default of `sysctl-unsafe`'s `kubernetesVersion`. */
export const LATEST_KNOWN_KUBERNETES = '1.32';

/**
 * Compare two `major.minor` versions.
 *
 * @returns negative, 0 or positive as `a` is older than, equal to or newer than `b`.
 * @throws Error when either is not `MAJOR.MINOR` (digits).
 */
export function compareMinor(a: string, b: string): number {
  const parse = (v: string): [number, number] => {
    const m = /^v?(\d+)\.(\d+)(?:\.\d+)?$/.exec(v.trim());
    if (!m) throw new Error(`not a Kubernetes version MAJOR.MINOR: ${JSON.stringify(v)}`);
    return [Number(m[1]), Number(m[2])];
  };
  const [am, an] = parse(a);
  const [bm, bn] = parse(b);
  return am - bm || an - bn;
}

/** The safe-set entry for a dotted sysctl name, whatever the version; undefined for unsafe sysctls. */
export function safeSysctl(name: string): SafeSysctl | undefined {
  return SAFE_SYSCTLS.find((s) => s.name === name);
}

/**
 * True when `name` matches a kubelet `--allowed-unsafe-sysctls` pattern: the exact name, or a prefix ending in
 * `*` (`net.core.*`, `kernel.msg*`).
 */
export function matchesSysctlPattern(name: string, pattern: string): boolean {
  return pattern.endsWith('*') ? name.startsWith(pattern.slice(0, -1)) : name === pattern;
}
