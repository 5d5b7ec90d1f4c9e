/**
 * Lazy loading of the ast-grep engine and of the tree-sitter grammars meshlint scans (Go, Python, Java).
 *
 * `@ast-grep/napi` ships only web languages built in; Go, Python and Java come as prebuilt dynamic libraries in
 * `@ast-grep/lang-go`, `@ast-grep/lang-python` and `@ast-grep/lang-java`. Loading a grammar costs a few tens of
 * milliseconds, so nothing is imported until a file of that language is scanned.
 *
 * `registerDynamicLanguage` replaces the whole set of dynamic languages on every call (measured with
 * @ast-grep/napi 0.51: registering `{ python }` after `{ go }` makes `go` unavailable), so this module keeps
 * the cumulative set and re-registers all of it whenever a new language is added.
 */
import type { SgNode, SgRoot } from '@ast-grep/napi';

/** Languages the tree-sitter scanner handles. */
export type TsLanguage = 'go' | 'python' | 'java';

/** File extension (with the dot, lower-case) → language. */
export const EXTENSION_LANGUAGE: Readonly<Record<string, TsLanguage>> = {
  '.go': 'go',
  '.py': 'python',
  '.java': 'java',
};

type Napi = typeof import('@ast-grep/napi');
/** A dynamic grammar as `@ast-grep/lang-*` packages export it. */
export type Registration = { libraryPath: string; extensions: string[]; languageSymbol?: string; metaVarChar?: string; expandoChar?: string };

let napiPromise: Promise<Napi> | undefined;
const registered = new Map<string, Registration>();

/** Imports `@ast-grep/napi` once. */
export function loadNapi(): Promise<Napi> {
  napiPromise ??= import('@ast-grep/napi');
  return napiPromise;
}

async function importRegistration(lang: TsLanguage): Promise<Registration> {
  // Literal specifiers so that bundlers and `tsc` see each import; each is loaded only when needed.
  switch (lang) {
    case 'go':
      return ((await import('@ast-grep/lang-go')) as { default: Registration }).default;
    case 'python':
      return ((await import('@ast-grep/lang-python')) as { default: Registration }).default;
    case 'java':
      return ((await import('@ast-grep/lang-java')) as { default: Registration }).default;
  }
}

/**
 * Makes `langs` available to `parse`. Grammars already registered are kept; the call is cheap when nothing
 * new is asked for. Throws when a grammar package is missing or its prebuilt library cannot be loaded.
 */
export async function ensureLanguages(langs: Iterable<TsLanguage>): Promise<Napi> {
  const napi = await loadNapi();
  let added = false;
  for (const lang of langs) {
    if (registered.has(lang)) continue;
    registered.set(lang, await importRegistration(lang));
    added = true;
  }
  if (added) napi.registerDynamicLanguage(Object.fromEntries(registered));
  return napi;
}

/**
 * Adds a grammar that is not one of {@link TsLanguage} (e.g. `bash`, used by `src/node/shell.ts` for container
 * scripts) to the same cumulative set, synchronously, so that registering it does not drop Go, Python or Java
 * (and their later registration does not drop it). No-op when `name` is already registered.
 */
export function registerGrammar(napi: Napi, name: string, registration: Registration): void {
  if (registered.has(name)) return;
  registered.set(name, registration);
  napi.registerDynamicLanguage(Object.fromEntries(registered));
}

/** Parses `source` as `lang`; `ensureLanguages([lang])` must have resolved first. */
export function parseSource(napi: Napi, lang: TsLanguage, source: string): SgRoot {
  return napi.parse(lang, source);
}

export type { SgNode, SgRoot };
