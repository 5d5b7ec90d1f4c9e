import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Command, CommanderError } from 'commander';
import { contextsToAudit } from '../../src/audit/clusters.js';
import { addAuditOptions, auditOptionsFrom, parseDuration, type AuditFlags } from '../../src/audit/options.js';

/** Parses `args` with a fresh `audit` command; returns the flags or throws the CommanderError. */
function parse(args: string[]): AuditFlags {
  const cmd = addAuditOptions(new Command('audit'))
    .exitOverride()
    .configureOutput({ writeErr: () => {}, writeOut: () => {} });
  cmd.parse(args, { from: 'user' });
  return cmd.opts<AuditFlags>();
}

describe('parseDuration (kubectl --request-timeout syntax)', () => {
  it('accepts Go durations and bare seconds', () => {
    assert.equal(parseDuration('0'), 0);
    assert.equal(parseDuration('30'), 30);
    assert.equal(parseDuration('30s'), 30);
    assert.equal(parseDuration('1m'), 60);
    assert.equal(parseDuration('1m30s'), 90);
    assert.equal(parseDuration('1h'), 3600);
    assert.equal(parseDuration('500ms'), 0.5);
    assert.equal(parseDuration('1.5s'), 1.5);
  });

  it('rejects anything else', () => {
    for (const bad of ['', 's', '10x', '1m 2s', '-5s', 'abc', '5s ms']) {
      assert.throws(() => parseDuration(bad), CommanderError, bad);
    }
  });
});

describe('addAuditOptions / auditOptionsFrom', () => {
  it('defaults to all namespaces and readCluster defaults', () => {
    assert.deepEqual(auditOptionsFrom(parse([])), {});
    assert.deepEqual(auditOptionsFrom(parse(['-A'])), {});
  });

  it('maps every option', () => {
    const flags = parse(['--kubeconfig', '/k/config', '--context', 'prod', '-n', 'a', '--namespace', 'b,c', '-n', 'a', '--request-timeout', '1m', '--dump', 'out']);
    assert.deepEqual(auditOptionsFrom(flags), {
      kubeconfig: '/k/config',
      context: 'prod',
      namespaces: ['a', 'b', 'c'],
      requestTimeoutSeconds: 60,
      dump: 'out',
    });
    assert.equal(auditOptionsFrom(parse(['--request-timeout', '0'])).requestTimeoutSeconds, 0);
  });

  it('--context is repeatable: one is the context of a single-cluster audit, several are left to clusters.ts', () => {
    const several = parse(['--context', 'a', '--context', 'b']);
    assert.deepEqual(several.context, ['a', 'b']);
    assert.equal(auditOptionsFrom(several).context, undefined);
    assert.deepEqual(contextsToAudit(several, {}), ['a', 'b']);
    assert.equal(contextsToAudit(parse(['--context', 'a']), {}), undefined);
    assert.deepEqual(contextsToAudit(parse(['--context', 'a', '--context', 'a']), {}), undefined, 'the same context twice is one cluster');
    assert.equal(parse(['--all-contexts']).allContexts, true);
  });

  it('rejects bad values and conflicting scope with usage errors', () => {
    const code = (args: string[]) => {
      try {
        parse(args);
      } catch (err) {
        assert.ok(err instanceof CommanderError);
        return err.code;
      }
      return 'no error';
    };
    assert.equal(code(['--request-timeout', 'soon']), 'commander.invalidArgument');
    assert.equal(code(['-n', 'Not_A_Namespace']), 'commander.invalidArgument');
    assert.equal(code(['-n', 'a', '-A']), 'commander.conflictingOption');
    assert.equal(code(['--context']), 'commander.optionMissingArgument');
    assert.equal(code(['--context', 'a', '--all-contexts']), 'commander.conflictingOption');
  });
});
