/**
 * Parse cache (`meshlint check --cache`): the parse of a manifest file (its documents, parse problems and node
 * positions) kept on disk between runs, keyed by the file's content, so that a file that did not change is
 * not parsed again. A pre-commit hook with `--context-dir .` loads the whole repository on every commit; with
 * the cache only the files that changed are parsed.
 *
 * Where: the user's cache directory by default (`env-paths`: `$XDG_CACHE_HOME/meshlint` or `~/.cache/meshlint`
 * on Linux, `~/Library/Caches/meshlint` on macOS, `%LOCALAPPDATA%\meshlint\Cache` on Windows), not the
 * repository: a cache that a pull request can commit could feed a check parses that hide findings. Entries are
 * keyed by content, so repositories share them safely. `--cache-location` puts them elsewhere.
 *
 * Layout: `<location>/f<format>-<parser fingerprint>/<sha1 of the text>`, one file per distinct file content.
 * The parser fingerprint hashes meshlint's version, this format, and the code that makes a parse (the load
 * modules and js-yaml): another parser never reads these entries. Each such directory holds a `CACHEDIR.TAG`
 * (https://bford.info/cachedir/) that marks it as meshlint's, and a `.gitignore` of `*`. An entry is a head
 * (`MLC` and the format byte; the length of the JSON header, uint32 little-endian; the SHA-1 of everything
 * after the head), the JSON header (documents, parse problems, node count, byte order), then the four position
 * arrays' bytes (`line`, `offset`, `end` as 32-bit integers, `kind` as bytes).
 *
 * Trust: the key is the content itself (SHA-1 of the text), not a path or a modification time, so an edit that
 * keeps the size and time still misses. An entry is used only when its checksum matches and its position
 * arrays are well formed for the text (every subtree inside the file's nodes, every offset inside the text);
 * anything else is a miss, and the entry is written again. The checksum detects damage, not tampering: the
 * cache is as trustworthy as the directory it is in, which is why it is the user's own (directories 0700,
 * entries 0600) and not the repository. Entries are written to a new temporary file and renamed into place (a
 * symlink or other file already at the entry's name is replaced, never followed) and read without following
 * symlinks, so a run that is killed, or two runs at once, leave whole entries or none.
 *
 * Clean-up, after a run that wrote an entry: entries and left-over temporary files of this parser not written
 * or read for {@link MAX_ENTRY_AGE_DAYS} days (a read touches an entry once a day), and the whole directories of
 * other parsers not used for as long (each run touches its directory's tag), are removed. Only directories
 * with meshlint's tag, and inside this parser's directory only entry-named files, are ever removed: nothing else
 * under `location` is touched.
 *
 * What is not cached (parsed on every run): a file whose documents JSON would not keep exactly — a mapping or
 * list reached twice (a YAML alias: JSON would copy it once per reference), a byte array (`!!binary`), a
 * non-finite number (`.inf`, `.nan`), or a negative zero (JSON writes `0`) — checked on the parsed values when
 * an entry is written; and text that is not well-formed UTF-16 (a lone surrogate, which the text's key could
 * not tell from U+FFFD; text read from a file never has one).
 */
