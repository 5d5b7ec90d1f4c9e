/**
 * Parse cache (`meshlint check --cache`): the parse of a manifest file (its documents, parse problems and node
 * positions) kept on disk between runs, keyed by the file's content, so that a file that did not change is
 * not parsed again. A pre-commit hook with `--context-dir .` loads the whole repository on every commit; with
 * the cache only the files that changed are parsed.
 *
 * Layout: `<location>/v<meshlint version>-f<format>/<sha1 of the text>`, one file per distinct file content:
 * an 8-byte head (`MLC` + format byte, then the length of a JSON header, little-endian uint32), the JSON header
 * (documents, parse problems, node count, byte order), then the four position arrays' bytes (`line`, `offset`,
 * `end` as 32-bit integers, `kind` as bytes). The key is the content itself (SHA-1 of the text as read), not a
 * path or a modification time, so an entry can never describe other text than the file now holds: an edit
 * that keeps the size and the modification time still misses. Each entry is written atomically (a temporary
 * file, then a rename; `write-file-atomic`), so a run that is killed, or two runs at once, leave either no
 * entry or a whole one; an entry that cannot be read or does not fit the text is ignored and written again.
 * A new meshlint version starts an empty directory and removes the other versions' directories; entries not
 * written for {@link MAX_ENTRY_AGE_DAYS} days are removed. Nothing else under `location` is touched. A
 * `location` that meshlint creates gets a `.gitignore` of `*`, so the cache never shows in `git status`.
 *
 * What is not cached (parsed on every run): a file whose documents JSON would not keep exactly — a value
 * reached twice (a YAML alias: JSON would copy it once per reference), a byte array (`!!binary`), a
 * non-finite number (`.inf`, `.nan`, an overflowing literal: JSON writes `null`), or a negative zero (JSON
 * writes `0`). That is checked on the parsed values when an entry is written; an entry is only ever read for
 * the same text, so it holds what a parse would give.
 */
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, readdirSync, rmSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { endianness } from 'node:os';
import { join } from 'node:path';
import writeFileAtomic from 'write-file-atomic';
import { describeFsError } from './discover.js';
import { parseManifestText, type ParsedDocument, type ParsedFile, type ParseProblem } from './parse.js';
import { PositionIndex, PositionStore } from './positions.js';

/** Default cache location, relative to the working directory (like ESLint's `.eslintcache`). */
export const DEFAULT_CACHE_LOCATION = '.meshlintcache';
/** Layout version of an entry; part of the directory name, so entries of another layout are never read. */
export const CACHE_FORMAT = 1;
/** Entries not written for this many days are removed after a run that wrote one. */
export const MAX_ENTRY_AGE_DAYS = 30;

/** An entry's file name: the SHA-1 of the text, hex. */
const ENTRY_NAME = /^[0-9a-f]{40}$/;
/** First bytes of an entry: `MLC` and the format. */
const MAGIC = [0x4d, 0x4c, 0x43, CACHE_FORMAT] as const;
/** Bytes before the JSON header: the magic, then the header's length (uint32, little-endian). */
const HEAD_BYTES = 8;
/** A cache directory's name: `v<version>-f<format>`. */
const VERSION_DIR = /^v[0-9A-Za-z.+_-]+-f\d+$/;

/**
 * The text js-yaml parses for `text` (its `state.input`, which positions index): a line break added when the
 * text does not end with one, a leading BOM removed, then a NUL appended (js-yaml 4 `loadDocuments`).
 */
export function yamlInput(text: string): string {
  let input = text;
  if (input.length !== 0) {
    const last = input.charCodeAt(input.length - 1);
    if (last !== 0x0a && last !== 0x0d) input += '\n';
    if (input.charCodeAt(0) === 0xfeff) input = input.slice(1);
  }
  return `${input}\0`;
}

/** The JSON header of an entry. */
interface EntryHeader {
  /** Length of {@link yamlInput} of the text (a check that the entry fits the text). */
  inputLength: number;
  /** `os.endianness()` of the machine that wrote the arrays. */
  endian: 'LE' | 'BE';
  problems: ParseProblem[];
  /** Documents: index in the file, root node in the position store (-1: none), value. */
  documents: [number, number, unknown][];
  /** Nodes in the position arrays that follow the header (0: none, no document has positions). */
  count: number;
}

