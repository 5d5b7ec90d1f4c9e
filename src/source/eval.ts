/**
 * Evaluation of the source scanners against the labelled corpus in `fixtures/source/<language>/`.
 *
 * Labels are trailing comments on the line a finding applies to: `// expect: client-per-request` (several:
 * `// expect: client-per-request, app-retries`), `# expect: …` in Python. A finding matches a label when
 * file, line and rule id agree (several findings of one rule on one line count once). Per rule and language
 * the evaluation reports true positives, false positives, false negatives, precision and recall.
 *
 * Scanners plug in through {@link LanguageSpec}: to add a language, add an entry to {@link LANGUAGES}
 * (or pass `languages` to {@link evaluate}) with its directory, extensions, comment marker and scanner.
 */
import { existsSync, readFileSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { SourceScanResult } from './types.js';

/** A scanner as the evaluation calls it: files relative to `cwd`, result paths as given. */
export type SourceScanner = (files: string[], opts: { cwd: string }) => Promise<SourceScanResult>;

/** How to evaluate one language. */
export interface LanguageSpec {
  /** Directory under `fixtures/source/`. */
  dir: string;
  /** File extensions of the language's sources (with the dot). */
  extensions: readonly string[];
  /** Line-comment marker that introduces `expect:` labels (`//` or `#`). */
  commentMarker: '//' | '#';
  /** The scanner to evaluate. */
  scan: SourceScanner;
  /**
   * Called once with every selected language that has the same `prepare`, before any scan: the tree-sitter
   * scanner registers all its grammars at once (@ast-grep/napi takes one registration per process).
   */
  prepare?: (languages: string[]) => Promise<void>;
}

const treeSitterScan: SourceScanner = async (files, opts) => (await import('./treesitter/scan.js')).scanTreeSitter(files, opts);
const treeSitterPrepare = async (languages: string[]): Promise<void> => {
  const { registerLanguages } = await import('./treesitter/languages.js');
  await registerLanguages(languages as ('go' | 'python' | 'java')[]);
};

/** Built-in languages. The Go/Python/Java scanners add their entries here. */
export const LANGUAGES: Record<string, LanguageSpec> = {
  javascript: {
    dir: 'javascript',
    extensions: ['.js', '.mjs', '.cjs', '.jsx', '.ts', '.mts', '.cts', '.tsx'],
    commentMarker: '//',
    scan: async (files, opts) => (await import('./eslint/scan.js')).scanJavaScript(files, opts),
  },
  go: {
    dir: 'go',
    extensions: ['.go'],
    commentMarker: '//',
    scan: treeSitterScan,
    prepare: treeSitterPrepare,
  },
  python: {
    dir: 'python',
    extensions: ['.py'],
    commentMarker: '#',
    scan: treeSitterScan,
    prepare: treeSitterPrepare,
  },
  java: {
    dir: 'java',
    extensions: ['.java'],
    commentMarker: '//',
    scan: treeSitterScan,
    prepare: treeSitterPrepare,
  },
};

/** One expected finding. */
export interface Expectation {
  file: string;
  line: number;
  ruleId: string;
}

/** True/false positives and negatives with the precision and recall they give, and where the misses are. */
export interface Counts {
  truePositives: number;
  falsePositives: number;
  falseNegatives: number;
  /** TP / (TP + FP); 1 when nothing was reported. */
  precision: number;
  /** TP / (TP + FN); 1 when nothing was expected. */
  recall: number;
  /** `file:line` of each false positive and false negative, for debugging the corpus or the rule. */
  misses: { falsePositives: string[]; falseNegatives: string[] };
}

/** Counts for one rule in one language. */
export interface RuleScore extends Counts {
  language: string;
  ruleId: string;
}

/** Zero counts (precision and recall 1 until {@link settleRatios} runs), no misses. */
export function emptyCounts(): Counts {
  return { truePositives: 0, falsePositives: 0, falseNegatives: 0, precision: 1, recall: 1, misses: { falsePositives: [], falseNegatives: [] } };
}

/** Sets `precision` (TP / (TP + FP), 1 when nothing was reported) and `recall` (TP / (TP + FN), 1 when nothing was expected). */
export function settleRatios(c: Counts): void {
  const reported = c.truePositives + c.falsePositives;
  const expected = c.truePositives + c.falseNegatives;
  c.precision = reported ? c.truePositives / reported : 1;
  c.recall = expected ? c.truePositives / expected : 1;
}

/** A plain-text table: the first `left` columns padded right, the others left (numbers). */
export function formatColumns(header: string[], rows: string[][], left: number): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const fmt = (r: string[]): string => r.map((c, i) => (i >= left ? c.padStart(widths[i]!) : c.padEnd(widths[i]!))).join('  ');
  return [fmt(header), fmt(widths.map((w) => '-'.repeat(w))), ...rows.map(fmt)].join('\n');
}

/** The result of {@link evaluate}. */
export interface EvalResult {
  scores: RuleScore[];
  /** Files per language that the scanner reported as unparseable. */
  errors: { language: string; file: string; message: string }[];
  filesScanned: Record<string, number>;
}

