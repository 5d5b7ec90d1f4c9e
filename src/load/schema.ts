import jsyaml from 'js-yaml';

/**
 * The YAML schema manifests are read with: js-yaml's core schema (null, booleans, integers, floats) plus merge
 * keys (`<<`), and the tagged-only types of js-yaml's default schema (`!!binary`, `!!omap`, `!!pairs`, `!!set`),
 * but no implicit timestamps. That is what Kubernetes sees: sigs.k8s.io/yaml decodes with go-yaml v2, which
 * keeps timestamp-looking plain scalars as strings when decoding into `interface{}` (go-yaml v2 decode.go), so
 * `creationTimestamp: 2024-01-01T00:00:00Z` is the string kubectl sends. Skipping the timestamp test on every
 * plain scalar also saves about 15 % of the parse (issue 7).
 */
export const MANIFEST_SCHEMA = (() => {
  // js-yaml exports its type definitions as `types` (missing from @types/js-yaml).
  const types = (jsyaml as unknown as { types: Record<'merge' | 'binary' | 'omap' | 'pairs' | 'set', jsyaml.Type> }).types;
  return jsyaml.CORE_SCHEMA.extend({ implicit: [types.merge], explicit: [types.binary, types.omap, types.pairs, types.set] });
})();
