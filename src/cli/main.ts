import { isAbsolute, join, resolve } from 'node:path';
import { Command, CommanderError, Option } from 'commander';
import { DEFAULT_EPHEMERAL_PORTS, DEFAULT_NAMESPACE, MAX_TIMER_SECONDS, TIME_WAIT_SECONDS } from '../facts.js';
import { check, type AnalysisResult, type CheckOptions } from '../pipeline.js';
import { escapeControl } from '../report/format.js';
import { allRules } from '../rules/registry.js';
import type { RunError } from '../types.js';
import { addPrometheusOptions, prometheusOptionsFrom, type PrometheusFlags } from '../live/options.js';
import { realPath } from '../load/index.js';
import { DEFAULT_RENDER_TIMEOUT_SECONDS } from '../load/render/index.js';
import { describeFsError } from '../load/discover.js';
import type { ParseCache } from '../load/cache.js';
import { changedSince } from '../workflow/changed.js';
import { EXIT, UserError, WriteRefused, writeOutputFile } from '../io.js';
import { addConfigOptions, baselineToApply, printConfig, runConfigFrom, writeBaselineOf, type ConfigFlags } from './config-options.js';
import { registerAlertsCommand } from '../node/alerts-command.js';
import { registerPortsCommand } from '../node/ports-command.js';
import { registerAuditCommand } from '../audit/command.js';
import { addOutputOptions, budgetFrom, emit, parsePositive, VERSION, type OutputFlags } from './output-options.js';

export { addOutputOptions, budgetFrom, emit, parseIstioVersionFlag, VERSION, type OutputFlags } from './output-options.js';

/** `--source-timeout`: seconds, more than 0 and at most the longest Node.js timer (a longer one fires after 1 ms). */
function parseSourceTimeout(value: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0 || n > MAX_TIMER_SECONDS) throw new UserError(`--source-timeout must be a number of seconds > 0 and ≤ ${Math.floor(MAX_TIMER_SECONDS)}, got "${value}"`);
  return n;
}

/** `--source-max-heap`: MiB, a whole number from 16 (below that V8 cannot load the scanners at all). */
function parseHeapMiB(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 16) throw new UserError(`--source-max-heap must be a whole number of MiB ≥ 16, got "${value}"`);
  return n;
}


/** `--workload services/checkout=shop/checkout` (or `=checkout`): a source directory and the workload it runs as. */
export function collectWorkload(value: string, previous: { path: string; workload: string; namespace?: string }[] = []): { path: string; workload: string; namespace?: string }[] {
  const eq = value.lastIndexOf('=');
  const dir = eq > 0 ? value.slice(0, eq) : '';
  const target = eq > 0 ? value.slice(eq + 1) : '';
  const parts = target.split('/');
  if (!dir || !target || parts.length > 2 || parts.some((p) => !/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/.test(p))) {
    throw new UserError(`--workload must be PATH=[NAMESPACE/]WORKLOAD (Kubernetes names), got "${value}"`);
  }
  const [namespace, workload] = parts.length === 2 ? parts : [undefined, parts[0]];
  return [...previous, { path: dir, workload: workload!, ...(namespace ? { namespace } : {}) }];
}

/** `--env-host PAYMENTS_URL=https://payments.example.com`: an environment variable the code reads a destination from. */
export function collectEnvHost(value: string, previous: Record<string, string> = {}): Record<string, string> {
  const eq = value.indexOf('=');
  const name = eq > 0 ? value.slice(0, eq) : '';
  const dest = eq > 0 ? value.slice(eq + 1).trim() : '';
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name) || !dest) throw new UserError(`--env-host must be NAME=HOST, NAME=HOST:PORT or NAME=URL, got "${value}"`);
  return { ...previous, [name]: dest };
}

/**
 * `--fix` / `--fix-dry-run`: plans the fixes of `result`'s findings ({@link planFixes}). Dry run: prints
 * the unified diff on standard output and returns the findings the fixes would not repair. Fix: writes each
 * changed file atomically (a file that cannot be written becomes a run error, the others are still
 * written), then checks again so the report shows what remains. Refused fixes are listed on standard error.
 */
