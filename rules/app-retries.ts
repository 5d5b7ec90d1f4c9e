import type { RuleMeta } from '../src/rules/meta.js';

/**
 * Application-level retries around outbound calls (retry loops, axios-retry, got `retry`, p-retry,
 * async-retry…). Informational: the number of tries is the application factor of the connection multiplier
 * (docs/model.md, "Legs"), multiplied by the sidecar's and egress gateway's retries. Implementations:
 * `src/source/eslint/rules/app-retries.ts` and the ast-grep rules for Go, Python and Java.
 */
export const meta: RuleMeta = {
  id: 'app-retries',
  code: 'MSH206',
  family: 'source',
  description: 'The application retries outbound calls: its tries multiply with the sidecar’s retries in the connection multiplier',
  defaultSeverity: 'info',
  docs: 'docs/rules/app-retries.md',
  inputs: ['javascript', 'typescript', 'go', 'python', 'java'],
  defaultOptions: { reportLibraryDefaults: true },
};