/** Options of {@link evaluate}. */
export interface EvaluateOptions {
  /** Repository root (holds `fixtures/source`); found from this module's location by default. */
  root?: string;
  /** Language specs to use instead of / in addition to {@link LANGUAGES}. */
  languages?: Record<string, LanguageSpec>;
}

/** The repository root: the nearest ancestor of this module with a package.json named meshlint. */
export function repoRoot(from: string = path.dirname(fileURLToPath(import.meta.url))): string {
  for (let dir = from; ; dir = path.dirname(dir)) {
    const pkg = path.join(dir, 'package.json');
    if (existsSync(pkg)) {
      try {
        if ((JSON.parse(readFileSync(pkg, 'utf8')) as { name?: string }).name === 'meshlint') return dir;
      } catch {
        // keep looking
      }
    }
    if (path.dirname(dir) === dir) throw new Error(`meshlint repository root not found above ${from}`);
  }
}

/**
 * Reads `expect:` labels from one file's text: on each line, the last `<marker> expect:` comment lists
 * comma-separated rule ids.
 */
export function parseExpectations(file: string, text: string, marker: '//' | '#'): Expectation[] {
  const out: Expectation[] = [];
  const needle = `${marker} expect:`;
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    const at = line.lastIndexOf(needle);
    if (at < 0) continue;
    for (const id of line.slice(at + needle.length).split(',')) {
      const ruleId = id.trim().split(/\s/)[0];
      if (ruleId) out.push({ file, line: i + 1, ruleId });
    }
  }
  return out;
}

async function listFiles(dir: string, extensions: readonly string[]): Promise<string[]> {
  const out: string[] = [];
  const walk = async (d: string): Promise<void> => {
    const entries = await readdir(d, { withFileTypes: true });
    for (const e of entries.sort((a, b) => a.name.localeCompare(b.name))) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) await walk(p);
      else if (extensions.some((x) => e.name.endsWith(x))) out.push(p);
    }
  };
  if (existsSync(dir)) await walk(dir);
  return out;
}

/**
 * Runs each language's scanner over its corpus and scores it against the labels. `langs` selects
 * languages (default: every language with a spec whose corpus directory exists).
 */
export async function evaluate(langs?: readonly string[], opts: EvaluateOptions = {}): Promise<EvalResult> {
  const root = opts.root ?? repoRoot();
  const specs = { ...LANGUAGES, ...opts.languages };
  const selected = langs ?? Object.keys(specs);
  const result: EvalResult = { scores: [], errors: [], filesScanned: {} };
  const prepared = new Set<LanguageSpec['prepare']>();
  for (const language of selected) {
    const prepare = specs[language]?.prepare;
    if (!prepare || prepared.has(prepare)) continue;
    prepared.add(prepare);
    await prepare(selected.filter((l) => specs[l]?.prepare === prepare));
  }
  for (const language of selected) {
    const spec = specs[language];
    if (!spec) throw new Error(`no scanner registered for language '${language}' (known: ${Object.keys(specs).join(', ')})`);
    const dir = path.join(root, 'fixtures', 'source', spec.dir);
    if (!langs && !existsSync(dir)) continue;
    const absFiles = await listFiles(dir, spec.extensions);
    const files = absFiles.map((f) => path.relative(root, f));
    const expected: Expectation[] = [];
    for (const f of files) for (const e of parseExpectations(f, await readFile(path.join(root, f), 'utf8'), spec.commentMarker)) expected.push(e);
    const scan = await spec.scan(files, { cwd: root });
    result.filesScanned[language] = scan.filesScanned;
    for (const e of scan.errors) result.errors.push({ language, ...e });
    const key = (file: string, line: number, ruleId: string): string => `${ruleId}\u0000${path.normalize(file)}\u0000${line}`;
    const want = new Set(expected.map((e) => key(e.file, e.line, e.ruleId)));
    const got = new Set(scan.findings.map((f) => key(f.location.file, f.location.line, f.ruleId)));
    const ruleIds = [...new Set([...expected.map((e) => e.ruleId), ...scan.findings.map((f) => f.ruleId)])].sort();
    for (const ruleId of ruleIds) {
      const score: RuleScore = { language, ruleId, ...emptyCounts() };
      for (const k of got) {
        if (!k.startsWith(`${ruleId}\u0000`)) continue;
        if (want.has(k)) score.truePositives++;
        else {
          score.falsePositives++;
          score.misses.falsePositives.push(k.split('\u0000').slice(1).join(':'));
        }
      }
      for (const k of want) {
        if (!k.startsWith(`${ruleId}\u0000`) || got.has(k)) continue;
        score.falseNegatives++;
        score.misses.falseNegatives.push(k.split('\u0000').slice(1).join(':'));
      }
      settleRatios(score);
      result.scores.push(score);
    }
  }
  return result;
}

/** The scores as a plain-text table (language, rule, TP, FP, FN, precision, recall). */
export function formatTable(result: EvalResult): string {
  const header = ['language', 'rule', 'TP', 'FP', 'FN', 'precision', 'recall'];
  const rows = result.scores.map((s) => [
    s.language,
    s.ruleId,
    String(s.truePositives),
    String(s.falsePositives),
    String(s.falseNegatives),
    s.precision.toFixed(2),
    s.recall.toFixed(2),
  ]);
  return formatColumns(header, rows, 2);
}
