/**
 * `meshlint ports`: read a host's TCP tables and show how much of the ephemeral port range each destination
 * holds, once or every N seconds. The logic lives in `ports.ts`; this file is the command line.
 */
import type { Command } from 'commander';
import { defaultIO, UsageError, type CommandIO } from './io.js';
import { MAX_TIMER_SECONDS } from '../facts.js';
import {
  analyseSnapshot,
  compareSnapshots,
  formatReportText,
  ProcReadError,
  readProcSnapshot,
  type BudgetOverrides,
  type PortsReport,
  type ProcSnapshot,
  type SnapshotRates,
} from './ports.js';
import { parsePortRange, parseReservedPorts } from './sysctl.js';

/** Options of `meshlint ports` as commander passes them (all strings until validated). */
interface RawPortsOptions {
  proc: string;
  format: string;
  top: string;
  watch?: string;
  count?: string;
  portRange?: string;
  reservedPorts?: string;
}

/** Validated options of `meshlint ports`. */
export interface PortsOptions {
  /** Proc directory, default `/proc`. */
  proc: string;
  format: 'text' | 'json';
  /** Destinations listed; 0 = all. */
  top: number;
  /** Seconds between samples; absent = one sample. */
  watch?: number;
  /** Samples to take with `watch`; absent = until SIGINT. */
  count?: number;
  overrides: BudgetOverrides;
}

/**
 * The JSON document `meshlint ports --format json` prints: a {@link PortsReport} plus `rates`, which is null
 * for a single reading and for the first sample of `--watch`. With `--watch`, one such object per line (NDJSON)
 * with `sample` (1-based) added.
 */
export type PortsJson = PortsReport & { rates: SnapshotRates | null; sample?: number };

/** Parse `LOW-HIGH` or `LOW HIGH` into the kernel's `LOW HIGH` form. @throws UsageError */
export function parseRangeOption(text: string, flag: string): string {
  const m = /^\s*(\d+)\s*(?:-|\s)\s*(\d+)\s*$/.exec(text);
  const range = m ? parsePortRange(`${m[1]} ${m[2]}`) : null;
  if (!range) throw new UsageError(`${flag} ${JSON.stringify(text)}: expected LOW-HIGH with 1 <= LOW <= HIGH <= 65535`);
  return `${range.low} ${range.high}`;
}

function positiveInteger(text: string, flag: string, allowZero: boolean): number {
  const n = Number(text);
  if (!/^\d+$/.test(text.trim()) || !Number.isSafeInteger(n) || (!allowZero && n === 0)) {
    throw new UsageError(`${flag} ${JSON.stringify(text)}: expected a ${allowZero ? 'non-negative' : 'positive'} integer`);
  }
  return n;
}

/** Validate commander's raw option strings. @throws UsageError with a one-line message. */
export function validatePortsOptions(raw: RawPortsOptions): PortsOptions {
  if (raw.format !== 'text' && raw.format !== 'json') throw new UsageError(`--format ${JSON.stringify(raw.format)}: expected text or json`);
  const out: PortsOptions = { proc: raw.proc, format: raw.format, top: positiveInteger(raw.top, '--top', true), overrides: {} };
  if (raw.watch !== undefined) {
    const w = Number(raw.watch);
    if (raw.watch.trim() === '' || !Number.isFinite(w) || w <= 0) throw new UsageError(`--watch ${JSON.stringify(raw.watch)}: expected a number of seconds > 0`);
    if (w > MAX_TIMER_SECONDS) throw new UsageError(`--watch ${JSON.stringify(raw.watch)}: at most ${Math.floor(MAX_TIMER_SECONDS)} seconds (about 24.8 days), the longest timer Node.js can set`);
    out.watch = w;
  }
  if (raw.count !== undefined) {
    if (out.watch === undefined) throw new UsageError('--count needs --watch SECONDS');
    out.count = positiveInteger(raw.count, '--count', false);
  }
  if (raw.portRange !== undefined) out.overrides.portRange = parseRangeOption(raw.portRange, '--port-range');
  if (raw.reservedPorts !== undefined) {
    try {
      parseReservedPorts(raw.reservedPorts);
    } catch (e) {
      throw new UsageError(`--reserved-ports: ${(e as Error).message}`);
    }
    out.overrides.reservedPorts = raw.reservedPorts;
  }
  return out;
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const onAbort = (): void => {
      clearTimeout(timer);
      resolve();
    };
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal.addEventListener('abort', onAbort, { once: true });
  });
}

