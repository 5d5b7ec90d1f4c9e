/**
 * Fuzzing harness (issue 7, robustness): fast-check arbitraries that mutate real manifests (the shared Istio
 * corpus when present, the fixtures always) and a checker that runs each mutated input through `check()`
 * in-process (standard input injection) and asserts what must hold for any input:
 *
 * - `check()` resolves (no exception escapes) and no rule reports an internal error;
 * - every finding has a known rule id, a severity, a one-line message, and a location in the input
 *   (`<stdin>`, 1-based line within the text, column ≥ 1);
 * - input js-yaml cannot parse yields a `parse-error` finding; a document the schema rejects yields a
 *   `schema-invalid` finding;
 * - the exit code the CLI would give is 0, 1 or 2 as documented (2 only with run errors, 1 only with
 *   error-severity findings);
 * - the reporters (stylish, json, sarif) render the result, and the JSON report parses;
 * - with a cache directory, the parse cache (`--cache`) gives back exactly what a parse gives;
 * - each case finishes within {@link CASE_TIME_LIMIT_MS} and the heap stays under {@link HEAP_LIMIT_BYTES}
 *   (hang and blow-up detectors, not speed tests: speed is measured by `npm run bench`).
 *
 * Used by `test/fuzz/fuzz.test.ts` (fixed seed) and `scripts/fuzz.ts` (`npm run fuzz`, random seed).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import fc from 'fast-check';
import { nothingAnalysed } from '../../src/cli/main.js';
import jsyaml from 'js-yaml';
import assert from 'node:assert/strict';
import { ParseCache } from '../../src/load/cache.js';
import { MANIFEST_SCHEMA, parseManifestText } from '../../src/load/parse.js';
import { check, type AnalysisResult } from '../../src/pipeline.js';
import { render } from '../../src/report/index.js';
import { allRules } from '../../src/rules/registry.js';
import { validateIstioObject } from '../../src/validate/istio-schema.js';
import { contradiction, keyComparisons, recordWithValues } from '../helpers/key-matching.js';
import { parseSnapshot } from '../helpers/parse-snapshot.js';
import { ROOT, SHARED } from '../helpers/paths.js';

/** A case slower than this is a hang (ms). Generous: a loaded 2-core CI machine runs other tests at once. */
export const CASE_TIME_LIMIT_MS = 15_000;
/** Heap above this after a case is a blow-up (bytes). */
export const HEAP_LIMIT_BYTES = 1024 * 1024 * 1024;

/** A real manifest to mutate. */
export interface SeedFile {
  name: string;
  text: string;
}

/** Seed manifests: the fixtures, plus the shared Istio corpus when it is present (it is absent in CI). */
export function seedFiles(): { seeds: SeedFile[]; corpus: boolean } {
  const seeds: SeedFile[] = [];
  const add = (root: string, base: string) => {
    for (const entry of readdirSync(root, { recursive: true, withFileTypes: true })) {
      if (!entry.isFile() || !/\.ya?ml$/.test(entry.name)) continue;
      const path = join(entry.parentPath, entry.name);
      const text = readFileSync(path, 'utf8');
      if (text.length > 256 * 1024) continue; // the CRD bundle: slow to mutate, not what users lint
      seeds.push({ name: relative(base, path), text });
    }
  };
  add(join(ROOT, 'fixtures'), ROOT);
  const corpus = SHARED ? join(SHARED, 'corpus', 'istio') : null;
  if (corpus) add(corpus, SHARED!);
  return { seeds, corpus: corpus !== null };
}

/** Values that replace a field: wrong types, out-of-range numbers, bad durations, unknown enum values. */
export const REPLACEMENTS: readonly unknown[] = [
  null,
  '1',
  'abc',
  '',
  0,
  -1,
  1,
  2 ** 31,
  2 ** 53 + 2,
  1e308,
  -1e308,
  Number.MAX_SAFE_INTEGER,
  0.5,
  true,
  false,
  '-5s',
  '5',
  '1h2m',
  '9999999999999999999s',
  'SIDEWAYS',
  'MESH_OUTSIDE',
  [],
  [1, 'a', null],
  [{}],
  {},
  { unexpected: { nested: [1, 2, 3] } },
  { '0': 'a', '1': 'b' },
  '*',
  '*.',
  '..',
  'UPPER.Example.COM',
  'a'.repeat(300),
];

