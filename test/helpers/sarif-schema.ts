import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import AjvDraft04 from 'ajv-draft-04';
import addFormats from 'ajv-formats';

/** The official OASIS SARIF 2.1.0 JSON schema, as shipped by Microsoft's @microsoft/jest-sarif package. */
function sarifSchema(): object {
  const require = createRequire(import.meta.url);
  const pkg = require.resolve('@microsoft/jest-sarif/package.json');
  return JSON.parse(readFileSync(pkg.replace(/package\.json$/, 'lib/schemas/sarif-2.1.0-rtm.5.json'), 'utf8'));
}

/** Validates a SARIF log against the official 2.1.0 schema; returns the first errors, or null when it is valid. */
export function sarifSchemaErrors(log: unknown): string | null {
  // The official schema is draft-04, which ajv 8 reads through ajv-draft-04.
  const ajv = new AjvDraft04.default({ strict: false, allErrors: true, unicodeRegExp: false });
  addFormats.default(ajv);
  const validate = ajv.compile(sarifSchema());
  return validate(log) ? null : JSON.stringify(validate.errors?.slice(0, 5), null, 2);
}
