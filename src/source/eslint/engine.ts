/**
 * Loads the JS/TS scanner's engine — ESLint's `Linter` (`eslint/universal`) and `@typescript-eslint/parser` —
 * as fast as this install allows (issue 17: a one-file pre-commit run of a TypeScript file spent most of its
 * start-up loading them: ~600 CommonJS files of ESLint and typescript-eslint, then `typescript`, ~9 MB of JS).
 *
 * `npm run build` (scripts/bundle-cli.ts) writes, next to the CLI bundle in `dist/bundle/`:
 * - `eslint-engine.cjs`: ESLint's Linter and the parser in one CommonJS file (`typescript` stays a package);
 * - `code-cache.json` and `*.v8-cache`: V8 code caches of that file and of the installed `typescript`, made by
 *   running a sample lint at build time (`vm.Script#createCachedData`), so V8 reuses compiled code instead of
 *   parsing ~14 MB of JavaScript again.
 *
 * At run time each cache is used only when it was made from the same file — the same length in bytes, and for
 * `typescript` the same package version (npm packages do not change within a version; V8 itself checks only
 * the length, its own version and its flags, and compiles as usual when one differs) — hashing the ~14 MB
 * instead cost ~65 ms of CPU. When the
 * bundle is missing (dist/ built by `tsc` alone) or was made from other versions of eslint or the parser than
 * those installed, the packages are imported as usual. Findings do not depend on the path taken: the same
 * code runs. Nothing is written at run time.
 */
