/**
 * Generates the JSON Schemas in `schemas/istio/` from Istio's published CustomResourceDefinitions.
 *
 * Usage (from the repository root):
 *
 *   npm run build && npm run gen:schemas -- [path/to/crd-all.gen.yaml] [--istio-commit <sha>] [--out <dir>]
 *
 * - The CRD file defaults to `../shared/corpus/istio/manifests/charts/base/files/crd-all.gen.yaml` relative to
 *   the repository root (istio/istio's `manifests/charts/base/files/crd-all.gen.yaml`).
 * - The Istio commit named in each schema's `$comment` comes from `--istio-commit`, else from a `SOURCE.md`
 *   (a line containing `commit <40 hex digits>`) in the CRD file's folder or one of its parents, else from
 *   `git rev-parse HEAD` run in the CRD file's folder. If none gives a commit, the script fails.
 * - `--out` defaults to `schemas/istio` in the repository root.
 *
 * For every served version (v1, v1beta1, v1alpha3) of the networking.istio.io kinds DestinationRule,
 * VirtualService, ServiceEntry, Sidecar, Gateway and EnvoyFilter (which serves v1alpha3 only) it writes `networking.istio.io_<version>_<Kind>.json`,
 * translated from `spec.versions[].schema.openAPIV3Schema` by {@link translateSchema}, and it rewrites
 * `README.md` in the output folder. Output is deterministic (no timestamps), so re-running on the same input
 * gives byte-identical files.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readdirSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseAllDocuments } from 'yaml';

/** API group whose kinds are generated. */
export const ISTIO_NETWORKING_GROUP = 'networking.istio.io';
/** Kinds generated, in output order. */
export const ISTIO_NETWORKING_KINDS = ['DestinationRule', 'VirtualService', 'ServiceEntry', 'Sidecar', 'Gateway', 'EnvoyFilter'] as const;
/** Versions generated when the CRD serves them, in output order. */
export const ISTIO_NETWORKING_VERSIONS = ['v1', 'v1beta1', 'v1alpha3'] as const;

/**
 * Formats kept in the output: the validator (`src/validate/istio-schema.ts`) registers exactly these with ajv.
 * Any other format is dropped (and counted), so ajv never meets an unknown format.
 */
export const SUPPORTED_FORMATS: readonly string[] = ['int32', 'int64', 'float', 'double', 'byte', 'date-time'];

/** A JSON Schema object as written to disk. */
export type JsonSchema = { [keyword: string]: unknown };

/** What {@link translateSchema} did, for the README and the console summary. */
export interface TranslationStats {
  /** `x-kubernetes-validations` rules (CEL) dropped: they cannot be evaluated here. */
  celRules: number;
  /** Dropped CEL rules by their `message` (or the rule text when there is no message) → count. */
  celMessages: Record<string, number>;
  /** `x-kubernetes-int-or-string` nodes translated to `type: [integer, string]`. */
  intOrString: number;
  /** `x-kubernetes-preserve-unknown-fields` nodes (left open). */
  preserveUnknownFields: number;
  /** Objects closed with `additionalProperties: false`. */
  closedObjects: number;
  /** `nullable: true` nodes translated to a type that includes `null`. */
  nullable: number;
  /** `x-kubernetes-list-type: map` lists (kept as the `x-kubernetes-list-map-keys` keyword). */
  listMaps: number;
  /** `x-kubernetes-list-type: set` lists (translated to `uniqueItems: true`). */
  listSets: number;
  /** Formats dropped because the validator does not know them, name → count. */
  droppedFormats: Record<string, number>;
}

/** Returns zeroed {@link TranslationStats}. */
export function emptyStats(): TranslationStats {
  return {
    celRules: 0,
    celMessages: {},
    intOrString: 0,
    preserveUnknownFields: 0,
    closedObjects: 0,
    nullable: 0,
    listMaps: 0,
    listSets: 0,
    droppedFormats: {},
  };
}