/** Field paths the rules and the model read (a `*` is any list item). */
export const RULE_FIELDS: readonly (readonly (string | '*')[])[] = [
  ['apiVersion'],
  ['kind'],
  ['metadata'],
  ['metadata', 'name'],
  ['metadata', 'namespace'],
  ['metadata', 'labels'],
  ['metadata', 'creationTimestamp'],
  ['spec'],
  ['spec', 'host'],
  ['spec', 'hosts'],
  ['spec', 'hosts', '*'],
  ['spec', 'exportTo'],
  ['spec', 'gateways'],
  ['spec', 'workloadSelector'],
  ['spec', 'trafficPolicy'],
  ['spec', 'trafficPolicy', 'connectionPool'],
  ['spec', 'trafficPolicy', 'connectionPool', 'http'],
  ['spec', 'trafficPolicy', 'connectionPool', 'http', 'maxRequestsPerConnection'],
  ['spec', 'trafficPolicy', 'connectionPool', 'http', 'idleTimeout'],
  ['spec', 'trafficPolicy', 'connectionPool', 'http', 'h2UpgradePolicy'],
  ['spec', 'trafficPolicy', 'connectionPool', 'tcp', 'maxConnections'],
  ['spec', 'trafficPolicy', 'connectionPool', 'tcp', 'maxConnectionDuration'],
  ['spec', 'trafficPolicy', 'portLevelSettings'],
  ['spec', 'trafficPolicy', 'portLevelSettings', '*', 'port', 'number'],
  ['spec', 'subsets'],
  ['spec', 'subsets', '*'],
  ['spec', 'subsets', '*', 'name'],
  ['spec', 'subsets', '*', 'trafficPolicy'],
  ['spec', 'http'],
  ['spec', 'http', '*'],
  ['spec', 'http', '*', 'route'],
  ['spec', 'http', '*', 'route', '*', 'destination'],
  ['spec', 'http', '*', 'route', '*', 'destination', 'host'],
  ['spec', 'http', '*', 'route', '*', 'destination', 'port', 'number'],
  ['spec', 'http', '*', 'retries'],
  ['spec', 'http', '*', 'retries', 'attempts'],
  ['spec', 'http', '*', 'retries', 'perTryTimeout'],
  ['spec', 'http', '*', 'retries', 'retryOn'],
  ['spec', 'http', '*', 'timeout'],
  ['spec', 'http', '*', 'mirror'],
  ['spec', 'http', '*', 'mirrorPercentage', 'value'],
  ['spec', 'http', '*', 'mirrors'],
  ['spec', 'http', '*', 'fault'],
  ['spec', 'http', '*', 'match'],
  ['spec', 'ports'],
  ['spec', 'ports', '*', 'number'],
  ['spec', 'ports', '*', 'protocol'],
  ['spec', 'location'],
  ['spec', 'resolution'],
  ['spec', 'addresses'],
  ['spec', 'endpoints'],
  ['spec', 'replicas'],
  ['spec', 'template', 'metadata', 'labels'],
  ['spec', 'template', 'metadata', 'annotations'],
  ['spec', 'template', 'spec', 'hostNetwork'],
  ['items'],
];

/** One mutation, as data (so that fast-check can shrink it). Fractions pick positions in the text. */
export type Mutation =
  | { kind: 'none' }
  | { kind: 'truncate'; at: number }
  | { kind: 'flip'; bytes: { at: number; value: number }[] }
  | { kind: 'swap'; doc: number; field: number; item: number; replacement: number; json: boolean }
  | { kind: 'random-swap'; doc: number; node: number; replacement: number }
  | { kind: 'duplicate-key'; line: number }
  | { kind: 'nest'; depth: number; style: 'flow-seq' | 'flow-map' | 'block-map' | 'block-seq'; at: number }
  | { kind: 'alias-bomb'; width: number; depth: number; at: number }
  | { kind: 'invalid-utf8'; at: number; sequence: number }
  | { kind: 'splice'; other: number; at: number }
  | { kind: 'line-endings'; style: 'crlf' | 'cr' | 'tabs' | 'bom' }
  | { kind: 'drop-lines'; from: number; count: number };

/** Byte sequences that are not valid UTF-8 (stray continuation, overlong, surrogate, truncated, 0xFF). */
export const INVALID_UTF8: readonly number[][] = [[0x80], [0xc3, 0x28], [0xc0, 0xaf], [0xed, 0xa0, 0x80], [0xf0, 0x9f, 0x98], [0xff], [0xfe, 0xff]];

