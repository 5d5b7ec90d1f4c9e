/**
 * The Go/Python/Java source scanner: parses each file with tree-sitter through `@ast-grep/napi` (loading only
 * the grammars of the languages present), runs the declarative ast-grep rules of `rules/ast-grep/<lang>/`,
 * and adds the context the rules cannot express (per request or not, every-path body closing, pool sizes,
 * retry bounds). Produces meshlint Findings for client-per-request, keepalive-disabled-client,
 * response-body-not-closed, idle-pool-too-small, db-client-per-request and app-retries, and the AppCallSites
 * that link code to the mesh multiplier.
 */
import path from 'node:path';
import type { SgNode } from '@ast-grep/napi';
import type { Finding } from '../../types.js';
import { DEFAULT_MAX_SOURCE_BYTES, readSourceFile } from '../../load/read.js';
import type { SourceScanResult } from '../types.js';
import { capture, FileAnalysis, fileImports, importsAllow, type Match } from './analysis.js';
import { combineRules, type CombinedRules, type FileMatches, matchFiles, type RuleMatches } from './combined.js';
import { constructFindings, keepAliveFindings, keepAliveSwitches, outboundCalls } from './clients.js';
import { callSites } from './callsites.js';
import { type CrossFileRecords, crossFileFindings } from '../cross-file.js';
import { crossFileRecords } from './cross-file.js';
import { FileContext, functionIndex, type MarkedFunction } from './context.js';
import { responseBodyFindings } from './go-body.js';
import { EXTENSION_LANGUAGE, type Napi, parseSource, patternNodeTexts, registerLanguages, type TsLanguage } from './languages.js';
import { idlePoolFindings } from './pools.js';
import { RuleSettings } from './report.js';
import { retryFactors, retryFindings } from './retries.js';
import { type LoadedRule, loadRules } from './rules-loader.js';
import { configWords, type WordRequirement, wordsPresent } from './rule-words.js';
import { type LangSyntax, position, syntaxFor } from './syntax.js';


/** Options of {@link scanTreeSitter}. */
export interface ScanTreeSitterOptions {
  /** Directory relative file paths are read from. */
  cwd: string;
  /** Environment-variable name → destination (`host`, `host:port` or a URL) for `os.Getenv("X")`-style URLs. */
  envHosts?: Record<string, string>;
  /** Per-rule options (rule id → options object), as validated by `schemas/rules/<id>.json`. */
  ruleOptions?: Record<string, Record<string, unknown>>;
  /** Rule ids to leave out. */
  disabledRules?: readonly string[];
  /** Directory holding `<lang>/*.yml` ast-grep rules; the package's `rules/ast-grep` by default. */
  rulesDir?: string;
  /** Largest file read, in bytes (`DEFAULT_MAX_SOURCE_BYTES`, 1 MiB). */
  maxFileBytes?: number;
}

/** The language of a file by extension, or undefined when the scanner does not read it. */
export function treeSitterLanguage(file: string): TsLanguage | undefined {
  return EXTENSION_LANGUAGE[path.extname(file).toLowerCase()];
}

/** The first syntax error of a tree: an ERROR node or a missing (zero-width) token. */
function firstSyntaxError(root: SgNode): SgNode | undefined {
  // Missing tokens that tree-sitter inserts to recover are zero-width: the only nodes with empty text.
  return root.find({ rule: { any: [{ kind: 'ERROR' }, { regex: '^$', not: { kind: root.kind() as string } }] } }) ?? undefined;
}

/** A language's rules with the words each needs (`rule-words.ts`) and their combined form (`combined.ts`), derived once per run. */
interface PreparedRules {
  rules: readonly LoadedRule[];
  words: ReadonlyMap<LoadedRule, WordRequirement>;
  combined: CombinedRules;
}

/**
 * Runs every applicable rule over the tree: a rule runs only when the file imports one of its `metadata.imports`
 * and its text holds the words the rule needs (a rule that cannot match is not compiled: the engine compiles a
 * rule on every call). `combinedMatches` are the combined rules' matches in this tree when the engine reported
 * them (`combined.ts`): then only the other rules run here. Matches come rule by rule in rule order, each rule's
 * in document order. Throws with the rule id when a rule is rejected by the engine.
 */
