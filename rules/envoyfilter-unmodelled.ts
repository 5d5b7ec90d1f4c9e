import { defineRule } from '../src/rules/engine.js';

/**
 * An EnvoyFilter patch meshlint does not model (another `applyTo`, another operation, a match on proxy
 * metadata, settings other than connection reuse and retry limits): the figures do not include it. One
 * finding per patch, at `configPatches[i]`, with why; counted, never guessed at (`adapters/istio/envoyfilter-index.ts`).
 */
export default defineRule({
  meta: {
    id: 'envoyfilter-unmodelled',
    code: 'MSH112',
    family: 'config',
    description: 'An EnvoyFilter patch meshlint does not model: the connection figures do not include what it changes',
    defaultSeverity: 'info',
    docs: 'docs/rules/envoyfilter-unmodelled.md',
    inputs: ['EnvoyFilter'],
    defaultOptions: {},
  },
  create(context) {
    return {
      end() {
        for (const patch of context.mesh.unmodelledPatches()) {
          context.report({
            object: patch.filter,
            path: patch.path,
            value: `${patch.applyTo} ${patch.operation}`,
            message: `EnvoyFilter ${patch.filter.ref.namespace}/${patch.filter.ref.name} configPatches[${patch.index}] (${patch.applyTo || 'no applyTo'} ${patch.operation || 'no operation'}) is not modelled: ${patch.reason}; meshlint's figures do not include it`,
            hint: 'check what it does to connections by hand (istioctl proxy-config cluster/listener), or express it with a DestinationRule, which meshlint reads',
          });
        }
      },
    };
  },
});