const fraction = fc.double({ min: 0, max: 1, noNaN: true, maxExcluded: true });

/** fast-check arbitrary of mutations. */
export function mutationArbitrary(seedCount: number): fc.Arbitrary<Mutation> {
  return fc.oneof(
    { weight: 1, arbitrary: fc.constant<Mutation>({ kind: 'none' }) },
    { weight: 3, arbitrary: fc.record({ kind: fc.constant('truncate' as const), at: fraction }) },
    { weight: 3, arbitrary: fc.record({ kind: fc.constant('flip' as const), bytes: fc.array(fc.record({ at: fraction, value: fc.integer({ min: 0, max: 255 }) }), { minLength: 1, maxLength: 8 }) }) },
    {
      weight: 8,
      arbitrary: fc.record({
        kind: fc.constant('swap' as const),
        doc: fc.nat(),
        field: fc.nat({ max: RULE_FIELDS.length - 1 }),
        item: fc.nat({ max: 3 }),
        replacement: fc.nat({ max: REPLACEMENTS.length - 1 }),
        json: fc.boolean(),
      }),
    },
    { weight: 4, arbitrary: fc.record({ kind: fc.constant('random-swap' as const), doc: fc.nat(), node: fc.nat(), replacement: fc.nat({ max: REPLACEMENTS.length - 1 }) }) },
    { weight: 2, arbitrary: fc.record({ kind: fc.constant('duplicate-key' as const), line: fc.nat() }) },
    { weight: 1, arbitrary: fc.record({ kind: fc.constant('nest' as const), depth: fc.integer({ min: 10, max: 20_000 }), style: fc.constantFrom('flow-seq' as const, 'flow-map' as const, 'block-map' as const, 'block-seq' as const), at: fraction }) },
    { weight: 1, arbitrary: fc.record({ kind: fc.constant('alias-bomb' as const), width: fc.integer({ min: 2, max: 12 }), depth: fc.integer({ min: 2, max: 12 }), at: fraction }) },
    { weight: 2, arbitrary: fc.record({ kind: fc.constant('invalid-utf8' as const), at: fraction, sequence: fc.nat({ max: INVALID_UTF8.length - 1 }) }) },
    { weight: 1, arbitrary: fc.record({ kind: fc.constant('splice' as const), other: fc.nat({ max: Math.max(0, seedCount - 1) }), at: fraction }) },
    { weight: 1, arbitrary: fc.record({ kind: fc.constant('line-endings' as const), style: fc.constantFrom('crlf' as const, 'cr' as const, 'tabs' as const, 'bom' as const) }) },
    { weight: 1, arbitrary: fc.record({ kind: fc.constant('drop-lines' as const), from: fc.nat(), count: fc.integer({ min: 1, max: 5 }) }) },
  );
}

/** A fuzz case: a seed file and a mutation (or two, applied in order). */
export interface FuzzCase {
  seed: number;
  mutations: Mutation[];
}

export function caseArbitrary(seedCount: number): fc.Arbitrary<FuzzCase> {
  return fc.record({ seed: fc.nat({ max: seedCount - 1 }), mutations: fc.array(mutationArbitrary(seedCount), { minLength: 1, maxLength: 2 }) });
}

const at = (length: number, f: number) => Math.min(length, Math.floor(f * (length + 1)));

/** Paths of `value` matching `field` (`*` expands to every item, `item` picks one when several match). */
function concretePaths(value: unknown, field: readonly (string | '*')[], item: number): (string | number)[][] {
  let paths: (string | number)[][] = [[]];
  for (const segment of field) {
    const next: (string | number)[][] = [];
    for (const p of paths) {
      const here = get(value, p);
      if (segment === '*') {
        if (Array.isArray(here)) here.forEach((_, i) => next.push([...p, i]));
      } else if (here !== null && typeof here === 'object' && !Array.isArray(here)) next.push([...p, segment]);
    }
    paths = next;
  }
  return paths.length ? [paths[item % paths.length]!] : [];
}

function get(value: unknown, path: readonly (string | number)[]): unknown {
  let v = value;
  for (const s of path) v = v !== null && typeof v === 'object' ? (v as Record<string | number, unknown>)[s] : undefined;
  return v;
}