function runRules(root: SgNode, text: string, prepared: PreparedRules, imports: readonly string[], combinedMatches?: RuleMatches): Match[] {
  const out: Match[] = [];
  const present = new Map<string, boolean>();
  const separate = combinedMatches ? new Set(prepared.combined.separate) : undefined;
  for (const rule of prepared.rules) {
    if (!importsAllow(rule, imports)) continue;
    if (combinedMatches && !separate!.has(rule)) {
      const hit = combinedMatches.get(rule);
      if (hit) for (const node of hit.nodes) out.push({ rule, node, prefix: hit.prefix });
      continue;
    }
    const words = prepared.words.get(rule);
    if (words && !wordsPresent(words, text, present)) continue;
    let nodes: SgNode[];
    try {
      nodes = root.findAll(rule.matcher);
    } catch (e) {
      throw new Error(`${rule.file}: rule ${rule.id}: ${(e as Error).message}`);
    }
    for (const node of nodes) out.push({ rule, node });
  }
  return out;
}

/** Maps context matches to the function nodes FileContext takes. */
function contextMarks(root: SgNode, syntax: LangSyntax, matches: readonly Match[]): { handlers: MarkedFunction[]; runOnce: MarkedFunction[]; concurrency: SgNode[] } {
  const byName = functionIndex(root, syntax);
  const fnOf = (n: SgNode): SgNode => (n.kind() === 'decorated_definition' ? (n.field('definition') ?? n) : n);
  const handlers: MarkedFunction[] = [];
  const runOnce: MarkedFunction[] = [];
  const concurrency: SgNode[] = [];
  for (const m of matches) {
    const evidence = m.rule.metadata.evidence ?? m.rule.id;
    switch (m.rule.metadata.role) {
      case 'handler':
        handlers.push({ node: fnOf(m.node), evidence });
        break;
      case 'run-once':
        runOnce.push({ node: fnOf(m.node), evidence, strong: m.rule.metadata['strong'] === true });
        break;
      case 'handler-registration': {
        const h = capture(m, 'H');
        const name = h?.text().split('.').pop();
        for (const fn of (name && byName.get(name)) || []) handlers.push({ node: fn, evidence });
        break;
      }
      case 'concurrency':
        concurrency.push(m.node);
        break;
      default:
        break;
    }
  }
  return { handlers, runOnce, concurrency };
}

