/**
 * Validation of Istio networking objects (DestinationRule, VirtualService, ServiceEntry, Sidecar, Gateway in
 * networking.istio.io v1, v1beta1 and v1alpha3) against the JSON Schemas generated from Istio's published CRDs
 * (`schemas/istio/`, see `scripts/generate-istio-schemas.ts` and `schemas/istio/README.md`).
 *
 * Cost model: importing this module reads nothing and loads no ajv. The schema folder is listed on the first
 * {@link hasIstioSchema} / {@link validateIstioObject} call; ajv is loaded on the first validation; each schema is
 * read and compiled once, on the first validation of its apiVersion/kind.
 *
 * What matches the API server and what does not:
 * - Unknown fields are reported (as kubectl's server-side field validation does), except under
 *   `x-kubernetes-preserve-unknown-fields`.
 * - `null` in a non-nullable object field is not an error: the API server prunes such nulls before validating
 *   (`PruneNonNullableNullsWithoutDefaults`, k8s.io/apiextensions-apiserver); a pruned required field is reported
 *   as missing.
 * - CEL rules (`x-kubernetes-validations`) are not evaluated, and Istio's validating webhook is not emulated.
 * - `metadata` only has to be an object.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { createRequire } from 'node:module';
import type { Ajv as AjvInstance, ErrorObject, ValidateFunction } from 'ajv';

/** One schema violation. */
export interface SchemaIssue {
  /**
   * Path of the offending field inside the object: mapping keys as strings, list indexes as numbers, e.g.
   * `['spec', 'trafficPolicy', 'connectionPool', 'http', 'maxRequestsPerConnection']`. For an unknown field it
   * ends with the unknown key; for a missing required field it is the object that lacks it; for a duplicate
   * list-map key it is the later duplicate item. `[]` is the object itself.
   */
  path: (string | number)[];
  /** One sentence naming the field, e.g. `spec.resolution must be one of NONE, STATIC, DNS, DNS_ROUND_ROBIN, DYNAMIC_DNS`. */
  message: string;
}

type JsonSchema = { [keyword: string]: unknown };

interface CompiledSchema {
  validate: ValidateFunction;
  schema: JsonSchema;
}

/**
 * Folders of the generated schemas: `dist/src/validate/istio-schema.js` → `<package root>/schemas/istio/`, and
 * `schemas/linkerd/` (Linkerd's CRDs, `scripts/generate-linkerd-schemas.ts`), translated the same way.
 */
const SCHEMA_DIRS = [new URL('../../../schemas/istio/', import.meta.url), new URL('../../../schemas/linkerd/', import.meta.url)];
/** Generated file names: `<group>_<version>_<Kind>.json`. */
const FILE_NAME = /^([a-z0-9.-]+)_([a-z0-9]+)_([A-Za-z0-9]+)\.json$/;

let index: Map<string, { file: string; dir: URL }> | undefined;
const compiled = new Map<string, CompiledSchema>();
let ajv: AjvInstance | undefined;

function key(apiVersion: string, kind: string): string {
  return `${apiVersion}\u0000${kind}`;
}

/** Lists the schema folders once: `apiVersion␀kind` → file name and folder. A missing folder means no schemas of it. */
function schemaIndex(): Map<string, { file: string; dir: URL }> {
  if (index !== undefined) return index;
  index = new Map();
  for (const dir of SCHEMA_DIRS) {
    let names: string[] = [];
    try {
      names = readdirSync(dir);
    } catch {
      names = [];
    }
    for (const name of names) {
      const match = FILE_NAME.exec(name);
      if (match) index.set(key(`${match[1]}/${match[2]}`, match[3]!), { file: name, dir });
    }
  }
  return index;
}

/**
 * Whether a generated schema exists for `apiVersion` (`group/version`) and `kind`, i.e. whether the object is an
 * Istio networking kind meshlint validates. Case-sensitive, as the API server is. Never throws.
 */
export function hasIstioSchema(apiVersion: string, kind: string): boolean {
  return schemaIndex().has(key(apiVersion, kind));
}