/**
 * Run `meshlint ports` with validated options: one reading, or with `watch` a reading every `watch` seconds
 * until `count` samples were taken or `io.signal` (default: SIGINT) aborts.
 *
 * @throws ProcReadError when the proc directory cannot be read (the command turns it into exit code 2).
 */
export async function runPorts(options: PortsOptions, io: CommandIO): Promise<void> {
  const emit = (report: PortsReport, rates: SnapshotRates | null, sample: number | undefined): void => {
    if (options.format === 'json') {
      const doc: PortsJson = sample === undefined ? { ...report, rates } : { ...report, rates, sample };
      io.stdout.write(sample === undefined ? JSON.stringify(doc, null, 2) + '\n' : JSON.stringify(doc) + '\n');
    } else {
      io.stdout.write((sample !== undefined && sample > 1 ? '\n' : '') + formatReportText(report, rates));
    }
  };
  if (options.watch === undefined) {
    const snap = await readProcSnapshot(options.proc, options.overrides);
    emit(analyseSnapshot(snap, { top: options.top }), null, undefined);
    return;
  }
  let signal = io.signal;
  let cleanup = (): void => {};
  if (!signal) {
    const controller = new AbortController();
    const onSigint = (): void => controller.abort();
    process.once('SIGINT', onSigint);
    cleanup = () => process.removeListener('SIGINT', onSigint);
    signal = controller.signal;
  }
  try {
    let prev: ProcSnapshot | null = null;
    for (let sample = 1; options.count === undefined || sample <= options.count; sample++) {
      if (sample > 1) await sleep(options.watch * 1000, signal);
      if (signal.aborted) break;
      const snap = await readProcSnapshot(options.proc, options.overrides);
      emit(analyseSnapshot(snap, { top: options.top }), prev ? compareSnapshots(prev, snap) : null, sample);
      prev = snap;
    }
  } finally {
    cleanup();
  }
}

/**
 * Add the `ports` subcommand to `program`.
 *
 * Exit codes: 0 when the tables were read; 2 with a one-line message on stderr when the proc directory cannot
 * be read or an option value is invalid.
 *
 * @param program the CLI's root command.
 * @param io where output goes (tests pass their own); defaults to the process's stdout/stderr/exit code.
 * @returns the new subcommand.
 */
export function registerPortsCommand(program: Command, io: Partial<CommandIO> = {}): Command {
  const sink = defaultIO(io);
  return program
    .command('ports')
    .description(
      'read the TCP tables of this host (/proc/net/tcp, /proc/net/tcp6) and show, per destination ip:port, the sockets in TIME_WAIT and ESTABLISHED and the share of the ephemeral port range they hold',
    )
    .option('--proc <dir>', 'proc directory to read: net/tcp, net/tcp6, sys/net/ipv4/* (on a node via kubectl debug: /host/proc)', '/proc')
    .option('--format <format>', 'text or json', 'text')
    .option('--top <n>', 'destinations to list (0 = all)', '10')
    .option('--watch <seconds>', 're-read every SECONDS and show new TIME_WAIT per second and time left to exhaustion; stop with Ctrl-C')
    .option('--count <n>', 'with --watch: stop after N samples')
    .option('--port-range <low-high>', 'use this ip_local_port_range instead of the one under --proc')
    .option('--reserved-ports <list>', 'use this ip_local_reserved_ports (e.g. 30000-32767,8080) instead of the one under --proc')
    .action(async (raw: RawPortsOptions) => {
      try {
        await runPorts(validatePortsOptions(raw), sink);
      } catch (e) {
        if (e instanceof ProcReadError || e instanceof UsageError) {
          sink.stderr.write(`meshlint ports: ${e.message}\n`);
          sink.setExitCode(2);
          return;
        }
        sink.stderr.write(`meshlint ports: unexpected error: ${(e as Error)?.message ?? String(e)}\n`);
        sink.setExitCode(2);
      }
    });
}
