import { defineRule } from '../src/rules/engine.js';

/**
 * A resource that does not match its published CRD schema (Istio's CRDs, Gateway API's via `@kubernetes-models/gateway-api`,
 * Linkerd's from linkerd/linkerd2 `charts/linkerd-crds`), or a document that is not a mapping. Reported by the validator.
 */
export default defineRule({
  meta: {
    id: 'schema-invalid',
    code: 'MSH002',
    family: 'input',
    description: "An Istio, Gateway API or Linkerd resource does not match its published CRD schema (wrong type, unknown field, bad enum), or a document is not a mapping",
    defaultSeverity: 'error',
    docs: 'docs/rules/schema-invalid.md',
    inputs: ['DestinationRule', 'VirtualService', 'ServiceEntry', 'Sidecar', 'Gateway'],
    defaultOptions: {},
  },
});
