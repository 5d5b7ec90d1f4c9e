/**
 * meshlint as an ESLint flat-config plugin. Users add it to their own `eslint.config.js`:
 *
 * ```js
 * import meshlint from 'meshlint/eslint-plugin';
 * export default [meshlint.configs.recommended];
 * ```
 *
 * The same rule objects run inside `meshlint check` (see `scan.ts`), so editor and CI results agree.
 */
import { readFileSync } from 'node:fs';
import type { ESLint, Linter } from 'eslint';
import appRetries from './rules/app-retries.js';
import clientPerRequest from './rules/client-per-request.js';
import dbClientPerRequest from './rules/db-client-per-request.js';
import keepaliveDisabledClient from './rules/keepalive-disabled-client.js';
import type { MeshlintEslintRule } from './rule-support.js';

/** The plugin's rules by id (without the `meshlint/` prefix). */
export const rules: Readonly<Record<string, MeshlintEslintRule>> = {
  [clientPerRequest.meshlint.id]: clientPerRequest,
  [keepaliveDisabledClient.meshlint.id]: keepaliveDisabledClient,
  [dbClientPerRequest.meshlint.id]: dbClientPerRequest,
  [appRetries.meshlint.id]: appRetries,
};

/** meshlint's version, from package.json (two levels above `dist/src`, three above `src`). */
function packageVersion(): string {
  for (const rel of ['../../../../package.json', '../../../package.json']) {
    try {
      const pkg = JSON.parse(readFileSync(new URL(rel, import.meta.url), 'utf8')) as { name?: string; version?: string };
      if (pkg.name === 'meshlint' && pkg.version) return pkg.version;
    } catch {
      // try the next location
    }
  }
  return '0.0.0';
}

/** ESLint severity for a meshlint default severity (`info` has no ESLint equivalent: it becomes `warn`). */
function eslintSeverity(rule: MeshlintEslintRule): Linter.RuleSeverity {
  return rule.meshlint.defaultSeverity === 'error' ? 'error' : 'warn';
}

const recommendedRules: Linter.RulesRecord = Object.fromEntries(
  Object.entries(rules).map(([id, rule]) => [`meshlint/${id}`, eslintSeverity(rule)]),
);

/** The plugin object (`meta`, `rules`, `configs.recommended`). */
const plugin: ESLint.Plugin & { configs: { recommended: Linter.Config } } = {
  meta: { name: 'meshlint', version: packageVersion() },
  rules,
  configs: {} as { recommended: Linter.Config },
};

// The recommended config refers to the plugin itself, as ESLint's flat-config plugins do.
plugin.configs.recommended = {
  name: 'meshlint/recommended',
  files: ['**/*.{js,mjs,cjs,jsx,ts,mts,cts,tsx}'],
  plugins: { meshlint: plugin },
  rules: recommendedRules,
};

export default plugin;
