/**
 * Runs a language's ast-grep rules over many files with one compiled rule: every rule without `constraints`
 * becomes one branch of a combined rule that `findInFiles` (`@ast-grep/napi`) compiles once and applies in Rust
 * threads, parsing each file once — the way the `ast-grep scan` CLI runs a rule set.
 *
 * Why: `SgNode.findAll` compiles its rule config on every call (each `pattern` is parsed by tree-sitter again) and
 * the engine has no way to keep a compiled rule, so one `findAll` per rule per file spent most of the scan
 * compiling (measured with 0.51.2 over the bench's generated tree, 1,083 Go/Python/Java files, at load 6: 12.3 s
 * for one `findAll` per rule per file against 1.4 s for the combined rule in `findInFiles`, with the same matches
 * and captures).
 *
 * How one combined match says which rules matched a node: the combined rule is
 * `all: [ { any: [ { all: [rule₁, $MLTAG1] }, ALWAYS ] }, …, { any: [rule₁, …, rootKind] } ]`: every rule is tried
 * on every node (an `all` evaluates each part), a rule that matches also binds its tag metavariable (a pattern
 * that is one metavariable matches any node; https://ast-grep.github.io/guide/pattern-syntax.html), one that does
 * not falls through to ALWAYS, and the last part keeps only nodes some rule matched (and the file's root, so
 * that every file the engine parsed reports back with its tree). Rules are grouped by eight under a group tag
 * (`{ any: [ { all: [ { any: [rule₁…rule₈] }, $MLGROUP0, …the eight parts ] }, ALWAYS ] }`), so that reading
 * which rules matched a node asks for a few group tags and one group's rule tags, not every rule's tag. The metavariables of rule *i* are renamed
 * `$R<i>_NAME` and its utility rules `r<i>_name`, so that two rules' `$URL` do not have to agree (an `all`
 * binds each metavariable once); {@link capture} reads them back under the rule's own names.
 *
 * `constraints` apply to a whole rule config, not to one branch, so a rule's constraints are checked here on
 * the nodes its branch captured, the way the engine checks them after a match (each constrained metavariable
 * that captured one node must satisfy its rule; https://ast-grep.github.io/reference/yaml.html#constraints).
 * Only constraints made of `kind`, `regex`, `not`, `all` and `any` are checked here (a `regex` is a Rust regex
 * searched in the node's text; an `(?i)` prefix becomes JavaScript's `i` flag); a rule with any other
 * constraint stays separate, and so does every file the engine did not report (not valid UTF-8, a symbolic
 * link it does not follow, an extension in another case): the caller runs those with `findAll` on its tree.
 */
import type { FindConfig, NapiConfig, Rule, SgNode } from '@ast-grep/napi';
import type { Napi, TsLanguage } from './languages.js';
import type { LoadedRule } from './rules-loader.js';

/** The root node kind of each grammar (tree-sitter-go `source_file`, tree-sitter-python `module`, tree-sitter-java `program`). */
const ROOT_KIND: Readonly<Record<TsLanguage, string>> = { go: 'source_file', python: 'module', java: 'program' };

/** A rule that matches every node: a node is an ERROR node or it is not. */
const ALWAYS: Rule = { any: [{ kind: 'ERROR' }, { not: { kind: 'ERROR' } }] };

/** Rules per group tag: a node is checked against a group's rule tags only when the group's tag is bound. */
const GROUP_SIZE = 8;

/** Named metavariables (`$URL`, `$$$ARGS`, `$$OP`); `$_`-style ones capture nothing and keep their name. */
const METAVARIABLE = /\$(\$\$)?([A-Z][A-Z0-9_]*)/g;

/** A constraint as a test of the node a metavariable captured. */
type NodeTest = (node: SgNode) => boolean;

/** One rule inside a combined rule: its tag metavariable, the prefix of its renamed metavariables, its constraints. */
interface TaggedRule {
  rule: LoadedRule;
  tag: string;
  prefix: string;
  /** Renamed metavariable → test of the node it captured. */
  constraints: readonly [string, NodeTest][];
}

/**
 * A constraint rule as a test (see the module comment), or undefined when it uses anything but `kind`, `regex`,
 * `not`, `all` and `any`, or a regex JavaScript cannot compile the same way.
 */
