import { existsSync, readFileSync, statSync } from 'node:fs';
import { parseIstioVersion } from '../model/adapters/istio/versions.js';
import { basename, dirname, isAbsolute, relative, resolve } from 'node:path';
import { createRequire } from 'node:module';
import type { Ajv as AjvInstance, ErrorObject, ValidateFunction } from 'ajv';
import { lilconfigSync } from 'lilconfig';
import { UserError } from '../io.js';
import { describeFsError } from '../load/discover.js';
import { parsePortRange, parseReservedPorts } from '../node/sysctl.js';
import { allRules } from '../rules/registry.js';
import { dottedPath, parseLocated, pointerSegments, positionOf, type LocatedDocument } from './positions.js';
import type { MeshlintConfig } from './types.js';
import { formatBytes, MAX_SETTINGS_FILE_BYTES } from '../load/read.js';

/** Files a configuration is read from, in the order they are looked for in each directory. */
export const CONFIG_FILE_NAMES = ['.meshlintrc.yaml', '.meshlintrc.yml', '.meshlintrc.json', 'package.json'] as const;

/** The key of package.json that holds meshlint's configuration. */
export const PACKAGE_JSON_KEY = 'meshlint';

/** Package root: `dist/src/config/load.js` → the folder holding `schemas/`. */
const PACKAGE_ROOT = new URL('../../../', import.meta.url);

/** A configuration as read from disk. */
export interface LoadedConfig {
  /** Absolute path of the file read, or null when none was found (defaults apply). */
  file: string | null;
  /** Directory that relative paths in the configuration (ignorePatterns, source.workloads) are relative to: the file's, else the working directory. */
  dir: string;
  config: MeshlintConfig;
}

/** An invalid configuration: one line naming the file, line, column and key; exit code 2. */
export class ConfigError extends UserError {}

/**
 * Finds and reads meshlint's configuration. With `file` (`--config`), reads that file (YAML, JSON, or a
 * package.json with a `meshlint` key); otherwise walks up from `cwd` to the file-system root (or the home
 * directory, when `cwd` is inside it) and takes, in the first directory that has one, `.meshlintrc.yaml`,
 * `.meshlintrc.yml`, `.meshlintrc.json`, or a package.json with a `meshlint` key. An empty file is an empty
 * configuration. The content is validated against `schemas/config.schema.json`, each rule's options against
 * `schemas/rules/<id>.json`, and node settings as the kernel would parse them.
 * @throws ConfigError (exit 2) for a file that cannot be read or parsed, or that is invalid: the message names
 *   `file:line:column` and the key.
 */
export function loadConfig(options: { cwd: string; file?: string }): LoadedConfig {
  const parsed = new Map<string, LocatedDocument>();
  const display = (path: string) => displayPath(path, options.cwd);
  const loader = (filepath: string, content: string): unknown => {
    if (basename(filepath) === 'package.json') {
      // Most package.json files on the way up have no meshlint key: JSON.parse tells, without loading the yaml
      // package for positions (~30 ms at every start in a JavaScript repository; issue 7, cold start).
      try {
        const pkg: unknown = JSON.parse(content);
        if (pkg === null || typeof pkg !== 'object' || !(PACKAGE_JSON_KEY in pkg)) return pkg;
      } catch {
        /* invalid JSON: the located parse below reports where */
      }
    }
    const located = parseLocated(content);
    if (located.problem) {
      const p = located.problem;
      throw new ConfigError(`${display(filepath)}:${p.line}:${p.column}: invalid ${filepath.endsWith('.json') ? 'JSON' : 'YAML'}: ${p.message}`);
    }
    parsed.set(filepath, located);
    return located.doc.toJS() ?? {};
  };
  const searcher = lilconfigSync(PACKAGE_JSON_KEY, {
    searchPlaces: [...CONFIG_FILE_NAMES],
    packageProp: PACKAGE_JSON_KEY,
    ignoreEmptySearchPlaces: false,
    cache: false,
    loaders: { '.yaml': loader, '.yml': loader, '.json': loader, noExt: loader },
  });

  let result: { filepath: string; config: unknown } | null;
  try {
    if (options.file !== undefined) {
      const abs = isAbsolute(options.file) ? options.file : resolve(options.cwd, options.file);
      if (!existsSync(abs)) throw new ConfigError(`--config ${options.file}: no such file`);
      const st = statSync(abs);
      if (st.isDirectory()) throw new ConfigError(`--config ${options.file}: is a directory`);
      // Checked before reading, which has no limit of its own: `-c /dev/zero` would read forever.
      if (!st.isFile()) throw new ConfigError(`--config ${options.file}: not a regular file`);
      if (st.size > MAX_SETTINGS_FILE_BYTES) throw new ConfigError(`--config ${options.file}: file is ${formatBytes(st.size)}, over the ${formatBytes(MAX_SETTINGS_FILE_BYTES)} limit for a configuration file`);
      result = searcher.load(abs);
      if (result && basename(abs) === 'package.json' && result.config === undefined) {
        throw new ConfigError(`${display(abs)}: has no "${PACKAGE_JSON_KEY}" key`);
      }
    } else {
      result = searcher.search(options.cwd);
    }
  } catch (error) {
    if (error instanceof UserError) throw error;
    const e = error as NodeJS.ErrnoException;
    throw new ConfigError(`${e.path ? display(e.path) : (options.file ?? 'configuration')}: ${describeFsError(error)}`);
  }
  if (!result) return { file: null, dir: options.cwd, config: {} };

  const file = result.filepath;
  const config = (result.config ?? {}) as unknown;
  const located = parsed.get(file) ?? parseLocated(readFileSync(file, 'utf8'));
  const prefix = basename(file) === 'package.json' ? [PACKAGE_JSON_KEY] : [];
  const fail = (path: readonly (string | number)[], message: string): never => {
    const at = positionOf(located, [...prefix, ...path]);
    throw new ConfigError(`${display(file)}:${at.line}:${at.column}: ${path.length ? `${dottedPath(path)}: ` : ''}${message}`);
  };
  if (config === null || typeof config !== 'object' || Array.isArray(config)) {
    fail([], `the configuration must be a mapping of keys (rules, ignorePatterns, rps, node, mesh, source), not ${Array.isArray(config) ? 'a list' : typeof config}`);
  }
  const validate = configValidator();
  if (!validate(config)) {
    const { path, message } = describeSchemaError(validate.errors ?? [], config);
    fail(path, message);
  }
  checkSemantics(config as MeshlintConfig, fail);
  return { file, dir: dirname(file), config: config as MeshlintConfig };
}

