/**
 * Numbers meshlint's arithmetic rests on, each with its source. Code that needs one of these imports it from
 * here; nothing else in the code base writes them as literals.
 */

/** Linux default `net.ipv4.ip_local_port_range` low end (kernel `Documentation/networking/ip-sysctl.rst`). */
export const DEFAULT_PORT_RANGE_LOW = 32768;
/** Linux default `net.ipv4.ip_local_port_range` high end (kernel `Documentation/networking/ip-sysctl.rst`). */
export const DEFAULT_PORT_RANGE_HIGH = 60999;
/** Ports in the default range: 60999 − 32768 + 1 = 28,232. */
export const DEFAULT_EPHEMERAL_PORTS = DEFAULT_PORT_RANGE_HIGH - DEFAULT_PORT_RANGE_LOW + 1;
/** `TCP_TIMEWAIT_LEN`, seconds a closed connection's port stays in TIME_WAIT; hard-coded (`include/net/tcp.h`). */
export const TIME_WAIT_SECONDS = 60;
/** Kubernetes NodePort range default, `--service-node-port-range` (kube-apiserver reference). */
export const NODEPORT_RANGE = { low: 30000, high: 32767 } as const;
/**
 * Retries Istio applies to an HTTP route with no `retries` block: 2 (`retryOn:
 * connect-failure,refused-stream,unavailable,cancelled,retriable-status-codes`), unless
 * `meshConfig.defaultHttpRetryPolicy` says otherwise (Istio API reference, VirtualService `HTTPRetry`).
 */
export const ISTIO_DEFAULT_RETRY_ATTEMPTS = 2;
/** Istio's root namespace default (`meshConfig.rootNamespace`). */
export const ISTIO_DEFAULT_ROOT_NAMESPACE = 'istio-system';
/** Kubernetes cluster DNS domain default. */
export const DEFAULT_CLUSTER_DOMAIN = 'cluster.local';
/** Namespace of objects with no `metadata.namespace`, as `kubectl apply` without `-n` would use. */
export const DEFAULT_NAMESPACE = 'default';
/** Linux default of `net.ipv4.tcp_fin_timeout`, seconds in FIN-WAIT-2 (kernel `Documentation/networking/ip-sysctl.rst`). */
export const DEFAULT_TCP_FIN_TIMEOUT_SECONDS = 60;
/**
 * Linux default of `net.ipv4.ip_unprivileged_port_start` (kernel `Documentation/networking/ip-sysctl.rst`); the
 * kernel rejects an `ip_local_port_range` whose low end is below it (`ipv4_local_port_range()`,
 * `net/ipv4/sysctl_net_ipv4.c`, since Linux 4.11).
 */
export const DEFAULT_UNPRIVILEGED_PORT_START = 1024;
/** Linux release that removed `net.ipv4.tcp_tw_recycle` (commit 4396e46187ca, "tcp: remove tcp_tw_recycle"). */
export const TCP_TW_RECYCLE_REMOVED_IN = '4.12';
/**
 * Longest delay, in seconds, a Node.js timer (`setTimeout`, `setInterval`) honours: 2^31 − 1 ms ≈ 24.8 days.
 * A longer delay is set to 1 ms (Node.js `timers` documentation, `setTimeout`), so options that become a timer
 * (`audit --request-timeout`, `ports --watch`) refuse anything longer.
 */
export const MAX_TIMER_SECONDS = (2 ** 31 - 1) / 1000;
