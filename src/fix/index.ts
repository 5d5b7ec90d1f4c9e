import { readFileSync } from 'node:fs';
import { isAbsolute, join } from 'node:path';
import { formatPatch, structuredPatch, type StructuredPatchHunk } from 'diff';
import { isMap, LineCounter, parseAllDocuments } from 'yaml';
import type { Finding, Fix } from '../types.js';
import { applyFixes, type Refusal } from './yaml-edit.js';

/** What `--fix` does to one file. */
export interface FileFix {
  /** The file as findings name it. */
  file: string;
  before: string;
  after: string;
  /** Findings whose fix changed the text. */
  fixed: Finding[];
  /** Findings whose fix was already in place (another finding's fix did the same edit). */
  alreadyFixed: Finding[];
  /** Findings whose fix was refused, with why. */
  refused: { finding: Finding; reason: Refusal; detail: string }[];
}

/** The fixes of a run, per file, in file order. */
export interface FixPlan {
  files: FileFix[];
  /** Findings of the run that had no fix (unfixable rule, standard input, cluster, JSON file). */
  unfixable: Finding[];
}

/**
 * Plans the fixes of a run: groups findings that carry a {@link Fix} by the file the fix edits, reads
 * each file once, and applies the fixes in finding order with {@link applyFixes} (each fix all or nothing;
 * a refused fix leaves the text as the previous fix left it). A file that cannot be read or parsed is left
 * alone (its fixes refused). With `editable`, a fix whose file is not in it (a context file) is refused.
 * Writes nothing.
 */
export function planFixes(findings: readonly Finding[], cwd: string, editable?: ReadonlySet<string>): FixPlan {
  const byFile = new Map<string, Finding[]>();
  const unfixable: Finding[] = [];
  for (const f of findings) {
    if (!f.fix) {
      unfixable.push(f);
      continue;
    }
    const list = byFile.get(f.fix.file) ?? [];
    list.push(f);
    byFile.set(f.fix.file, list);
  }
  const files: FileFix[] = [];
  for (const [file, list] of [...byFile].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0))) {
    const entry: FileFix = { file, before: '', after: '', fixed: [], alreadyFixed: [], refused: [] };
    if (editable && !editable.has(file)) {
      for (const finding of list) entry.refused.push({ finding, reason: 'context', detail: `the fix edits ${file}, which was loaded as context only (name it on the command line to fix it)` });
      entry.after = entry.before;
      files.push(entry);
      continue;
    }
    try {
      entry.before = readFileSync(isAbsolute(file) ? file : join(cwd, file), 'utf8');
    } catch (error) {
      for (const finding of list) entry.refused.push({ finding, reason: 'unsupported', detail: `cannot read ${file}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}` });
      files.push(entry);
      continue;
    }
    const { text, outcomes } = applyFixes(entry.before, list.map((finding) => finding.fix as Fix));
    list.forEach((finding, i) => {
      const outcome = outcomes[i];
      if (!outcome.ok) entry.refused.push({ finding, reason: outcome.reason, detail: outcome.detail });
      else if (outcome.changed) entry.fixed.push(finding);
      else entry.alreadyFixed.push(finding);
    });
    entry.after = text;
    files.push(entry);
  }
  return { files, unfixable };
}

/** Whether a parsed document may hold secrets: a Secret, or anything with top-level `data`, `stringData` or `binaryData` (a ConfigMap). */
function holdsSecrets(doc: ReturnType<typeof parseAllDocuments>[number]): boolean {
  const top = doc.contents;
  if (!isMap(top)) return false;
  return top.get('kind') === 'Secret' || top.has('data') || top.has('stringData') || top.has('binaryData');
}

/** 1-based lines of `text` that belong to documents which may hold secrets ({@link holdsSecrets}). */
export function secretLines(text: string): Set<number> {
  const lines = new Set<number>();
  if (!/\b(Secret|data|stringData|binaryData)\b/.test(text)) return lines;
  const counter = new LineCounter();
  const docs = parseAllDocuments(text, { lineCounter: counter });
  for (const doc of Array.isArray(docs) ? docs : []) {
    if (!doc.range || !holdsSecrets(doc)) continue;
    const last = counter.linePos(Math.max(doc.range[0], doc.range[2] - 1)).line;
    // The document's `---` line holds nothing secret, and a diff needs it as context (see withoutSecrets).
    const first = counter.linePos(doc.range[0]).line + (text.startsWith('---', doc.range[0]) ? 1 : 0);
    for (let line = first; line <= last; line++) lines.add(line);
  }
  return lines;
}

/** A line of a Secret shown in a diff: its key kept, its value replaced. */
function redactLine(line: string): string {
  const m = /^([-+ ]\s*(?:- )?[^:#]*:)\s*\S/.exec(line);
  return m ? `${m[1]} <redacted>` : `${line[0]}<redacted>`;
}

/**
 * Takes lines of Secret documents out of a hunk (issue 14: three lines of context could be a password): context
 * at the hunk's edges is dropped (the hunk stays applicable, with less context); a Secret line between two edits,
 * or right after the last one, has its value replaced by `<redacted>` (that hunk no longer applies; `--fix` does).
 */
function withoutSecrets(hunk: StructuredPatchHunk, secret: Set<number>): StructuredPatchHunk {
  const oldLineOf: number[] = [];
  let old = hunk.oldStart;
  for (const line of hunk.lines) oldLineOf.push(line[0] === '+' ? -1 : old++);
  const isSecret = (i: number) => oldLineOf[i] > 0 && secret.has(oldLineOf[i]);
  let first = hunk.lines.findIndex((l) => l[0] !== ' ');
  let last = hunk.lines.length - 1 - [...hunk.lines].reverse().findIndex((l) => l[0] !== ' ');
  let lead = 0;
  for (let i = 0; i < first; i++) if (isSecret(i)) lead = i + 1;
  let tail = hunk.lines.length;
  for (let i = hunk.lines.length - 1; i > last; i--) if (isSecret(i)) tail = i;
  // No context after the change would anchor the hunk at the end of the file (git apply): redact those lines instead.
  if (tail === last + 1 && tail < hunk.lines.length) tail = hunk.lines.length;
  const lines = hunk.lines.slice(lead, tail).map((l, j) => (isSecret(j + lead) ? redactLine(l) : l));
  first -= lead;
  last -= lead;
  const dropped = hunk.lines.length - lines.length;
  return { ...hunk, oldStart: hunk.oldStart + lead, newStart: hunk.newStart + lead, oldLines: hunk.oldLines - dropped, newLines: hunk.newLines - dropped, lines };
}

/**
 * Unified diff of the planned changes (`a/` and `b/` prefixes, as `git apply` reads them); empty when nothing
 * changes. Lines of Secret documents (and of anything with `data`/`stringData`) never appear: see {@link withoutSecrets}.
 */
export function unifiedDiff(plan: FixPlan): string {
  return plan.files
    .filter((f) => f.after !== f.before)
    .map((f) => {
      const patch = structuredPatch(`a/${f.file}`, `b/${f.file}`, f.before, f.after, undefined, undefined, { context: 3 });
      const secret = secretLines(f.before);
      if (secret.size) patch.hunks = patch.hunks.map((h) => withoutSecrets(h, secret));
      return formatPatch(patch).replace(/^=+\n/m, '');
    })
    .join('');
}
