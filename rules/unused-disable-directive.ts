import { defineRule } from '../src/rules/engine.js';

/**
 * A suppression that silences nothing: a `meshlint.io/ignore` annotation or a `meshlint-disable…` comment whose
 * rule no longer reports there (the problem was fixed, the line moved, or the rule id is misspelt). Reported
 * only with `--report-unused-disable-directives` (or `reportUnusedDisableDirectives: true` in the
 * configuration); its findings come from the suppression stage (`src/suppress/`), not from a visitor.
 */
export default defineRule({
  meta: {
    id: 'unused-disable-directive',
    code: 'MSH401',
    family: 'meta',
    description: 'A meshlint.io/ignore annotation or meshlint-disable comment that silences no finding',
    defaultSeverity: 'warn',
    docs: 'docs/rules/unused-disable-directive.md',
    inputs: ['annotations', 'comments'],
    defaultOptions: {},
  },
});
