/**
 * Baselines: `--baseline-write FILE` records the findings of a run; `--baseline FILE` then reports only the
 * findings that are not in it, and counts the others. A finding is recognised by a fingerprint of its
 * substance, not its position, so that line shifts, reordered documents and reformatting keep it recognised
 * and a changed value does not (docs/baseline.md).
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { isAbsolute, relative, resolve, sep } from 'node:path';
import { createRequire } from 'node:module';
import type { ValidateFunction } from 'ajv';
import { UserError, writeOutputFile } from '../io.js';
import { describeSchemaError } from '../config/load.js';
import { dottedPath, parseLocated, positionOf } from '../config/positions.js';
import { describeFsError } from '../load/discover.js';
import { DEFAULT_MAX_FILE_BYTES, readTextCapped } from '../load/read.js';
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
    else entries.set(id.fingerprint, { ...id, count: 1 });
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

let validator: ValidateFunction | undefined;

/**
 * Reads and validates a baseline file (`schemas/baseline.schema.json`).
 * @throws UserError (exit 2) when it cannot be read, is not JSON, or is not a baseline; the message names
 *   `file:line:column` and the key.
 */
export function readBaseline(path: string, cwd: string): Baseline {
  const abs = resolve(cwd, path);
  if (!existsSync(abs)) throw new UserError(`--baseline ${path}: no such file (create it with --baseline-write ${path})`);
  const read = readTextCapped(abs, MAX_BASELINE_BYTES);
  if (!read.ok) throw new UserError(`--baseline ${path}: ${read.message}`);
  const text = read.text;
  // JSON.parse first: a 300k-entry baseline is read in a second. The located parse (a yaml Document, about 7× the
  // memory) is made only to say where a broken or invalid baseline goes wrong.
  let data: unknown;
  let locatedParse: ReturnType<typeof parseLocated> | undefined;
  const located = () => (locatedParse ??= parseLocated(text));
  try {
    data = JSON.parse(text);
  } catch {
    const problem = located().problem;
    if (problem) throw new UserError(`${path}:${problem.line}:${problem.column}: invalid JSON: ${problem.message}`);
    data = located().doc.toJS(); // YAML-flavoured JSON the located parser accepts (as before)
  }
  // ajv is loaded on first use (~40 ms), so runs without --baseline do not pay for it (issue 7, cold start).
  validator ??= new (createRequire(import.meta.url)('ajv') as typeof import('ajv')).Ajv({ strict: false, verbose: true }).compile(JSON.parse(readFileSync(new URL('../../../schemas/baseline.schema.json', import.meta.url), 'utf8')));
  if (!validator(data)) {
    const { path: at, message } = describeSchemaError(validator.errors ?? [], data);
    const pos = positionOf(located(), at);
    throw new UserError(`${path}:${pos.line}:${pos.column}: ${at.length ? `${dottedPath(at)}: ` : ''}${message} (not a meshlint baseline of version ${BASELINE_VERSION}?)`);
  }
  return data as Baseline;
}

/**
 * Splits findings into those the baseline does not accept (still reported) and those it does (returned with
 * an `external` suppression). Each entry accepts up to `count` findings with its fingerprint, in file/line
 * order. `absent` counts accepted findings that no longer occur.
 */
export function applyBaseline(findings: readonly Finding[], baseline: Baseline, file: string, cwd: string): { findings: Finding[]; baselined: Finding[]; summary: BaselineSummary } {
  const remaining = new Map<string, number>();
  for (const e of baseline.findings) remaining.set(e.fingerprint, (remaining.get(e.fingerprint) ?? 0) + e.count);
  const ids = identify(findings, cwd);
  const kept: Finding[] = [];
  const baselined: Finding[] = [];
  const suppression: Suppression = { kind: 'external', via: 'baseline', justification: `accepted in the baseline ${file}` };
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
