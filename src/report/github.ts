import { isAbsolute, relative, resolve, sep } from 'node:path';
import type { AnalysisResult } from './result.js';
import { ruleMeta } from '../rules/registry.js';
import type { Finding, Severity } from '../types.js';
import { countBySeverity, escapeControl, type ReportOptions } from './format.js';

/** Workflow command per severity: `info` is a `notice` annotation. */
const COMMAND: Record<Severity, 'error' | 'warning' | 'notice'> = { error: 'error', warn: 'warning', info: 'notice' };

/**
 * Escapes the data (message) of a GitHub Actions workflow command: `%`, CR and LF become `%25`, `%0D`,
 * `%0A` (GitHub Docs, "Workflow commands for GitHub Actions"; the runner decodes them, so a multi-line
 * message stays one command line). Other control characters (ESC, BEL, …) are written as escapes
 * (`escapeControl`): the job log is shown in a terminal emulator.
 */
export function escapeData(text: string): string {
  return escapeControl(text.replace(/%/g, '%25').replace(/\r/g, '%0D').replace(/\n/g, '%0A'));
}

/** Escapes a property value of a workflow command: as {@link escapeData}, plus `:` → `%3A` and `,` → `%2C` (they delimit properties). */
export function escapeProperty(text: string): string {
  return escapeData(text).replace(/:/g, '%3A').replace(/,/g, '%2C');
}

/**
 * The annotation's `file`: GitHub wants a path relative to the repository root. Findings carry the path
 * as the user gave it (relative to the working directory); inside a workflow (`GITHUB_WORKSPACE` set and
 * the file under it) the path is made relative to the workspace. `<stdin>` and `cluster://` objects have
 * no file in the repository: undefined.
 */
export function annotationPath(file: string, cwd: string = process.cwd(), workspace: string | undefined = process.env.GITHUB_WORKSPACE): string | undefined {
  if (file === '<stdin>' || file.startsWith('cluster://') || file.startsWith('<')) return undefined;
  const abs = isAbsolute(file) ? file : resolve(cwd, file);
  const base = workspace ? resolve(workspace) : resolve(cwd);
  const rel = relative(base, abs);
  if (!rel || rel.startsWith('..') || isAbsolute(rel)) return isAbsolute(file) ? abs : file.split(sep).join('/');
  return rel.split(sep).join('/');
}

/** One workflow command for a finding: `::error file=…,line=…,col=…,title=…::message`. */
export function annotation(f: Finding): string {
  const props: string[] = [];
  const file = annotationPath(f.location.file);
  if (file !== undefined) props.push(`file=${escapeProperty(file)}`, `line=${f.location.line}`, `col=${f.location.column}`);
  const code = ruleMeta(f.ruleId)?.code;
  props.push(`title=${escapeProperty(`meshlint ${f.ruleId}${code ? ` (${code})` : ''}`)}`);
  let message = f.message;
  if (file === undefined) message = `${f.location.file}:${f.location.line}:${f.location.column}: ${message}`;
  if (f.hint) message += `\nFix: ${f.hint}`;
  if (f.cluster) message += `\ncluster ${f.cluster}`;
  if (f.location.object) {
    const o = f.location.object;
    message += `\n${o.kind} ${o.namespace ? `${o.namespace}/` : ''}${o.name}${f.location.fieldPath ? ` ${f.location.fieldPath}` : ''}`;
  }
  return `::${COMMAND[f.severity]} ${props.join(',')}::${escapeData(message)}`;
}

/**
 * GitHub Actions annotations: one workflow command per finding (`error`, `warning`, `notice`), so the
 * findings show on the pull request's diff, then a plain summary line. Coverage notes (cluster audits)
 * become `warning` annotations without a file.
 */
export function github(result: AnalysisResult, options: ReportOptions): string {
  const lines = result.findings.map(annotation);
  for (const note of options.coverage ?? []) lines.push(`::warning title=${escapeProperty('meshlint coverage')}::${escapeData(note.message)}`);
  const c = countBySeverity(result.findings);
  lines.push(`meshlint ${options.version}: ${c.error} error${c.error === 1 ? '' : 's'}, ${c.warn} warning${c.warn === 1 ? '' : 's'}, ${c.info} info in ${result.stats.files} file${result.stats.files === 1 ? '' : 's'}`);
  return lines.join('\n') + '\n';
}
