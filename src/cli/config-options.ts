/**
 * The command-line side of the configuration file, suppressions and baselines: the flags of `check` and
 * `explain`, and the steps around the analysis (read the configuration, print it, read and write baselines).
 */
import type { Command } from 'commander';
import { acceptAll, buildBaseline, readBaseline, writeBaseline, type AcceptedBaseline } from '../baseline/index.js';
import { loadConfig, resolveRunConfig, type RunConfig } from '../config/index.js';
import { displayPath } from '../config/load.js';
import { sortFindings, type AnalysisResult } from '../pipeline.js';
import type { RuleSetting } from '../rules/engine.js';

/** Flags this module adds. */
export interface ConfigFlags {
  config?: string;
  printConfig?: boolean;
  reportUnusedDisableDirectives?: boolean;
  baseline?: string;
  baselineWrite?: string;
}

/** Adds `--config`, `--print-config`, `--report-unused-disable-directives`, `--baseline` and `--baseline-write`. */
export function addConfigOptions(cmd: Command): Command {
  return cmd
    .option('-c, --config <file>', 'read the configuration from this file instead of looking for .meshlintrc.yaml / .meshlintrc.json / package.json "meshlint" from the working directory up')
    .option('--print-config', 'print the effective configuration (file and flags merged, defaults filled in) as JSON and exit')
    .option('--report-unused-disable-directives', 'report meshlint.io/ignore annotations and meshlint-disable comments that silence nothing (rule unused-disable-directive)')
    .option('--baseline <file>', 'report only findings that are not in this baseline file (the others are counted as baselined)')
    .option('--baseline-write <file>', "record this run's findings in a baseline file (written atomically), and treat them as baselined");
}

/**
 * Reads the configuration (discovered from `cwd`, or `--config`) and merges the flags that override it.
 * @throws ConfigError (exit 2) for a missing or invalid configuration file.
 */
export function runConfigFrom(flags: ConfigFlags & { rule?: Map<string, RuleSetting>; rps?: number; portRange?: { low: number; high: number }; istioVersion?: string }, cwd: string): RunConfig {
  return resolveRunConfig(loadConfig({ cwd, file: flags.config }), {
    istioVersion: flags.istioVersion,
    rules: flags.rule,
    rps: flags.rps,
    portRange: flags.portRange,
    reportUnusedDisableDirectives: flags.reportUnusedDisableDirectives,
  });
}

/** `--print-config`: the effective configuration on stdout (JSON, valid against schemas/config.schema.json), its source on stderr. */
export function printConfig(run: RunConfig, cwd: string): void {
  process.stdout.write(JSON.stringify(run.effective, null, 2) + '\n');
  process.stderr.write(`meshlint: ${run.file ? `configuration from ${displayPath(run.file, cwd)}` : 'no configuration file found; defaults and flags only'}\n`);
}

/** `--baseline FILE` read and validated, for `check`. Without `--baseline`, or with `--baseline-write` (which re-records everything), undefined. */
export function baselineToApply(flags: ConfigFlags, cwd: string): { file: string; baseline: AcceptedBaseline } | undefined {
  if (!flags.baseline) return undefined;
  const baseline = readBaseline(flags.baseline, cwd); // validated even when --baseline-write replaces it: a typo should not pass silently
  return flags.baselineWrite ? undefined : { file: flags.baseline, baseline };
}

/**
 * `--baseline-write FILE`: records the run's findings (those not silenced in the source) and then treats
 * them as baselined, as the next run with `--baseline FILE` would. Not written when the run had errors (an
 * unreadable path would drop its findings from the baseline).
 */
export function writeBaselineOf(result: AnalysisResult, file: string, cwd: string): AnalysisResult {
  if (result.errors.length) {
    process.stderr.write(`meshlint: baseline not written to ${file}: the run had errors\n`);
    return result;
  }
  const baseline = buildBaseline(result.findings, cwd);
  writeBaseline(file, baseline);
  process.stderr.write(`meshlint: wrote ${result.findings.length} finding${result.findings.length === 1 ? '' : 's'} to the baseline ${file}\n`);
  // The baseline was built from exactly these findings, so it accepts each of them: no second fingerprinting.
  const applied = acceptAll(result.findings, file);
  return { ...result, findings: applied.findings, suppressed: sortFindings([...(result.suppressed ?? []), ...applied.baselined]), baseline: applied.summary };
}
