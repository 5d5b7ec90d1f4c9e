/**
 * Lazy loading of the ast-grep engine and of the tree-sitter grammars meshlint scans (Go, Python, Java).
 *
 * `@ast-grep/napi` ships only web languages built in; Go, Python and Java come as prebuilt dynamic libraries in
 * `@ast-grep/lang-go`, `@ast-grep/lang-python` and `@ast-grep/lang-java`. Loading a grammar costs a few tens of
 * milliseconds, so nothing is imported until a file of that language is scanned.
 *
 * `registerDynamicLanguage` takes effect only once per process: the registry is a global cell that can be set
 * once, and later calls are silently ignored (measured with @ast-grep/napi 0.51.2: registering `{ go, python }`
 * after `{ go }` leaves python unavailable; ast-grep/ast-grep#2669). So the languages of a process are
 * registered in one batch, on the first call, and a later call that needs a language outside that batch fails
 * with a clear message. Callers that scan several batches in one process (the evaluation, tests) register the
 * union up front with {@link registerLanguages}.
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
type Registration = { libraryPath: string; extensions: string[]; languageSymbol?: string; metaVarChar?: string; expandoChar?: string };

let napiPromise: Promise<Napi> | undefined;
const registered = new Map<TsLanguage, Registration>();
/** Languages whose grammar could not be loaded in the one registration, with why. */
const failed = new Map<TsLanguage, string>();
let registrationDone = false;

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
 * Registers the grammars of `langs` with @ast-grep/napi — on the first call only (see the module comment).
 * A grammar whose package or prebuilt library is missing is left out (the others still register) and reported
 * in `unavailable`; so is a language asked for after the registration was made without it. Never throws for a
 * missing grammar.
 */
export async function registerLanguages(langs: Iterable<TsLanguage>): Promise<{ napi: Napi; unavailable: Map<TsLanguage, string> }> {
  const napi = await loadNapi();
  const wanted = [...new Set(langs)];
  const unavailable = new Map<TsLanguage, string>();
  if (!registrationDone) {
    for (const lang of wanted) {
      try {
        const reg = await importRegistration(lang);
        // The prebuild lookup runs in this getter; a throw here would abort the whole batch.
        void reg.libraryPath;
        registered.set(lang, reg);
      } catch (e) {
        failed.set(lang, `the ${lang} grammar (@ast-grep/lang-${lang}) could not be loaded: ${(e as Error).message}`);
      }
    }
    if (registered.size > 0) napi.registerDynamicLanguage(Object.fromEntries(registered));
    registrationDone = registered.size > 0;
  }
  for (const lang of wanted) {
    if (registered.has(lang)) continue;
    unavailable.set(
      lang,
      failed.get(lang) ??
        `the ${lang} grammar was not registered: @ast-grep/napi registers languages once per process (already: ${[...registered.keys()].join(', ')}); scan all Go/Python/Java files in one call`,
    );
  }
  return { napi, unavailable };
}

/** Makes `langs` available to `parse`. Throws when one of them cannot be (see {@link registerLanguages}). */
export async function ensureLanguages(langs: Iterable<TsLanguage>): Promise<Napi> {
  const { napi, unavailable } = await registerLanguages(langs);
  const first = unavailable.values().next();
  if (!first.done) throw new Error(first.value);
  return napi;
}

/** Parses `source` as `lang`; `ensureLanguages([lang])` must have resolved first. */
export function parseSource(napi: Napi, lang: TsLanguage, source: string): SgRoot {
  return napi.parse(lang, source);
}

export type { SgNode, SgRoot };