/** JSON Schema keywords copied unchanged (structural schemas only allow this subset anyway). */
const COPIED = [
  'minimum',
  'maximum',
  'multipleOf',
  'minLength',
  'maxLength',
  'pattern',
  'minItems',
  'maxItems',
  'uniqueItems',
  'minProperties',
  'maxProperties',
  'required',
] as const;

/** Keywords that carry no validation: dropped. `default` is applied by the API server, not checked. */
const DROPPED = new Set(['description', 'title', 'example', 'externalDocs', 'default', 'x-kubernetes-map-type']);

/** Every keyword {@link translateSchema} understands; anything else makes it throw, so new Istio schema features are noticed. */
const KNOWN = new Set<string>([
  ...COPIED,
  ...DROPPED,
  'type',
  'format',
  'enum',
  'nullable',
  'exclusiveMinimum',
  'exclusiveMaximum',
  'properties',
  'additionalProperties',
  'items',
  'anyOf',
  'oneOf',
  'allOf',
  'not',
  'x-kubernetes-int-or-string',
  'x-kubernetes-preserve-unknown-fields',
  'x-kubernetes-embedded-resource',
  'x-kubernetes-validations',
  'x-kubernetes-list-type',
  'x-kubernetes-list-map-keys',
]);

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** `anyOf`/`allOf` of the shape Kubernetes requires beside `x-kubernetes-int-or-string` (only `type: integer|string` branches). */
function isIntOrStringBranches(value: unknown): boolean {
  return (
    Array.isArray(value) &&
    value.every((branch) => isRecord(branch) && Object.keys(branch).every((k) => k === 'type') && (branch.type === 'integer' || branch.type === 'string'))
  );
}

/**
 * Translates one node of a Kubernetes structural schema (OpenAPI v3 subset with `x-kubernetes-*` extensions)
 * into a JSON Schema (draft-07) that ajv validates the way the API server would, minus CEL:
 *
 * - `description`, `title`, `example`, `externalDocs`, `default`, `x-kubernetes-map-type`: dropped.
 * - `x-kubernetes-validations` (CEL): dropped and counted in `stats`.
 * - `x-kubernetes-int-or-string: true`: `type: ["integer", "string"]` (its `anyOf` of the two types is dropped).
 * - `x-kubernetes-preserve-unknown-fields: true`: the object stays open (known properties are still checked).
 * - `properties` without preserve-unknown-fields: `additionalProperties: false`, so unknown fields are reported
 *   as kubectl's server-side field validation (`--validate=strict`) reports them.
 * - `x-kubernetes-embedded-resource: true`: `apiVersion`, `kind` (strings) and `metadata` (object) are allowed.
 * - `nullable: true`: `null` added to `type` (and to `enum` when there is one).
 * - OpenAPI 3.0 boolean `exclusiveMinimum`/`exclusiveMaximum`: draft-07 numeric form.
 * - `format`: kept when in {@link SUPPORTED_FORMATS}, otherwise dropped and counted.
 * - `x-kubernetes-list-type: set`: `uniqueItems: true`; `map`: kept as the custom keyword
 *   `x-kubernetes-list-map-keys` (registered by the validator); `atomic`: dropped.
 *
 * @param node the schema node (parsed YAML).
 * @param stats counters updated in place.
 * @param where dotted location of the node, used in error messages.
 * @returns a new schema object; the input is not modified.
 * @throws Error when the node is not an object or uses a keyword this function does not know.
 */
