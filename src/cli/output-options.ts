/**
 * Options and report output shared by the commands that analyse (`check`, `explain`, `audit`): flag parsing for
 * the report format and the port arithmetic, and writing the report with its exit code. A module of its own so
 * that `audit` (src/audit/) uses it without importing the CLI's entry point (src/cli/main.ts), which registers
 * `audit`: no import circle between cli and audit (docs/architecture.md).
 */
import { readFileSync } from 'node:fs';
import { Option, type Command } from 'commander';
import { DEFAULT_EPHEMERAL_PORTS, TIME_WAIT_SECONDS } from '../facts.js';
import type { AnalysisResult } from '../report/result.js';
import { escapeControl, FORMATS, groupThousands, type Format, type ReportOptions } from '../report/format.js';
import { render } from '../report/index.js';
import { allRules } from '../rules/registry.js';
import type { RuleSetting } from '../rules/engine.js';
import type { ConfiguredSeverity } from '../types.js';
import { formatIstioVersion, NEWEST_MODELLED_ISTIO, parseIstioVersion } from '../model/adapters/istio/versions.js';
import { EXIT, UserError, writeOutputFile } from '../io.js';

/** meshlint's version, from package.json. */
export const VERSION: string = (JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { version: string }).version;

/** Options shared by `check`, `explain` and `audit`. */
export interface OutputFlags {
  format: Format;
  output?: string;
  maxWarnings?: number;
  rps?: number;
  portRange?: { low: number; high: number };
  timeWait?: number;
  rule?: Map<string, RuleSetting>;
  /** `--istio-version`. */
  istioVersion?: string;
  explain?: boolean;
  color?: boolean;
  /** Print no report on standard output (`--fix-dry-run` prints the diff there); `--output` still gets one. */
  noReport?: boolean;
}

/** A commander parser for a number ≥ 0 (`integer`: a whole one) given to option `name`; a bad value is a UserError (exit 2). */
export function parsePositive(name: string, integer: boolean) {
  return (value: string): number => {
    const n = Number(value);
    if (!Number.isFinite(n) || n < 0 || (integer && !Number.isInteger(n))) throw new UserError(`${name} must be a ${integer ? 'whole ' : ''}number ≥ 0, got "${value}"`);
    return n;
  };
}

function parsePortRange(value: string): { low: number; high: number } {
  const parts = value.split(/[-\s]+/).map(Number);
  if (parts.length !== 2 || parts.some((n) => !Number.isInteger(n) || n < 1 || n > 65535) || parts[0] > parts[1]) {
    throw new UserError(`--port-range must be LOW-HIGH with 1 ≤ LOW ≤ HIGH ≤ 65535, got "${value}"`);
  }
  return { low: parts[0], high: parts[1] };
}

function collectRule(value: string, previous: Map<string, RuleSetting> = new Map()): Map<string, RuleSetting> {
  const [id, severity] = value.split(':');
  const known = allRules().some((r) => r.meta.id === id);
  if (!known) throw new UserError(`--rule: unknown rule "${id}" (meshlint rules lists them)`);
  if (!['off', 'info', 'warn', 'error'].includes(severity)) throw new UserError(`--rule ${id}: severity must be off, info, warn or error, got "${severity ?? ''}"`);
  previous.set(id, { ...(previous.get(id) ?? {}), severity: severity as ConfiguredSeverity });
  return previous;
}

/** `--istio-version 1.24`: checked here so a typo is exit 2 with one line, not a silent fallback. */
export function parseIstioVersionFlag(value: string): string {
  const parsed = parseIstioVersion(value);
  if ('error' in parsed) throw new UserError(`--istio-version: ${parsed.error}`);
  return value.trim();
}

/** Adds the output and arithmetic options shared by `check`, `explain` and `audit`. */
export function addOutputOptions(cmd: Command): Command {
  return cmd
    .addOption(new Option('-f, --format <format>', 'output format').choices([...FORMATS]).default('stylish'))
    .option('-o, --output <file>', 'write the report to a file (atomically) instead of standard output')
    .option('--max-warnings <n>', 'exit with 1 when there are more warnings than this', parsePositive('--max-warnings', true))
    .option('--rps <n>', 'request rate per route, requests/s: adds ports held in TIME_WAIT', parsePositive('--rps', false))
    .option('--port-range <low-high>', `ephemeral port range of the nodes (default ${groupThousands(DEFAULT_EPHEMERAL_PORTS)} ports: 32768-60999)`, parsePortRange)
    .option('--time-wait <seconds>', `seconds a port stays in TIME_WAIT (default ${TIME_WAIT_SECONDS})`, parsePositive('--time-wait', false))
    .option('--rule <id:severity>', 'set a rule’s severity for this run (off, info, warn, error); repeatable', collectRule)
    .option('--istio-version <version>', `Istio release whose behaviour applies, e.g. 1.23 or 1.24.3 (default: the version the input's istiod, IstioOperator or istio ConfigMap names, else ${formatIstioVersion(NEWEST_MODELLED_ISTIO)}; docs/istio-semantics.md)`, parseIstioVersionFlag)
    .option('--explain', 'show every route of the connection multiplier with its trace');
}

/** Writes the report and returns the exit code for it. */
export function emit(result: AnalysisResult, flags: OutputFlags, extra: Partial<ReportOptions> = {}): number {
  const toFile = Boolean(flags.output);
  const color = flags.color ?? (!toFile && Boolean(process.stdout.isTTY) && !process.env.NO_COLOR && process.env.TERM !== 'dumb');
  const text = render(flags.format, result, { color, explain: Boolean(flags.explain), version: VERSION, ...extra });
  if (flags.output) writeOutputFile(flags.output, text, '--output');
  else if (!flags.noReport) process.stdout.write(text);
  for (const w of result.warnings ?? []) process.stderr.write(`meshlint: warning: ${escapeControl(w)}\n`);
  for (const e of result.errors) process.stderr.write(`meshlint: ${escapeControl(e.subject)}: ${escapeControl(e.message)}\n`);
  if (result.errors.length) return EXIT.USAGE;
  const errors = result.findings.filter((f) => f.severity === 'error').length;
  const warnings = result.findings.filter((f) => f.severity === 'warn').length;
  if (errors > 0) return EXIT.FINDINGS;
  if (flags.maxWarnings !== undefined && warnings > flags.maxWarnings) {
    process.stderr.write(`meshlint: ${warnings} warnings, more than --max-warnings ${flags.maxWarnings}\n`);
    return EXIT.FINDINGS;
  }
  return EXIT.OK;
}

/**
 * Budget figures from the flags that the configuration does not resolve: `--time-wait` (seconds). `--port-range`
 * and `--rps` go through `runConfigFrom` (`resolveRunConfig`), which gives `ports` (range less the configured
 * reserved ports) and the per-route rates.
 */
export function budgetFrom(flags: OutputFlags): { timeWaitSeconds?: number } {
  return { timeWaitSeconds: flags.timeWait };
}
