/**
 * Lazy loading of the ast-grep engine and of the tree-sitter grammars meshlint scans (Go, Python, Java).
 *
 * `@ast-grep/napi` ships only web languages built in; Go, Python and Java come as prebuilt dynamic libraries in
 * `@ast-grep/lang-go`, `@ast-grep/lang-python` and `@ast-grep/lang-java`. Loading a grammar costs a few tens of
 * milliseconds, so nothing is imported until a file that needs tree-sitter is scanned.
 *
 * `registerDynamicLanguage` takes effect only once per process, so every grammar meshlint uses is registered in
 * one batch when the first is needed (see {@link registerAllGrammars}).
 */
import { createRequire } from 'node:module';
import type { SgNode, SgRoot } from '@ast-grep/napi';

/** Languages the tree-sitter scanner handles. */
export type TsLanguage = 'go' | 'python' | 'java';

/** File extension (with the dot, lower-case) → language. */
export const EXTENSION_LANGUAGE: Readonly<Record<string, TsLanguage>> = {
  '.go': 'go',
  '.py': 'python',
  '.java': 'java',
};

/** The `@ast-grep/napi` module. */
export type Napi = typeof import('@ast-grep/napi');
/** A dynamic grammar as `@ast-grep/lang-*` packages export it. */
export type Registration = { libraryPath: string; extensions: string[]; languageSymbol?: string; metaVarChar?: string; expandoChar?: string };

/** Every dynamic grammar meshlint uses: the source languages, and Bash for container scripts (`src/node/shell.ts`). */
export const DYNAMIC_GRAMMARS = ['go', 'python', 'java', 'bash'] as const;
export type DynamicGrammar = (typeof DYNAMIC_GRAMMARS)[number];

const require = createRequire(import.meta.url);
let napiLoaded: Napi | undefined;
/** Grammars registered in the one registration of this process. */
const registered = new Set<DynamicGrammar>();
/** Grammars whose package or prebuilt library could not be loaded, with why. */
const failed = new Map<DynamicGrammar, string>();
/** The character each registered grammar's patterns use in place of `$` when parsed (`expandoChar`; `$` when unset). */
const expando = new Map<DynamicGrammar, string>();
let registrationDone = false;

/** Imports `@ast-grep/napi` once (synchronously: it is a CommonJS native addon). */
function napiSync(): Napi {
  napiLoaded ??= require('@ast-grep/napi') as Napi;
  return napiLoaded;
}

/** Imports `@ast-grep/napi` once. */
export async function loadNapi(): Promise<Napi> {
  return napiSync();
}

/**
 * Registers every grammar of {@link DYNAMIC_GRAMMARS} with @ast-grep/napi in one batch, the first time any is
 * needed, and returns the engine. One batch because `registerDynamicLanguage` takes effect only once per process:
 * later calls are silently ignored (measured with @ast-grep/napi 0.51.2: `{ go }` then `{ go, python }` leaves
 * python unavailable; ast-grep/ast-grep#2669). Registering all four costs about 2 ms more than one (the grammars are
 * prebuilt shared libraries, opened lazily by tree-sitter), so this is cheaper than any scheme that guesses which
 * languages a process will meet. A grammar that cannot be loaded is left out and recorded in `failed`; never throws
 * for one.
 * @throws Error when `@ast-grep/napi` itself cannot be loaded.
 */
export function registerAllGrammars(): Napi {
  const napi = napiSync();
  if (registrationDone) return napi;
  registrationDone = true;
  const batch: Record<string, Registration> = {};
  for (const name of DYNAMIC_GRAMMARS) {
    try {
      const reg = require(`@ast-grep/lang-${name}`) as Registration;
      void reg.libraryPath; // the prebuild lookup runs in this getter; a throw here must not abort the batch
      batch[name] = reg;
      registered.add(name);
      expando.set(name, reg.expandoChar ?? '$');
    } catch (e) {
      failed.set(name, `the ${name} grammar (@ast-grep/lang-${name}) could not be loaded: ${(e as Error).message}`);
    }
  }
  if (registered.size) napi.registerDynamicLanguage(batch);
  return napi;
}

/**
 * The engine with the grammars of `langs` available (see {@link registerAllGrammars}), and those that are not,
 * with why. Never throws for a missing grammar.
 */
export async function registerLanguages(langs: Iterable<DynamicGrammar>): Promise<{ napi: Napi; unavailable: Map<DynamicGrammar, string> }> {
  const napi = registerAllGrammars();
  const unavailable = new Map<DynamicGrammar, string>();
  for (const lang of new Set(langs)) if (!registered.has(lang)) unavailable.set(lang, failed.get(lang) ?? `the ${lang} grammar is not registered`);
  return { napi, unavailable };
}

/** Makes `langs` available to `parse`. Throws when one of them cannot be (see {@link registerLanguages}). */
export async function ensureLanguages(langs: Iterable<DynamicGrammar>): Promise<Napi> {
  const { napi, unavailable } = await registerLanguages(langs);
  const first = unavailable.values().next();
  if (!first.done) throw new Error(first.value);
  return napi;
}

/** The engine with `name` registered, synchronously (for `src/node/shell.ts`). @throws Error when it is unavailable. */
export function grammarSync(name: DynamicGrammar): Napi {
  const napi = registerAllGrammars();
  if (!registered.has(name)) throw new Error(failed.get(name) ?? `the ${name} grammar is not registered`);
  return napi;
}

/** Parses `source` as `lang`; `ensureLanguages([lang])` must have resolved first. */
export function parseSource(napi: Napi, lang: TsLanguage, source: string): SgRoot {
  return napi.parse(lang, source);
}

/**
 * The texts of the nodes of `kind` in ast-grep pattern text, parsed the way the engine parses patterns
 * (metavariables' `$` replaced by the grammar's `expandoChar`, which `@ast-grep/lang-go` and `@ast-grep/lang-python`
 * set to `µ`), with `$` restored. For the rule pre-filter (`rule-words.ts`): the node a `{ context, selector }`
 * pattern selects is one of them. The grammar of `lang` must be registered.
 */
export function patternNodeTexts(napi: Napi, lang: TsLanguage): (pattern: string, kind: string) => string[] {
  const char = expando.get(lang) ?? '$';
  return (pattern, kind) =>
    napi
      .parse(lang, pattern.replaceAll('$', char))
      .root()
      .findAll({ rule: { kind } })
      .map((n) => n.text().replaceAll(char, '$'));
}

export type { SgNode, SgRoot };
