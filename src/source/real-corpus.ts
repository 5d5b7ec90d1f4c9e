/**
 * The real-code measure of the source scanners: a committed manifest (`fixtures/real/manifest.json`) of files
 * from public repositories, each labelled by reading it before the scanner ran. The files themselves are not
 * committed: they are read into the git-ignored directory `.real-corpus/files/<owner>/<name>/<path>` when
 * measuring ({@link importCaptures} writes them from the answers of a public-source reader), and
 * {@link evaluateReal} scores the scanners on the rows whose file is present and names the rows that are absent.
 *
 * Scoring is per file, not per line: a `must-fire` row is a true positive when the scanner reports one of the
 * row's rules on a line within `lines`, a false negative otherwise; a `must-not-fire` row is a false positive
 * when the scanner reports one of the row's rules anywhere in the file. Per set (a row's `set`, so a held-out
 * sample is reported apart from the rows whose misses were already fixed) and language, precision is
 * TP / (TP + FP) and recall TP / (TP + FN).
 */
import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { type Counts, LANGUAGES, emptyCounts, formatColumns, repoRoot, settleRatios } from './eval.js';
import type { SourceScanResult } from './types.js';

/** One labelled file of the real corpus. */
export interface RealCorpusRow {
  /** `owner/name` of the public repository. */
  repo: string;
  /** Path of the file inside the repository. */
  path: string;
  /** The commit the file was read at (40 hex digits). */
  commit: string;
  /** Language key of {@link LANGUAGES}: `go`, `python`, `java`, `javascript` (TypeScript too). */
  language: string;
  /** 1-based inclusive line range where the churn is (must-fire) or where the near miss is (must-not-fire). */
  lines: [number, number];
  label: 'must-fire' | 'must-not-fire';
  /** Rule ids the label is about. */
  rules: string[];
  /** Why, in one sentence, written before the scanner ran. */
  reason: string;
  /**
   * The sample the row belongs to (`holdout-3`: labelled and committed before the scanner ever ran on it, and
   * measured before any fix it prompted). Rows without one are the original set, reported as {@link BASE_SET}.
   */
  set?: string;
}

/** The set name of rows that carry none: the original 120-file manifest. */
export const BASE_SET = 'base';

/** The set a row is scored in. */
export function rowSet(row: Pick<RealCorpusRow, 'set'>): string {
  return row.set ?? BASE_SET;
}

/** The manifest file: its rows. */
export interface RealCorpusManifest {
  rows: RealCorpusRow[];
}

/** Counts for one language of one set on the real corpus (per file: a row is one positive or negative). */
export interface RealLanguageScore extends Counts {
  /** The set ({@link rowSet}) the rows belong to. */
  set: string;
  language: string;
  mustFire: number;
  mustNotFire: number;
}

/** What {@link evaluateReal} returns. */
export interface RealEvalResult {
  scores: RealLanguageScore[];
  /** Rows whose file is not in the corpus directory (`repo/path@commit`). */
  absent: string[];
  /** Parse problems the scanners reported (`file: message`). */
  errors: string[];
  rows: number;
  repositories: number;
}

const RULE_IDS = new Set([
  'client-per-request',
  'keepalive-disabled-client',
  'app-retries',
  'db-client-per-request',
  'response-body-not-closed',
  'idle-pool-too-small',
]);

/** Default manifest location, relative to the repository root. */
export const MANIFEST_PATH = path.join('fixtures', 'real', 'manifest.json');
/** Default (git-ignored) directory holding the files, relative to the repository root. */
export const CORPUS_DIR = path.join('.real-corpus', 'files');

/**
 * Reads and checks the manifest. Throws `Error` naming the row index and field for a malformed row
 * (unknown language or rule, bad commit, empty reason, a repo or path that climbs out of the corpus directory).
 */
