/**
 * Baselines: `--baseline-write FILE` records the findings of a run; `--baseline FILE` then reports only the
 * findings that are not in it, and counts the others. A finding is recognised by a fingerprint of its
 * substance, not its position, so that line shifts, reordered documents and reformatting keep it recognised
 * and a changed value does not (docs/baseline.md).
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { isAbsolute, relative, resolve, sep } from 'node:path';
import { createRequire } from 'node:module';
import type { ValidateFunction } from 'ajv';
import { isMany, getManyValues, none } from 'stream-chain/defs.js';
import Assembler from 'stream-json/assembler.js';
import { jsonParser, type Token } from 'stream-json/parser.js';
import { jsonVerifier } from 'stream-json/utils/verifier.js';
import { UserError, writeOutputFile } from '../io.js';
import { describeSchemaError } from '../config/load.js';
import { dottedPath, parseLocated, positionOf } from '../config/positions.js';
import { describeFsError } from '../load/discover.js';
import { DEFAULT_MAX_FILE_BYTES, readTextCapped, streamTextCapped } from '../load/read.js';
import type { Finding, Suppression } from '../types.js';

/** Largest baseline file read, bytes (256 MiB): about 800,000 entries; `--baseline /dev/zero` is refused, not read. */
const MAX_BASELINE_BYTES = 256 * 1024 * 1024;

/** Version of the baseline file's shape and fingerprint algorithm (`schemas/baseline.schema.json`). */
export const BASELINE_VERSION = 1;

/** One accepted finding (or `count` identical ones). Only `fingerprint` and `count` are compared. */
export interface BaselineEntry {
  /** 32 hex digits: the first 128 bits of a SHA-256 of the substance. */
  fingerprint: string;
  ruleId: string;
  /** `Kind/namespace/name` of the object. */
  object?: string;
  fieldPath?: string;
  value?: unknown;
  /** For findings outside an object: the file, relative to the working directory, `/`-separated. */
  file?: string;
  /**
   * Written by meshlint before issue 14, read still: the line's text. No longer written: a baseline is committed,
   * and the line may hold a password (a Secret with a YAML error); the fingerprint carries the text as a hash.
   */
  text?: string;
  count: number;
}

/** A baseline file's content. */
export interface Baseline {
  version: typeof BASELINE_VERSION;
  tool: 'meshlint';
  findings: BaselineEntry[];
}

/** What applying a baseline did. */
export interface BaselineSummary {
  /** The baseline file, as given. */
  file: string;
  /** Findings the baseline accepted (moved to `suppressed`). */
  matched: number;
  /** Accepted findings no longer found (fixed since, or changed in substance). */
  absent: number;
}

/** Sorts object keys recursively so equal values serialise identically. */
function canonical(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(canonical);
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.keys(value as object).sort().map((k) => [k, canonical((value as Record<string, unknown>)[k])]));
  }
  return value;
}

function hash(parts: unknown[]): string {
  return createHash('sha256').update(JSON.stringify(canonical(parts))).digest('hex').slice(0, 32);
}

/**
 * The baseline identity of each finding, in the order given. Findings about an object key on rule, object
 * kind/namespace/name, field path and triggering value (`Finding.value`); the file, line and message do not
 * count, nor does the apiVersion (a migration from v1beta1 to v1 keeps the finding). Findings outside an
 * object (source files, parse errors) key on rule, file, the whitespace-normalised text of their line (the
 * message where the file cannot be read: standard input, clusters) and the occurrence of that text among the
 * rule's findings in the file, counted in line order. Only the hash of that text is kept: a baseline never holds source text, nor the value of a Secret's field or of `data`/`stringData`.
 */
