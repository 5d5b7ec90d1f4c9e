/**
 * Loads the declarative half of the tree-sitter scanner: ast-grep rule files under `rules/ast-grep/<lang>/*.yml`.
 *
 * Each YAML document is an ast-grep rule config (https://ast-grep.github.io/reference/yaml.html): `id`,
 * `language`, `rule`, optional `constraints` and `utils`, plus a `metadata` block that tells the scanner what a
 * match means (see {@link RuleRole}). A file may hold several documents separated by `---`. The `rule`,
 * `constraints` and `utils` objects are passed unchanged to `SgNode.findAll`.
 */
import { readFileSync, readdirSync, existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import yaml from 'js-yaml';
import type { NapiConfig } from '@ast-grep/napi';
import type { TsLanguage } from './languages.js';

/**
 * What a match of a rule stands for. The rule itself finds the syntax; the scanner's code adds the context the
 * engine cannot express (per-request or not, every-path analysis, options, bounds).
 *
 * - `construct`: a client, transport, session, pool or connection is built here; a finding when the match runs
 *   per request or per loop iteration (context.ts). `metadata.perCall: true` marks calls that build and discard
 *   a client on every call (`requests.get`), which are also outbound call sites. `$URL` (when captured) is where
 *   it connects. `metadata.severity: info` with `sharedConnections: true` marks constructions whose connections
 *   are shared anyway (`new RestTemplate()`: HttpURLConnection's JVM-wide keep-alive cache).
 * - `keepalive-off`: keep-alive is switched off here; a finding wherever it is. `metadata.check` asks the
 *   scanner to confirm the target is outbound: `outbound` (`$R` is an outbound request, not a server
 *   response), `outbound-headers` (a `Connection: close` dict pair that reaches an outbound request),
 *   `outbound-client` (`$S` is an HTTP client). `metadata.at: name` reports at the method name of a chain.
 * - `response`: (Go) a call that returns a `*http.Response` bound to `$RESP`; its body is checked on every path.
 * - `shared-pool`: an HTTP connection pool whose idle size is checked (`metadata.pool`, `sizeField`,
 *   `defaultSize`, `$SIZE`); `metadata.link: mount` marks `$S.mount($P, $A)` (an adapter mounted on a session).
 * - `retry-library`: a retry library's configuration. Anchors give `metadata.default` tries/retries
 *   (`counts: tries|retries`) or `unbounded: true`; `override: true` rules of the same `group` carry the count
 *   `$N` and are associated with an anchor when inside it, in a value it uses, or in a statement configuring it.
 *   `scope`: `function` (the decorated function's calls), `node` (calls inside the match or the functions it is
 *   given), `client` (calls through the configured client or inside its executor). `requireN`: the match is
 *   only meaningful with its own `$N`.
 * - `retry-loop`: a loop shaped like a retry loop; the scanner checks it wraps an outbound call and bounds it.
 * - `handler` / `run-once`: a function that runs per request / once (context.ts); `metadata.strong: true` on a
 *   run-once rule means once whoever calls it (a cached getter, a bean), so a handler's call does not count.
 * - `handler-registration`: `$H` names a function registered as a request handler.
 * - `concurrency`: the file runs code concurrently (thread pools, goroutines); `$W` = worker count if known,
 *   `metadata.defaultWorkers` when the pool's default applies.
 * - `outbound`: an outbound HTTP call; `$URL` is the URL argument, `$REQ` a request built elsewhere, `$C`/`$S`
 *   the client. `metadata.check: client-receiver` keeps a match only when the receiver is named like a client
 *   (`receiverNames`, a case-insensitive JavaScript regex) or reaches an HTTP client built in the file.
 *
 * Every rule may list `metadata.imports`: module/package prefixes one of which the file must import (Go import
 * paths, Python modules, Java packages); the rule is skipped otherwise — which keeps `retry.Do` from matching an
 * unrelated package and makes scanning files that use no HTTP library cheap.
 */
export type RuleRole =
  | 'construct'
  | 'keepalive-off'
  | 'response'
  | 'shared-pool'
  | 'retry-library'
  | 'retry-loop'
  | 'handler'
  | 'run-once'
  | 'handler-registration'
  | 'concurrency'
  | 'outbound';

const ROLES: ReadonlySet<string> = new Set<RuleRole>([
  'construct', 'keepalive-off', 'response', 'shared-pool', 'retry-library', 'retry-loop', 'handler', 'run-once',
  'handler-registration', 'concurrency', 'outbound',
]);

/** The `metadata` block of a rule document. Fields other than `meshlint` and `role` depend on the role. */
export interface RuleMetadata {
  /** The meshlint rule a match feeds (`client-per-request`, …), or `context` / `callsite` for helper rules. */
  meshlint: string;
  role: RuleRole;
  /** Short description of what was seen, used in messages and in the call-site trace. */
  evidence?: string;
  [key: string]: unknown;
}

/** One loaded rule document. */
export interface LoadedRule {
  /** The document's `id`, unique across all files. */
  id: string;
  language: TsLanguage;
  /** File the document came from, for error messages. */
  file: string;
  metadata: RuleMetadata;
  /** `{ rule, constraints, utils }` as written, ready for `findAll`. */
  matcher: NapiConfig;
}

/**
 * Finds `rules/ast-grep` by walking up from this module: `src/source/treesitter` when run from source,
 * `dist/src/source/treesitter` when compiled. Returns undefined if no ancestor has one.
 */
export function defaultRulesDir(): string | undefined {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const candidate = join(dir, 'rules', 'ast-grep');
    if (existsSync(candidate)) return candidate;
    const parent = dirname(dir);
    if (parent === dir) return undefined;
    dir = parent;
  }
}

