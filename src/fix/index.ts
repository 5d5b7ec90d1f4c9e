import { readFileSync } from 'node:fs';
import { isAbsolute, join } from 'node:path';
import { createTwoFilesPatch } from 'diff';
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

/** Unified diff of the planned changes (`a/` and `b/` prefixes, as `git apply` reads them); empty when nothing changes. */
export function unifiedDiff(plan: FixPlan): string {
  return plan.files
    .filter((f) => f.after !== f.before)
    .map((f) => createTwoFilesPatch(`a/${f.file}`, `b/${f.file}`, f.before, f.after, undefined, undefined, { context: 3 }).replace(/^=+\n/m, ''))
    .join('');
}