/** A path relative to `cwd` when it is inside it, else absolute. */
export function displayPath(path: string, cwd: string): string {
  const rel = relative(cwd, path);
  return rel && !rel.startsWith('..') && !isAbsolute(rel) ? rel : path;
}

let compiledConfig: ValidateFunction | undefined;
const ruleValidators = new Map<string, ValidateFunction | null>();

function newAjv(): AjvInstance {
  // Loaded on first use: ajv takes ~40 ms to load, which a run without a configuration file should not pay (issue 7, cold start).
  const { Ajv } = createRequire(import.meta.url)('ajv') as typeof import('ajv');
  return new Ajv({ strict: false, allErrors: false, verbose: true });
}

/** The compiled validator of `schemas/config.schema.json`. */
function configValidator(): ValidateFunction {
  compiledConfig ??= newAjv().compile(JSON.parse(readFileSync(new URL('schemas/config.schema.json', PACKAGE_ROOT), 'utf8')));
  return compiledConfig;
}

/** The compiled validator of `schemas/rules/<id>.json`, or null when the rule ships no options schema. */
export function ruleOptionsValidator(id: string): ValidateFunction | null {
  if (!ruleValidators.has(id)) {
    const url = new URL(`schemas/rules/${id}.json`, PACKAGE_ROOT);
    ruleValidators.set(id, existsSync(url) ? newAjv().compile(JSON.parse(readFileSync(url, 'utf8'))) : null);
  }
  return ruleValidators.get(id)!;
}

/** Checks what the schema cannot: rule ids exist, rule options match their schema, node settings parse. */
function checkSemantics(config: MeshlintConfig, fail: (path: readonly (string | number)[], message: string) => never): void {
  const ids = allRules().map((r) => r.meta.id);
  for (const [id, entry] of Object.entries(config.rules ?? {})) {
    if (!ids.includes(id)) {
      const near = closest(id, ids);
      fail(['rules', id], `unknown rule "${id}"${near ? ` (did you mean ${near}?)` : ''}; meshlint rules lists them`);
    }
    if (!Array.isArray(entry) || entry.length < 2) continue;
    const validate = ruleOptionsValidator(id);
    if (!validate) fail(['rules', id, 1], `rule ${id} takes no options`);
    if (!validate!(entry[1])) {
      const { path, message } = describeSchemaError(validate!.errors ?? [], entry[1]);
      fail(['rules', id, 1, ...path], message);
    }
  }
  if (config.istio?.version !== undefined) {
    const parsed = parseIstioVersion(config.istio.version);
    if ('error' in parsed) fail(['istio', 'version'], parsed.error);
  }
  const node = config.node ?? {};
  if (node.ip_local_port_range !== undefined && !parsePortRange(node.ip_local_port_range)) {
    fail(['node', 'ip_local_port_range'], `"${node.ip_local_port_range}" is not a port range "LOW HIGH" with 1 ≤ LOW ≤ HIGH ≤ 65535 (the kernel would reject it)`);
  }
  if (node.ip_local_reserved_ports !== undefined) {
    try {
      parseReservedPorts(node.ip_local_reserved_ports);
    } catch (error) {
      fail(['node', 'ip_local_reserved_ports'], (error as Error).message);
    }
  }
}

