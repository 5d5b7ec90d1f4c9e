import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { withTable } from '../scripts/generate-readme-rules.js';
import { allRules } from '../src/rules/registry.js';
import { ROOT } from './helpers/paths.js';

const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');

describe('README.md', () => {
  it('opens with the two set-up commands: check the fixtures, run the tests', () => {
    const block = /^# meshlint\n\n```sh\n([^`]*)```/.exec(readme);
    assert.ok(block, 'a sh block right under the title');
    const commands = block[1].trim().split('\n');
    assert.deepEqual(commands, ['npm ci && node bin/meshlint.js check fixtures/api-gateway fixtures/healthy', 'npm ci && npm test']);
    const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8'));
    assert.equal(pkg.scripts.prepare, 'node scripts/prepare.mjs', 'npm ci builds dist/ (when stale) so bin/meshlint.js can run');
    assert.equal(pkg.bin.meshlint, 'bin/meshlint.js');
  });

  it('has the rule table generated from rule metadata, up to date (npm run gen:readme)', () => {
    assert.equal(readme, withTable(readme), 'README rule table is stale: run npm run gen:readme');
    for (const rule of allRules()) assert.ok(readme.includes(`[\`${rule.meta.id}\`](${rule.meta.docs})`), rule.meta.id);
  });

  it('.ci/run installs cleanly and runs the README’s test command', () => {
    const ci = readFileSync(join(ROOT, '.ci', 'run'), 'utf8');
    assert.match(ci, /^npm ci\b/m);
    assert.match(ci, /^npm test\b/m);
    assert.match(ci, /set -e/);
  });
});