const cache = new Map<string, LoadedRule[]>();

/**
 * Loads every rule document for `lang` from `<rulesDir>/<lang>/*.yml` (sorted by file name; cached per
 * directory). Throws with the file name when a document is not a valid rule: missing `id`, `rule`,
 * `metadata.meshlint`, an unknown `metadata.role`, or a `language` other than `lang`.
 */
export function loadRules(lang: TsLanguage, rulesDir = defaultRulesDir()): LoadedRule[] {
  if (!rulesDir) throw new Error('rules/ast-grep not found next to the meshlint package');
  const dir = join(rulesDir, lang);
  const hit = cache.get(dir);
  if (hit) return hit;
  const rules: LoadedRule[] = [];
  const files = existsSync(dir) ? readdirSync(dir).filter((f) => f.endsWith('.yml') || f.endsWith('.yaml')).sort() : [];
  const ids = new Set<string>();
  for (const name of files) {
    const file = join(dir, name);
    const docs = yaml.loadAll(readFileSync(file, 'utf8'));
    for (const doc of docs) {
      if (doc == null) continue;
      rules.push(toRule(doc, lang, file, ids));
    }
  }
  cache.set(dir, rules);
  return rules;
}

function toRule(doc: unknown, lang: TsLanguage, file: string, ids: Set<string>): LoadedRule {
  const fail = (why: string): never => {
    throw new Error(`${file}: ${why}`);
  };
  if (typeof doc !== 'object' || Array.isArray(doc)) return fail('a rule document must be a mapping');
  const d = doc as Record<string, unknown>;
  const id = typeof d.id === 'string' ? d.id : fail('missing id');
  if (ids.has(id)) fail(`duplicate id ${id}`);
  ids.add(id);
  if (d.language !== lang) fail(`${id}: language must be ${lang}, got ${String(d.language)}`);
  if (typeof d.rule !== 'object' || d.rule === null) fail(`${id}: missing rule`);
  const md = d.metadata as Record<string, unknown> | undefined;
  if (!md || typeof md.meshlint !== 'string') return fail(`${id}: metadata.meshlint is required`);
  if (typeof md.role !== 'string' || !ROLES.has(md.role)) return fail(`${id}: unknown metadata.role ${String(md?.role)}`);
  const matcher: NapiConfig = { rule: d.rule as NapiConfig['rule'] };
  if (d.constraints) matcher.constraints = d.constraints as NapiConfig['constraints'];
  if (d.utils) matcher.utils = d.utils as NapiConfig['utils'];
  return { id, language: lang, file, metadata: md as RuleMetadata, matcher };
}
