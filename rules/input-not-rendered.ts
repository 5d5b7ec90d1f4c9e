import { defineRule } from '../src/rules/engine.js';

/** A Helm chart or a Kustomization in the input that this run did not render. Reported by the loader (`src/load/render/unrendered.ts`). */
export default defineRule({
  meta: {
    id: 'input-not-rendered',
    code: 'MSH003',
    family: 'input',
    description: 'A Helm chart or a Kustomization was found but not rendered, so the objects it produces are not analysed',
    defaultSeverity: 'warn',
    docs: 'docs/rules/input-not-rendered.md',
    inputs: ['file'],
    defaultOptions: {},
  },
});