export function identify(findings: readonly Finding[], cwd: string): Omit<BaselineEntry, 'count'>[] {
  const lines = new Map<string, string[] | null>();
  const lineText = (file: string, line: number): string | undefined => {
    if (!lines.has(file)) {
      let text: string[] | null = null;
      if (!file.startsWith('<') && !file.includes('://')) {
        // Capped: a file too large to analyse (a parse-error finding) is not read here either.
        const read = readTextCapped(resolve(cwd, file), DEFAULT_MAX_FILE_BYTES);
        text = read.ok ? read.text.split(/\r?\n/) : null;
      }
      lines.set(file, text);
    }
    return lines.get(file)?.[line - 1];
  };
  const order = findings.map((f, i) => i).sort((a, b) => findings[a].location.line - findings[b].location.line || findings[a].location.column - findings[b].location.column);
  const seen = new Map<string, number>();
  const out: Omit<BaselineEntry, 'count'>[] = new Array(findings.length);
  for (const i of order) {
    const f = findings[i];
    const o = f.location.object;
    if (o) {
      const object = `${o.kind}/${o.namespace}/${o.name}`;
      const entry: Omit<BaselineEntry, 'count'> = { fingerprint: hash([BASELINE_VERSION, f.ruleId, o.kind, o.namespace, o.name, f.location.fieldPath ?? '', f.value ?? null]), ruleId: f.ruleId, object };
      if (f.location.fieldPath) entry.fieldPath = f.location.fieldPath;
      if (f.value !== undefined && !sensitive(o.kind, f.location.fieldPath)) entry.value = canonical(f.value);
      out[i] = entry;
      continue;
    }
    const file = portablePath(f.location.file, cwd);
    const text = (lineText(f.location.file, f.location.line) ?? f.message).replace(/\s+/g, ' ').trim();
    const key = `${f.ruleId}\0${file}\0${text}`;
    const occurrence = seen.get(key) ?? 0;
    seen.set(key, occurrence + 1);
    out[i] = { fingerprint: hash([BASELINE_VERSION, f.ruleId, file, text, occurrence]), ruleId: f.ruleId, file };
  }
  return out;
}

