/**
 * ESLint's RuleTester wired to node:test and to the parser `meshlint check` uses (`@typescript-eslint/parser`),
 * so each JS/TS rule is tested as ESLint itself runs it.
 */
import { describe, it } from 'node:test';
import { RuleTester } from 'eslint';
import parser from '@typescript-eslint/parser';

RuleTester.describe = describe;
RuleTester.it = it;
RuleTester.itOnly = it.only;

/** A RuleTester for TypeScript/JavaScript modules with the TypeScript parser. */
export function tester(): RuleTester {
  return new RuleTester({
    languageOptions: { parser: parser as never, ecmaVersion: 'latest', sourceType: 'module', parserOptions: { ecmaFeatures: { jsx: true } } },
  });
}