/** Findings at the same rule, line and column are reported once. */
function dedupe(findings: Finding[]): Finding[] {
  const seen = new Set<string>();
  return findings.filter((f) => {
    const k = `${f.ruleId}:${f.location.line}:${f.location.column}`;
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}

/** Analyses one parsed file. */
function analyzeFile(file: string, lang: TsLanguage, root: SgNode, text: string, rules: PreparedRules, opts: ScanTreeSitterOptions, settings: RuleSettings, combinedMatches?: RuleMatches): Pick<SourceScanResult, 'findings' | 'callSites'> & { crossFile: CrossFileRecords } {
  const syntax = syntaxFor(lang);
  const matches = runRules(root, text, rules, fileImports(root, lang, syntax), combinedMatches);
  const ctx = new FileContext(root, syntax, contextMarks(root, syntax, matches));
  const fa = new FileAnalysis(file, lang, syntax, root, matches, ctx);
  const switches = keepAliveSwitches(fa);
  const calls = outboundCalls(fa);
  const factors = retryFactors(fa, calls);
  const findings = dedupe([
    ...constructFindings(fa, calls, settings, opts.envHosts),
    ...keepAliveFindings(fa, switches, settings),
    ...responseBodyFindings(fa, settings),
    ...idlePoolFindings(fa, settings, switches),
    ...retryFindings(fa, factors, settings),
  ]).sort((a, b) => a.location.line - b.location.line || a.location.column - b.location.column);
  return { findings, callSites: callSites(fa, calls, switches, factors, opts.envHosts), crossFile: crossFileRecords(fa, calls, settings) };
}

/** Files per engine batch: bounds the trees held at once (a 1 MiB file's tree is tens of MiB). */
const BATCH_FILES = 64;

/**
 * The combined rules' matches of a batch's readable files, by absolute path (`combined.ts`). A language whose
 * combined rule the engine rejects gets no entries: its files then run rule by rule, which names the rule.
 */
async function matchBatch(
  napi: Napi,
  batch: readonly { file: string; lang: TsLanguage }[],
  texts: readonly (ReturnType<typeof readSourceFile> | undefined)[],
  cwd: string,
  rulesOf: (lang: TsLanguage) => PreparedRules,
): Promise<Map<string, FileMatches>> {
  const byLang = new Map<TsLanguage, string[]>();
  batch.forEach(({ file, lang }, i) => {
    const read = texts[i];
    if (!read || !('text' in read)) return;
    const list = byLang.get(lang);
    if (list) list.push(path.resolve(cwd, file));
    else byLang.set(lang, [path.resolve(cwd, file)]);
  });
  const out = new Map<string, FileMatches>();
  for (const [lang, files] of byLang) {
    let matched: Map<string, FileMatches>;
    try {
      matched = await matchFiles(napi, rulesOf(lang).combined, files);
    } catch {
      continue;
    }
    for (const [file, m] of matched) out.set(file, m);
  }
  return out;
}

/**
 * Scans Go, Python and Java files (by extension: `.go`, `.py`, `.java`; others are skipped) with meshlint's
 * source rules. Paths in findings and call sites are the paths as given (relative to `opts.cwd` when not
 * absolute). A file that cannot be read, is binary or too large is an `errors` entry (`file: message`) and the
 * scan goes on; a file with a syntax error is an `errors` entry with its position and `partial: true`, and is
 * still analysed around the error. Only the grammars of the languages present are loaded.
 *
 * Throws only for a broken installation: the rule directory missing or a rule file the engine rejects.
 */
export async function scanTreeSitter(files: string[], opts: ScanTreeSitterOptions): Promise<SourceScanResult> {
  const result: SourceScanResult = { findings: [], callSites: [], filesScanned: 0, errors: [] };
  const targets = files.map((f) => ({ file: f, lang: treeSitterLanguage(f) })).filter((t): t is { file: string; lang: TsLanguage } => !!t.lang);
  if (targets.length === 0) return result;
  const langs = [...new Set(targets.map((t) => t.lang))];
  const { napi, unavailable } = await registerLanguages(langs);
  const settings = new RuleSettings(opts.ruleOptions, opts.disabledRules);
  const maxBytes = opts.maxFileBytes ?? DEFAULT_MAX_SOURCE_BYTES;
  const prepared = new Map<TsLanguage, PreparedRules>();
  const rulesOf = (lang: TsLanguage): PreparedRules => {
    let p = prepared.get(lang);
    if (!p) {
      const rules = loadRules(lang, opts.rulesDir);
      const parse = patternNodeTexts(napi, lang);
      p = { rules, words: new Map(rules.map((r) => [r, configWords(r.matcher, parse)])), combined: combineRules(lang, rules) };
      prepared.set(lang, p);
    }
    return p;
  };
  const crossFileRecordsOfRun: CrossFileRecords[] = [];
  // Files go to the engine in batches: one combined rule per language and batch (compiled once, run in Rust
  // threads), and at most one batch of trees held at a time.
  for (let start = 0; start < targets.length; start += BATCH_FILES) {
    const batch = targets.slice(start, start + BATCH_FILES);
    const texts = batch.map(({ file, lang }) => (unavailable.has(lang) ? undefined : readSourceFile(path.resolve(opts.cwd, file), maxBytes)));
    const engine = await matchBatch(napi, batch, texts, opts.cwd, rulesOf);
    batch.forEach(({ file, lang }, i) => {
      const missing = unavailable.get(lang);
      if (missing) {
        result.errors.push({ file, message: `${file}: ${missing}` });
        return;
      }
      const read = texts[i]!;
      if ('error' in read) {
        result.errors.push({ file, message: `${file}: ${read.error}` });
        return;
      }
      if ('skip' in read) {
        (result.skipped ??= []).push({ file, reason: read.skip });
        return;
      }
      // The engine's tree when it parsed the same text; else this file is parsed and matched here.
      const matched = engine.get(path.resolve(opts.cwd, file));
      const fromEngine = matched && matched.root.text() === read.text ? matched : undefined;
      let root: SgNode;
      if (fromEngine) root = fromEngine.root;
      else {
        try {
          root = parseSource(napi, lang, read.text).root();
        } catch (e) {
          result.errors.push({ file, message: `${file}: cannot parse as ${lang}: ${(e as Error).message}` });
          return;
        }
      }
      // Tolerant: tree-sitter recovers around a syntax error, so the rest of the file is still analysed and the
      // error is reported with its position (a Python file with one broken line at the end keeps its handlers).
      const bad = firstSyntaxError(root);
      if (bad) {
        const pos = position(bad);
        result.errors.push({ file, line: pos.line, column: pos.column, partial: true, message: `${file}:${pos.line}:${pos.column}: syntax error: not valid ${lang} (the rest of the file was analysed)` });
      }
      const { findings, callSites, crossFile } = analyzeFile(file, lang, root, read.text, rulesOf(lang), opts, settings, fromEngine?.matches);
      result.filesScanned++;
      for (const f of findings) result.findings.push(f);
      for (const s of callSites) result.callSites.push(s);
      if (crossFile.factories.length || crossFile.calls.length) crossFileRecordsOfRun.push(crossFile);
    });
  }
  // One hop across files: joined once, after every file was analysed (cross-file.ts).
  for (const f of crossFileFindings(crossFileRecordsOfRun)) result.findings.push(f);
  return result;
}
