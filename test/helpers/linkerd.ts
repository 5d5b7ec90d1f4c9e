/** YAML builders for Linkerd rule cases (one place for the shapes the rule tests share). */

/** A Service `name` in namespace `shop` with port 80 and `annotations` (a YAML flow mapping). */
export function linkerdService(annotations: string, name = 'payments'): string {
  return `apiVersion: v1
kind: Service
metadata: { name: ${name}, namespace: shop, annotations: ${annotations} }
spec:
  ports: [{ name: http, port: 80 }]
`;
}

/** A ServiceProfile for `payments.shop` with `spec` (YAML, indented two spaces) under `spec:`. */
export function serviceProfile(spec: string): string {
  return `apiVersion: linkerd.io/v1alpha2
kind: ServiceProfile
metadata: { name: payments.shop.svc.cluster.local, namespace: shop }
spec:
${spec}`;
}

/** A Gateway API HTTPRoute on Service `payments` in a namespace enrolled in Linkerd, with `rule` (YAML flow mapping fields). */
export function gatewayRouteOnLinkerdService(rule: string): string {
  return `apiVersion: v1
kind: Namespace
metadata: { name: shop, annotations: { linkerd.io/inject: enabled } }
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: { name: payments, namespace: shop }
spec:
  parentRefs: [{ name: payments, kind: Service, group: "", port: 80 }]
  rules:
  - { backendRefs: [{ name: payments, port: 80 }]${rule ? `, ${rule}` : ''} }
`;
}