async function runFixes(result: AnalysisResult, options: CheckOptions, dryRun: boolean): Promise<AnalysisResult> {
  // Loaded only for --fix: the yaml package's Document API costs ~30 ms to load (issue 7, cold start).
  const { planFixes, unifiedDiff } = await import('../fix/index.js');
  const plan = planFixes(result.findings, options.cwd, result.reportedFiles);
  const changed = plan.files.filter((f) => f.after !== f.before);
  const fixed = plan.files.reduce((n, f) => n + f.fixed.length + f.alreadyFixed.length, 0);
  for (const f of plan.files) {
    for (const r of f.refused) process.stderr.write(`meshlint: ${escapeControl(`${r.finding.location.file}:${r.finding.location.line}:${r.finding.location.column}: ${r.finding.ruleId} not fixed: ${r.detail}`)}\n`);
  }
  const files = `${changed.length} file${changed.length === 1 ? '' : 's'}`;
  if (dryRun) {
    process.stdout.write(unifiedDiff(plan));
    const repaired = new Set(plan.files.flatMap((f) => [...f.fixed, ...f.alreadyFixed]));
    const remaining = result.findings.filter((f) => !repaired.has(f));
    process.stderr.write(`meshlint: --fix-dry-run: ${fixed} problem${fixed === 1 ? '' : 's'} would be fixed in ${files}; ${remaining.length} would remain\n`);
    return { ...result, findings: remaining };
  }
  const errors = [];
  let written = 0;
  let writtenFixes = 0;
  for (const f of changed) {
    try {
      writeOutputFile(isAbsolute(f.file) ? f.file : join(options.cwd, f.file), f.after, '--fix');
      written++;
      writtenFixes += f.fixed.length + f.alreadyFixed.length;
    } catch (error) {
      errors.push({ subject: f.file, message: error instanceof WriteRefused ? `not fixed: ${error.reason}` : error instanceof Error ? error.message : String(error) });
    }
  }
  const notWritten = fixed - writtenFixes - plan.files.filter((f) => f.after === f.before).reduce((n, f) => n + f.alreadyFixed.length, 0);
  process.stderr.write(`meshlint: fixed ${fixed - notWritten} problem${fixed - notWritten === 1 ? '' : 's'} in ${written} file${written === 1 ? '' : 's'}${notWritten ? `; ${notWritten} not fixed: ${errors.length} file${errors.length === 1 ? '' : 's'} could not be written` : ''}\n`);
  const after = changed.length ? await check(options) : result;
  return { ...after, errors: [...after.errors, ...errors] };
}

/** The rendering flags of `check` and `explain` (docs/rendering.md). */
export interface RenderFlags {
  helmChart?: string[];
  helmRelease?: string;
  helmNamespace?: string;
  helmValues?: string[];
  helmSet?: string[];
  helmSetString?: string[];
  helmKubeVersion?: string;
  helmBinary?: string;
  kustomize?: string[];
  kustomizeBinary?: string;
  renderTimeout?: number;
  allowEmptyInput?: boolean;
}

function collectString(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}

/** The load stage's rendering options from the flags. */
export function renderOptionsFrom(flags: RenderFlags): NonNullable<CheckOptions['render']> {
  return {
    helmCharts: flags.helmChart,
    kustomizations: flags.kustomize,
    timeoutSeconds: flags.renderTimeout,
    helm: {
      binary: flags.helmBinary,
      release: flags.helmRelease,
      namespace: flags.helmNamespace,
      values: flags.helmValues,
      set: flags.helmSet,
      setString: flags.helmSetString,
      kubeVersion: flags.helmKubeVersion,
    },
    kustomize: { binary: flags.kustomizeBinary },
  };
}

/**
 * A run error when the run analysed nothing: no object of a kind meshlint reads, no source file, no node
 * setting (a CI job pointed at an unrendered overlay, or a directory of other YAML). Undefined when something
 * was analysed, when the run already fails (run errors: exit 2; a finding at error severity such as a
 * `parse-error`: exit 1), or when `--changed-since` left no file to report.
 */