/** Where the validators precompiled at build time live: `dist/src/validate/compiled/<schema file>.cjs`. */
const COMPILED_DIR = './compiled/';
/** How generated validator code reaches {@link duplicateListMapKeys} and the formats (relative to {@link COMPILED_DIR}). */
const RUNTIME_FROM_COMPILED = '../schema-runtime.cjs';

/**
 * Creates an ajv instance with the options, formats and keyword every Istio validator is compiled with.
 * With `source: true` the instance keeps the generated code so that ajv's `standaloneCode` can write it out
 * (the build's `scripts/precompile-istio-validators.ts`). Loads ajv (tens of milliseconds): call it only when
 * a schema must be compiled.
 */
export function createIstioAjv(options: { source?: boolean } = {}): AjvInstance {
  const require = createRequire(import.meta.url);
  const { Ajv, _, stringify } = require('ajv') as typeof import('ajv');
  const runtime = require('./schema-runtime.cjs') as typeof import('./schema-runtime.cjs');
  const instance = new Ajv({
    allErrors: true,
    // The generated schemas are checked against the meta-schema by the tests; skipping that here saves compile time.
    validateSchema: false,
    // Structural-schema branches such as `{required: [x]}` carry no `type`, which strict mode would complain about.
    strict: false,
    // Messages are built here from keyword and params.
    messages: false,
    // Repeated blocks are `$ref`s to `definitions` (see factorRepeatedSubschemas in the generator): compile each once.
    inlineRefs: false,
    formats: runtime.formats,
    code: { source: options.source ?? false, formats: _`require(${RUNTIME_FROM_COMPILED}).formats` },
  });
  instance.addKeyword({
    keyword: 'x-kubernetes-list-map-keys',
    type: 'array',
    schemaType: 'array',
    error: { message: 'must not repeat the key fields of an earlier item', params: ({ params }) => _`{duplicates: ${params.duplicates}}` },
    // Generated code (not a `validate` function) so that precompiled validators can reference the check.
    code(cxt) {
      const check = cxt.gen.scopeValue('func', { ref: runtime.duplicateListMapKeys, code: _`require(${RUNTIME_FROM_COMPILED}).duplicateListMapKeys` });
      const duplicates = cxt.gen.const('duplicates', _`${check}(${stringify(cxt.schema)}, ${cxt.data})`);
      cxt.setParams({ duplicates });
      cxt.fail(_`${duplicates}.length > 0`);
    },
  });
  return instance;
}

/** The shared ajv instance, created on first use (runs without Istio objects, or with precompiled validators, never load ajv). */
function getAjv(): AjvInstance {
  ajv ??= createIstioAjv();
  return ajv;
}

/**
 * The validator precompiled at build time for a schema file, when it exists and was made from this exact
 * schema text (its `schemaSha1` matches); undefined otherwise (the caller compiles with ajv).
 */
function precompiled(file: string, text: string): ValidateFunction | undefined {
  let mod: { default?: ValidateFunction; schemaSha1?: string };
  try {
    mod = createRequire(import.meta.url)(`${COMPILED_DIR}${file.replace(/\.json$/, '.cjs')}`) as typeof mod;
  } catch {
    return undefined;
  }
  if (typeof mod.default !== 'function' || mod.schemaSha1 !== schemaDigest(text)) return undefined;
  return mod.default;
}

/** SHA-1 of a schema file's text: ties a precompiled validator to the schema it was made from. */
export function schemaDigest(text: string): string {
  return createHash('sha1').update(text).digest('hex');
}

/** Reads and compiles the schema for a key, once. @throws Error when the file is unreadable or not a valid schema. */
function compiledFor(apiVersion: string, kind: string): CompiledSchema | undefined {
  const k = key(apiVersion, kind);
  const cached = compiled.get(k);
  if (cached !== undefined) return cached;
  const found = schemaIndex().get(k);
  if (found === undefined) return undefined;
  const { file, dir } = found;
  const text = readFileSync(new URL(file, dir), 'utf8');
  const schema = JSON.parse(text) as JsonSchema;
  const entry: CompiledSchema = { validate: precompiled(file, text) ?? getAjv().compile(schema), schema };
  compiled.set(k, entry);
  return entry;
}