function set(root: unknown, path: readonly (string | number)[], value: unknown): unknown {
  if (path.length === 0) return value;
  const parent = get(root, path.slice(0, -1));
  if (parent !== null && typeof parent === 'object') (parent as Record<string | number, unknown>)[path[path.length - 1]!] = value;
  return root;
}

/** Every path of a parsed document, in document order (for random swaps). */
function allPaths(value: unknown, limit = 5000): (string | number)[][] {
  const out: (string | number)[][] = [];
  const walk = (v: unknown, p: (string | number)[]) => {
    if (out.length >= limit) return;
    out.push(p);
    if (Array.isArray(v)) v.forEach((x, i) => walk(x, [...p, i]));
    else if (v !== null && typeof v === 'object') for (const [k, x] of Object.entries(v)) walk(x, [...p, k]);
  };
  walk(value, []);
  return out;
}

/** Re-serialises documents after a swap: YAML (js-yaml `dump`) or JSON (one document per file, as kubectl accepts). */
function serialise(docs: unknown[], json: boolean): string {
  if (json && docs.length === 1) return JSON.stringify(docs[0], null, 2);
  // Anchors are kept (noRefs: false): expanding an alias bomb here would only test the harness.
  return docs.map((d) => jsyaml.dump(d, { lineWidth: -1 })).join('---\n');
}

/** Applies one mutation to a text (as bytes: some mutations produce invalid UTF-8). */
export function applyMutation(input: Buffer, m: Mutation, seeds: readonly SeedFile[]): Buffer {
  const text = input.toString('utf8');
  switch (m.kind) {
    case 'none':
      return input;
    case 'truncate':
      return input.subarray(0, at(input.length, m.at));
    case 'flip': {
      const out = Buffer.from(input);
      for (const b of m.bytes) if (out.length) out[Math.min(out.length - 1, at(out.length, b.at))] = b.value;
      return out;
    }
    case 'swap':
    case 'random-swap': {
      let docs: unknown[];
      try {
        docs = jsyaml.loadAll(text);
      } catch {
        return input; // already broken: nothing to swap
      }
      if (docs.length === 0) return input;
      const d = m.doc % docs.length;
      const paths = m.kind === 'swap' ? concretePaths(docs[d], RULE_FIELDS[m.field]!, m.item) : [allPaths(docs[d])[m.node % Math.max(1, allPaths(docs[d]).length)] ?? []];
      const path = paths[0];
      if (!path) return input;
      docs[d] = set(docs[d], path, structuredClone(REPLACEMENTS[m.replacement]));
      try {
        const out = serialise(docs, m.kind === 'swap' && m.json);
        return out.length > 4 * input.length + 65_536 ? input : Buffer.from(out);
      } catch {
        return input; // js-yaml cannot dump what it parsed (e.g. a Date it will not round-trip): keep the seed
      }
    }
    case 'duplicate-key': {
      const lines = text.split('\n');
      const keyed = lines.map((l, i) => (/^\s*[A-Za-z0-9_.-]+:/.test(l) ? i : -1)).filter((i) => i >= 0);
      if (!keyed.length) return input;
      const i = keyed[m.line % keyed.length]!;
      lines.splice(i + 1, 0, lines[i]!);
      return Buffer.from(lines.join('\n'));
    }
    case 'nest': {
      const depth = m.depth;
      let bomb: string;
      if (m.style === 'flow-seq') bomb = `deep: ${'['.repeat(depth)}1${']'.repeat(depth)}\n`;
      else if (m.style === 'flow-map') bomb = `deep: ${'{a: '.repeat(depth)}1${'}'.repeat(depth)}\n`;
      else if (m.style === 'block-map') bomb = `deep:\n${Array.from({ length: Math.min(depth, 2000) }, (_, i) => `${' '.repeat(i + 1)}a${i}:`).join('\n')} 1\n`;
      else bomb = `deep:\n${Array.from({ length: Math.min(depth, 2000) }, (_, i) => `${' '.repeat(2 * i + 1)}-`).join('\n')} 1\n`;
      const lines = text.split('\n');
      const i = at(lines.length, m.at);
      // as a top-level key of the document there, or a document of its own
      lines.splice(i, 0, `---\n${bomb}---`);
      return Buffer.from(lines.join('\n'));
    }
    case 'alias-bomb': {
      const rows = [`a0: &a0 [${Array(m.width).fill('"lol"').join(', ')}]`];
      for (let k = 1; k < m.depth; k++) rows.push(`a${k}: &a${k} [${Array(m.width).fill(`*a${k - 1}`).join(', ')}]`);
      const bomb = `---\napiVersion: networking.istio.io/v1\nkind: DestinationRule\nmetadata: {name: bomb}\nspec:\n  host: bomb\n${rows.map((r) => `  ${r}`).join('\n')}\n---\n`;
      const cut = at(text.length, m.at);
      const lineStart = text.lastIndexOf('\n', cut) + 1;
      return Buffer.from(text.slice(0, lineStart) + bomb + text.slice(lineStart));
    }
    case 'invalid-utf8': {
      const i = at(input.length, m.at);
      return Buffer.concat([input.subarray(0, i), Buffer.from(INVALID_UTF8[m.sequence]!), input.subarray(i)]);
    }
    case 'splice': {
      const other = seeds[m.other % seeds.length]!.text;
      return Buffer.from(text.slice(0, at(text.length, m.at)) + other.slice(at(other.length, 1 - m.at)));
    }
    case 'line-endings':
      if (m.style === 'crlf') return Buffer.from(text.replace(/\n/g, '\r\n'));
      if (m.style === 'cr') return Buffer.from(text.replace(/\n/g, '\r'));
      if (m.style === 'tabs') return Buffer.from(text.replace(/^( {2})+/gm, (s) => '\t'.repeat(s.length / 2)));
      return Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), input]);
    case 'drop-lines': {
      const lines = text.split('\n');
      lines.splice(m.from % Math.max(1, lines.length), m.count);
      return Buffer.from(lines.join('\n'));
    }
  }
}

