import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { describe, it } from 'node:test';
import AjvDraft04 from 'ajv-draft-04';
import addFormats from 'ajv-formats';
import { runCli } from '../helpers/cli.js';
import { ROOT } from '../helpers/paths.js';
import { allRules } from '../../src/rules/registry.js';

/** The official OASIS SARIF 2.1.0 JSON schema, as shipped by Microsoft's @microsoft/jest-sarif package. */
function sarifSchema(): object {
  const require = createRequire(import.meta.url);
  const pkg = require.resolve('@microsoft/jest-sarif/package.json');
  return JSON.parse(readFileSync(pkg.replace(/package\.json$/, 'lib/schemas/sarif-2.1.0-rtm.5.json'), 'utf8'));
}

describe('sarif output', () => {
  const r = runCli(['check', 'fixtures/', '-f', 'sarif'], { cwd: ROOT });
  const log = JSON.parse(r.stdout);

  it('validates against the official SARIF 2.1.0 schema', () => {
    // The official schema is draft-04, which ajv 8 reads through ajv-draft-04.
    const ajv = new AjvDraft04.default({ strict: false, allErrors: true, unicodeRegExp: false });
    addFormats.default(ajv);
    const validate = ajv.compile(sarifSchema());
    assert.ok(validate(log), JSON.stringify(validate.errors?.slice(0, 5), null, 2));
  });

  it('carries every rule with help text and default level, and results with locations', () => {
    const rules = log.runs[0].tool.driver.rules;
    assert.deepEqual(rules.map((x: { id: string }) => x.id).sort(), allRules().map((x) => x.meta.id).sort());
    for (const rule of rules) {
      assert.ok(rule.shortDescription.text.length > 10);
      assert.ok(rule.help.text.includes('docs/rules/'));
      assert.ok(['error', 'warning', 'note'].includes(rule.defaultConfiguration.level));
    }
    const ka = log.runs[0].results.find((x: { ruleId: string }) => x.ruleId === 'keepalive-disabled');
    assert.equal(ka.level, 'error');
    assert.equal(ka.locations[0].physicalLocation.artifactLocation.uri, 'fixtures/api-gateway/egress.yaml');
    assert.equal(ka.locations[0].physicalLocation.region.startLine, 30);
    assert.match(ka.locations[0].logicalLocations[0].fullyQualifiedName, /^DestinationRule\/api-gateway\/payments-provider#spec\.trafficPolicy/);
  });
});
