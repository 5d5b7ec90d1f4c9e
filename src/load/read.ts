import { constants as bufferConstants } from 'node:buffer';
import { openSync, readSync, closeSync, fstatSync, type Stats } from 'node:fs';
import { StringDecoder } from 'node:string_decoder';
import { isAbsolute, join } from 'node:path';
import { describeFsError } from './discover.js';

/** Default largest file meshlint reads, in bytes (64 MiB): larger than any realistic `kubectl get -A -o yaml` of a mesh, small enough to bound memory. */
export const DEFAULT_MAX_FILE_BYTES = 64 * 1024 * 1024;

/**
 * The most any file read may hold, in bytes, whatever `--max-file-size` says: 500 MiB, below V8's string
 * limit (`buffer.constants.MAX_STRING_LENGTH`, 536,870,888 UTF-16 units on 64-bit Node.js 20), which a file
 * decoded as UTF-8 must fit (it decodes to at most one unit per byte). A larger limit failed as an internal
 * error ("Cannot create a string longer than …") and lost the other files' results.
 */
export const MAX_READABLE_BYTES = Math.min(500 * 1024 * 1024, bufferConstants.MAX_STRING_LENGTH - 1);

/**
 * Default largest application source file scanned, bytes (1 MiB): above hand-written code, and it bounds a
 * scan's time and memory (the JS/TS scanner needs about 8 s of CPU and 630 MiB per MiB of dense code, measured by
 * `npm run bench`). Larger files are skipped and named in the summary; `--max-source-size` raises it.
 */
export const DEFAULT_MAX_SOURCE_BYTES = 1024 * 1024;

/**
 * Longest line, in characters, of a source file that is scanned: a longer one is minified or generated code
 * (a bundle, an embedded blob), which nobody reviews for connection handling and which costs the JS/TS
 * scanner far more per byte than hand-written code. Such a file is skipped and named in the summary.
 */
export const MAX_SOURCE_LINE_CHARS = 20_000;

/**
 * An application source file's text, or why it is not scanned: `error` (it cannot be read, or is over
 * `maxBytes`: a `parse-error` finding) or `skip` (binary, e.g. an MPEG transport stream named `.ts`, or minified:
 * named in the summary's skipped paths, no finding). Never throws.
 */