/**
 * Validates one Istio networking object against the published CRD schema for its apiVersion/kind.
 *
 * @param apiVersion e.g. `networking.istio.io/v1`.
 * @param kind e.g. `DestinationRule`.
 * @param object the whole parsed object (with `apiVersion`, `kind`, `metadata`, `spec`), as plain JSON data.
 *   Shared subtrees (from YAML aliases) are fine; the caller must have rejected alias bombs.
 * @returns `[]` when valid; one {@link SchemaIssue} per offending field path otherwise (in document order); `null`
 *   when there is no schema for that apiVersion/kind (the caller treats the kind as not Istio networking).
 * @throws Error only when a schema file exists but cannot be read or compiled (a broken installation).
 */
export function validateIstioObject(apiVersion: string, kind: string, object: unknown): SchemaIssue[] | null {
  const entry = compiledFor(apiVersion, kind);
  if (entry === undefined) return null;
  if (entry.validate(object)) return [];
  return toIssues(entry.validate.errors ?? [], object, entry.schema);
}

// ---------------------------------------------------------------------------------------------------------------
// Turning ajv errors into issues

interface Located {
  error: ErrorObject;
  /** Path of the value the error is about (ajv's instancePath, typed). */
  at: (string | number)[];
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Splits a JSON pointer into segments; a segment is a number where the data at that level is an array. */
function parsePointer(pointer: string, data: unknown): (string | number)[] {
  if (pointer === '') return [];
  const out: (string | number)[] = [];
  let current: unknown = data;
  for (const raw of pointer.slice(1).split('/')) {
    const segment = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    if (Array.isArray(current) && /^(0|[1-9]\d*)$/.test(segment)) {
      out.push(Number(segment));
      current = current[Number(segment)];
    } else {
      out.push(segment);
      current = isPlainObject(current) ? current[segment] : undefined;
    }
  }
  return out;
}

function valueAt(data: unknown, path: readonly (string | number)[]): unknown {
  let current = data;
  for (const segment of path) {
    if (typeof segment === 'number') current = Array.isArray(current) ? current[segment] : undefined;
    else current = isPlainObject(current) ? current[segment] : undefined;
  }
  return current;
}

/** Follows a local `$ref` (`#/definitions/<name>`) to its schema. */
function deref(root: JsonSchema, node: JsonSchema | undefined): JsonSchema | undefined {
  for (let hops = 0; node !== undefined && typeof node.$ref === 'string' && hops < 16; hops++) {
    const target = schemaByPointer(root, node.$ref);
    node = isPlainObject(target) ? target : undefined;
  }
  return node;
}

/** The schema that applies at a data path (generated schemas put `properties` only outside combinators, so this is exact). */
function schemaAt(schema: JsonSchema, path: readonly (string | number)[]): JsonSchema | undefined {
  let current: JsonSchema | undefined = schema;
  for (const segment of path) {
    current = deref(schema, current);
    if (current === undefined) return undefined;
    if (typeof segment === 'number') {
      current = isPlainObject(current.items) ? current.items : undefined;
    } else {
      const properties = isPlainObject(current.properties) ? current.properties : undefined;
      const additional: unknown = current.additionalProperties;
      current = (properties?.[segment] as JsonSchema | undefined) ?? (isPlainObject(additional) ? additional : undefined);
    }
  }
  return deref(schema, current);
}

function pointerSegments(pointer: string): string[] {
  return pointer
    .replace(/^#\/?/, '')
    .split('/')
    .filter((raw) => raw !== '')
    .map((raw) => decodeURIComponent(raw).replace(/~1/g, '/').replace(/~0/g, '~'));
}

function resolveSegments(node: unknown, segments: readonly string[]): unknown {
  let current = node;
  for (const segment of segments) {
    if (Array.isArray(current)) current = current[Number(segment)];
    else if (isPlainObject(current)) current = current[segment];
    else return undefined;
  }
  return current;
}

/** Resolves a local JSON pointer (`#/definitions/spec.trafficPolicy`) in the root schema. */
function schemaByPointer(schema: JsonSchema, pointer: string): unknown {
  return resolveSegments(schema, pointerSegments(pointer));
}

/**
 * The schema node an error's keyword sits in. ajv's `schemaPath` is relative to the nearest `$ref`'d schema, so it
 * cannot be resolved from the root; instead take the schema of the data location (`at`) and follow the part of the
 * schemaPath after its last data step (`properties/<name>`, `items`, `additionalProperties`), e.g. `allOf/0/oneOf`.
 */
function keywordSchema(schema: JsonSchema, error: ErrorObject, at: readonly (string | number)[]): unknown {
  const segments = pointerSegments(error.schemaPath);
  let tail = 0;
  for (let i = 0; i < segments.length; i++) {
    if (segments[i] === 'properties') {
      i++;
      tail = i + 1;
    } else if (segments[i] === 'items' || segments[i] === 'additionalProperties') {
      tail = i + 1;
    } else if (segments[i] === 'definitions') {
      i++;
      tail = i + 1;
    }
  }
  return resolveSegments(schemaAt(schema, at), segments.slice(tail));
}

const IDENTIFIER = /^[A-Za-z_$][A-Za-z0-9_$-]*$/;

/** Renders a path the way `Location.fieldPath` does: `spec.http[0].route`; odd keys as `["app.kubernetes.io/name"]`. */
export function formatFieldPath(path: readonly (string | number)[]): string {
  let out = '';
  for (const segment of path) {
    if (typeof segment === 'number') out += `[${segment}]`;
    else if (IDENTIFIER.test(segment)) out += out === '' ? segment : `.${segment}`;
    else out += `[${JSON.stringify(segment)}]`;
  }
  return out;
}

function subject(path: readonly (string | number)[]): string {
  return path.length === 0 ? 'the object' : formatFieldPath(path);
}

/**
 * The fields of a protobuf-oneof-style `oneOf` (Istio's at-most-one-of shape:
 * `[{not: {anyOf: [{required: [a]}, …]}}, {required: [a]}, …]`), or undefined for any other `oneOf`.
 */
function atMostOneOfFields(branches: unknown): string[] | undefined {
  if (!Array.isArray(branches) || branches.length < 2) return undefined;
  const fields: string[] = [];
  for (const branch of branches.slice(1)) {
    if (!isPlainObject(branch) || Object.keys(branch).length !== 1 || !Array.isArray(branch.required) || branch.required.length !== 1) return undefined;
    fields.push(String(branch.required[0]));
  }
  return isPlainObject(branches[0]) && isPlainObject(branches[0].not) ? fields : undefined;
}

const FORMAT_TEXT: Record<string, string> = {
  int32: 'must be a 32-bit integer (-2147483648 to 2147483647)',
  int64: 'must be an integer',
  byte: 'must be base64-encoded (format byte)',
  'date-time': 'must be an RFC 3339 date-time',
};

/** Sentence for one error, or undefined to drop it. */
function describe(located: Located, data: unknown, schema: JsonSchema): { path: (string | number)[]; message: string } | undefined {
  const { error, at } = located;
  const params = error.params as Record<string, unknown>;
  const field = subject(at);
  switch (error.keyword) {
    case 'type': {
      const types = String(params.type)
        .split(',')
        .filter((t) => t !== 'null');
      return { path: at, message: `${field} must be ${types.join(' or ')}` };
    }
    case 'enum': {
      const allowed = (params.allowedValues as unknown[]).filter((v) => v !== null).map((v) => (typeof v === 'string' ? v : JSON.stringify(v)));
      return { path: at, message: `${field} must be one of ${allowed.join(', ')}` };
    }
    case 'additionalProperties': {
      const name = String(params.additionalProperty);
      const where = at.length === 0 ? 'at the top level of the object' : `in ${formatFieldPath(at)}`;
      return { path: [...at, name], message: `unknown field ${JSON.stringify(name)} ${where}` };
    }
    case 'required': {
      const name = String(params.missingProperty);
      return { path: at, message: at.length === 0 ? `missing required field ${JSON.stringify(name)}` : `${field} is missing required field ${JSON.stringify(name)}` };
    }
    case 'format': {
      const text = FORMAT_TEXT[String(params.format)];
      return { path: at, message: `${field} ${text ?? `must match format ${String(params.format)}`}` };
    }
    case 'minimum':
    case 'maximum':
    case 'exclusiveMinimum':
    case 'exclusiveMaximum':
      return { path: at, message: `${field} must be ${String(params.comparison)} ${String(params.limit)}` };
    case 'minLength':
      return { path: at, message: `${field} must be at least ${String(params.limit)} characters long` };
    case 'maxLength':
      return { path: at, message: `${field} must be at most ${String(params.limit)} characters long` };
    case 'minItems':
      return { path: at, message: `${field} must have at least ${String(params.limit)} items` };
    case 'maxItems':
      return { path: at, message: `${field} must have at most ${String(params.limit)} items` };
    case 'minProperties':
      return { path: at, message: `${field} must have at least ${String(params.limit)} entries` };
    case 'maxProperties':
      return { path: at, message: `${field} must have at most ${String(params.limit)} entries` };
    case 'pattern':
      return { path: at, message: `${field} must match the pattern ${String(params.pattern)}` };
    case 'multipleOf':
      return { path: at, message: `${field} must be a multiple of ${String(params.multipleOf)}` };
    case 'uniqueItems':
      return { path: at, message: `${field} must not repeat items (${field}[${String(params.j)}] equals ${field}[${String(params.i)}])` };
    case 'x-kubernetes-list-map-keys': {
      const keys = params.keys as string[];
      const values = params.values as unknown[];
      const index = Number(params.index);
      const item = [...at, index];
      const described = keys.map((k, i) => `${k} ${JSON.stringify(values[i] ?? null)}`).join(', ');
      return { path: item, message: `${formatFieldPath(item)} repeats ${described} of ${formatFieldPath([...at, Number(params.duplicateOf)])}; ${field} is keyed by ${keys.join(', ')}` };
    }
    case 'oneOf': {
      const fields = atMostOneOfFields(keywordSchema(schema, error, at));
      const value = valueAt(data, at);
      if (fields !== undefined && isPlainObject(value)) {
        const found = fields.filter((f) => value[f] !== undefined);
        return { path: at, message: `${field} may set only one of ${fields.join(', ')} (found ${found.join(' and ')})` };
      }
      return { path: at, message: `${field} must match exactly one of the allowed shapes` };
    }
    case 'anyOf':
      return { path: at, message: `${field} must match one of the allowed shapes` };
    case 'not':
      return { path: at, message: `${field} has a disallowed shape` };
    default:
      return { path: at, message: `${field} is invalid (${error.keyword})` };
  }
}

/** Priority when several errors land on one path: the most basic problem first. */
const PRIORITY: Record<string, number> = { additionalProperties: 0, type: 1, required: 2, enum: 3, oneOf: 5, anyOf: 5, not: 5 };

function toIssues(errors: readonly ErrorObject[], data: unknown, schema: JsonSchema): SchemaIssue[] {
  // One `x-kubernetes-list-map-keys` error lists every repeating item: one error per item.
  const expanded = errors.flatMap((error) => {
    const duplicates = error.keyword === 'x-kubernetes-list-map-keys' ? (error.params as { duplicates?: unknown }).duplicates : undefined;
    return Array.isArray(duplicates) ? duplicates.map((d) => ({ ...error, params: d as Record<string, unknown> })) : [error];
  });
  let located: Located[] = expanded.map((error) => ({ error, at: parsePointer(error.instancePath, data) }));

  // Errors inside a failed combinator's branches explain the combinator, not the object: keep the combinator's.
  // (A `$ref`'d block has one schemaPath wherever it is used, so the instance path must match too.)
  // Indexed by instance path so that many errors stay linear (each error checks only its own ancestors).
  const combinators = new Map<string, string[]>();
  for (const l of located) {
    if (l.error.keyword !== 'oneOf' && l.error.keyword !== 'anyOf' && l.error.keyword !== 'not') continue;
    const prefixes = combinators.get(l.error.instancePath) ?? [];
    prefixes.push(`${l.error.schemaPath}/`);
    combinators.set(l.error.instancePath, prefixes);
  }
  if (combinators.size > 0) {
    located = located.filter((l) => {
      let instance = l.error.instancePath;
      for (;;) {
        if (combinators.get(instance)?.some((prefix) => l.error.schemaPath.startsWith(prefix))) return false;
        if (instance === '') return true;
        instance = instance.slice(0, instance.lastIndexOf('/'));
      }
    });
  }

  // The API server prunes null in non-nullable object fields before validating: drop errors about such nulls,
  // but report a pruned required field as missing.
  const pruned: Located[] = [];
  located = located.filter((l) => {
    const last = l.at[l.at.length - 1];
    if (l.error.keyword === 'required' || l.error.keyword === 'additionalProperties' || typeof last !== 'string') return true;
    if (valueAt(data, l.at) !== null || !isPlainObject(valueAt(data, l.at.slice(0, -1)))) return true;
    const parent = l.at.slice(0, -1);
    const required = schemaAt(schema, parent)?.required;
    if (Array.isArray(required) && required.includes(last)) {
      pruned.push({ error: { ...l.error, keyword: 'required', params: { missingProperty: last } }, at: parent });
    }
    return false;
  });
  for (const p of pruned) located.push(p);

  // A value of the wrong type makes its other errors noise.
  const typed = new Set(located.filter((l) => l.error.keyword === 'type').map((l) => JSON.stringify(l.at)));
  located = located.filter((l) => l.error.keyword === 'type' || l.error.keyword === 'required' || l.error.keyword === 'additionalProperties' || !typed.has(JSON.stringify(l.at)));

  // One issue per path: required fields merged, other distinct sentences joined.
  const byPath = new Map<string, { path: (string | number)[]; entries: { keyword: string; message: string; missing?: string }[] }>();
  for (const l of located) {
    const described = describe(l, data, schema);
    if (described === undefined) continue;
    const id = JSON.stringify(described.path);
    let group = byPath.get(id);
    if (group === undefined) byPath.set(id, (group = { path: described.path, entries: [] }));
    const missing = l.error.keyword === 'required' ? String((l.error.params as Record<string, unknown>).missingProperty) : undefined;
    if (!group.entries.some((e) => e.message === described.message)) group.entries.push({ keyword: l.error.keyword, message: described.message, missing });
  }
  const issues: SchemaIssue[] = [];
  for (const { path, entries } of byPath.values()) {
    const missing = [...new Set(entries.flatMap((e) => (e.missing === undefined ? [] : [e.missing])))];
    const others = entries.filter((e) => e.missing === undefined).sort((a, b) => (PRIORITY[a.keyword] ?? 4) - (PRIORITY[b.keyword] ?? 4));
    const sentences = others.map((e) => e.message);
    if (missing.length > 1) {
      const names = missing.map((m) => JSON.stringify(m)).join(', ');
      sentences.push(path.length === 0 ? `missing required fields ${names}` : `${subject(path)} is missing required fields ${names}`);
    } else if (missing.length === 1) {
      sentences.push(entries.find((e) => e.missing !== undefined)!.message);
    }
    // "x must be A; x must be B" reads "x must be A, and must be B".
    const lead = `${subject(path)} `;
    const message = sentences.reduce((acc, sentence) => (acc === '' ? sentence : sentence.startsWith(lead) ? `${acc}, and ${sentence.slice(lead.length)}` : `${acc}; ${sentence}`), '');
    issues.push({ path, message });
  }
  return sortByDocumentOrder(issues, data);
}

/** Orders issues as their fields appear in the object (keys in insertion order, list items by index; a parent before its fields). */
function sortByDocumentOrder(issues: SchemaIssue[], data: unknown): SchemaIssue[] {
  const rank = (path: readonly (string | number)[]): number[] => {
    const out: number[] = [];
    let current = data;
    for (const segment of path) {
      if (typeof segment === 'number') {
        out.push(segment);
        current = Array.isArray(current) ? current[segment] : undefined;
      } else {
        const keys = isPlainObject(current) ? Object.keys(current) : [];
        const at = keys.indexOf(segment);
        out.push(at < 0 ? keys.length : at);
        current = isPlainObject(current) ? current[segment] : undefined;
      }
    }
    return out;
  };
  const ranked = issues.map((issue, i) => ({ issue, i, rank: rank(issue.path) }));
  ranked.sort((a, b) => {
    for (let k = 0; k < Math.min(a.rank.length, b.rank.length); k++) if (a.rank[k] !== b.rank[k]) return a.rank[k]! - b.rank[k]!;
    return a.rank.length - b.rank.length || a.i - b.i;
  });
  return ranked.map((r) => r.issue);
}
