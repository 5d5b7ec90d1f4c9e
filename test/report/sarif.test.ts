import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { runCli } from '../helpers/cli.js';
import { sarifSchemaErrors } from '../helpers/sarif-schema.js';
import { ROOT } from '../helpers/paths.js';
import { allRules } from '../../src/rules/registry.js';

describe('sarif output', () => {
  const r = runCli(['check', 'fixtures/', '-f', 'sarif'], { cwd: ROOT });
  const log = JSON.parse(r.stdout);

  it('validates against the official SARIF 2.1.0 schema', () => {
    assert.equal(sarifSchemaErrors(log), null);
  });

  it('carries every rule with help text and default level, and results with locations', () => {
    const rules = log.runs[0].tool.driver.rules;
    assert.deepEqual(rules.map((x: { id: string }) => x.id).sort(), allRules().map((x) => x.meta.id).sort());
    for (const rule of rules) {
      assert.ok(rule.shortDescription.text.length > 10);
      assert.ok(rule.help.text.includes('docs/rules/'));
      assert.ok(['error', 'warning', 'note'].includes(rule.defaultConfiguration.level));
    }
    // fixtures/ holds several keep-alive-off DestinationRules (fixtures/ambient too): pick api-gateway's by its object.
    type Result = { ruleId: string; locations: { logicalLocations: { fullyQualifiedName: string }[] }[] };
    const ka = log.runs[0].results.find((x: Result) => x.ruleId === 'keepalive-disabled' && x.locations[0]!.logicalLocations[0]!.fullyQualifiedName.startsWith('DestinationRule/api-gateway/payments-provider#'));
    assert.equal(ka.level, 'error');
    assert.equal(ka.locations[0].physicalLocation.artifactLocation.uri, 'fixtures/api-gateway/egress.yaml');
    assert.equal(ka.locations[0].physicalLocation.region.startLine, 30);
    assert.match(ka.locations[0].logicalLocations[0].fullyQualifiedName, /^DestinationRule\/api-gateway\/payments-provider#spec\.trafficPolicy/);
  });
});
