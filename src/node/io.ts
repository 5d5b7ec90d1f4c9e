/**
 * Where a node subcommand writes, and how it reports its exit code, so tests can capture both without touching
 * the real process.
 */

/** Output and exit-code sink for a subcommand. */
export interface CommandIO {
  /** Normal output (reports, YAML). */
  stdout: { write(text: string): unknown };
  /** One-line error messages. */
  stderr: { write(text: string): unknown };
  /** Called with 2 when the command fails (unreadable input, bad option value); never with 0. Default sets `process.exitCode`. */
  setExitCode(code: number): void;
  /**
   * Stops a `--watch` loop when aborted. Default: an AbortSignal aborted by SIGINT (Ctrl-C), listened to only
   * while the loop runs.
   */
  signal?: AbortSignal;
}

/** The process's own stdout, stderr and exit code, with any of them replaced by `overrides`. */
export function defaultIO(overrides: Partial<CommandIO> = {}): CommandIO {
  return {
    stdout: overrides.stdout ?? process.stdout,
    stderr: overrides.stderr ?? process.stderr,
    setExitCode:
      overrides.setExitCode ??
      ((code: number) => {
        process.exitCode = code;
      }),
    ...(overrides.signal ? { signal: overrides.signal } : {}),
  };
}

/** A usage or input problem: the message is printed as one line and the exit code is 2. */
export class UsageError extends Error {
  override name = 'UsageError';
}