export function readSourceFile(abs: string, maxBytes: number): { text: string } | { error: string } | { skip: string } {
  let fd: number | undefined;
  try {
    fd = openSync(abs, 'r');
    const st = fstatSync(fd);
    if (st.isDirectory()) return { error: 'is a directory' };
    if (!st.isFile() && !st.isFIFO()) return { error: 'not a regular file (a device or a socket)' };
    if (st.size > maxBytes) return { error: `file is ${st.size} bytes, over the ${maxBytes}-byte limit for source files (raise it with --max-source-size)` };
    const data = readToEnd(fd, st.isFile() ? st.size + 1 : 64 * 1024, maxBytes);
    if (data.length > maxBytes) return { error: `over the ${maxBytes}-byte limit for source files (raise it with --max-source-size)` };
    if (data.subarray(0, 8000).includes(0)) return { skip: 'binary source file (contains NUL bytes)' };
    const text = data.toString('utf8');
    let start = 0;
    for (let nl = text.indexOf('\n'); start < text.length; nl = text.indexOf('\n', start)) {
      const end = nl < 0 ? text.length : nl;
      if (end - start > MAX_SOURCE_LINE_CHARS) return { skip: `minified or generated source (a line over ${MAX_SOURCE_LINE_CHARS.toLocaleString('en-US')} characters)` };
      start = end + 1;
    }
    return { text };
  } catch (e) {
    return { error: `cannot read: ${describeFsError(e)}` };
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

/** Largest configuration file (`.meshlintrc.*`, `--config`), kubeconfig or `.gitignore` read, bytes (16 MiB): far above any real one. */
export const MAX_SETTINGS_FILE_BYTES = 16 * 1024 * 1024;

/**
 * Reads a whole file as UTF-8 with a size limit, for the files around the analysis (configuration, baseline,
 * kubeconfig, `.gitignore`, source files): a regular file over `maxBytes` is refused from its size, a FIFO is
 * read up to `maxBytes + 1` bytes, and a device or socket (`/dev/zero`, `/dev/null`) is refused without reading.
 * Never throws: `message` says why there is no text (`no such file or directory`, `file is 3.0 GiB, over the
 * 16.0 MiB limit`, `not a regular file (a device or a socket)`).
 */
export function readTextCapped(path: string, maxBytes: number): { ok: true; text: string } | { ok: false; message: string; code?: string } {
  const limit = Math.min(maxBytes, MAX_READABLE_BYTES);
  let fd: number | undefined;
  try {
    fd = openSync(path, 'r');
    const st = fstatSync(fd);
    const refused = refuseToRead(st, limit);
    if (refused) return refused;
    const buffer = readToEnd(fd, st.isFile() ? st.size + 1 : 64 * 1024, limit);
    if (buffer.length > limit) return { ok: false, message: `over the ${formatBytes(limit)} limit` };
    return { ok: true, text: buffer.toString('utf8') };
  } catch (error) {
    return { ok: false, message: describeFsError(error), code: (error as NodeJS.ErrnoException).code };
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

/** Why a file opened for reading is not read: a directory, a device or socket, or a regular file over `limit` bytes. */
function refuseToRead(st: Stats, limit: number): { ok: false; message: string; code?: string } | undefined {
  if (st.isDirectory()) return { ok: false, message: 'is a directory', code: 'EISDIR' };
  if (!st.isFile() && !st.isFIFO()) return { ok: false, message: 'not a regular file (a device or a socket)' };
  if (st.isFile() && st.size > limit) return { ok: false, message: `file is ${formatBytes(st.size)}, over the ${formatBytes(limit)} limit` };
  return undefined;
}

/** Bytes read per chunk by {@link streamTextCapped}. */
const STREAM_CHUNK_BYTES = 1024 * 1024;

/**
 * {@link readTextCapped} in bounded memory: hands the file's UTF-8 text to `onText` in pieces of about 1 MiB (a
 * character is never split between pieces), for readers that parse as they go (a baseline of 300k entries).
 * Refuses what `readTextCapped` refuses; stops with `over the … limit` once more than `maxBytes` were read (a FIFO,
 * a file that grows). Returns the number of bytes read. Exceptions thrown by `onText` propagate; I/O errors do not.
 */
export function streamTextCapped(path: string, maxBytes: number, onText: (text: string) => void): { ok: true; bytes: number } | { ok: false; message: string; code?: string } {
  const limit = Math.min(maxBytes, MAX_READABLE_BYTES);
  const failed = (error: unknown) => ({ ok: false as const, message: describeFsError(error), code: (error as NodeJS.ErrnoException).code });
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch (error) {
    return failed(error);
  }
  try {
    let refused: ReturnType<typeof refuseToRead>;
    try {
      refused = refuseToRead(fstatSync(fd), limit);
    } catch (error) {
      return failed(error);
    }
    if (refused) return refused;
    const decoder = new StringDecoder('utf8');
    const buffer = Buffer.allocUnsafe(STREAM_CHUNK_BYTES);
    let total = 0;
    for (;;) {
      let n: number;
      try {
        n = readSync(fd, buffer, 0, buffer.length, null);
      } catch (error) {
        return failed(error);
      }
      if (n === 0) break;
      total += n;
      if (total > limit) return { ok: false, message: `over the ${formatBytes(limit)} limit` };
      const text = decoder.write(buffer.subarray(0, n));
      if (text) onText(text);
    }
    const rest = decoder.end();
    if (rest) onText(rest);
    return { ok: true, bytes: total };
  } finally {
    closeSync(fd);
  }
}

/** A file's text, or why it has none. */
export type ReadResult =
  | { ok: true; text: string }
  | { ok: false; kind: 'io'; message: string }
  | { ok: false; kind: 'content'; message: string };

/**
 * Reads a manifest file (or standard input for `-`) as UTF-8. Never throws. I/O failures (missing,
 * unreadable, a directory) are `kind: 'io'` (the run exits with 2); content that cannot be a manifest (a
 * binary file, a file over `maxBytes`) is `kind: 'content'` (reported as a `parse-error` finding).
 * A file is taken as binary when its first 8,000 bytes contain a NUL byte (the heuristic git uses).
 */
export function readManifest(path: string, cwd: string, requestedMaxBytes = DEFAULT_MAX_FILE_BYTES, stdin?: () => Buffer): ReadResult {
  const maxBytes = Math.min(requestedMaxBytes, MAX_READABLE_BYTES);
  let buffer: Buffer;
  try {
    if (path === '-') {
      // Standard input read to its end, but never past the limit (`cat /dev/zero | meshlint check -`).
      buffer = stdin ? stdin() : readToEnd(0, 64 * 1024, maxBytes);
    } else {
      const fd = openSync(isAbsolute(path) ? path : join(cwd, path), 'r');
      try {
        const st = fstatSync(fd);
        if (st.isDirectory()) return { ok: false, kind: 'io', message: 'is a directory' };
        if (!st.isFile() && !st.isFIFO()) return { ok: false, kind: 'io', message: 'not a regular file (a device or a socket)' };
        if (st.isFile() && st.size > maxBytes) {
          return { ok: false, kind: 'content', message: `file is ${formatBytes(st.size)}, over the ${formatBytes(maxBytes)} limit (raise it with --max-file-size${maxBytes < requestedMaxBytes ? '; 500 MiB is the most meshlint reads' : ''})` };
        }
        // Read until end of file, not just st.size bytes: a pipe (`meshlint check <(helm template …)`) has size
        // 0, and a file that grows while being read is read whole. Stops once over the limit. One byte more than
        // the size, so that the read which finds the end needs no larger buffer.
        buffer = readToEnd(fd, st.isFile() ? st.size + 1 : 64 * 1024, maxBytes);
      } finally {
        closeSync(fd);
      }
    }
  } catch (error) {
    return { ok: false, kind: 'io', message: describeFsError(error) };
  }
  if (buffer.length > maxBytes) {
    return { ok: false, kind: 'content', message: `input is over the ${formatBytes(maxBytes)} limit (raise it with --max-file-size${maxBytes < requestedMaxBytes ? '; 500 MiB is the most meshlint reads' : ''})` };
  }
  if (buffer.subarray(0, 8000).includes(0)) {
    return { ok: false, kind: 'content', message: 'binary file (contains NUL bytes); not a manifest' };
  }
  return { ok: true, text: buffer.toString('utf8') };
}

/** Up to `size` bytes of an open file from its start (fewer when it ends sooner, e.g. it shrank since `fstat`). */
export function readUpTo(fd: number, size: number): Buffer {
  const buffer = Buffer.allocUnsafe(size);
  let length = 0;
  while (length < size) {
    const n = readSync(fd, buffer, length, size - length, length);
    if (n === 0) break;
    length += n;
  }
  return buffer.subarray(0, length);
}

/** Reads `fd` from offset 0 (or the current position, for pipes) to end of file; at most `maxBytes + 1` bytes. */
function readToEnd(fd: number, sizeHint: number, maxBytes: number): Buffer {
  let buffer = Buffer.allocUnsafe(Math.min(Math.max(sizeHint, 1024), maxBytes + 1));
  let length = 0;
  for (;;) {
    if (length === buffer.length) {
      if (length > maxBytes) break;
      const grown = Buffer.allocUnsafe(Math.min(buffer.length * 2, maxBytes + 1));
      buffer.copy(grown, 0, 0, length);
      buffer = grown;
    }
    const n = readSync(fd, buffer, length, buffer.length - length, null);
    if (n === 0) break;
    length += n;
  }
  return buffer.subarray(0, length);
}

/** `12.3 MiB`-style size. */
export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KiB`;
  if (bytes < 1024 * 1024 * 1024) return `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
  return `${(bytes / 1024 / 1024 / 1024).toFixed(1)} GiB`;
}