/** The input a case stands for. */
export function caseInput(c: FuzzCase, seeds: readonly SeedFile[]): Buffer {
  let buf: Buffer = Buffer.from(seeds[c.seed % seeds.length]!.text);
  for (const m of c.mutations) buf = applyMutation(buf, m, seeds);
  return buf;
}

const KNOWN_RULES = () => new Set(allRules().map((r) => r.meta.id));
const SEVERITIES = new Set(['error', 'warn', 'info']);

/** Exit code the CLI gives for a result (documented: 2 run errors, 1 error findings, 2 nothing analysed, else 0). */
export function exitCodeOf(result: AnalysisResult): number {
  if (result.errors.length) return 2;
  if (result.findings.some((f) => f.severity === 'error')) return 1;
  return nothingAnalysed(result) ? 2 : 0;
}

/**
 * Runs `check()` on one input and asserts every invariant; throws an Error naming the broken invariant.
 * Returns the result for callers that want to look further.
 */
export async function checkInput(input: Buffer, options: { cacheDir?: string } = {}): Promise<AnalysisResult> {
  const started = performance.now();
  let result: AnalysisResult;
  try {
    result = await check({ paths: ['-'], cwd: ROOT, defaultNamespace: 'default', stdin: () => input });
  } catch (error) {
    throw new Error(`check() threw: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
  }
  const text = input.toString('utf8');
  const lineCount = text.split(/\r\n|\r|\n/).length;
  const rules = KNOWN_RULES();
  for (const f of result.findings) {
    const where = `${f.ruleId} at ${f.location.file}:${f.location.line}:${f.location.column}: ${f.message}`;
    if (!rules.has(f.ruleId)) throw new Error(`unknown rule id: ${where}`);
    if (!SEVERITIES.has(f.severity)) throw new Error(`bad severity ${f.severity}: ${where}`);
    if (typeof f.message !== 'string' || !f.message || /[\r\n]/.test(f.message)) throw new Error(`message is not one line: ${JSON.stringify(f.message)}`);
    if (/internal error/i.test(f.message)) throw new Error(`rule crashed: ${where}`);
    if (f.location.file !== '<stdin>') throw new Error(`finding outside the input: ${where}`);
    const { line, column } = f.location;
    if (!Number.isInteger(line) || !Number.isInteger(column) || line < 1 || column < 1 || line > lineCount + 1) throw new Error(`location outside the text (${lineCount} lines): ${where}`);
  }
  // Oracle 1: what js-yaml itself rejects must be a parse-error.
  let docs: unknown[] | null = null;
  const binary = input.subarray(0, 8000).includes(0);
  try {
    docs = jsyaml.loadAll(text, null, { schema: MANIFEST_SCHEMA });
  } catch {
    if (!result.findings.some((f) => f.ruleId === 'parse-error')) throw new Error('js-yaml rejects the input but there is no parse-error finding');
  }
  if (binary && !result.findings.some((f) => f.ruleId === 'parse-error')) throw new Error('binary input without a parse-error finding');
  // Oracle 2: an Istio object the schema rejects must give a schema-invalid finding.
  if (docs && !binary && !result.findings.some((f) => f.ruleId === 'parse-error')) {
    for (const d of docs) {
      if (d === null || typeof d !== 'object' || Array.isArray(d)) continue;
      const o = d as Record<string, unknown>;
      if (typeof o.apiVersion !== 'string' || typeof o.kind !== 'string') continue;
      const issues = validateIstioObject(o.apiVersion, o.kind, o);
      if (issues && issues.length && !result.findings.some((f) => f.ruleId === 'schema-invalid')) throw new Error(`${o.kind} is schema-invalid (${issues[0]!.message}) but there is no schema-invalid finding`);
    }
  }
  // Oracle 3: where the text decides a mapping key (positions.ts), it agrees with the parsed value.
  if (docs) checkKeyMatching(text);
  // Oracle 4: a parse written to the cache and read back is the parse.
  if (options.cacheDir && !binary) checkParseCache(text, options.cacheDir);
  const code = exitCodeOf(result);
  if (![0, 1, 2].includes(code)) throw new Error(`exit code ${code}`);
  for (const format of ['stylish', 'json', 'sarif'] as const) {
    let out: string;
    try {
      out = render(format, result, { color: false, explain: true, version: '0.0.0-fuzz' });
    } catch (error) {
      throw new Error(`${format} reporter threw: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
    }
    if (format !== 'stylish') JSON.parse(out);
  }
  const elapsed = performance.now() - started;
  if (elapsed > CASE_TIME_LIMIT_MS) throw new Error(`case took ${Math.round(elapsed)} ms (limit ${CASE_TIME_LIMIT_MS} ms)`);
  const heap = process.memoryUsage().heapUsed;
  if (heap > HEAP_LIMIT_BYTES) throw new Error(`heap at ${Math.round(heap / 1024 / 1024)} MiB after the case`);
  return result;
}

