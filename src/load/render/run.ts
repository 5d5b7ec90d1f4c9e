import { spawnSync } from 'node:child_process';

/** Largest renderer output read, bytes, unless the run's `--max-file-size` says otherwise: the loader's file limit (64 MiB). */
export const DEFAULT_RENDER_MAX_BYTES = 64 * 1024 * 1024;
/** Seconds a renderer may run before it is killed (`--render-timeout`). A chart renders in well under a second; 120 s leaves room for large umbrella charts on a slow CI runner. */
export const DEFAULT_RENDER_TIMEOUT_SECONDS = 120;
/** Characters of a renderer's standard error kept in the one-line summary of a failure. */
const STDERR_SUMMARY_CHARS = 400;

/** How a renderer binary is run. */
export interface RunLimits {
  /** Seconds before the process is killed (SIGKILL). */
  timeoutSeconds: number;
  /** Largest standard output accepted, bytes; more is a failure, not a truncated render. */
  maxBytes: number;
  /** Working directory of the process. */
  cwd: string;
}

/** What running a renderer gave: its standard output, or one line saying why there is none. */
export type RunOutcome = { ok: true; stdout: string } | { ok: false; missing: boolean; message: string };

/**
 * Runs `binary` with `args` without a shell (`spawnSync` with an argument array: nothing in a path or a
 * `--helm-set` value is interpreted), with a timeout, a bounded standard output, and standard input closed.
 * A failure becomes one line: `exit code N: <stderr, whitespace collapsed, cut to 400 characters>`, or why the
 * process could not start (`missing` when the binary is not found). Never throws.
 */
export function runRenderer(binary: string, args: readonly string[], limits: RunLimits): RunOutcome {
  const run = spawnSync(binary, args, {
    cwd: limits.cwd,
    encoding: 'utf8',
    timeout: limits.timeoutSeconds * 1000,
    killSignal: 'SIGKILL',
    // spawnSync counts standard output and error together against maxBuffer: leave the error its own room.
    maxBuffer: limits.maxBytes + 1024 * 1024,
    stdio: ['ignore', 'pipe', 'pipe'],
    windowsHide: true,
  });
  const stderr = summarise(run.stderr ?? '');
  if (run.error) {
    const code = (run.error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return { ok: false, missing: true, message: `${binary} not found` };
    if (code === 'EACCES') return { ok: false, missing: true, message: `${binary} is not executable (permission denied)` };
    if (code === 'ETIMEDOUT') return { ok: false, missing: false, message: `killed after ${limits.timeoutSeconds} s (raise it with --render-timeout)` };
    if (code === 'ENOBUFS') return { ok: false, missing: false, message: `output larger than ${formatMiB(limits.maxBytes)} (raise it with --max-file-size)` };
    return { ok: false, missing: false, message: run.error.message.split('\n')[0] };
  }
  if (run.signal) return { ok: false, missing: false, message: `killed by ${run.signal}${stderr ? `: ${stderr}` : ''}` };
  if (run.status !== 0) return { ok: false, missing: false, message: `exit code ${run.status}${stderr ? `: ${stderr}` : ''}` };
  if (Buffer.byteLength(run.stdout) > limits.maxBytes) return { ok: false, missing: false, message: `output larger than ${formatMiB(limits.maxBytes)} (raise it with --max-file-size)` };
  return { ok: true, stdout: run.stdout };
}

/** Standard error as one line: whitespace collapsed, cut to {@link STDERR_SUMMARY_CHARS} characters. */
function summarise(stderr: string): string {
  const line = stderr.replace(/\s+/g, ' ').trim();
  return line.length > STDERR_SUMMARY_CHARS ? `${line.slice(0, STDERR_SUMMARY_CHARS)}…` : line;
}

function formatMiB(bytes: number): string {
  return `${(bytes / (1024 * 1024)).toFixed(1)} MiB`;
}