export async function loadManifest(file: string): Promise<RealCorpusManifest> {
  const parsed = JSON.parse(await readFile(file, 'utf8')) as RealCorpusManifest;
  if (!parsed || !Array.isArray(parsed.rows)) throw new Error(`${file}: expected {"rows": [...]}`);
  const seen = new Set<string>();
  parsed.rows.forEach((r, i) => {
    const where = `${file}: row ${i} (${r?.repo}/${r?.path})`;
    if (!/^[\w.-]+\/[\w.-]+$/.test(r.repo)) throw new Error(`${where}: repo must be owner/name`);
    if (typeof r.path !== 'string' || r.path.startsWith('/') || r.path.split('/').includes('..')) throw new Error(`${where}: path must be relative, without '..'`);
    if (!/^[0-9a-f]{40}$/.test(r.commit)) throw new Error(`${where}: commit must be 40 hex digits`);
    if (!LANGUAGES[r.language]) throw new Error(`${where}: unknown language '${r.language}'`);
    if (r.label !== 'must-fire' && r.label !== 'must-not-fire') throw new Error(`${where}: label must be must-fire or must-not-fire`);
    if (!Array.isArray(r.rules) || !r.rules.length || r.rules.some((id) => !RULE_IDS.has(id))) throw new Error(`${where}: rules must be source rule ids`);
    if (!Array.isArray(r.lines) || r.lines.length !== 2 || !(r.lines[0] >= 1 && r.lines[1] >= r.lines[0])) throw new Error(`${where}: lines must be [start, end]`);
    if (typeof r.reason !== 'string' || r.reason.trim().length < 10) throw new Error(`${where}: reason must say why`);
    if (r.set !== undefined && (typeof r.set !== 'string' || !/^[\w.-]+$/.test(r.set))) throw new Error(`${where}: set must be a name of letters, digits, '.', '_' or '-'`);
    const key = `${r.repo}/${r.path}`;
    if (seen.has(key)) throw new Error(`${where}: duplicate row`);
    seen.add(key);
  });
  return parsed;
}

/** Where a row's file lives under `corpusDir`. */
export function rowFile(corpusDir: string, row: Pick<RealCorpusRow, 'repo' | 'path'>): string {
  return path.join(corpusDir, row.repo, row.path);
}

/** One answer of the public-source reader (`read_file`): the file's text from `offset`, at `commit`. */
export interface CapturedFile {
  repo: string;
  path: string;
  commit: string;
  offset: number;
  text: string;
  total_chars?: number;
}

/**
 * Writes captured answers (JSON lines, one `read_file` answer each, pages of one file in offset order) into
 * `corpusDir`. Returns one line per file written and one per problem (a capture whose commit differs from its
 * manifest row, a file with missing pages). Never writes outside `corpusDir`.
 */
export async function importCaptures(capturesText: string, manifest: RealCorpusManifest, corpusDir: string): Promise<string[]> {
  const byKey = new Map(manifest.rows.map((r) => [`${r.repo}/${r.path}`, r]));
  const files = new Map<string, { commit: string; pages: CapturedFile[] }>();
  const out: string[] = [];
  capturesText.split('\n').forEach((line, i) => {
    if (!line.trim()) return;
    let c: CapturedFile;
    try {
      c = JSON.parse(line) as CapturedFile;
    } catch (err) {
      out.push(`line ${i + 1}: not JSON (${(err as Error).message})`);
      return;
    }
    const key = `${c.repo}/${c.path}`;
    const entry = files.get(key) ?? { commit: c.commit, pages: [] };
    entry.pages.push(c);
    files.set(key, entry);
  });
  for (const [key, { commit, pages }] of files) {
    const row = byKey.get(key);
    if (!row) {
      out.push(`${key}: no manifest row, not written`);
      continue;
    }
    if (row.commit !== commit) out.push(`${key}: captured at ${commit}, manifest says ${row.commit}`);
    pages.sort((a, b) => a.offset - b.offset);
    // The reader counts characters as Unicode code points (an emoji is one), JavaScript strings as UTF-16 units.
    let text = '';
    let chars = 0;
    for (const p of pages) {
      if (p.offset !== chars) break;
      text += p.text;
      chars += [...p.text].length;
    }
    const total = pages[0]?.total_chars;
    // The reader hands CRLF files back with LF line ends while total_chars counts the CRs: one per line.
    const newlines = text.split('\n').length - 1;
    if (total !== undefined && chars !== total && chars + newlines !== total) {
      out.push(`${key}: ${chars} of ${total} characters captured, not written`);
      continue;
    }
    const dest = rowFile(corpusDir, row);
    if (!path.resolve(dest).startsWith(path.resolve(corpusDir) + path.sep)) throw new Error(`${key}: outside ${corpusDir}`);
    await mkdir(path.dirname(dest), { recursive: true });
    await writeFile(dest, text);
    out.push(`${key}: written`);
  }
  return out;
}

