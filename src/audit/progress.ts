/**
 * Progress of `meshlint audit` on standard error: one line, rewritten in place, saying which kinds are being read
 * and how many objects so far. Only when the stream is a terminal; nothing at all otherwise (CI logs, pipes, files).
 */
import type { AuditProgress } from './cluster.js';

/** The part of a `tty.WriteStream` the indicator uses (tests pass a fake). */
export interface ProgressStream {
  isTTY?: boolean;
  /** Terminal width in characters (0 or absent: unknown, 80 is assumed); lines are cut to fit. */
  columns?: number;
  write(text: string): unknown;
}

/** A progress indicator: feed it {@link AuditProgress} events, then `finish` (or `clear` on failure). */
export interface ProgressIndicator {
  update(p: AuditProgress): void;
  /** Erases the line and prints a one-line summary (`read 1,234 objects from … in 2.1 s`). */
  finish(summary: string): void;
  /** Erases the line, printing nothing (before an error message). */
  clear(): void;
}

/** ANSI: carriage return, then erase the whole line (ECMA-48 EL, `CSI 2 K`). */
const ERASE_LINE = '\r\x1b[2K';

/**
 * A progress indicator on `stream` when it is a terminal (`isTTY`), else undefined (stay silent). The line reads
 * `reading the cluster: 1,234 objects, 7 of 11 kinds done (reading DestinationRule 500, Deployment 734)`. Redraws at
 * most every `intervalMs` milliseconds (default 100), and always when a kind completes.
 */
export function progressIndicator(stream: ProgressStream, intervalMs = 100, now: () => number = Date.now): ProgressIndicator | undefined {
  if (!stream.isTTY) return undefined;
  const kinds = new Map<string, AuditProgress>();
  let drawn = false;
  let last = now(); // the first line waits `intervalMs` (or the first completed kind): by then every kind is known
  const draw = () => {
    const all = [...kinds.values()];
    const total = all.reduce((n, k) => n + k.objects, 0);
    const done = all.filter((k) => k.done).length;
    const busy = all.filter((k) => !k.done).map((k) => `${k.kind} ${k.objects.toLocaleString('en-US')}`);
    let line = `reading the cluster: ${total.toLocaleString('en-US')} objects, ${done} of ${all.length} kinds done${busy.length ? ` (reading ${busy.join(', ')})` : ''}`;
    const width = (stream.columns || 80) - 1; // 0 when the terminal size is unknown
    if (line.length > width) line = `${line.slice(0, Math.max(0, width - 1))}…`;
    stream.write(`${ERASE_LINE}${line}`);
    drawn = true;
    last = now();
  };
  const erase = () => {
    if (drawn) stream.write(ERASE_LINE);
    drawn = false;
  };
  return {
    update(p) {
      kinds.set(p.kind, { ...p });
      if (p.done || now() - last >= intervalMs) draw();
    },
    finish(summary) {
      erase();
      stream.write(`${summary}\n`);
    },
    clear: erase,
  };
}