/** Field names the rules and the model look up, and near misses of them. */
const FIELD_NAMES = ['spec', 'http', 'route', 'retries', 'attempts', 'perTryTimeout', 'retryOn', 'trafficPolicy', 'connectionPool', 'maxRequestsPerConnection', 'idleTimeout', 'host', 'hosts', 'metadata', 'name', 'namespace', 'kind', 'apiVersion', 'subsets', 'portLevelSettings', 'mirror', 'ports', 'number', 'true', 'null', '80'];

/**
 * Records the positions of `text` with every scalar value and checks that {@link scalarEquals} never
 * contradicts a value, for the field names above and each short string value of the text.
 */
function checkKeyMatching(text: string): void {
  const recorded = recordWithValues(text);
  if (!recorded) return;
  const keys = new Set(FIELD_NAMES);
  for (const v of recorded.values) if (typeof v === 'string' && v.length < 40 && keys.size < 200) keys.add(v);
  for (const c of keyComparisons(recorded, keys)) {
    if (c.fromText !== undefined && c.fromText !== c.fromValue) throw new Error(`key matching: ${contradiction(recorded, c)}`);
  }
}

/**
 * Writes the parse of `text` to a parse cache in `dir` (or finds it there), reads it back through a second
 * cache, and compares it with a fresh parse.
 */
function checkParseCache(text: string, dir: string): void {
  const fresh = parseSnapshot(parseManifestText(text, '<stdin>'));
  new ParseCache(dir, 'fuzz').parse(text, '<stdin>');
  const cached = parseSnapshot(new ParseCache(dir, 'fuzz').parse(text, '<stdin>'));
  try {
    assert.deepStrictEqual(cached, fresh);
  } catch (error) {
    throw new Error(`parse cache: the cached parse differs from a parse: ${(error as Error).message.slice(0, 2000)}`);
  }
}

/** The fast-check property over cases built from `seeds`; with `cacheDir`, the parse cache oracle runs too. */
export function fuzzProperty(seeds: readonly SeedFile[], options: { cacheDir?: string } = {}): fc.IAsyncPropertyWithHooks<[FuzzCase]> {
  return fc.asyncProperty(caseArbitrary(seeds.length), async (c) => {
    await checkInput(caseInput(c, seeds), options);
  });
}
