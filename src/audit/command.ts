/**
 * `meshlint audit`: the command-line entry of the cluster audit. This module is loaded with the CLI, so it imports
 * only commander and the option parsers; the reader (and `@kubernetes/client-node` with it) is loaded with a dynamic
 * import when the command runs, so `meshlint check` does not pay for it at start-up.
 */
import type { Command } from 'commander';
import { addOutputOptions } from '../cli/output-options.js';
import { addConfigOptions } from '../cli/config-options.js';
import { addAuditOptions, type AuditCommandFlags } from './options.js';
import { addPrometheusOptions } from '../live/options.js';

export type { AuditCommandFlags } from './options.js';

/**
 * Adds `meshlint audit` to `program`: the cluster options ({@link addAuditOptions}) plus the output and
 * configuration options of `check` (configuration file, `--baseline`, `--baseline-write`, `--print-config`). The action reads the cluster, analyses what it read and writes the report; `setExit` receives the exit
 * code (0 clean, 1 findings at error severity or more warnings than `--max-warnings`; 2 when one of several
 * contexts could not be audited, the others being reported). Failures that stop the
 * audit (unreachable server, rejected credentials, timeout, unwritable `--dump` directory) are thrown as `UserError`s
 * with exit code 2, which `main` prints as one line.
 */
export function registerAuditCommand(program: Command, setExit: (code: number) => void): Command {
  const cmd = program
    .command('audit')
    .description('read the Istio traffic configuration of a live cluster (read-only, list calls only) and check it for connection churn');
  addAuditOptions(cmd);
  addPrometheusOptions(cmd, true);
  addConfigOptions(addOutputOptions(cmd));
  cmd.action(async (flags: AuditCommandFlags) => {
    const { runAudit } = await import('./run.js');
    setExit(await runAudit(flags));
  });
  return cmd;
}