function constraintTest(rule: unknown): NodeTest | undefined {
  if (typeof rule !== 'object' || rule === null || Array.isArray(rule)) return undefined;
  const tests: NodeTest[] = [];
  for (const [key, value] of Object.entries(rule as Record<string, unknown>)) {
    if (key === 'kind' && typeof value === 'string') tests.push((n) => n.kind() === value);
    else if (key === 'regex' && typeof value === 'string') {
      const insensitive = value.startsWith('(?i)');
      const source = insensitive ? value.slice(4) : value;
      // Inline flags or groups JavaScript reads differently stay with the engine.
      if (/\\[pPzAQE]|\\x\{|\(\?[a-zA-Z]/.test(source)) return undefined;
      let re: RegExp;
      try {
        re = new RegExp(source, insensitive ? 'iu' : 'u');
      } catch {
        return undefined;
      }
      tests.push((n) => re.test(n.text()));
    } else if (key === 'not') {
      const inner = constraintTest(value);
      if (!inner) return undefined;
      tests.push((n) => !inner(n));
    } else if ((key === 'all' || key === 'any') && Array.isArray(value)) {
      const parts = value.map(constraintTest);
      if (parts.some((t) => !t)) return undefined;
      const ts = parts as NodeTest[];
      tests.push(key === 'all' ? (n) => ts.every((t) => t(n)) : (n) => ts.some((t) => t(n)));
    } else return undefined;
  }
  return (n) => tests.every((t) => t(n));
}

/** A rule's constraints as tests of its renamed metavariables, or undefined when one cannot be checked here. */
function constraintTests(rule: LoadedRule, prefix: string): [string, NodeTest][] | undefined {
  const out: [string, NodeTest][] = [];
  for (const [name, constraint] of Object.entries(rule.matcher.constraints ?? {})) {
    const test = constraintTest(constraint);
    if (!test) return undefined;
    out.push([`${prefix}${name}`, test]);
  }
  return out;
}

/** A language's rules split into one combined rule config and the rules that must run on their own. */
export interface CombinedRules {
  lang: TsLanguage;
  /** The combined config; undefined when no rule can be combined. */
  config?: NapiConfig;
  tagged: readonly TaggedRule[];
  /** The tagged rules in groups of {@link GROUP_SIZE}, each with the tag bound when one of its rules matched. */
  groups: readonly { tag: string; rules: readonly TaggedRule[] }[];
  /** Rules with constraints that cannot be checked here, in rule order. */
  separate: readonly LoadedRule[];
}

/** The nodes each combined rule matched in one file, with the prefix of that rule's metavariables. */
export type RuleMatches = Map<LoadedRule, { nodes: SgNode[]; prefix: string }>;

/** Renames the metavariables of pattern text. */
function renamePattern(pattern: string, prefix: string): string {
  return pattern.replace(METAVARIABLE, (_m, multi: string | undefined, name: string) => `$${multi ?? ''}${prefix}${name}`);
}

/**
 * A copy of an ast-grep rule object with metavariables in `pattern` (text, or a `{ context, selector }` object's
 * context) prefixed by `prefix` and `matches` references prefixed by `utilPrefix`. Every other value (kinds,
 * regexes, fields, positions) is kept.
 */
function renameRule(rule: unknown, prefix: string, utilPrefix: string): unknown {
  if (Array.isArray(rule)) return rule.map((r) => renameRule(r, prefix, utilPrefix));
  if (typeof rule !== 'object' || rule === null) return rule;
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(rule as Record<string, unknown>)) {
    if (key === 'pattern' && typeof value === 'string') out[key] = renamePattern(value, prefix);
    else if (key === 'pattern' && typeof value === 'object' && value !== null) {
      const p = value as Record<string, unknown>;
      out[key] = typeof p['context'] === 'string' ? { ...p, context: renamePattern(p['context'], prefix) } : p;
    } else if (key === 'matches' && typeof value === 'string') out[key] = `${utilPrefix}${value}`;
    else out[key] = renameRule(value, prefix, utilPrefix);
  }
  return out;
}

/** Builds the combined rule of one language's rules (see the module comment). */
export function combineRules(lang: TsLanguage, rules: readonly LoadedRule[]): CombinedRules {
  const tagged: TaggedRule[] = [];
  const separate: LoadedRule[] = [];
  const parts: Rule[] = [];
  const anyRule: Rule[] = [];
  const utils: Record<string, Rule> = {};
  for (const rule of rules) {
    const i = tagged.length;
    const prefix = `R${i}_`;
    const constraints = constraintTests(rule, prefix);
    if (!constraints) {
      separate.push(rule);
      continue;
    }
    const utilPrefix = `r${i}_`;
    const tag = `MLTAG${i}`;
    for (const [name, util] of Object.entries(rule.matcher.utils ?? {})) utils[`${utilPrefix}${name}`] = renameRule(util, prefix, utilPrefix) as Rule;
    const renamed = renameRule(rule.matcher.rule, prefix, utilPrefix) as Rule;
    parts.push({ any: [{ all: [renamed, { pattern: `$${tag}` }] }, ALWAYS] });
    anyRule.push(renamed);
    tagged.push({ rule, tag, prefix, constraints });
  }
  if (tagged.length === 0) return { lang, tagged, groups: [], separate };
  const groups: { tag: string; rules: TaggedRule[] }[] = [];
  const groupParts: Rule[] = [];
  for (let g = 0; g * GROUP_SIZE < tagged.length; g++) {
    const tag = `MLGROUP${g}`;
    const from = g * GROUP_SIZE;
    const to = Math.min(tagged.length, from + GROUP_SIZE);
    groups.push({ tag, rules: tagged.slice(from, to) });
    groupParts.push({ any: [{ all: [{ any: anyRule.slice(from, to) }, { pattern: `$${tag}` }, ...parts.slice(from, to)] }, ALWAYS] });
  }
  const config: NapiConfig = { rule: { all: [...groupParts, { any: [...anyRule, { kind: ROOT_KIND[lang] }] }] } };
  if (Object.keys(utils).length > 0) config.utils = utils;
  return { lang, config, tagged, groups, separate };
}

/** A constraint holds when its metavariable captured no single node or the node passes the test. */
const passes = (captured: SgNode | null, test: NodeTest): boolean => !captured || test(captured);

/** One file's tree as the engine parsed it, with the combined rules' matches. */
export interface FileMatches {
  root: SgNode;
  matches: RuleMatches;
}

/**
 * Runs `combined` over `files` (absolute paths) in Rust threads. Returns, per path the engine reported, the root
 * of the tree it parsed and the nodes each combined rule matched, in document order. A path missing from the
 * result was not parsed (see the module comment). Rejects when the engine rejects the combined rule.
 */
export async function matchFiles(napi: Napi, combined: CombinedRules, files: readonly string[]): Promise<Map<string, FileMatches>> {
  const out = new Map<string, FileMatches>();
  if (!combined.config || files.length === 0) return out;
  let failure: Error | undefined;
  let reported = 0;
  const config: FindConfig = { paths: [...files], matcher: combined.config };
  const parsed = await napi.findInFiles(combined.lang, config, (err, nodes) => {
    reported++;
    if (err) {
      failure ??= err;
      return;
    }
    const first = nodes[0];
    if (!first) return;
    const sgRoot = first.getRoot();
    const matches: RuleMatches = new Map();
    for (const node of nodes) {
      for (const group of combined.groups) {
        if (!node.getMatch(group.tag)) continue;
        for (const t of group.rules) {
          if (!node.getMatch(t.tag) || !t.constraints.every(([name, test]) => passes(node.getMatch(name), test))) continue;
          const hit = matches.get(t.rule);
          if (hit) hit.nodes.push(node);
          else matches.set(t.rule, { nodes: [node], prefix: t.prefix });
        }
      }
    }
    out.set(sgRoot.filename(), { root: sgRoot.root(), matches });
  });
  // The engine resolves once every file is parsed; its callbacks reach this thread through the event loop.
  for (let spins = 0; reported < parsed && spins < 10_000; spins++) await new Promise((resolve) => setImmediate(resolve));
  if (failure) throw failure;
  return out;
}
