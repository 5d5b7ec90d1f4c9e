import { defineRule } from '../src/rules/engine.js';

/** A file that is not valid YAML/JSON, is binary, too large, or expands through aliases without bound. Reported by the loader. */
export default defineRule({
  meta: {
    id: 'parse-error',
    code: 'MSH001',
    family: 'input',
    description: 'The file cannot be read as YAML or JSON (syntax error, unrendered Helm template, binary, too large, alias bomb)',
    defaultSeverity: 'error',
    docs: 'docs/rules/parse-error.md',
    inputs: ['file'],
    defaultOptions: {},
  },
});