/** Options of {@link evaluateReal}. */
export interface EvaluateRealOptions {
  root?: string;
  manifest?: string;
  corpusDir?: string;
  /** Languages to score (default: every language in the manifest). */
  languages?: readonly string[];
  /** Sets to score ({@link rowSet}; default: every set in the manifest). */
  sets?: readonly string[];
}

/** Scores the scanners on the real corpus. */
export async function evaluateReal(opts: EvaluateRealOptions = {}): Promise<RealEvalResult> {
  const root = opts.root ?? repoRoot();
  const manifest = await loadManifest(path.resolve(root, opts.manifest ?? MANIFEST_PATH));
  const corpusDir = path.resolve(root, opts.corpusDir ?? CORPUS_DIR);
  const rows = manifest.rows.filter(
    (r) => (!opts.languages || opts.languages.includes(r.language)) && (!opts.sets || opts.sets.includes(rowSet(r))),
  );
  const result: RealEvalResult = {
    scores: [],
    absent: [],
    errors: [],
    rows: rows.length,
    repositories: new Set(rows.map((r) => r.repo)).size,
  };
  const present = rows.filter((r) => {
    if (existsSync(rowFile(corpusDir, r))) return true;
    result.absent.push(`${r.repo}/${r.path}@${r.commit}`);
    return false;
  });
  const languages = [...new Set(present.map((r) => r.language))].sort();
  const prepared = new Set<unknown>();
  for (const language of languages) {
    const prepare = LANGUAGES[language]!.prepare;
    if (!prepare || prepared.has(prepare)) continue;
    prepared.add(prepare);
    await prepare(languages.filter((l) => LANGUAGES[l]!.prepare === prepare));
  }
  for (const language of languages) {
    const langRows = present.filter((r) => r.language === language);
    const files = langRows.map((r) => path.relative(corpusDir, rowFile(corpusDir, r)));
    const scan: SourceScanResult = await LANGUAGES[language]!.scan(files, { cwd: corpusDir });
    // Tolerant-parse messages already start with `file:line:column`.
    for (const e of scan.errors) result.errors.push(e.message.startsWith(e.file) ? e.message : `${e.file}${e.line ? `:${e.line}` : ''}: ${e.message}`);
    const bySet = new Map<string, RealLanguageScore>();
    langRows.forEach((row, i) => {
      const set = rowSet(row);
      let score = bySet.get(set);
      if (!score) {
        score = { set, language, mustFire: 0, mustNotFire: 0, ...emptyCounts() };
        bySet.set(set, score);
      }
      const file = path.normalize(files[i]!);
      const hits = scan.findings.filter((f) => path.normalize(f.location.file) === file && row.rules.includes(f.ruleId));
      if (row.label === 'must-fire') {
        score.mustFire++;
        if (hits.some((f) => f.location.line >= row.lines[0] && f.location.line <= row.lines[1])) score.truePositives++;
        else {
          score.falseNegatives++;
          score.misses.falseNegatives.push(`${row.repo}/${row.path}:${row.lines.join('-')} ${row.rules.join(',')}`);
        }
      } else {
        score.mustNotFire++;
        if (hits.length) {
          score.falsePositives++;
          score.misses.falsePositives.push(`${row.repo}/${row.path}:${hits.map((f) => `${f.location.line} ${f.ruleId}`).join(', ')}`);
        }
      }
    });
    for (const score of bySet.values()) {
      settleRatios(score);
      result.scores.push(score);
    }
  }
  result.scores.sort((a, b) => a.set.localeCompare(b.set) || a.language.localeCompare(b.language));
  return result;
}

/** The real-corpus scores as a plain-text table, one line per set and language. */
export function formatRealTable(result: RealEvalResult): string {
  const header = ['set', 'language', 'must-fire', 'must-not-fire', 'TP', 'FP', 'FN', 'precision', 'recall'];
  const rows = result.scores.map((s) => [
    s.set,
    s.language,
    String(s.mustFire),
    String(s.mustNotFire),
    String(s.truePositives),
    String(s.falsePositives),
    String(s.falseNegatives),
    s.precision.toFixed(2),
    s.recall.toFixed(2),
  ]);
  return formatColumns(header, rows, 2);
}