import { createHash, randomBytes } from 'node:crypto';
import { closeSync, constants, fstatSync, futimesSync, lstatSync, lutimesSync, mkdirSync, openSync, readFileSync, readdirSync, renameSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { endianness, homedir } from 'node:os';
import { isAbsolute, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import envPaths from 'env-paths';
import { describeFsError } from './discover.js';
import { readUpTo } from './read.js';
import { parseManifestText, type ParsedDocument, type ParsedFile, type ParseProblem } from './parse.js';
import { PositionIndex, PositionStore } from './positions.js';

/** The default cache location: the user's cache directory for meshlint (see the module comment). */
export function defaultCacheLocation(): string {
  // The XDG Base Directory spec says a relative XDG_CACHE_HOME is to be ignored (env-paths would use it, and put
  // the cache under the working directory, maybe a repository).
  const xdg = process.env.XDG_CACHE_HOME;
  if (process.platform !== 'darwin' && process.platform !== 'win32' && xdg && !isAbsolute(xdg)) return join(homedir(), '.cache', 'meshlint');
  return envPaths('meshlint', { suffix: '' }).cache;
}
/** Entries read from the cache whose modification time is older than this are touched, so that clean-up keeps entries in use (ms). */
const TOUCH_AFTER_MS = 24 * 3600 * 1000;
/** Layout version of an entry; part of the parser fingerprint. */
export const CACHE_FORMAT = 2;
/** Entries, temporary files and other parsers' directories not written (or used) for this many days are removed after a run that wrote one. */
export const MAX_ENTRY_AGE_DAYS = 30;

/** An entry's file name: the SHA-1 of the text, hex. */
const ENTRY_NAME = /^[0-9a-f]{40}$/;
/** A temporary file an entry is written to before it is renamed into place. */
const TEMP_NAME = /^[0-9a-f]{40}\.tmp-\d+-[0-9a-f]+$/;
/** A parser's directory: `f<format>-<fingerprint>`. */
const PARSER_DIR = /^f\d+-[0-9a-f]{16}$/;
/** The cache directory tag (https://bford.info/cachedir/): its first line is the standard signature. */
const TAG_FILE = 'CACHEDIR.TAG';
const TAG_TEXT = 'Signature: 8a477f597d28d172789f06886806bc55\n# This directory is a cache of meshlint (parsed manifests); safe to delete.\n# For information about cache directory tags see https://bford.info/cachedir/\n';
/** First bytes of an entry: `MLC` and the format. */
const MAGIC = [0x4d, 0x4c, 0x43, CACHE_FORMAT] as const;
/** Bytes before the JSON header: the magic, the header's length (uint32, little-endian), the SHA-1 of the rest. */
const HEAD_BYTES = 28;
/** Files the parse depends on, besides js-yaml: their content is part of the parser fingerprint. */
const PARSER_MODULES = ['./parse.js', './positions.js', './schema.js', './cache.js'];

/**
 * A short hash (16 hex digits) of what makes a parse: meshlint's `version`, {@link CACHE_FORMAT}, and the code of
 * the load modules and of js-yaml as installed. A module that cannot be read (a bundled build) counts by name.
 */
export function parserFingerprint(version: string): string {
  const hash = createHash('sha1').update(`meshlint ${version}\0format ${CACHE_FORMAT}\0`);
  const files = PARSER_MODULES.map((m) => new URL(m, import.meta.url).href);
  try {
    files.push(import.meta.resolve('js-yaml'));
  } catch {
    files.push('js-yaml');
  }
  for (const file of files) {
    try {
      hash.update(readFileSync(fileURLToPath(file)));
    } catch {
      hash.update(file);
    }
    hash.update('\0');
  }
  return hash.digest('hex').slice(0, 16);
}

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
  /** This parser's directory (`<location>/f<format>-<fingerprint>`). */
  readonly dir: string;
  readonly stats: CacheStats = { hits: 0, misses: 0, written: 0, notCacheable: 0 };
  private readonly dirName: string;
  private writeError: string | undefined;
  private dirReady = false;

  /**
   * @param location directory holding the cache (created on the first write); should be absolute.
   * @param version meshlint's version (part of the {@link parserFingerprint}).
   * @param fingerprint the parser fingerprint; default {@link parserFingerprint} of `version` (tests pass their own).
   */
  constructor(
    readonly location: string,
    version: string,
    fingerprint: string = parserFingerprint(version),
  ) {
    this.dirName = `f${CACHE_FORMAT}-${fingerprint}`;
    this.dir = join(location, this.dirName);
  }

  /** The parse of `text` (a file's text as read; `filename` as in {@link parseManifestText}): from the cache, or parsed now and stored. */
  parse(text: string, filename: string): ParsedFile {
    if (!(text as string & { isWellFormed(): boolean }).isWellFormed()) {
      this.stats.notCacheable++;
      return parseManifestText(text, filename);
    }
    const key = createHash('sha1').update(text).digest('hex');
    const path = join(this.dir, key);
    const cached = this.read(path, text);
    if (cached) {
      this.stats.hits++;
      return cached;
    }
    this.stats.misses++;
    const parsed = parseManifestText(text, filename);
    const entry = encode(parsed, text);
    if (entry) this.write(key, entry);
    else this.stats.notCacheable++;
    return parsed;
  }

  /** The entry at `path` for `text`, or undefined: not there, not a regular file (symlinks are not followed), damaged, or for another text. */
  private read(path: string, text: string): ParsedFile | undefined {
    let fd: number;
    try {
      fd = openSync(path, constants.O_RDONLY | (constants.O_NOFOLLOW ?? 0) | (constants.O_NONBLOCK ?? 0));
    } catch {
      return undefined; // not cached yet (or unreadable: parsed instead)
    }
    try {
      const st = fstatSync(fd);
      if (!st.isFile()) return undefined;
      const now = Date.now();
      if (now - st.mtimeMs > TOUCH_AFTER_MS) {
        try {
          futimesSync(fd, now / 1000, now / 1000); // in use: kept by the clean-up
        } catch {
          // not ours to touch: it may be removed after MAX_ENTRY_AGE_DAYS, and parsed again
        }
      }
      return decode(readUpTo(fd, st.size), text);
    } catch {
      return undefined; // a damaged entry: parsed again, and written again
    } finally {
      closeSync(fd);
    }
  }

  /** Creates this parser's directory with its tag and `.gitignore` (once per run). */
  private ensureDir(): void {
    if (this.dirReady) return;
    // Entries hold whole documents (a Secret's data too): the directories and entries are the user's alone.
    mkdirSync(this.dir, { recursive: true, mode: 0o700 });
    for (const [name, text] of [
      [TAG_FILE, TAG_TEXT],
      ['.gitignore', '# Created by meshlint: a parse cache, safe to delete.\n*\n'],
    ] as const) {
      try {
        writeFileSync(join(this.dir, name), text, { flag: 'wx' });
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      }
    }
    this.dirReady = true;
  }

  /** Writes an entry: a new temporary file, then a rename onto the entry's name (which replaces whatever is there, a symlink included, without following it). */
  private write(key: string, entry: Buffer): void {
    if (this.writeError !== undefined) return;
    try {
      this.ensureDir();
    } catch (error) {
      this.writeError = `cannot write the cache in ${this.location}: ${describeFsError(error)}`;
      return;
    }
    let temp: string | undefined;
    try {
      temp = join(this.dir, `${key}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`);
      // No fsync: after a crash an entry may be empty or damaged, which its checksum turns into a miss.
      writeFileSync(temp, entry, { flag: 'wx', mode: 0o600 });
      renameSync(temp, join(this.dir, key));
      temp = undefined;
      this.stats.written++;
    } catch (error) {
      // A directory at this entry's name only costs this entry; anything else (no permission, no space, a
      // read-only file system) stops writing for the run, and is reported once.
      const code = (error as NodeJS.ErrnoException).code;
      if (code !== 'EISDIR' && code !== 'ENOTEMPTY' && code !== 'EEXIST') this.writeError = `cannot write the cache in ${this.location}: ${describeFsError(error)}`;
    } finally {
      if (temp !== undefined) remove(temp, false);
    }
  }

  /**
   * Ends a run: touches this parser's tag (the directory is in use); when this run wrote an entry, removes
   * entries and temporary files of this parser, and the tagged directories of other parsers, older than
   * {@link MAX_ENTRY_AGE_DAYS} days. Returns a warning when the cache could not be written (the run's results do
   * not depend on it), else undefined.
   */
  finish(now: number = Date.now()): string | undefined {
    const tag = join(this.dir, TAG_FILE);
    const seconds = now / 1000;
    try {
      if (this.stats.hits > 0 || this.stats.written > 0) lutimesSync(tag, seconds, seconds); // a symlink is not followed
    } catch {
      // no tag yet (nothing was written): nothing to mark
    }
    if (this.stats.written > 0) {
      const maxAgeMs = MAX_ENTRY_AGE_DAYS * 24 * 3600 * 1000;
      const old = (path: string) => {
        try {
          const st = lstatSync(path);
          return st.isFile() && now - st.mtimeMs > maxAgeMs;
        } catch {
          return false;
        }
      };
      for (const name of list(this.location)) {
        if (name === this.dirName || !PARSER_DIR.test(name)) continue;
        const dir = join(this.location, name);
        if (isTaggedDir(dir) && old(join(dir, TAG_FILE))) remove(dir, true);
      }
      for (const name of list(this.dir)) {
        const path = join(this.dir, name);
        if ((ENTRY_NAME.test(name) || TEMP_NAME.test(name)) && old(path)) remove(path, false);
      }
    }
    return this.writeError;
  }
}

/** Whether `dir` is a real directory (not a symlink) holding meshlint's cache directory tag. */
function isTaggedDir(dir: string): boolean {
  try {
    if (!lstatSync(dir).isDirectory()) return false;
    const tag = join(dir, TAG_FILE);
    return lstatSync(tag).isFile() && readFileSync(tag, 'utf8').startsWith(TAG_TEXT.slice(0, 80));
  } catch {
    return false;
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
    if (recursive) rmSync(path, { recursive: true, force: true });
    else unlinkSync(path);
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
  createHash('sha1').update(out.subarray(HEAD_BYTES)).digest().copy(out, 8);
  return out;
}

/**
 * Whether a store's arrays have the shape a parse gives them, so that resolving a path over them ends and
 * stays inside the text: every node's subtree ends after it and within its parent's, offsets and lines are
 * inside the text and never decrease, and kinds are known.
 */
function wellFormed(store: PositionStore, inputLength: number): boolean {
  const { line, offset, end, kind, count } = store;
  const open: number[] = [];
  for (let i = 0; i < count; i++) {
    while (open.length && open[open.length - 1]! <= i) open.pop();
    const e = end[i]!;
    if (e <= i || e > count || (open.length && e > open[open.length - 1]!)) return false;
    if (offset[i]! < 0 || offset[i]! >= inputLength || line[i]! < 0 || (i > 0 && (offset[i]! < offset[i - 1]! || line[i]! < line[i - 1]!))) return false;
    if ((kind[i]! & 3) === 3 || kind[i]! > 7) return false;
    open.push(e);
  }
  return true;
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
  if (!createHash('sha1').update(bytes.subarray(HEAD_BYTES)).digest().equals(bytes.subarray(8, HEAD_BYTES))) throw new Error('damaged entry');
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
    if (!wellFormed(store, input.length)) throw new Error('position arrays out of shape');
  }
  const documents: ParsedDocument[] = header.documents.map(([index, root, value]) => {
    if (!Number.isInteger(index) || !Number.isInteger(root) || root >= count) throw new Error('bad document');
    return { index, value, positions: store && root >= 0 ? new PositionIndex(store, root) : new PositionIndex(null, -1) };
  });
  return { documents, problems: header.problems };
}
