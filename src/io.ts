/**
 * The shared kernel's I/O: exit codes, {@link UserError} (one line for the user, no stack trace) and the one
 * audited writer for every file meshlint writes ({@link writeOutputFile}: `-o`, `--baseline-write`, `--fix`).
 * Below the commands, so that the configuration, the baseline and the workflow modules use it without importing
 * the CLI (docs/architecture.md).
 */
import { closeSync, constants, fstatSync, lstatSync, openSync, realpathSync, statSync, accessSync, writeSync, type Stats } from 'node:fs';
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

/** {@link writeOutputFile} refused or failed; `reason` is the message without the path. */
export class WriteRefused extends UserError {
  constructor(
    message: string,
    readonly reason: string,
  ) {
    super(message);
  }
}

/** Names of a process's own open files: written into, never replaced (`-o /dev/stdout`). */
const OPEN_FILE_NAME = /^(\/dev\/(stdout|stderr|fd\/\d+)|\/proc\/(self|\d+)\/fd\/\d+)$/;

/** Why `path` (already followed through symlinks, `st` its stat) may not be replaced by a new file; undefined when it may. */
function refusalToReplace(st: Stats): string | undefined {
  if ((st.mode & 0o222) === 0) return `it is read-only (mode ${(st.mode & 0o7777).toString(8).padStart(4, '0')})`;
  const uid = process.getuid?.();
  if (uid === undefined || uid === 0) return undefined; // root can give the new file the old owner (chown)
  if (st.uid !== uid) return `it belongs to another user (uid ${st.uid}), and a rewritten file would belong to you`;
  const groups = new Set([process.getgid?.(), ...(process.getgroups?.() ?? [])]);
  if (!groups.has(st.gid)) return `its group (gid ${st.gid}) is not one of yours, so the rewritten file could not keep it`;
  return undefined;
}

/** Writes all of `text` into an open file descriptor (waiting out EAGAIN on a non-blocking one). */
function writeAll(fd: number, text: string): void {
  const bytes = Buffer.from(text, 'utf8');
  for (let at = 0; at < bytes.length; ) {
    try {
      at += writeSync(fd, bytes, at, bytes.length - at);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EAGAIN') throw error;
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 5); // a full pipe: let the reader catch up
    }
  }
}

/** The descriptor a name of this process's own open files stands for (`/dev/stdout` → 1), else undefined. */
function ownDescriptor(path: string): number | undefined {
  const m = /^\/dev\/(stdout|stderr|fd\/(\d+))$|^\/proc\/self\/fd\/(\d+)$/.exec(path);
  if (!m) return undefined;
  return m[1] === 'stdout' ? 1 : m[1] === 'stderr' ? 2 : Number(m[2] ?? m[3]);
}

/**
 * Opens an existing character device or FIFO (never creating it; never following a symlink at the last step,
 * except for the names of {@link OPEN_FILE_NAME}, which are symlinks to the process's own files) and writes `text`
 * into it. O_APPEND: `-o /dev/stdout > file` adds to what the shell opened rather than overwriting it from 0.
 */
function writeInto(path: string, text: string): void {
  const follow = OPEN_FILE_NAME.test(path) ? 0 : constants.O_NOFOLLOW;
  let fd: number;
  try {
    fd = openSync(path, constants.O_WRONLY | constants.O_APPEND | constants.O_NOCTTY | follow);
  } catch (error) {
    // A socket (a parent's socketpair as standard output) cannot be opened by name: write to the descriptor itself.
    const own = ownDescriptor(path);
    if ((error as NodeJS.ErrnoException).code !== 'ENXIO' || own === undefined) throw error;
    return writeAll(own, text);
  }
  try {
    const st = fstatSync(fd);
    if (!st.isCharacterDevice() && !st.isFIFO() && !OPEN_FILE_NAME.test(path)) throw Object.assign(new Error('changed while being opened'), { code: 'EAGAIN' });
    writeAll(fd, text);
  } finally {
    closeSync(fd);
  }
}

/**
 * The one way meshlint writes a file the user named (`-o`, `--baseline-write`, `--fix`; `audit --dump` writes
 * beneath its directory with `dumpObjects`). What happens depends on what is at `path`:
 *
 * - nothing: a new file, written atomically (the `write-file-atomic` package: a temporary file beside it, fsync,
 *   rename), so a reader or a crash never sees half a file;
 * - a regular file (or a symlink to one): the file the link points to is replaced atomically and keeps its mode
 *   and owner. Refused when the file is read-only (no write bit, e.g. `0444`), not writable by the user, or when
 *   its owner or group could not be kept (an unprivileged user cannot give a file away with chown);
 * - a character device or a FIFO (`/dev/null`, `/dev/tty`, a named pipe), and `/dev/stdout`, `/dev/stderr`,
 *   `/dev/fd/N`, `/proc/self/fd/N`: written into, like a shell redirection, never replaced;
 * - a dangling symlink, a directory, a socket or a block device: refused (never replaced, never followed into
 *   creating a file elsewhere).
 *
 * @param label what the file is for the message (`--baseline-write`), optional.
 * @throws WriteRefused (a UserError, exit 2): `<label> <path>: not written: <reason>`; nothing at `path` was changed.
 */
export function writeOutputFile(path: string, text: string, label?: string): void {
  const refuse = (reason: string): never => {
    throw new WriteRefused(`${label ? `${label} ` : ''}${path}: not written: ${reason}`, reason);
  };
  try {
    if (OPEN_FILE_NAME.test(path)) return writeInto(path, text);
    let st: Stats;
    try {
      st = lstatSync(path);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
      return writeFileAtomicPackage.sync(path, text);
    }
    let target = path;
    if (st.isSymbolicLink()) {
      try {
        st = statSync(path);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'ENOENT') refuse('it is a symbolic link to a file that does not exist (create that file, or remove the link)');
        throw error;
      }
      target = realpathSync(path);
    }
    if (st.isDirectory()) refuse('it is a directory');
    if (st.isCharacterDevice() || st.isFIFO()) return writeInto(target, text);
    if (!st.isFile()) refuse(`it is a ${st.isSocket() ? 'socket' : st.isBlockDevice() ? 'block device' : 'special file'}; meshlint writes only regular files, character devices and FIFOs`);
    const why = refusalToReplace(st);
    if (why) refuse(why);
    accessSync(target, constants.W_OK);
    writeFileAtomicPackage.sync(target, text, { mode: st.mode & 0o7777, chown: { uid: st.uid, gid: st.gid } });
  } catch (error) {
    if (error instanceof UserError) throw error;
    const code = (error as NodeJS.ErrnoException).code;
    const reason: Record<string, string> = { EACCES: 'permission denied', EPERM: 'operation not permitted', ENOENT: 'no such directory', ENOTDIR: 'a parent is not a directory', EROFS: 'read-only file system', ENOSPC: 'no space left on the device', ELOOP: 'too many levels of symbolic links', ENXIO: 'no process reads the FIFO', ENAMETOOLONG: 'file name too long (the temporary file beside it needs a longer name)' };
    refuse(code ? (reason[code] ?? code) : (error as Error).message);
  }
}