/** What a run did with the cache (for messages and tests). */
export interface CacheStats {
  /** Files whose parse came from the cache. */
  hits: number;
  /** Files parsed (and written to the cache, unless not cacheable or writing failed). */
  misses: number;
  /** Entries written. */
  written: number;
  /** Files parsed on every run because JSON would not keep their documents (see the module comment). */
  notCacheable: number;
}

/**
 * A parse cache in one directory (see the module comment). Never throws: a cache that cannot be read is
 * empty, one that cannot be written is not written (the first reason is kept for {@link finish}).
 */
export class ParseCache {
  /** The directory of this meshlint version's entries. */
  readonly dir: string;
  readonly stats: CacheStats = { hits: 0, misses: 0, written: 0, notCacheable: 0 };
  private writeError: string | undefined;
  private dirReady = false;

  /**
   * @param location directory holding the cache (created on the first write).
   * @param version meshlint's version: entries of other versions are not read, and are removed.
   */
  constructor(
    readonly location: string,
    version: string,
  ) {
    this.dir = join(location, `v${version.replace(/[^0-9A-Za-z.+_-]/g, '_')}-f${CACHE_FORMAT}`);
  }

  /** The parse of `text` (a file's text as read; `filename` as in {@link parseManifestText}): from the cache, or parsed now and stored. */
  parse(text: string, filename: string): ParsedFile {
    const path = join(this.dir, createHash('sha1').update(text).digest('hex'));
    const cached = this.read(path, text);
    if (cached) {
      this.stats.hits++;
      return cached;
    }
    this.stats.misses++;
    const parsed = parseManifestText(text, filename);
    const entry = encode(parsed, text);
    if (entry) this.write(path, entry);
    else this.stats.notCacheable++;
    return parsed;
  }

  private read(path: string, text: string): ParsedFile | undefined {
    let bytes: Buffer;
    try {
      bytes = readFileSync(path);
    } catch {
      return undefined; // not cached yet (or unreadable: parsed instead)
    }
    try {
      return decode(bytes, text);
    } catch {
      return undefined; // a damaged entry: parsed again, and written again
    }
  }

  private write(path: string, entry: Buffer): void {
    if (this.writeError !== undefined) return;
    try {
      if (!this.dirReady) {
        const created = mkdirSync(this.location, { recursive: true }) !== undefined;
        // A new cache directory ignores itself, so it never shows in `git status` (as pytest's and ruff's caches do).
        if (created) writeFileSync(join(this.location, '.gitignore'), '# Created by meshlint --cache: a parse cache, safe to delete.\n*\n');
        mkdirSync(this.dir, { recursive: true });
        this.dirReady = true;
      }
      // No fsync: after a crash an entry may be empty or missing, which reads as a miss.
      writeFileAtomic.sync(path, entry, { fsync: false });
      this.stats.written++;
    } catch (error) {
      this.writeError = `cannot write the cache in ${this.location}: ${describeFsError(error)}`;
    }
  }

  /**
   * Ends a run: when this run wrote an entry, removes the directories of other meshlint versions and entries
   * older than {@link MAX_ENTRY_AGE_DAYS} days. Returns a warning when the cache could not be written (the run's
   * results do not depend on it), else undefined.
   */
  finish(now: number = Date.now()): string | undefined {
    if (this.stats.written > 0) {
      const maxAgeMs = MAX_ENTRY_AGE_DAYS * 24 * 3600 * 1000;
      const current = this.dir.slice(this.location.length).replace(/^[/\\]+/, '');
      for (const name of list(this.location)) {
        if (VERSION_DIR.test(name) && name !== current) remove(join(this.location, name), true);
      }
      for (const name of list(this.dir)) {
        if (!ENTRY_NAME.test(name)) continue;
        const path = join(this.dir, name);
        try {
          if (now - statSync(path).mtimeMs > maxAgeMs) unlinkSync(path);
        } catch {
          // removed meanwhile, or not ours to remove: left as is
        }
      }
    }
    return this.writeError;
  }
}

function list(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
}

function remove(path: string, recursive: boolean): void {
  try {
    rmSync(path, { recursive, force: true });
  } catch {
    // left as is
  }
}

/**
 * Whether JSON keeps `value` exactly: strings, booleans, null, finite numbers other than -0, and arrays and
 * plain objects of those, each reached once (`seen`: a YAML alias makes a value reachable twice).
 */
