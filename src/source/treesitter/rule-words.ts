/**
 * A literal pre-filter for the ast-grep rules: the words (identifiers, keywords) a file must contain for a rule to
 * be able to match in it, derived once per rule from its `rule` object, so that `findAll` runs only where a match
 * is possible.
 *
 * Why: `@ast-grep/napi` compiles the rule config on every `findAll` call (each `pattern` is parsed by tree-sitter
 * again) and has no way to keep a compiled rule; compiling was about 80% of the time rules took (measured with
 * 0.51.2 over the bench's generated tree: 2.8 ms per Go file, 5.6 ms per Python file for ~40 rules, against
 * 0.2–0.4 ms of matching). Most rules name a library (`http.Transport`, `requests.get`, `OkHttpClient`) that most
 * files never mention.
 *
 * Soundness: a `pattern` matches only nodes whose leaves carry the pattern's own text (the default `smart`
 * strictness compares every pattern node; https://ast-grep.github.io/advanced/match-algorithm.html), so each
 * non-metavariable word of the pattern occurs in a matching file. `all` and the fields of one rule object need
 * all their parts; `any` needs one branch; `has`, `inside`, `follows` and `precedes` need their target to exist
 * in the same file; `matches` needs its utility rule. Everything else (`kind`, `regex`, `not`, `nthChild`,
 * `range`, constraints, a `strictness` other than the default) requires nothing, so the filter can only skip a
 * rule that could not have matched.
 */
import type { NapiConfig } from '@ast-grep/napi';

/** What a file must contain for a rule to match: every word of an `all`, one branch of an `any`. */
export type WordRequirement = { all: WordRequirement[] } | { any: WordRequirement[] } | { word: string };

/** Texts of the nodes of `kind` in pattern text parsed as the rule's language (for `{ context, selector }` patterns; `languages.ts`). */
export type ContextParser = (context: string, kind: string) => string[];

const ALWAYS: WordRequirement = { all: [] };
/** ast-grep metavariables: `$A`, `$$$ARGS`, `$_` (https://ast-grep.github.io/guide/pattern-syntax.html). */
const METAVARIABLE = /\$+[A-Z_][A-Z0-9_]*/g;
const WORD = /[A-Za-z_][A-Za-z0-9_]*/g;

/** Words of pattern text, metavariables left out; `_` alone (Go's blank identifier, a wildcard-like name) too. */
function wordsOf(pattern: string): string[] {
  return [...new Set(pattern.replace(METAVARIABLE, ' ').match(WORD) ?? [])].filter((w) => w !== '_');
}

const allOf = (parts: WordRequirement[]): WordRequirement => {
  const kept = parts.filter((p) => !('all' in p && p.all.length === 0));
  return kept.length === 1 ? kept[0]! : { all: kept };
};

/** Words every node of kind `selector` in the parsed `context` contains (the engine matches one of them). */
function selectedWords(context: string, selector: string, parse: ContextParser | undefined): string[] {
  if (!parse) return [];
  let texts: string[];
  try {
    texts = parse(context, selector);
  } catch {
    return [];
  }
  if (texts.length === 0) return [];
  let common = new Set(wordsOf(texts[0]!));
  for (const t of texts.slice(1)) {
    const mine = new Set(wordsOf(t));
    common = new Set([...common].filter((w) => mine.has(w)));
  }
  return [...common];
}

/**
 * The words `rule` needs (see the module comment). `utils` are the rule document's utility rules, for `matches`.
 * `parse` parses a `{ context, selector }` pattern's context; without it such patterns require nothing.
 */
export function requiredWords(rule: unknown, utils: Readonly<Record<string, unknown>> = {}, parse?: ContextParser, seen: ReadonlySet<string> = new Set()): WordRequirement {
  if (typeof rule !== 'object' || rule === null || Array.isArray(rule)) return ALWAYS;
  const r = rule as Record<string, unknown>;
  const parts: WordRequirement[] = [];
  const p = r['pattern'];
  if (typeof p === 'string') parts.push(allOf(wordsOf(p).map((word) => ({ word }))));
  else if (typeof p === 'object' && p !== null) {
    const o = p as Record<string, unknown>;
    const strict = o['strictness'] === undefined || o['strictness'] === 'smart' || o['strictness'] === 'cst';
    if (strict && typeof o['context'] === 'string') {
      const words = typeof o['selector'] === 'string' ? selectedWords(o['context'], o['selector'], parse) : wordsOf(o['context']);
      parts.push(allOf(words.map((word) => ({ word }))));
    }
  }
  for (const relation of ['has', 'inside', 'follows', 'precedes']) {
    if (r[relation] !== undefined) parts.push(requiredWords(r[relation], utils, parse, seen));
  }
  if (Array.isArray(r['all'])) for (const c of r['all']) parts.push(requiredWords(c, utils, parse, seen));
  if (Array.isArray(r['any'])) {
    const branches = r['any'].map((c) => requiredWords(c, utils, parse, seen));
    // One branch that needs nothing makes the whole `any` need nothing.
    if (!branches.some((b) => 'all' in b && b.all.length === 0)) parts.push(branches.length === 1 ? branches[0]! : { any: branches });
  }
  const util = r['matches'];
  if (typeof util === 'string' && !seen.has(util) && utils[util] !== undefined) parts.push(requiredWords(utils[util], utils, parse, new Set([...seen, util])));
  return allOf(parts);
}

/** The words a rule config (`{ rule, utils }`) needs. */
export function configWords(config: NapiConfig, parse?: ContextParser): WordRequirement {
  return requiredWords(config.rule, (config.utils ?? {}) as Record<string, unknown>, parse);
}

/**
 * Whether `text` can satisfy `req`. `present` memoizes `text.includes(word)` per word for one file (a word is
 * looked up once however many rules need it).
 */
export function wordsPresent(req: WordRequirement, text: string, present: Map<string, boolean>): boolean {
  if ('word' in req) {
    let hit = present.get(req.word);
    if (hit === undefined) {
      hit = text.includes(req.word);
      present.set(req.word, hit);
    }
    return hit;
  }
  if ('all' in req) return req.all.every((r) => wordsPresent(r, text, present));
  return req.any.some((r) => wordsPresent(r, text, present));
}