/** Whether a finding's value may be a secret: any field of a Secret, and anything under `data` or `stringData`. */
function sensitive(kind: string, fieldPath: string | undefined): boolean {
  return kind === 'Secret' || /(^|\.)(data|stringData|binaryData)(\.|\[|$)/.test(fieldPath ?? '');
}

/** A file path relative to `cwd` with `/` separators (absolute when outside `cwd`; `<stdin>` and URIs as they are). */
function portablePath(file: string, cwd: string): string {
  if (file.startsWith('<') || file.includes('://')) return file;
  const rel = relative(cwd, resolve(cwd, file));
  return (rel && !rel.startsWith('..') && !isAbsolute(rel) ? rel : resolve(cwd, file)).split(sep).join('/');
}

/** The baseline of a run's findings: one entry per fingerprint with its count, sorted. */
export function buildBaseline(findings: readonly Finding[], cwd: string): Baseline {
  const entries = new Map<string, BaselineEntry>();
  for (const id of identify(findings, cwd)) {
    const known = entries.get(id.fingerprint);
    if (known) known.count++;
    else entries.set(id.fingerprint, Object.assign(id, { count: 1 })); // the identity object itself: no copy per entry
  }
  const key = (e: BaselineEntry) => [e.ruleId, e.object ?? e.file ?? '', e.fieldPath ?? '', e.fingerprint];
  const sorted = [...entries.values()].sort((a, b) => {
    const ka = key(a);
    const kb = key(b);
    for (let i = 0; i < ka.length; i++) if (ka[i] !== kb[i]) return ka[i] < kb[i] ? -1 : 1;
    return 0;
  });
  return { version: BASELINE_VERSION, tool: 'meshlint', findings: sorted };
}

/** The baseline as text: two-space indented JSON, one key per line, trailing newline. */
export function formatBaseline(baseline: Baseline): string {
  return JSON.stringify(baseline, null, 2) + '\n';
}

/**
 * Writes a baseline with {@link writeOutputFile}: atomically over a regular file (an interrupted run never
 * leaves half a baseline), into a device or FIFO, never over a symlink that points nowhere.
 * @throws UserError (exit 2) when the file cannot be written.
 */
export function writeBaseline(path: string, baseline: Baseline): void {
  writeOutputFile(path, formatBaseline(baseline), '--baseline-write');
}

/**
 * A baseline as `--baseline` applies it: how many findings of each fingerprint it accepts. Only `fingerprint` and
 * `count` of each entry matter, so only they are kept: reading a 300k-entry baseline holds a map of 300k
 * fingerprints, not the entries (docs/robustness.md measures it).
 */
export interface AcceptedBaseline {
  /** Fingerprint → number of findings accepted with it (the sum of `count` over the entries with that fingerprint). */
  accepted: ReadonlyMap<string, number>;
  /** Entries in the file. */
  entries: number;
}

/** What a baseline accepts, from a baseline built in this run ({@link buildBaseline}). */
export function acceptedOf(baseline: Baseline): AcceptedBaseline {
  const accepted = new Map<string, number>();
  for (const e of baseline.findings) accepted.set(e.fingerprint, (accepted.get(e.fingerprint) ?? 0) + e.count);
  return { accepted, entries: baseline.findings.length };
}

/**
 * Largest baseline whose problems are located by parsing it whole (the yaml parser keeps every node's position,
 * about 7× the file in memory), bytes: 16 MiB, about 50,000 entries. A larger broken baseline is described by
 * the streaming parse: the line and column of a JSON syntax error, the entry index of an invalid entry.
 */
const LOCATE_WHOLE_MAX_BYTES = 16 * 1024 * 1024;

let validators: { file: ValidateFunction; entry: ValidateFunction } | undefined;

/** The baseline schema's validators (ajv is loaded on first use, ~40 ms, so runs without --baseline do not pay for it). */
function baselineValidators(): { file: ValidateFunction; entry: ValidateFunction } {
  if (validators) return validators;
  const schema = JSON.parse(readFileSync(new URL('../../../schemas/baseline.schema.json', import.meta.url), 'utf8')) as { $id: string };
  const ajv = new (createRequire(import.meta.url)('ajv') as typeof import('ajv')).Ajv({ strict: false, verbose: true });
  const file = ajv.compile(schema);
  const entry = ajv.getSchema(`${schema.$id}#/definitions/entry`);
  if (!entry) throw new Error('schemas/baseline.schema.json has no definitions/entry');
  validators = { file, entry };
  return validators;
}

/** Ends a stream-chain stage: it is called with `none` to emit what it still holds (stream-chain's `Flushable` contract, which its types leave out). */
function flush(stage: (text: string) => unknown): unknown {
  return (stage as unknown as (end: typeof none) => unknown)(none);
}

/** A baseline the streaming parse could not accept: a JSON syntax error, or a value the schema rejects. */
class BaselineProblem extends Error {
  constructor(
    message: string,
    readonly kind: 'syntax' | 'schema',
  ) {
    super(message);
  }
}

/**
 * Reads and validates a baseline file (`schemas/baseline.schema.json`) in bounded memory: the file is parsed as
 * it is read, 1 MiB at a time, with `stream-json`'s tokenizer; each entry of `findings` is assembled, validated
 * and reduced to its fingerprint and count, then dropped. Baselines written by any meshlint version load.
 * @throws UserError (exit 2) when it cannot be read, is not JSON, or is not a baseline; the message names
 *   `file:line:column` and the key (for a baseline over 16 MiB, the entry: `findings[123456].count`).
 */
export function readBaseline(path: string, cwd: string): AcceptedBaseline {
  const abs = resolve(cwd, path);
  if (!existsSync(abs)) throw new UserError(`--baseline ${path}: no such file (create it with --baseline-write ${path})`);
  const reader = new BaselineStream(baselineValidators());
  try {
    const read = streamTextCapped(abs, MAX_BASELINE_BYTES, (text) => reader.write(text));
    if (!read.ok) throw new UserError(`--baseline ${path}: ${read.message}`);
    reader.end();
    return reader.result();
  } catch (error) {
    if (error instanceof BaselineProblem) throw describeProblem(path, abs, error);
    throw error;
  }
}

/** The UserError for a baseline the stream rejected: located exactly by a whole parse when the file is small enough. */
function describeProblem(path: string, abs: string, problem: BaselineProblem): UserError {
  let size = Infinity;
  try {
    size = statSync(abs).size;
  } catch {
    // described from the stream below
  }
  if (size <= LOCATE_WHOLE_MAX_BYTES) {
    const whole = readTextCapped(abs, LOCATE_WHOLE_MAX_BYTES);
    if (whole.ok) {
      const located = locateProblem(path, whole.text);
      if (located) return located;
    }
  }
  if (problem.kind === 'syntax') {
    // stream-json's verifier walks the text again, in bounded memory, and says where it stops.
    const verify = jsonVerifier();
    try {
      streamTextCapped(abs, MAX_BASELINE_BYTES, (text) => void verify(text));
      flush(verify);
    } catch (error) {
      const at = error as { line?: number; pos?: number; message: string };
      if (at.line !== undefined && at.pos !== undefined) return new UserError(`${path}:${at.line}:${at.pos}: invalid JSON: ${at.message.replace(/^ERROR at \d+ \(\d+, \d+\): /, '')}`);
    }
  }
  return new UserError(`${path}: ${problem.message}`);
}

/**
 * The located description of what is wrong with a baseline's text (the whole-parse path: JSON.parse, else the
 * yaml parser for its position), or undefined when the text is a valid baseline after all (YAML-flavoured JSON
 * the yaml parser accepts).
 */
function locateProblem(path: string, text: string): UserError | undefined {
  let data: unknown;
  let locatedParse: ReturnType<typeof parseLocated> | undefined;
  const located = () => (locatedParse ??= parseLocated(text));
  try {
    data = JSON.parse(text);
  } catch {
    const problem = located().problem;
    if (problem) return new UserError(`${path}:${problem.line}:${problem.column}: invalid JSON: ${problem.message}`);
    data = located().doc.toJS();
  }
  const validator = baselineValidators().file;
  if (validator(data)) return undefined;
  const { path: at, message } = describeSchemaError(validator.errors ?? [], data);
  const pos = positionOf(located(), at);
  return new UserError(`${path}:${pos.line}:${pos.column}: ${at.length ? `${dottedPath(at)}: ` : ''}${message} (not a meshlint baseline of version ${BASELINE_VERSION}?)`);
}

/**
 * Streaming reader of a baseline's JSON: `write` text as it is read, then `end`. Top-level values other than
 * `findings` are assembled whole (they are small); each `findings` entry is assembled, validated against the
 * schema's entry definition and counted. Throws {@link BaselineProblem} at the first syntax or schema error.
 */
class BaselineStream {
  private readonly tokenize = jsonParser({ streamValues: false, maxDepth: 256 });
  /** Containers open around the next token, outside a value being assembled. */
  private depth = 0;
  private key: string | undefined;
  private assembling: Assembler | undefined;
  private inFindings = false;
  private readonly top: Record<string, unknown> = {};
  private readonly accepted = new Map<string, number>();
  private entries = 0;

  constructor(private readonly validate: { file: ValidateFunction; entry: ValidateFunction }) {}

  write(text: string): void {
    this.tokens(() => this.tokenize(text));
  }

  end(): void {
    this.tokens(() => flush(this.tokenize));
  }

  result(): AcceptedBaseline {
    const { file } = this.validate;
    // Everything but the entries (already validated one by one) against the whole-file schema.
    if (!file(this.top)) {
      const { path: at, message } = describeSchemaError(file.errors ?? [], this.top);
      throw new BaselineProblem(`${at.length ? `${dottedPath(at)}: ` : ''}${message} (not a meshlint baseline of version ${BASELINE_VERSION}?)`, 'schema');
    }
    return { accepted: this.accepted, entries: this.entries };
  }

  /** Runs the tokenizer (`next`) and takes its tokens; its errors are syntax errors. */
  private tokens(next: () => unknown): void {
    try {
      const out = next();
      if (out === none) return;
      if (isMany(out)) for (const token of getManyValues(out) as Token[]) this.token(token);
      else this.token(out as Token);
    } catch (error) {
      if (error instanceof BaselineProblem) throw error;
      throw new BaselineProblem(`invalid JSON: ${(error as Error).message}`, 'syntax');
    }
  }

  private token(token: Token): void {
    if (this.assembling) {
      this.assembling.consume(token);
      if (this.assembling.done) this.assembled(this.assembling.current);
      return;
    }
    if (this.depth === 0) {
      if (token.name !== 'startObject') throw new BaselineProblem('must be a mapping of keys (version, tool, findings)', 'schema');
      this.depth = 1;
      return;
    }
    if (this.inFindings) {
      if (token.name === 'endArray') {
        this.inFindings = false;
        return;
      }
    } else if (token.name === 'keyValue') {
      this.key = token.value;
      return;
    } else if (token.name === 'endObject') {
      this.depth = 0;
      return;
    } else if (this.key === 'findings' && token.name === 'startArray') {
      this.inFindings = true;
      this.top['findings'] = [];
      return;
    }
    this.assembling = new Assembler();
    this.assembling.consume(token);
    if (this.assembling.done) this.assembled(this.assembling.current);
  }

  /** A whole value: an entry of `findings`, or a top-level value. */
  private assembled(value: unknown): void {
    this.assembling = undefined;
    if (!this.inFindings) {
      this.top[this.key!] = value;
      return;
    }
    const { entry } = this.validate;
    if (!entry(value)) {
      const { path: at, message } = describeSchemaError(entry.errors ?? [], value);
      throw new BaselineProblem(`${dottedPath(['findings', this.entries, ...at])}: ${message} (not a meshlint baseline of version ${BASELINE_VERSION}?)`, 'schema');
    }
    const { fingerprint, count } = value as BaselineEntry;
    this.accepted.set(fingerprint, (this.accepted.get(fingerprint) ?? 0) + count);
    this.entries++;
  }
}

/**
 * Splits findings into those the baseline does not accept (still reported) and those it does (returned with
 * an `external` suppression). Each entry accepts up to `count` findings with its fingerprint, in file/line
 * order. `absent` counts accepted findings that no longer occur.
 */
export function applyBaseline(findings: readonly Finding[], baseline: AcceptedBaseline, file: string, cwd: string): { findings: Finding[]; baselined: Finding[]; summary: BaselineSummary } {
  const remaining = new Map(baseline.accepted);
  const ids = identify(findings, cwd);
  const kept: Finding[] = [];
  const baselined: Finding[] = [];
  const suppression = baselineSuppression(file);
  findings.forEach((f, i) => {
    const left = remaining.get(ids[i].fingerprint) ?? 0;
    if (left > 0) {
      remaining.set(ids[i].fingerprint, left - 1);
      baselined.push({ ...f, suppressions: [...(f.suppressions ?? []), suppression] });
    } else {
      kept.push(f);
    }
  });
  const absent = [...remaining.values()].reduce((a, b) => a + b, 0);
  return { findings: kept, baselined, summary: { file, matched: baselined.length, absent } };
}

/** The suppression a finding accepted by the baseline `file` carries. */
function baselineSuppression(file: string): Suppression {
  return { kind: 'external', via: 'baseline', justification: `accepted in the baseline ${file}` };
}

/**
 * {@link applyBaseline} with a baseline just built from `findings` ({@link buildBaseline}): it accepts every one of
 * them, so none is fingerprinted again.
 */
export function acceptAll(findings: readonly Finding[], file: string): { findings: Finding[]; baselined: Finding[]; summary: BaselineSummary } {
  const suppression = baselineSuppression(file);
  const baselined = findings.map((f) => ({ ...f, suppressions: [...(f.suppressions ?? []), suppression] }));
  return { findings: [], baselined, summary: { file, matched: baselined.length, absent: 0 } };
}