function jsonExact(value: unknown, seen: Set<object>): boolean {
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return true;
    case 'number':
      return Number.isFinite(value) && !Object.is(value, -0);
    case 'object': {
      if (value === null) return true;
      if (seen.has(value)) return false;
      seen.add(value);
      if (Array.isArray(value)) return value.every((v) => jsonExact(v, seen));
      const proto = Object.getPrototypeOf(value) as unknown;
      if (proto !== Object.prototype && proto !== null) return false; // a byte array, a date…
      for (const key of Object.keys(value)) if (!jsonExact((value as Record<string, unknown>)[key], seen)) return false;
      return true;
    }
    default:
      return false;
  }
}

/**
 * The entry for a parse of `text`, or undefined when JSON would not keep its documents exactly
 * ({@link jsonExact}) or they do not share one position store over that text (a parse always makes one).
 */
function encode(parsed: ParsedFile, text: string): Buffer | undefined {
  let store: PositionStore | null = null;
  const seen = new Set<object>();
  for (const d of parsed.documents) {
    if (!jsonExact(d.value, seen)) return undefined;
    const s = d.positions.store;
    if (!s) continue;
    if (store && s !== store) return undefined;
    store = s;
  }
  const inputLength = yamlInput(text).length;
  if (store && store.text.length !== inputLength) return undefined;
  const count = store?.count ?? 0;
  const header: EntryHeader = {
    inputLength,
    endian: endianness(),
    problems: parsed.problems,
    documents: parsed.documents.map((d) => [d.index, d.positions.store ? d.positions.root : -1, d.value]),
    count,
  };
  const json = Buffer.from(JSON.stringify(header), 'utf8');
  const arraysAt = align4(HEAD_BYTES + json.length);
  const out = Buffer.alloc(arraysAt + count * 13);
  out.set(MAGIC, 0);
  out.writeUInt32LE(json.length, 4);
  json.copy(out, HEAD_BYTES);
  if (store) {
    let at = arraysAt;
    for (const a of [store.line, store.offset, store.end, store.kind]) {
      const bytes = new Uint8Array(a.buffer, a.byteOffset, count * a.BYTES_PER_ELEMENT);
      out.set(bytes, at);
      at += bytes.length;
    }
  }
  return out;
}

/** `n` rounded up to a multiple of 4. */
function align4(n: number): number {
  return (n + 3) & ~3;
}

/** A typed array of `count` elements copied from `bytes` at `at` (into its own, aligned, buffer). */
function arrayAt<T extends Int32Array | Uint8Array>(bytes: Buffer, at: number, make: (n: number) => T, count: number): T {
  const out = make(count);
  new Uint8Array(out.buffer, out.byteOffset, out.byteLength).set(bytes.subarray(at, at + out.byteLength));
  return out;
}

/** The parse an entry holds for `text`; throws when the entry is damaged or does not fit the text. */
function decode(bytes: Buffer, text: string): ParsedFile {
  if (bytes.length < HEAD_BYTES || MAGIC.some((b, i) => bytes[i] !== b)) throw new Error('not an entry');
  const jsonLength = bytes.readUInt32LE(4);
  if (HEAD_BYTES + jsonLength > bytes.length) throw new Error('truncated entry');
  const header = JSON.parse(bytes.toString('utf8', HEAD_BYTES, HEAD_BYTES + jsonLength)) as EntryHeader;
  const { count } = header;
  const arraysAt = align4(HEAD_BYTES + jsonLength);
  if (!Array.isArray(header.documents) || !Array.isArray(header.problems) || !Number.isInteger(count) || count < 0) throw new Error('not an entry');
  if (arraysAt + count * 13 !== bytes.length) throw new Error('truncated entry');
  if (header.endian !== endianness()) throw new Error('entry of another byte order');
  const input = yamlInput(text);
  if (header.inputLength !== input.length) throw new Error('entry of another text');
  let store: PositionStore | null = null;
  if (count > 0) {
    store = PositionStore.of(
      input,
      arrayAt(bytes, arraysAt, (n) => new Int32Array(n), count),
      arrayAt(bytes, arraysAt + count * 4, (n) => new Int32Array(n), count),
      arrayAt(bytes, arraysAt + count * 8, (n) => new Int32Array(n), count),
      arrayAt(bytes, arraysAt + count * 12, (n) => new Uint8Array(n), count),
    );
  }
  const documents: ParsedDocument[] = header.documents.map(([index, root, value]) => {
    if (!Number.isInteger(index) || !Number.isInteger(root) || root >= count) throw new Error('bad document');
    return { index, value, positions: store && root >= 0 ? new PositionIndex(store, root) : new PositionIndex(null, -1) };
  });
  return { documents, problems: header.problems };
}
