import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { XMLParser } from 'fast-xml-parser';
import { validateXML } from 'xmllint-wasm';
import { runCli, tempDir } from '../helpers/cli.js';
import { ROOT } from '../helpers/paths.js';

const XSD = readFileSync(join(ROOT, 'test/fixtures/junit/junit-jenkins.xsd'), 'utf8');

async function validate(xml: string) {
  return validateXML({ xml: [{ fileName: 'report.xml', contents: xml }], schema: [{ fileName: 'junit.xsd', contents: XSD }] });
}

const asList = <T>(v: T | T[] | undefined): T[] => (v === undefined ? [] : Array.isArray(v) ? v : [v]);

describe('junit output', () => {
  let dir: string;
  let cleanup: () => void;
  before(() => {
    ({ dir, cleanup } = tempDir());
    // A message with XML metacharacters, a control character XML 1.0 cannot carry, and a non-ASCII name.
    writeFileSync(
      join(dir, 'odd <&> names.yaml'),
      `apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata:
  name: "a&b"
  namespace: shop
spec:
  host: "api\\x01<&>.example.com"
  trafficPolicy:
    connectionPool:
      http:
        maxRequestsPerConnection: 1
`,
    );
    writeFileSync(join(dir, 'clean.yaml'), 'apiVersion: v1\nkind: Namespace\nmetadata:\n  name: quiet\n');
  });
  after(() => cleanup());

  it('validates against the JUnit schema Jenkins/GitLab read, with one testsuite per file and a failure per error/warning', async () => {
    const r = runCli(['check', 'fixtures/', '-f', 'junit'], { cwd: ROOT });
    assert.equal(r.code, 1, r.stderr);
    const result = await validate(r.stdout);
    assert.ok(result.valid, JSON.stringify(result.errors.slice(0, 5)));
    const doc = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: '' }).parse(r.stdout);
    const json = JSON.parse(runCli(['check', 'fixtures/', '-f', 'json'], { cwd: ROOT }).stdout);
    const suites = asList(doc.testsuites.testsuite);
    const cases = suites.flatMap((s: { testcase: unknown }) => asList(s.testcase)) as { classname: string; name: string; failure?: { type: string; message: string } }[];
    assert.equal(cases.length, json.findings.length, 'one testcase per finding');
    assert.equal(Number(doc.testsuites.tests), json.findings.length);
    const failing = json.findings.filter((f: { severity: string }) => f.severity !== 'info').length;
    assert.equal(Number(doc.testsuites.failures), failing);
    assert.equal(cases.filter((c) => c.failure).length, failing);
    const ka = cases.find((c) => c.classname === 'meshlint.keepalive-disabled' && c.name === 'fixtures/api-gateway/egress.yaml:30:9');
    assert.ok(ka, 'keepalive-disabled finding present');
    assert.equal(ka.failure?.type, 'error');
    assert.match(ka.failure!.message, /^maxRequestsPerConnection: 1/);
    for (const s of suites) assert.equal(Number(s.tests), asList(s.testcase).length, `suite ${s.name} counts its test cases`);
  });

  it('escapes XML metacharacters and replaces characters XML 1.0 cannot hold', async () => {
    const r = runCli(['check', '.', '-f', 'junit'], { cwd: dir });
    assert.equal(r.code, 1, r.stderr);
    assert.ok((await validate(r.stdout)).valid);
    const doc = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: '' }).parse(r.stdout);
    const suite = asList(doc.testsuites.testsuite)[0];
    assert.equal(suite.file, 'odd <&> names.yaml', 'file name round-trips through the XML escaping');
    const failure = asList(suite.testcase).map((c: { failure?: { message: string } }) => c.failure).find((f: { message: string } | undefined) => f && /keep-alive/.test(f.message));
    assert.ok(failure, 'the keepalive-disabled failure');
    assert.ok(failure.message.includes('api\uFFFD<&>.example.com'), `U+0001 replaced, <&> kept: ${failure.message}`);
  });

  it('a clean run is one passing test case, still valid', async () => {
    const r = runCli(['check', 'clean.yaml', '-f', 'junit'], { cwd: dir });
    assert.equal(r.code, 0, r.stderr);
    assert.ok((await validate(r.stdout)).valid);
    const doc = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: '' }).parse(r.stdout);
    assert.equal(doc.testsuites.tests, '1');
    assert.equal(doc.testsuites.failures, '0');
    assert.equal(asList(doc.testsuites.testsuite)[0].testcase.name, 'no problems in 1 file');
  });

  it('the schema rejects what CI servers reject (the validator is not a no-op)', async () => {
    const bad = '<?xml version="1.0"?><testsuites><testsuite name="x" tests="1"><testcase name="a" file="f"/></testsuite></testsuites>';
    const result = await validate(bad);
    assert.equal(result.valid, false);
    assert.ok(result.errors.length >= 2, 'missing failures/errors attributes and an unknown testcase attribute');
  });
});
