import { defineRule } from '../src/rules/engine.js';

/** A resource that does not match Istio's published CRD schema, or a document that is not a mapping. Reported by the validator. */
export default defineRule({
  meta: {
    id: 'schema-invalid',
    code: 'MSH002',
    family: 'input',
    description: "An Istio resource does not match Istio's published CRD schema (wrong type, unknown field, bad enum), or a document is not a mapping",
    defaultSeverity: 'error',
    docs: 'docs/rules/schema-invalid.md',
    inputs: ['DestinationRule', 'VirtualService', 'ServiceEntry', 'Sidecar', 'Gateway'],
    defaultOptions: {},
  },
});
