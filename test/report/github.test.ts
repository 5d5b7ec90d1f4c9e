import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { annotation, annotationPath, escapeData, escapeProperty } from '../../src/report/github.js';
import { runCli, tempDir } from '../helpers/cli.js';
import { ROOT } from '../helpers/paths.js';

/** Decodes a workflow command as the Actions runner does (its documented escapes, in reverse). */
function parseCommand(line: string): { command: string; properties: Record<string, string>; message: string } {
  const m = /^::([a-z-]+)(?: ([^:]*))?::(.*)$/.exec(line);
  assert.ok(m, `a workflow command: ${line}`);
  const unData = (s: string) => s.replace(/%0D/g, '\r').replace(/%0A/g, '\n').replace(/%25/g, '%');
  const unProp = (s: string) => unData(s.replace(/%3A/g, ':').replace(/%2C/g, ','));
  const properties: Record<string, string> = {};
  for (const part of (m[2] ?? '').split(',').filter(Boolean)) {
    const eq = part.indexOf('=');
    properties[part.slice(0, eq)] = unProp(part.slice(eq + 1));
  }
  return { command: m[1], properties, message: unData(m[3]) };
}

describe('github output (workflow commands)', () => {
  it('escapes data and properties as GitHub documents', () => {
    assert.equal(escapeData('100% done\r\nnext'), '100%25 done%0D%0Anext');
    assert.equal(escapeProperty('a:b,c%\n'), 'a%3Ab%2Cc%25%0A');
    assert.equal(escapeData('a:b,c'), 'a:b,c', 'data keeps : and ,');
  });

  it('one ::error/::warning/::notice per finding with file, line, col, title; the runner decodes the original text', () => {
    const r = runCli(['check', 'fixtures/', '-f', 'github'], { cwd: ROOT, env: { GITHUB_WORKSPACE: undefined } });
    assert.equal(r.code, 1, r.stderr);
    const json = JSON.parse(runCli(['check', 'fixtures/', '-f', 'json'], { cwd: ROOT }).stdout);
    const lines = r.stdout.trimEnd().split('\n');
    const commands = lines.filter((l) => l.startsWith('::')).map(parseCommand);
    assert.equal(commands.length, json.findings.length);
    const level = { error: 'error', warn: 'warning', info: 'notice' } as Record<string, string>;
    json.findings.forEach((f: { severity: string; file: string; line: number; column: number; ruleId: string; code: string; message: string }, i: number) => {
      const c = commands[i];
      assert.equal(c.command, level[f.severity]);
      assert.equal(c.properties.file, f.file);
      assert.equal(c.properties.line, String(f.line));
      assert.equal(c.properties.col, String(f.column));
      assert.equal(c.properties.title, `meshlint ${f.ruleId} (${f.code})`);
      assert.ok(c.message.startsWith(f.message), 'message decodes to the finding text');
    });
    assert.match(lines.at(-1)!, /^meshlint \S+: \d+ errors?, \d+ warnings?, \d+ info in \d+ files?$/);
  });

  it('paths are relative to GITHUB_WORKSPACE when meshlint runs in a subdirectory', () => {
    assert.equal(annotationPath('egress.yaml', '/w/repo/fixtures/api-gateway', '/w/repo'), 'fixtures/api-gateway/egress.yaml');
    assert.equal(annotationPath('../x.yaml', '/w/repo/a', undefined), '../x.yaml');
    assert.equal(annotationPath('<stdin>', '/w'), undefined);
    assert.equal(annotationPath('cluster://ctx/shop/DestinationRule/x', '/w'), undefined);
  });

  it('standard input findings have no file property; the position moves into the message', () => {
    const line = annotation({ ruleId: 'keepalive-disabled', severity: 'error', message: 'm, with: 50%', location: { file: '<stdin>', line: 3, column: 5 } });
    const c = parseCommand(line);
    assert.equal(c.properties.file, undefined);
    assert.equal(c.message, '<stdin>:3:5: m, with: 50%');
  });

  describe('through the CLI with odd file names', () => {
    let dir: string;
    let cleanup: () => void;
    before(() => {
      ({ dir, cleanup } = tempDir());
      writeFileSync(join(dir, 'a,b:c%.yaml'), 'apiVersion: networking.istio.io/v1\nkind: DestinationRule\nmetadata:\n  name: x\nspec:\n  host: h.example.com\n  trafficPolicy:\n    connectionPool:\n      http:\n        maxRequestsPerConnection: 1\n');
    });
    after(() => cleanup());
    it('a file name with , : % survives the property escaping', () => {
      const r = runCli(['check', '.', '-f', 'github'], { cwd: dir, env: { GITHUB_WORKSPACE: dir } });
      const c = parseCommand(r.stdout.split('\n').find((l) => l.startsWith('::error'))!);
      assert.equal(c.properties.file, 'a,b:c%.yaml');
      assert.equal(c.properties.line, '10');
    });
  });
});