export function nothingAnalysed(result: AnalysisResult): { subject: string; message: string } | undefined {
  const s = result.stats;
  const sourceFiles = Object.values(result.sources?.filesByLanguage ?? {}).reduce((n, c) => n + (c ?? 0), 0);
  if (s.objects > 0 || sourceFiles > 0 || (s.nodeSettings ?? 0) > 0 || result.errors.length || result.reportedFiles?.size === 0) return undefined;
  // A finding at error severity (a file that does not parse) already fails the run, and says why.
  if (result.findings.some((f) => f.severity === 'error')) return undefined;
  const skipped = Object.entries(s.skipped).sort((a, b) => b[1] - a[1]).slice(0, 5).map(([k, n]) => `${k} ${n}`).join(', ');
  return {
    subject: 'input',
    message: `nothing analysed: ${s.files} file${s.files === 1 ? '' : 's'}, ${s.documents} document${s.documents === 1 ? '' : 's'}, no object meshlint reads${skipped ? ` (skipped: ${skipped})` : ''}; point meshlint at manifests, a chart or a kustomization, or pass --allow-empty-input`,
  };
}

/** Builds the command-line program. Exported for tests; `main` runs it. */
export function buildProgram(setExit: (code: number) => void): Command {
  const program = new Command('meshlint')
    .description('Find connection churn that exhausts ephemeral ports in Istio meshes, and the connection multiplier per request')
    .version(VERSION, '-v, --version')
    .showHelpAfterError('(run meshlint --help for usage)');

  type CheckFlags = OutputFlags &
    ConfigFlags & {
      defaultNamespace: string;
      maxFileSize?: number;
      maxSourceSize?: number;
      sourceTimeout?: number;
      sourceMaxHeap?: number;
      workload?: { path: string; workload: string; namespace?: string }[];
      envHost?: Record<string, string>;
      source: boolean;
      contextDir?: string[];
      changedSince?: string;
      fix?: boolean;
      fixDryRun?: boolean;
      cache?: boolean;
      cacheLocation?: string;
    } & RenderFlags &
    PrometheusFlags;
  const runCheck = (explain: boolean) => async (paths: string[], flags: CheckFlags) => {
    if (flags.fix && flags.fixDryRun) throw new UserError('--fix and --fix-dry-run cannot be combined');
    const cwd = process.cwd();
    const run = runConfigFrom(flags, cwd);
    if (flags.printConfig) {
      printConfig(run, cwd);
      setExit(EXIT.OK);
      return;
    }
    const configured = run.options.source;
    const source = {
      workloads: [...(configured?.workloads ?? []), ...(flags.workload ?? [])],
      envHosts: { ...(configured?.envHosts ?? {}), ...(flags.envHost ?? {}) },
      disabled: flags.source === false,
      ...(flags.maxSourceSize !== undefined ? { maxFileBytes: Math.round(flags.maxSourceSize * 1024) } : {}),
      ...((flags.sourceTimeout ?? configured?.timeoutSeconds) !== undefined ? { timeoutSeconds: flags.sourceTimeout ?? configured?.timeoutSeconds } : {}),
      ...((flags.sourceMaxHeap ?? configured?.maxHeapMiB) !== undefined ? { maxHeapMiB: flags.sourceMaxHeap ?? configured?.maxHeapMiB } : {}),
    };
    let report: ((absolutePath: string) => boolean | string) | undefined;
    if (flags.changedSince !== undefined) {
      const changed = changedSince(flags.changedSince, cwd);
      report = (abs) => changed.files.has(abs) || changed.files.has(realPath(cwd, abs)) || (changed.notTracked(realPath(cwd, abs)) ?? false);
    }
    let cache: ParseCache | undefined;
    if (flags.cache || flags.cacheLocation !== undefined) {
      const { ParseCache, defaultCacheLocation } = await import('../load/cache.js'); // loaded only when asked for
      cache = new ParseCache(resolve(cwd, flags.cacheLocation ?? defaultCacheLocation()), VERSION);
    }
    const options: CheckOptions = {
      cache,
      paths: paths.length ? paths : ['.'],
      cwd,
      contextPaths: flags.contextDir,
      report,
      defaultNamespace: flags.defaultNamespace,
      maxFileBytes: flags.maxFileSize !== undefined ? flags.maxFileSize * 1024 * 1024 : undefined,
      ...budgetFrom(flags),
      ...run.options,
      source,
      baseline: baselineToApply(flags, cwd),
      render: renderOptionsFrom(flags),
    };
    const liveErrors: RunError[] = [];
    let prometheus;
    try {
      prometheus = prometheusOptionsFrom(flags, process.env, run.options.prometheus);
    } catch (error) {
      throw new UserError((error as Error).message);
    }
    if (prometheus) {
      // Loaded only with --prometheus: measured peak rates per route replace --rps where Prometheus has them.
      const { routeRatesFrom } = await import('../live/route-rates.js');
      const got = await routeRatesFrom(prometheus);
      if ('error' in got) liveErrors.push({ subject: 'prometheus', message: `${got.error}; the routes keep the configured rates` });
      else {
        const configured = options.rpsFor;
        options.rpsFor = (route) => got.rpsFor(route) ?? configured?.(route);
      }
    }
    let result = await check(options);
    const nothing = flags.allowEmptyInput ? undefined : nothingAnalysed(result);
    if (nothing) result = { ...result, errors: [...result.errors, nothing] };
    if (liveErrors.length) result = { ...result, errors: [...result.errors, ...liveErrors] };
    if (flags.fix || flags.fixDryRun) result = await runFixes(result, options, Boolean(flags.fixDryRun));
    if (flags.baselineWrite) result = writeBaselineOf(result, flags.baselineWrite, cwd);
    const cacheWarning = cache?.finish();
    if (cacheWarning) process.stderr.write(`meshlint: warning: ${cacheWarning}; the results do not depend on it\n`);
    setExit(emit(result, { ...flags, explain: explain || flags.explain, noReport: Boolean(flags.fixDryRun) }));
  };
  const addCheckOptions = (cmd: Command) =>
    addPrometheusOptions(addConfigOptions(addOutputOptions(cmd)), false)
      .option('--default-namespace <ns>', 'namespace of objects without metadata.namespace', DEFAULT_NAMESPACE)
      .option('--max-file-size <MiB>', 'largest manifest file read, MiB (default 64; at most 500, below the longest string V8 can hold)', parsePositive('--max-file-size', false))
      .option('--max-source-size <KiB>', 'largest application source file scanned, KiB (default 1024); larger files are a parse-error finding', parsePositive('--max-source-size', false))
      .option('--source-timeout <seconds>', 'wall-clock limit per source file of 128 KiB or more, seconds (default 120); a file over it is a parse-error finding', parseSourceTimeout)
      .option('--source-max-heap <MiB>', 'heap cap of the worker that scans source files of 128 KiB or more (default 1536); a file needing more is a parse-error finding', parseHeapMiB)
      .option('--workload <path=[namespace/]name>', 'source directory and the workload its code runs as (links its calls to that client); repeatable', collectWorkload)
      .option('--env-host <NAME=destination>', 'environment variable the code reads a destination URL/host from; repeatable', collectEnvHost)
      .option('--no-source', 'do not scan application source files (JS/TS, Go, Python, Java) found in the paths')
      .option('--context-dir <dir>', 'also load this directory for cross-file context (DestinationRules, ServiceEntries elsewhere); findings are reported only for the paths given; repeatable', (v: string, prev: string[] = []) => [...prev, v])
      .option('--fix', 'apply safe fixes to YAML files in place (atomically), then report what remains')
      .option('--fix-dry-run', 'print the fixes as a unified diff instead of applying them (the report goes to --output only)')
      .option('--cache', "keep each file's parse in a cache (the user's cache directory) and parse only files whose content changed")
      .option('--cache-location <dir>', "directory of the parse cache (implies --cache; default: the user's cache directory, e.g. ~/.cache/meshlint)")
      .option('--changed-since <ref>', 'report only files changed since the merge-base of <ref> and HEAD (plus uncommitted and untracked files); the rest of the paths is context');
  const addRenderOptions = (cmd: Command) =>
    addCheckOptions(cmd)
      // Rendering (docs/rendering.md): a path that is a directory with Chart.yaml or a kustomization file is rendered too.
      .option('--helm-chart <dir>', 'render this chart with helm template and check the output; repeatable', collectString)
      .option('--helm-release <name>', 'release name passed to helm template')
      .option('--helm-namespace <ns>', 'namespace passed to helm template (--namespace)')
      .option('--helm-values <file>', 'values file passed to helm template (--values); repeatable, in order', collectString)
      .option('--helm-set <key=value>', 'value passed to helm template (--set); repeatable, in order', collectString)
      .option('--helm-set-string <key=value>', 'string value passed to helm template (--set-string); repeatable, in order', collectString)
      .option('--helm-kube-version <version>', 'Kubernetes version for the chart’s capabilities checks (helm --kube-version)')
      .option('--helm-binary <path>', 'the helm executable (default: helm from PATH)')
      .option('--kustomize <dir>', 'build this kustomization (kubectl kustomize) and check the output; repeatable', collectString)
      .option('--kustomize-binary <path>', 'kubectl (run as kubectl kustomize) or kustomize (run as kustomize build); default: kubectl, else kustomize, from PATH')
      .option('--render-timeout <seconds>', `seconds helm or kustomize may run (default ${DEFAULT_RENDER_TIMEOUT_SECONDS})`, parsePositive('--render-timeout', false))
      .option('--allow-empty-input', 'exit 0 even when the input holds nothing meshlint analyses (default: exit 2)');

  addRenderOptions(program.command('check').argument('[paths...]', 'files, directories, globs, or - for standard input').description('check manifests (and application source) for connection churn')).action(runCheck(false));
  addRenderOptions(program.command('explain').argument('[paths...]', 'files, directories, globs, or - for standard input').description('check, and show the connection multiplier of every route with the file:line of each figure')).action(runCheck(true));

  registerAuditCommand(program, setExit);

  program
    .command('rules')
    .description('list the rules with their ids, codes and default severities')
    .option('--json', 'as JSON')
    .action((flags: { json?: boolean }) => {
      const metas = allRules().map((r) => r.meta);
      if (flags.json) process.stdout.write(JSON.stringify(metas, null, 2) + '\n');
      else for (const m of metas) process.stdout.write(`${m.id.padEnd(30)} ${m.code}  ${m.defaultSeverity.padEnd(5)}  ${m.description}\n`);
      setExit(EXIT.OK);
    });
  registerPortsCommand(program, { setExitCode: setExit });
  registerAlertsCommand(program, { setExitCode: setExit });
  return program;
}

