import { mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';

/** Exit codes of every meshlint command (documented in the README). */
export const EXIT = {
  /** No finding at error severity (and warnings within `--max-warnings`). */
  OK: 0,
  /** Findings at error severity, or more warnings than `--max-warnings`. */
  FINDINGS: 1,
  /** Usage, configuration or I/O error (bad option, unreadable path, unreachable cluster). */
  USAGE: 2,
} as const;

/** An error meant for the user: printed as one line, no stack trace, with an exit code. */
export class UserError extends Error {
  constructor(
    message: string,
    readonly exitCode: number = EXIT.USAGE,
  ) {
    super(message);
  }
}

/**
 * Writes `text` to `path` atomically: a temporary file in the same directory, then a rename over the
 * target, so a reader (or a crash) never sees a half-written file. Throws {@link UserError} on failure.
 */
export function writeFileAtomic(path: string, text: string): void {
  let tmpDir: string | undefined;
  try {
    tmpDir = mkdtempSync(join(dirname(path), `.${basename(path)}.meshlint-`));
    const tmp = join(tmpDir, basename(path));
    writeFileSync(tmp, text);
    renameSync(tmp, path);
  } catch (error) {
    throw new UserError(`cannot write ${path}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
  } finally {
    if (tmpDir) rmSync(tmpDir, { recursive: true, force: true });
  }
}