export function translateSchema(node: unknown, stats: TranslationStats, where = '<root>'): JsonSchema {
  if (!isRecord(node)) throw new Error(`schema at ${where} is not an object`);
  for (const key of Object.keys(node)) {
    if (!KNOWN.has(key)) throw new Error(`unsupported schema keyword "${key}" at ${where}; update scripts/generate-istio-schemas.ts`);
  }
  const out: JsonSchema = {};
  const intOrString = node['x-kubernetes-int-or-string'] === true;
  const preserve = node['x-kubernetes-preserve-unknown-fields'] === true;
  const nullable = node.nullable === true;

  // type
  let type: unknown = node.type;
  if (intOrString) {
    stats.intOrString++;
    type = ['integer', 'string'];
  }
  if (type !== undefined) {
    if (nullable) {
      stats.nullable++;
      type = [...(Array.isArray(type) ? type : [type]), 'null'];
    }
    out.type = type;
  }

  // format
  if (typeof node.format === 'string') {
    if (SUPPORTED_FORMATS.includes(node.format)) out.format = node.format;
    else stats.droppedFormats[node.format] = (stats.droppedFormats[node.format] ?? 0) + 1;
  }

  // enum
  if (Array.isArray(node.enum)) out.enum = nullable && !node.enum.includes(null) ? [...node.enum, null] : [...node.enum];

  // copied keywords and the OpenAPI 3.0 boolean exclusive bounds
  for (const key of COPIED) if (node[key] !== undefined) out[key] = structuredClone(node[key]);
  for (const [exclusive, bound] of [
    ['exclusiveMinimum', 'minimum'],
    ['exclusiveMaximum', 'maximum'],
  ] as const) {
    const value = node[exclusive];
    if (value === true && typeof node[bound] === 'number') {
      out[exclusive] = node[bound];
      delete out[bound];
    } else if (typeof value === 'number') {
      out[exclusive] = value;
    }
  }

  // object structure
  if (isRecord(node.properties) || node['x-kubernetes-embedded-resource'] === true) {
    const properties: Record<string, JsonSchema> = {};
    if (node['x-kubernetes-embedded-resource'] === true) {
      properties.apiVersion = { type: 'string' };
      properties.kind = { type: 'string' };
      properties.metadata = { type: 'object' };
    }
    for (const [name, child] of Object.entries(isRecord(node.properties) ? node.properties : {})) {
      properties[name] = translateSchema(child, stats, `${where}.${name}`);
    }
    out.properties = properties;
  }
  if (preserve) stats.preserveUnknownFields++;
  if (node.additionalProperties !== undefined) {
    const additional = node.additionalProperties;
    out.additionalProperties = typeof additional === 'boolean' ? additional : translateSchema(additional, stats, `${where}.*`);
  } else if (out.properties !== undefined && !preserve) {
    out.additionalProperties = false;
    stats.closedObjects++;
  }
  if (node.items !== undefined) {
    if (Array.isArray(node.items)) throw new Error(`tuple "items" at ${where} is not a structural schema`);
    out.items = translateSchema(node.items, stats, `${where}[]`);
  }

  // lists
  const listType = node['x-kubernetes-list-type'];
  if (listType === 'set') {
    stats.listSets++;
    out.uniqueItems = true;
  } else if (listType === 'map') {
    const keys = node['x-kubernetes-list-map-keys'];
    if (!Array.isArray(keys) || keys.length === 0 || !keys.every((k) => typeof k === 'string')) {
      throw new Error(`x-kubernetes-list-type: map without x-kubernetes-list-map-keys at ${where}`);
    }
    stats.listMaps++;
    out['x-kubernetes-list-map-keys'] = [...keys];
  } else if (listType !== undefined && listType !== 'atomic') {
    throw new Error(`unknown x-kubernetes-list-type "${String(listType)}" at ${where}`);
  }

  // combinators
  for (const combinator of ['anyOf', 'oneOf', 'allOf'] as const) {
    const branches = node[combinator];
    if (branches === undefined) continue;
    if (intOrString && combinator !== 'oneOf' && isIntOrStringBranches(branches)) continue; // expressed by `type`
    if (!Array.isArray(branches)) throw new Error(`${combinator} at ${where} is not a list`);
    out[combinator] = branches.map((branch, i) => translateSchema(branch, stats, `${where}(${combinator}[${i}])`));
  }
  if (node.not !== undefined) out.not = translateSchema(node.not, stats, `${where}(not)`);

  // CEL
  const validations = node['x-kubernetes-validations'];
  if (Array.isArray(validations)) {
    for (const rule of validations) {
      stats.celRules++;
      const label = isRecord(rule) ? String(rule.message ?? rule.rule ?? '?') : '?';
      stats.celMessages[label] = (stats.celMessages[label] ?? 0) + 1;
    }
  }
  return out;
}

