import { openSync, readSync, closeSync, fstatSync, readFileSync } from 'node:fs';
import { isAbsolute, join } from 'node:path';
import { describeFsError } from './discover.js';

/** Default largest file meshlint reads, in bytes (64 MiB): larger than any realistic `kubectl get -A -o yaml` of a mesh, small enough to bound memory. */
export const DEFAULT_MAX_FILE_BYTES = 64 * 1024 * 1024;

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
export function readManifest(path: string, cwd: string, maxBytes = DEFAULT_MAX_FILE_BYTES, stdin?: () => Buffer): ReadResult {
  let buffer: Buffer;
  try {
    if (path === '-') {
      buffer = stdin ? stdin() : readFileSync(0);
    } else {
      const fd = openSync(isAbsolute(path) ? path : join(cwd, path), 'r');
      try {
        const st = fstatSync(fd);
        if (st.isDirectory()) return { ok: false, kind: 'io', message: 'is a directory' };
        if (st.isFile() && st.size > maxBytes) {
          return { ok: false, kind: 'content', message: `file is ${formatBytes(st.size)}, over the ${formatBytes(maxBytes)} limit (raise it with --max-file-size)` };
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
    return { ok: false, kind: 'content', message: `input is ${formatBytes(buffer.length)}, over the ${formatBytes(maxBytes)} limit (raise it with --max-file-size)` };
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
  return `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
}
