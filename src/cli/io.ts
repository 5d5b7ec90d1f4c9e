import writeFileAtomicPackage from 'write-file-atomic';

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
 * Writes `text` to `path` atomically with the `write-file-atomic` package: a temporary file beside the
 * target, fsync, then a rename over it, so a reader (or a crash) never sees a half-written file. An
 * existing file keeps its mode and owner; a symlink is followed (the file it points to is replaced).
 * Throws {@link UserError} on failure (the temporary file is removed).
 */
export function writeFileAtomic(path: string, text: string): void {
  try {
    writeFileAtomicPackage.sync(path, text);
  } catch (error) {
    throw new UserError(`cannot write ${path}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
  }
}