/** Subschemas at least this long (as one-line JSON) that occur more than once are moved to `definitions`. */
export const FACTOR_MIN_CHARS = 100;

/**
 * Moves every subschema that occurs more than once (at a `properties` value, `items` or `additionalProperties`
 * position) and is at least `minChars` long into `definitions`, replacing each occurrence by
 * `{"$ref": "#/definitions/<name>"}`. The name is the shortest dotted field path where the subschema occurs
 * (`items` for list items, `*` for map values), e.g. `spec.trafficPolicy.loadBalancer`.
 *
 * Istio repeats large blocks (a DestinationRule's traffic policy appears at `spec.trafficPolicy`, in every subset and,
 * minus `portLevelSettings`, in each port-level setting); compiling each block once instead of at every occurrence
 * makes ajv compile the DestinationRule schema about three times faster, and the file smaller. The validator
 * compiles with `inlineRefs: false` so a referenced block stays one function.
 *
 * Definitions used once after factoring (blocks repeated only inside another repeated block) are inlined again.
 * Pure; the result is deterministic for a given input.
 */
export function factorRepeatedSubschemas(schema: JsonSchema, minChars = FACTOR_MIN_CHARS): JsonSchema {
  type Node = JsonSchema;
  const occurrences = new Map<string, string[]>();
  const children = (node: Node, path: string): [Node, string][] => {
    const out: [Node, string][] = [];
    if (isRecord(node.properties)) for (const [k, v] of Object.entries(node.properties)) if (isRecord(v)) out.push([v, path === '' ? k : `${path}.${k}`]);
    if (isRecord(node.items)) out.push([node.items, `${path}.items`]);
    if (isRecord(node.additionalProperties)) out.push([node.additionalProperties, `${path}.*`]);
    return out;
  };
  const count = (node: Node, path: string): void => {
    for (const [child, childPath] of children(node, path)) {
      const text = JSON.stringify(child);
      if (text.length >= minChars) occurrences.set(text, [...(occurrences.get(text) ?? []), childPath]);
      count(child, childPath);
    }
  };
  count(schema, '');
  const names = new Map<string, string>();
  const taken = new Set<string>();
  for (const [text, paths] of occurrences) {
    if (paths.length < 2) continue;
    const best = [...paths].sort((a, b) => a.length - b.length || (a < b ? -1 : 1))[0]!;
    let name = best;
    for (let i = 2; taken.has(name); i++) name = `${best}.${i}`;
    taken.add(name);
    names.set(text, name);
  }
  if (names.size === 0) return schema;

  const definitions: Record<string, Node> = {};
  const uses = new Map<string, number>();
  const rewrite = (node: Node): Node => {
    const text = JSON.stringify(node);
    const name = names.get(text);
    if (name !== undefined) {
      uses.set(name, (uses.get(name) ?? 0) + 1);
      if (!(name in definitions)) {
        definitions[name] = {};
        definitions[name] = rewriteChildren(node);
      }
      return { $ref: `#/definitions/${name}` };
    }
    return rewriteChildren(node);
  };
  const rewriteChildren = (node: Node): Node => {
    const out: Node = { ...node };
    if (isRecord(node.properties)) out.properties = Object.fromEntries(Object.entries(node.properties).map(([k, v]) => [k, isRecord(v) ? rewrite(v) : v]));
    if (isRecord(node.items)) out.items = rewrite(node.items);
    if (isRecord(node.additionalProperties)) out.additionalProperties = rewrite(node.additionalProperties);
    return out;
  };
  const root = rewriteChildren(schema);

  // Inline definitions that ended up used once.
  const refName = (node: Node): string | undefined =>
    typeof node.$ref === 'string' && node.$ref.startsWith('#/definitions/') ? node.$ref.slice('#/definitions/'.length) : undefined;
  const expand = (node: Node): Node => {
    const name = refName(node);
    if (name !== undefined && uses.get(name) === 1) return expand(definitions[name]!);
    if (name !== undefined) return node;
    const out: Node = { ...node };
    if (isRecord(node.properties)) out.properties = Object.fromEntries(Object.entries(node.properties).map(([k, v]) => [k, isRecord(v) ? expand(v) : v]));
    if (isRecord(node.items)) out.items = expand(node.items);
    if (isRecord(node.additionalProperties)) out.additionalProperties = expand(node.additionalProperties);
    return out;
  };
  const result = expand(root);
  const kept = Object.keys(definitions)
    .filter((name) => (uses.get(name) ?? 0) > 1)
    .sort();
  if (kept.length > 0) result.definitions = Object.fromEntries(kept.map((name) => [name, expand(definitions[name]!)]));
  return result;
}

