/** Manifests shared by the workflow tests: a VirtualService in one file, the DestinationRule for its host in another. */

/**
 * DestinationRule with a connectionPool for `payments.example.com` (namespace shop). `http.maxRetries` caps the
 * VirtualService's retries to this external host: without it `retry-budget-missing` reports them (istiod leaves the
 * circuit breaker's max_retries at 2^32-1, istio/istio pilot/pkg/networking/core/cluster_traffic_policy.go).
 */
export const DR_POOLED = `apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata:
  name: payments
  namespace: shop
spec:
  host: payments.example.com
  trafficPolicy:
    connectionPool:
      tcp:
        maxConnections: 100
      http:
        maxRetries: 3
`;

/** The same DestinationRule with keep-alive off: a `keepalive-disabled` error. */
export const DR_KEEPALIVE_OFF = `${DR_POOLED}        maxRequestsPerConnection: 1
`;

/** ServiceEntry making `payments.example.com` a MESH_EXTERNAL host. */
export const SE = `apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata:
  name: payments
  namespace: shop
spec:
  hosts: [payments.example.com]
  location: MESH_EXTERNAL
  resolution: DNS
  ports:
    - number: 80
      name: http
      protocol: HTTP
`;

/** VirtualService routing to `payments.example.com` with an explicit retry policy (no retry findings). */
export const VS = `apiVersion: networking.istio.io/v1
kind: VirtualService
metadata:
  name: payments
  namespace: shop
spec:
  hosts: [payments.example.com]
  http:
    - route:
        - destination:
            host: payments.example.com
            port:
              number: 80
      retries:
        attempts: 1
        perTryTimeout: 2s
`;