/**
 * A failed write to standard output ends the run with exit code 2 instead of an unhandled `error` event (a
 * stack trace, exit 1): the reader went away (`meshlint check … | head -1`: EPIPE, ended quietly, as CLI tools
 * do) or the output cannot be written (`> /dev/full`: ENOSPC, one line on standard error). A failed write to
 * standard error is ignored: there is nowhere left to say it.
 */
function guardStandardStreams(): void {
  if (process.stdout.listenerCount('error') === 0) {
    process.stdout.on('error', (error: NodeJS.ErrnoException) => {
      if (error.code !== 'EPIPE') {
        try {
          process.stderr.write(`meshlint: cannot write to standard output: ${describeFsError(error)}\n`);
        } catch {
          /* standard error is gone too */
        }
      }
      process.exit(EXIT.USAGE); // nothing more can be reported; pending output has nowhere to go
    });
  }
  if (process.stderr.listenerCount('error') === 0) process.stderr.on('error', () => undefined);
}

/**
 * Runs the CLI with `argv` (as `process.argv`). Never throws: usage errors and {@link UserError}s print one
 * line to stderr and set exit code 2; an unexpected error prints one line asking for a bug report (stack
 * only with `MESHLINT_DEBUG=1`).
 */
export async function main(argv: string[]): Promise<number> {
  guardStandardStreams();
  let code: number = EXIT.OK;
  const program = buildProgram((c) => (code = c));
  program.exitOverride();
  program.configureOutput({ writeErr: (s) => process.stderr.write(s) });
  for (const sub of program.commands) sub.exitOverride();
  try {
    await program.parseAsync(argv);
  } catch (error) {
    if (error instanceof CommanderError) {
      code = error.exitCode === 0 || error.code === 'commander.helpDisplayed' || error.code === 'commander.version' ? EXIT.OK : EXIT.USAGE;
    } else if (error instanceof UserError) {
      process.stderr.write(`meshlint: ${escapeControl(error.message)}\n`);
      code = error.exitCode;
    } else {
      process.stderr.write(`meshlint: internal error: ${error instanceof Error ? error.message : String(error)} (please report this; MESHLINT_DEBUG=1 shows the stack)\n`);
      if (process.env.MESHLINT_DEBUG) process.stderr.write(`${(error as Error)?.stack}\n`);
      code = EXIT.USAGE;
    }
  }
  return code;
}