/** Where the CRDs came from, as named in each generated file. */
export interface SchemaSource {
  /** Path of the CRD file inside istio/istio, e.g. `manifests/charts/base/files/crd-all.gen.yaml`. */
  file: string;
  /** istio/istio commit. */
  commit: string;
}

/** One generated schema. */
export interface GeneratedSchema {
  kind: string;
  version: string;
  /** `networking.istio.io_<version>_<Kind>.json` */
  fileName: string;
  /** CRD name, e.g. `destinationrules.networking.istio.io`. */
  crdName: string;
  schema: JsonSchema;
  stats: TranslationStats;
}

/**
 * Builds the schemas for {@link ISTIO_NETWORKING_KINDS} × served {@link ISTIO_NETWORKING_VERSIONS} from the text of a
 * multi-document CRD YAML file. Pure: reads and writes nothing.
 *
 * The root of each schema allows `apiVersion`, `kind` (strings) and `metadata` (any object; ObjectMeta is not
 * checked), checks `spec`, and accepts any `status` (written by Istio through the status subresource).
 *
 * @throws Error when the YAML does not parse, a wanted kind is missing, or a schema uses an unknown keyword.
 */
export function buildIstioSchemas(crdYaml: string, source: SchemaSource): GeneratedSchema[] {
  const documents = parseAllDocuments(crdYaml);
  const crds = new Map<string, Record<string, unknown>>();
  for (const document of documents) {
    if (document.errors.length > 0) throw new Error(`CRD YAML does not parse: ${document.errors[0]!.message}`);
    const value: unknown = document.toJS();
    if (!isRecord(value) || value.kind !== 'CustomResourceDefinition' || !isRecord(value.spec)) continue;
    const names = value.spec.names;
    if (value.spec.group !== ISTIO_NETWORKING_GROUP || !isRecord(names) || typeof names.kind !== 'string') continue;
    crds.set(names.kind, value);
  }

  const generated: GeneratedSchema[] = [];
  for (const kind of ISTIO_NETWORKING_KINDS) {
    const crd = crds.get(kind);
    if (crd === undefined) throw new Error(`no CustomResourceDefinition for ${ISTIO_NETWORKING_GROUP} ${kind} in the input`);
    const crdName = isRecord(crd.metadata) ? String(crd.metadata.name) : `?.${ISTIO_NETWORKING_GROUP}`;
    const versions = (crd.spec as Record<string, unknown>).versions;
    if (!Array.isArray(versions)) throw new Error(`CRD ${crdName} has no spec.versions`);
    for (const version of ISTIO_NETWORKING_VERSIONS) {
      const entry: unknown = versions.find((v) => isRecord(v) && v.name === version);
      if (!isRecord(entry) || entry.served !== true) continue;
      const openApi = isRecord(entry.schema) ? entry.schema.openAPIV3Schema : undefined;
      if (!isRecord(openApi) || !isRecord(openApi.properties)) throw new Error(`CRD ${crdName} ${version} has no schema.openAPIV3Schema.properties`);
      const stats = emptyStats();
      const { status: _status, ...rest } = openApi.properties;
      const translated = translateSchema({ ...openApi, properties: rest }, stats, `${kind}.${version}`);
      const properties = translated.properties as Record<string, JsonSchema>;
      const fileName = `${ISTIO_NETWORKING_GROUP}_${version}_${kind}.json`;
      const schema: JsonSchema = {
        $comment:
          `Generated by meshlint scripts/generate-istio-schemas.ts from istio/istio ${source.file} at commit ${source.commit} ` +
          `(CRD ${crdName}, version ${version}, schema.openAPIV3Schema). Descriptions, status and ` +
          `x-kubernetes-validations (CEL, ${stats.celRules} rules) removed; Kubernetes extensions translated. ` +
          'Do not edit: regenerate (see README.md).',
        $schema: 'http://json-schema.org/draft-07/schema#',
        title: `${ISTIO_NETWORKING_GROUP}/${version} ${kind}`,
        type: 'object',
        properties: {
          apiVersion: { type: 'string' },
          kind: { type: 'string' },
          metadata: { type: 'object' },
          ...properties,
          status: {},
        },
      };
      for (const [key, value] of Object.entries(translated)) {
        if (key !== 'type' && key !== 'properties') schema[key] = value;
      }
      schema.additionalProperties = false;
      generated.push({ kind, version, fileName, crdName, schema: factorRepeatedSubschemas(schema), stats });
    }
  }
  return generated;
}