/**
 * One message for a failed validation: the first error, in words, with the path of the key it is about.
 * A bad `rules.<id>` entry is described as a whole (its schema is an `anyOf`).
 */
export function describeSchemaError(errors: readonly ErrorObject[], data: unknown): { path: (string | number)[]; message: string } {
  const ruleEntry = errors.find((e) => /^\/rules\/[^/]+(\/0)?$/.test(e.instancePath));
  if (ruleEntry) {
    const path = pointerSegments(ruleEntry.instancePath, data).slice(0, 2);
    return { path, message: `must be off, info, warn or error, or [severity, { options }] (got ${JSON.stringify(ruleEntry.instancePath.endsWith('/0') ? (data as { rules: Record<string, unknown[]> }).rules[path[1] as string][0] : (data as { rules: Record<string, unknown> }).rules[path[1] as string])})` };
  }
  const e = errors[0];
  if (!e) return { path: [], message: 'is not valid' };
  const path = pointerSegments(e.instancePath, data);
  const got = (value: unknown) => (value === undefined ? '' : ` (got ${JSON.stringify(value)})`);
  const description = (e.parentSchema as { description?: string } | undefined)?.description;
  switch (e.keyword) {
    case 'additionalProperties': {
      const key = (e.params as { additionalProperty: string }).additionalProperty;
      const known = Object.keys((e.parentSchema as { properties?: Record<string, unknown> })?.properties ?? {});
      return { path: [...path, key], message: `unknown key${known.length ? ` (expected one of: ${known.join(', ')})` : ''}` };
    }
    case 'required':
      return { path, message: `missing required key "${(e.params as { missingProperty: string }).missingProperty}"` };
    case 'enum':
      return { path, message: `must be one of ${(e.params as { allowedValues: unknown[] }).allowedValues.map((v) => JSON.stringify(v)).join(', ')}${got(e.data)}` };
    case 'minimum':
    case 'maximum':
    case 'exclusiveMinimum':
    case 'exclusiveMaximum':
      return { path, message: `must be ${(e.params as { comparison: string }).comparison.replace('>=', '≥').replace('<=', '≤')} ${(e.params as { limit: number }).limit}${got(e.data)}` };
    case 'type':
      return { path, message: `must be ${article((e.params as { type: string }).type)}${got(e.data)}` };
    case 'pattern': {
      const name = (e.params as { propertyName?: string }).propertyName;
      if (e.propertyName !== undefined || name !== undefined) {
        const key = e.propertyName ?? name!;
        const owner = (errors.find((x) => x.keyword === 'propertyNames')?.parentSchema as { description?: string } | undefined)?.description ?? description;
        return { path: [...path, key], message: `"${key}" is not a valid key here${owner ? `: ${firstSentence(owner)}` : ''}` };
      }
      return { path, message: `${JSON.stringify(e.data)} is not valid${description ? `: ${firstSentence(description)}` : ` (must match ${(e.params as { pattern: string }).pattern})`}` };
    }
    case 'propertyNames':
      return { path: [...path, String((e.params as { propertyName: string }).propertyName)], message: 'is not a valid key here' };
    default:
      return { path, message: `${e.message ?? 'is not valid'}${got(e.data)}` };
  }
}

function article(type: string): string {
  return type === 'integer' ? 'a whole number' : type === 'object' ? 'a mapping' : type === 'array' ? 'a list' : /^[aeiou]/.test(type) ? `an ${type}` : `a ${type}`;
}

function firstSentence(text: string): string {
  const end = text.search(/\.\s|\.$/);
  return end === -1 ? text : text.slice(0, end);
}

/** The candidate closest to `word` by edit distance, when it is close enough to be a typo (≤ 3 edits). */
function closest(word: string, candidates: readonly string[]): string | undefined {
  let best: { id: string; d: number } | undefined;
  for (const c of candidates) {
    const d = editDistance(word, c);
    if (d <= 3 && (!best || d < best.d)) best = { id: c, d };
  }
  return best?.id;
}

/** Levenshtein distance (insertions, deletions, substitutions). */
function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) row[j] = Math.min(prev[j] + 1, row[j - 1] + 1, prev[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
    prev = row;
  }
  return prev[b.length];
}