import { readFileSync } from 'node:fs';
import { Module, createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import vm from 'node:vm';
import type { Linter as LinterType } from 'eslint';
import { createOxcParser, type OxcParse, type OxcParserParts } from './oxc-parser.js';

/** What the scanner needs from ESLint and typescript-eslint. */
export interface EslintEngine {
  Linter: typeof LinterType;
  parser: LinterType.Parser;
  /** How it was loaded: `bundle+cache` (all caches accepted), `bundle` (some cache missing or rejected), `packages`. */
  loadedFrom: 'bundle+cache' | 'bundle' | 'packages';
}

/** The build's record of the engine bundle: versions it was made from, and one entry per code cache. */
export interface CodeCacheIndex {
  /** Package name → version bundled into `eslint-engine.cjs` (eslint, @typescript-eslint/parser). */
  bundled: Record<string, string>;
  /** Module file (relative to dist/bundle, or `typescript` for the installed package) → its cache. */
  caches: Record<string, CodeCacheEntry>;
}

/** `dist/bundle/`, from `dist/src/source/eslint/`. */
export const ENGINE_DIR: string = fileURLToPath(new URL('../../../bundle/', import.meta.url));
/** The engine bundle, relative to {@link ENGINE_DIR}. */
export const ENGINE_FILE = 'eslint-engine.cjs';
/** The index of code caches, relative to {@link ENGINE_DIR}. */
export const CACHE_INDEX_FILE = 'code-cache.json';
/** Packages bundled into {@link ENGINE_FILE}, whose installed versions must match the build's. */
export const BUNDLED_PACKAGES: readonly string[] = ['eslint', '@typescript-eslint/parser'];

/** What a code cache was made from: the module's length in bytes (UTF-8) and its package's version, if any. */
export interface CodeCacheEntry {
  bytes: number;
  version?: string;
  /** The cache file, relative to {@link ENGINE_DIR}. */
  cache: string;
}

/** A CommonJS module compiled with `vm.Script` (with a code cache when one is given and fits). */
export interface CompiledModule {
  exports: unknown;
  /** The compiled script; undefined when the module was already loaded (in `require.cache`) and is not run again. */
  script: vm.Script | undefined;
  /** The module's text. */
  text: string;
  /** True when V8 took the given cache. */
  cacheAccepted: boolean;
}

/**
 * Runs the CommonJS file `file` the way `require` would (the module wrapper, its own `require`), compiled
 * with `cachedData` when given, and puts it in `require.cache` so that later `require`s of it get this instance.
 * A file already in `require.cache` is not run again.
 */
export function runCommonJs(file: string, cachedData?: Buffer, text: string = readFileSync(file, 'utf8')): CompiledModule {
  const requireFrom = createRequire(file);
  const existing = requireFrom.cache[file];
  if (existing) return { exports: existing.exports, script: undefined, text, cacheAccepted: false };
  const script = new vm.Script(Module.wrap(text), { filename: file, cachedData });
  const cacheAccepted = cachedData !== undefined && !script.cachedDataRejected;
  const mod = new Module(file);
  mod.filename = file;
  mod.paths = (Module as unknown as { _nodeModulePaths?: (dir: string) => string[] })._nodeModulePaths?.(path.dirname(file)) ?? [];
  requireFrom.cache[file] = mod;
  try {
    const wrapper = script.runInThisContext() as (exports: unknown, require: NodeJS.Require, module: Module, filename: string, dirname: string) => void;
    wrapper.call(mod.exports, mod.exports, requireFrom, mod, file, path.dirname(file));
  } catch (error) {
    delete requireFrom.cache[file];
    throw error;
  }
  mod.loaded = true;
  return { exports: mod.exports, script, text, cacheAccepted };
}

/** The installed version of `name` as seen from `from` (a file), or undefined when it cannot be read. */
function installedVersion(from: string, name: string): string | undefined {
  try {
    return (JSON.parse(readFileSync(createRequire(from).resolve(`${name}/package.json`), 'utf8')) as { version?: string }).version;
  } catch {
    return undefined;
  }
}

/** The cache index of the build, or undefined when there is none (or it cannot be read). */
function readIndex(): CodeCacheIndex | undefined {
  try {
    return JSON.parse(readFileSync(path.join(ENGINE_DIR, CACHE_INDEX_FILE), 'utf8')) as CodeCacheIndex;
  } catch {
    return undefined;
  }
}

/**
 * Loads `file` (key `key` in the index; `version`: its package's installed version, if any) with its code cache
 * when the index has one made from a file of the same length and version.
 */
function loadCached(index: CodeCacheIndex, key: string, file: string, version?: string): CompiledModule {
  const bytes = readFileSync(file);
  const entry = index.caches[key];
  let cachedData: Buffer | undefined;
  if (entry && entry.bytes === bytes.length && entry.version === version) {
    try {
      cachedData = readFileSync(path.join(ENGINE_DIR, entry.cache));
    } catch {
      cachedData = undefined;
    }
  }
  return runCommonJs(file, cachedData, bytes.toString('utf8'));
}

/** What {@link loadBundledEngine} returns: the engine and its compiled modules (the build makes caches of them). */
export interface BundledEngine {
  engine: EslintEngine;
  bundle: CompiledModule;
  /**
   * Loads `typescript` (with its code cache) and returns @typescript-eslint/parser from the bundle: what the
   * engine's parser falls back to when oxc reports a syntax error. The build calls it to make the cache.
   */
  typescriptParser: () => { parser: LinterType.Parser; typescript: CompiledModule };
}

/** What the engine bundle exports (scripts/bundle-cli.ts writes its entry). */
interface EngineBundleExports {
  Linter: typeof LinterType;
  analyze: OxcParserParts['analyze'];
  visitorKeys: OxcParserParts['visitorKeys'];
  /** A getter: @typescript-eslint/parser (and so `typescript`) is loaded on first read. */
  readonly parser: LinterType.Parser;
}

/**
 * Loads the engine from `dist/bundle/eslint-engine.cjs` with its code cache; `typescript` is loaded (with its
 * cache) only if a file needs the fallback parser. Undefined when there is no bundle or it was made from other
 * versions of the bundled packages than those installed. `parseSync` is oxc-parser's (an ES module, imported
 * by the caller); undefined when oxc-parser cannot load here, and then every file is parsed by @typescript-eslint/parser. `index` defaults to the build's `code-cache.json`; the build passes an empty one to make the caches.
 */
export function loadBundledEngine(parseSync: OxcParse | undefined, index: CodeCacheIndex | undefined = readIndex()): BundledEngine | undefined {
  const engineFile = path.join(ENGINE_DIR, ENGINE_FILE);
  if (!index || BUNDLED_PACKAGES.some((name) => installedVersion(engineFile, name) !== index.bundled[name])) return undefined;
  let typescriptFile: string;
  try {
    typescriptFile = createRequire(engineFile).resolve('typescript');
  } catch {
    return undefined;
  }
  const bundle = loadCached(index, ENGINE_FILE, engineFile);
  const exported = bundle.exports as EngineBundleExports;
  let typescriptLoaded: { parser: LinterType.Parser; typescript: CompiledModule } | undefined;
  const typescriptParser = (): { parser: LinterType.Parser; typescript: CompiledModule } => {
    // typescript first, so that the bundle's `require('typescript')` finds this instance in require.cache.
    typescriptLoaded ??= {
      typescript: loadCached(index, 'typescript', typescriptFile, installedVersion(engineFile, 'typescript')),
      parser: exported.parser,
    };
    return typescriptLoaded;
  };
  const parser = parseSync
    ? createOxcParser({ parseSync, analyze: exported.analyze, visitorKeys: exported.visitorKeys, fallback: () => typescriptParser().parser })
    : typescriptParser().parser;
  return { engine: { Linter: exported.Linter, parser, loadedFrom: bundle.cacheAccepted ? 'bundle+cache' : 'bundle' }, bundle, typescriptParser };
}

/** Loads the engine: the build's bundle with its code caches when it fits this install, else the packages. */
export async function loadEslintEngine(): Promise<EslintEngine> {
  const parseSync = await importOxcParse();
  let bundled: BundledEngine | undefined;
  try {
    bundled = loadBundledEngine(parseSync);
  } catch {
    // A bundle or cache that cannot be read or run (a partial dist/): the packages below are the same code.
    bundled = undefined;
  }
  if (bundled) return bundled.engine;
  const [eslint, parser] = await Promise.all([import('eslint/universal'), oxcParserFromPackages()]);
  return { Linter: eslint.Linter, parser, loadedFrom: 'packages' };
}

/**
 * oxc-parser's `parseSync`, or undefined when its native binary cannot load (a platform it ships none for, or an
 * install with `--omit=optional`): the scanner then parses every file with @typescript-eslint/parser, as before.
 */
async function importOxcParse(): Promise<OxcParse | undefined> {
  try {
    return (await import('oxc-parser')).parseSync as unknown as OxcParse;
  } catch {
    return undefined;
  }
}

/**
 * The scanner's parser (oxc-parser, @typescript-eslint/parser as the fallback on syntax errors) built from the
 * installed packages rather than the build's bundle. `npm run bench`'s bare ESLint uses it too, so that the
 * bench compares meshlint with ESLint running the same parser.
 */
export async function oxcParserFromPackages(): Promise<LinterType.Parser> {
  const [parseSync, scopeManager, keys] = await Promise.all([importOxcParse(), import('@typescript-eslint/scope-manager'), import('@typescript-eslint/visitor-keys')]);
  const requireHere = createRequire(import.meta.url);
  if (!parseSync) return requireHere('@typescript-eslint/parser') as LinterType.Parser;
  return createOxcParser({
    parseSync,
    analyze: scopeManager.analyze as unknown as OxcParserParts['analyze'],
    visitorKeys: keys.visitorKeys as OxcParserParts['visitorKeys'],
    fallback: () => requireHere('@typescript-eslint/parser') as LinterType.Parser,
  });
}