/**
 * Serializes a schema as written to disk: JSON indented by two spaces, except that an object or array whose
 * one-line form fits in {@link INLINE_WIDTH} characters stays on one line (keeps files small and diffs readable).
 * Ends with a newline.
 */
export function serializeSchema(schema: JsonSchema): string {
  return `${formatJson(schema, '')}\n`;
}

/** Longest one-line rendering of a nested object or array that {@link serializeSchema} keeps on one line. */
const INLINE_WIDTH = 100;

function formatJson(value: unknown, indent: string): string {
  if (typeof value !== 'object' || value === null) return JSON.stringify(value);
  const oneLine = JSON.stringify(value);
  if (indent !== '' && oneLine.length <= INLINE_WIDTH) return oneLine;
  const inner = `${indent}  `;
  if (Array.isArray(value)) {
    if (value.length === 0) return '[]';
    return `[\n${value.map((v) => inner + formatJson(v, inner)).join(',\n')}\n${indent}]`;
  }
  const entries = Object.entries(value);
  if (entries.length === 0) return '{}';
  return `{\n${entries.map(([k, v]) => `${inner}${JSON.stringify(k)}: ${formatJson(v, inner)}`).join(',\n')}\n${indent}}`;
}

/** Renders `README.md` for the output folder. */
export function renderReadme(generated: readonly GeneratedSchema[], source: SchemaSource): string {
  const totalCel = generated.reduce((n, g) => n + g.stats.celRules, 0);
  const lines: string[] = [];
  lines.push('# Istio networking schemas');
  lines.push('');
  lines.push('Generated files: do not edit by hand.');
  lines.push('');
  lines.push(
    `JSON Schemas (draft-07, validated with ajv by \`src/validate/istio-schema.ts\`) for the ${ISTIO_NETWORKING_GROUP} kinds meshlint reads, ` +
      `translated by \`scripts/generate-istio-schemas.ts\` from Istio's published CustomResourceDefinitions: ` +
      `\`${source.file}\` of [istio/istio](https://github.com/istio/istio) at commit \`${source.commit}\` ` +
      '(`spec.versions[].schema.openAPIV3Schema` of each served version). Istio releases are under the Apache License 2.0.',
  );
  lines.push('');
  lines.push('| File | CRD | Closed objects | CEL rules not checked |');
  lines.push('| --- | --- | ---: | ---: |');
  for (const g of generated) {
    lines.push(`| \`${g.fileName}\` | ${g.crdName} ${g.version} | ${g.stats.closedObjects} | ${g.stats.celRules} |`);
  }
  lines.push('');
  lines.push('## Regenerating');
  lines.push('');
  lines.push('From the repository root, with a checkout of istio/istio (or the corpus in `../shared`):');
  lines.push('');
  lines.push('```sh');
  lines.push('npm run build && npm run gen:schemas -- <path to crd-all.gen.yaml> [--istio-commit <sha>]');
  lines.push('```');
  lines.push('');
  lines.push(
    'Without a path the script reads `../shared/corpus/istio/manifests/charts/base/files/crd-all.gen.yaml`. The commit ' +
      'written into each file comes from `--istio-commit`, else from a `SOURCE.md` beside or above the CRD file, else from ' +
      '`git rev-parse HEAD` in its folder. The script rewrites every `networking.istio.io_*.json` file and this README; ' +
      'the output depends only on the input, so an unchanged input gives no diff.',
  );
  lines.push('');
  lines.push('## Translation');
  lines.push('');
  lines.push('- `description` (and `default`, `example`) text is dropped to keep the files small.');
  lines.push('- `status` is not validated (Istio writes it through the status subresource); the root allows `apiVersion`, `kind` and `metadata` (`metadata` only has to be an object).');
  lines.push('- Every object that lists `properties` and is not `x-kubernetes-preserve-unknown-fields` gets `additionalProperties: false`, so unknown fields (typos such as `maxRequestPerConnection`) are reported, as kubectl\'s server-side field validation reports them.');
  lines.push('- `x-kubernetes-preserve-unknown-fields: true` leaves the object open; `x-kubernetes-int-or-string: true` becomes `type: [integer, string]`; `nullable: true` adds `null` to the type.');
  lines.push('- `x-kubernetes-list-type: map` is kept as the keyword `x-kubernetes-list-map-keys`, which the validator registers with ajv (items must not repeat their key fields); `set` becomes `uniqueItems: true`.');
  lines.push(`- Subschemas repeated within a file (at least ${FACTOR_MIN_CHARS} characters of JSON, e.g. a DestinationRule's traffic policy, which also appears in every subset) are moved to \`definitions\`, named by the shortest field path where they occur, and referenced with \`$ref\`; ajv then compiles each once (the validator sets \`inlineRefs: false\`), which roughly halves compile time.`);
  lines.push(`- Formats kept: ${SUPPORTED_FORMATS.map((f) => `\`${f}\``).join(', ')} (the validator registers these; \`byte\` is strict base64). Others are dropped.`);
  lines.push('- The validator ignores errors on `null` values of non-nullable object fields: the API server prunes those before validating (`PruneNonNullableNullsWithoutDefaults` in k8s.io/apiextensions-apiserver).');
  lines.push('');
  lines.push('## Not checked: CEL rules');
  lines.push('');
  lines.push(
    `The CRDs carry ${totalCel} \`x-kubernetes-validations\` rules across these ${generated.length} schemas (${generated
      .map((g) => `${g.kind} ${g.version}: ${g.stats.celRules}`)
      .join(', ')}). ` +
      'They are Common Expression Language expressions, which ajv cannot evaluate, so they were dropped: objects these ' +
      'rules reject can pass here. Their messages, with how many times each occurs over all generated schemas:',
  );
  lines.push('');
  const messages: Record<string, number> = {};
  for (const g of generated) for (const [m, n] of Object.entries(g.stats.celMessages)) messages[m] = (messages[m] ?? 0) + n;
  for (const [message, count] of Object.entries(messages).sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))) {
    lines.push(`- ${count} × ${message.replace(/\s+/g, ' ').replace(/\|/g, '\\|')}`);
  }
  const dropped: Record<string, number> = {};
  for (const g of generated) for (const [f, n] of Object.entries(g.stats.droppedFormats)) dropped[f] = (dropped[f] ?? 0) + n;
  if (Object.keys(dropped).length > 0) {
    lines.push('');
    lines.push(`Formats dropped: ${Object.entries(dropped).map(([f, n]) => `\`${f}\` (${n})`).join(', ')}.`);
  }
  lines.push('');
  return lines.join('\n');
}

/** Finds the Istio commit for `crdPath`: a `SOURCE.md` naming `commit <sha>` in its folder or a parent, else `git rev-parse HEAD`. */
function detectCommit(crdPath: string): string | undefined {
  let dir = path.dirname(path.resolve(crdPath));
  for (;;) {
    const candidate = path.join(dir, 'SOURCE.md');
    if (existsSync(candidate)) {
      const match = /commit\s+([0-9a-f]{40})\b/i.exec(readFileSync(candidate, 'utf8'));
      if (match) return match[1]!.toLowerCase();
    }
    const parent = path.dirname(dir);
    if (parent === dir) break;
    dir = parent;
  }
  try {
    const sha = execFileSync('git', ['rev-parse', 'HEAD'], { cwd: path.dirname(path.resolve(crdPath)), encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
    return /^[0-9a-f]{40}$/.test(sha) ? sha : undefined;
  } catch {
    return undefined;
  }
}

/** The path of the CRD file inside istio/istio when recognisable, else its base name. */
function istioRelativePath(crdPath: string): string {
  const normalized = path.resolve(crdPath).split(path.sep).join('/');
  const at = normalized.lastIndexOf('/manifests/');
  return at >= 0 ? normalized.slice(at + 1) : path.basename(crdPath);
}

/**
 * Command-line entry point: parses `argv` (without `node` and the script), writes the schemas and README.
 * @returns the process exit code (0 on success, 2 on a usage or input error, reported on stderr).
 */
export function main(argv: readonly string[]): number {
  const repoRoot = fileURLToPath(new URL('../../', import.meta.url));
  let crdPath: string | undefined;
  let commit: string | undefined;
  let outDir = path.join(repoRoot, 'schemas', 'istio');
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--istio-commit') commit = argv[++i];
    else if (arg === '--out') outDir = path.resolve(argv[++i] ?? outDir);
    else if (arg === '-h' || arg === '--help') {
      process.stdout.write('usage: generate-istio-schemas [crd-all.gen.yaml] [--istio-commit <sha>] [--out <dir>]\n');
      return 0;
    } else if (arg.startsWith('-')) {
      process.stderr.write(`generate-istio-schemas: unknown option ${arg}\n`);
      return 2;
    } else crdPath = arg;
  }
  crdPath ??= path.join(repoRoot, '..', 'shared', 'corpus', 'istio', 'manifests', 'charts', 'base', 'files', 'crd-all.gen.yaml');
  if (!existsSync(crdPath)) {
    process.stderr.write(`generate-istio-schemas: ${crdPath} does not exist\n`);
    return 2;
  }
  commit ??= detectCommit(crdPath);
  if (commit === undefined || commit === '') {
    process.stderr.write('generate-istio-schemas: cannot tell which Istio commit the CRDs come from; pass --istio-commit <sha>\n');
    return 2;
  }
  const source: SchemaSource = { file: istioRelativePath(crdPath), commit };
  let generated: GeneratedSchema[];
  try {
    generated = buildIstioSchemas(readFileSync(crdPath, 'utf8'), source);
  } catch (error) {
    process.stderr.write(`generate-istio-schemas: ${(error as Error).message}\n`);
    return 2;
  }
  mkdirSync(outDir, { recursive: true });
  const keep = new Set(generated.map((g) => g.fileName));
  for (const name of readdirSync(outDir)) {
    if (name.startsWith(`${ISTIO_NETWORKING_GROUP}_`) && name.endsWith('.json') && !keep.has(name)) rmSync(path.join(outDir, name));
  }
  let bytes = 0;
  for (const g of generated) {
    const text = serializeSchema(g.schema);
    bytes += Buffer.byteLength(text);
    writeFileSync(path.join(outDir, g.fileName), text);
  }
  writeFileSync(path.join(outDir, 'README.md'), renderReadme(generated, source));
  const cel = generated.reduce((n, g) => n + g.stats.celRules, 0);
  process.stdout.write(
    `wrote ${generated.length} schemas (${Math.round(bytes / 1024)} KiB) and README.md to ${outDir} ` +
      `from ${source.file} @ ${source.commit}; ${cel} CEL rules dropped\n`,
  );
  return 0;
}

const invokedPath = process.argv[1];
if (invokedPath !== undefined && import.meta.url === pathToFileURL(realpathSync(invokedPath)).href) {
  process.exitCode = main(process.argv.slice(2));
}
