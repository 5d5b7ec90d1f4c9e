/**
 * The suppression stage, after the rules: findings the user silenced where they are written (an object
 * annotation, a disable comment in a YAML or source file) move from the findings to `suppressed`, each with
 * its {@link Suppression}. With `reportUnused`, directives that silenced nothing become
 * `unused-disable-directive` findings. See docs/suppressions.md.
 */
import { extname, resolve } from 'node:path';
import { SOURCE_EXTENSIONS } from '../load/discover.js';
import { DEFAULT_MAX_SOURCE_BYTES, readTextCapped } from '../load/read.js';
import { locate, type ManifestObject } from '../load/objects.js';
import { asRecord, asString, dig } from '../model/values.js';
import { allRules } from '../rules/registry.js';
import type { Finding, Location, Severity, Suppression } from '../types.js';
import { DIRECTIVE_MARKER, sourceDirectives, yamlDirectives, type CommentDirective } from './directives.js';

/** Annotation listing the meshlint rule ids to silence on an object (`"*"` for all). */
export const IGNORE_ANNOTATION = 'meshlint.io/ignore';
/** Annotation giving the reason for {@link IGNORE_ANNOTATION}. */
export const IGNORE_REASON_ANNOTATION = 'meshlint.io/ignore-reason';
/** istioctl analyze's suppression annotation (Istio resource annotations reference): comma-separated IST codes, or `*`. */
export const ISTIO_SUPPRESS_ANNOTATION = 'galley.istio.io/analyze-suppress';

/**
 * istioctl analyze message codes (Istio's configuration analysis messages) that report the same problem as a
 * meshlint rule. Only IST0106 SchemaValidationError has one: meshlint's `schema-invalid`. No istioctl analyzer
 * looks at connection pools, keep-alive, retries or TIME_WAIT, so no other code maps; `*` is not honoured
 * (it was written to quiet istioctl, and would hide churn findings nobody reviewed).
 */
export const ISTIO_CODE_RULES: Readonly<Record<string, readonly string[]>> = { IST0106: ['schema-invalid'] };

/** Id of the rule that reports directives that silence nothing. */
export const UNUSED_DIRECTIVE_RULE = 'unused-disable-directive';

/** Inputs of the suppression stage. */
export interface SuppressInput {
  findings: readonly Finding[];
  /** Objects of the run (their annotations are read). */
  objects: readonly ManifestObject[];
  /** Text of each manifest file (by the name findings use, `<stdin>` included) whose text contains `meshlint-disable`. */
  manifestTexts: ReadonlyMap<string, string>;
  /** Source files of the run (paths as findings name them, relative to `cwd` or absolute). */
  sourceFiles: readonly string[];
  cwd: string;
  /** Report directives that silence nothing. */
  reportUnused: boolean;
  /** Severity of those findings (`unused-disable-directive`'s configured severity). */
  unusedSeverity: Severity | 'off';
}

/** Output of the suppression stage. */
export interface SuppressOutput {
  /** Findings still reported, plus `unused-disable-directive` findings. */
  findings: Finding[];
  /** Silenced findings, each with `suppressions`. */
  suppressed: Finding[];
}

/** One directive, from an annotation or a comment, with the rule ids it names. */
interface Directive {
  via: Suppression['via'];
  /** Text naming the directive in messages, e.g. `meshlint-disable-next-line`. */
  label: string;
  rules: readonly string[];
  all: boolean;
  reason?: string;
  location: Location;
  matches(finding: Finding): boolean;
  /** Where the silenced findings would be, for the unused message (`on line 12`, `on DestinationRule shop/x`). */
  scope: string;
  /** Report it when unused (istioctl's annotation is not ours to report). */
  reportable: boolean;
}

/**
 * Applies annotations and disable comments to the findings. Never throws for bad input: a source file that
 * cannot be read or parsed simply has no directives.
 */
export async function applySuppressions(input: SuppressInput): Promise<SuppressOutput> {
  const directives = [...annotationDirectives(input.objects), ...(await commentDirectives(input))];
  if (directives.length === 0) return { findings: [...input.findings], suppressed: [] };
  const used = new Set<string>();
  const findings: Finding[] = [];
  const suppressed: Finding[] = [];
  for (const finding of input.findings) {
    const suppressions: Suppression[] = [];
    directives.forEach((d, i) => {
      if (!d.matches(finding)) return;
      const named = d.all ? '*' : d.rules.find((r) => r === finding.ruleId);
      if (!named) return;
      used.add(`${i}\0${named}`);
      suppressions.push({ kind: 'inSource', via: d.via, ...(d.reason ? { justification: d.reason } : {}), location: { file: d.location.file, line: d.location.line, column: d.location.column } });
    });
    if (suppressions.length) suppressed.push({ ...finding, suppressions });
    else findings.push(finding);
  }
  const severity = input.unusedSeverity;
  if (input.reportUnused && severity !== 'off') {
    const known = new Set(allRules().map((r) => r.meta.id));
    directives.forEach((d, i) => {
      if (!d.reportable) return;
      for (const name of d.all ? ['*'] : d.rules) {
        if (used.has(`${i}\0${name}`)) continue;
        const what = name === '*' ? 'any finding' : `a ${name} finding`;
        const message = name !== '*' && !known.has(name)
          ? `${d.label} names "${name}", which is not a meshlint rule: it silences nothing`
          : `unused ${d.label}: there is no ${what.replace(/^(a|any) /, '')} ${d.scope} to silence`;
        findings.push({
          ruleId: UNUSED_DIRECTIVE_RULE,
          severity,
          message,
          hint: d.all || d.rules.length === 1 ? 'remove the directive' : `remove ${name} from the directive`,
          location: d.location,
          value: `${d.label} ${name}`,
        });
      }
    });
  }
  return { findings, suppressed };
}

function objectKey(file: string, ref: { kind: string; namespace: string; name: string }): string {
  return `${file}\0${ref.kind}\0${ref.namespace}\0${ref.name}`;
}

/** `meshlint.io/ignore` and (mapped codes of) `galley.istio.io/analyze-suppress` on each object. */
function annotationDirectives(objects: readonly ManifestObject[]): Directive[] {
  const out: Directive[] = [];
  for (const object of objects) {
    const annotations = asRecord(dig(object.raw, 'metadata', 'annotations'));
    if (!annotations) continue;
    const key = objectKey(object.origin.file, object.ref);
    const matches = (f: Finding) => !!f.location.object && objectKey(f.location.file, f.location.object) === key;
    const scope = `on ${object.ref.kind} ${object.ref.namespace ? `${object.ref.namespace}/` : ''}${object.ref.name}`;
    const ignore = asString(annotations[IGNORE_ANNOTATION]);
    if (ignore !== undefined) {
      const rules = ignore.split(',').map((s) => s.trim()).filter(Boolean);
      const all = rules.length === 0 || rules.includes('*');
      const reason = asString(annotations[IGNORE_REASON_ANNOTATION])?.trim();
      out.push({ via: 'annotation', label: `${IGNORE_ANNOTATION} annotation`, rules: all ? [] : rules, all, ...(reason ? { reason } : {}), location: locate(object, ['metadata', 'annotations', IGNORE_ANNOTATION]), matches, scope, reportable: true });
    }
    const istio = asString(annotations[ISTIO_SUPPRESS_ANNOTATION]);
    if (istio !== undefined) {
      const codes = istio.split(',').map((s) => s.trim().toUpperCase());
      const rules = [...new Set(codes.flatMap((c) => ISTIO_CODE_RULES[c] ?? []))];
      if (rules.length) {
        out.push({ via: 'istio-annotation', label: `${ISTIO_SUPPRESS_ANNOTATION} annotation`, rules, all: false, reason: `${ISTIO_SUPPRESS_ANNOTATION}: ${istio}`, location: locate(object, ['metadata', 'annotations', ISTIO_SUPPRESS_ANNOTATION]), matches, scope, reportable: false });
      }
    }
  }
  return out;
}

/** Directives in the comments of manifest texts and of source files that contain the marker. */
async function commentDirectives(input: SuppressInput): Promise<Directive[]> {
  const found: CommentDirective[] = [];
  for (const [file, text] of input.manifestTexts) {
    if (text.includes(DIRECTIVE_MARKER)) for (const d of yamlDirectives(file, text)) found.push(d);
  }
  const withFindings = new Set(input.findings.map((f) => f.location.file));
  for (const file of input.sourceFiles) {
    if (!SOURCE_EXTENSIONS.has(extname(file).toLowerCase())) continue;
    if (!input.reportUnused && !withFindings.has(file)) continue; // nothing to silence there
    const read = readTextCapped(resolve(input.cwd, file), DEFAULT_MAX_SOURCE_BYTES);
    if (!read.ok) continue; // the scanners report unreadable and oversized files
    const text = read.text;
    if (!text.includes(DIRECTIVE_MARKER)) continue;
    try {
      for (const d of await sourceDirectives(file, text)) found.push(d);
    } catch {
      /* a grammar that cannot load: the scanner reports the file */
    }
  }
  return found.map((c) => {
    const label = `meshlint-${c.kind} comment`;
    const scope = c.kind === 'disable-next-line' ? `on line ${c.from}` : c.kind === 'disable-line' ? `on line ${c.line}` : `from line ${c.line} to the end of the ${SOURCE_EXTENSIONS.has(extname(c.file).toLowerCase()) ? 'file' : 'document'}`;
    const abs = resolve(input.cwd, c.file);
    return {
      via: 'comment' as const,
      label,
      rules: c.rules,
      all: c.all,
      ...(c.reason ? { reason: c.reason } : {}),
      location: { file: c.file, line: c.line, column: c.column },
      matches: (f: Finding) => (f.location.file === c.file || resolve(input.cwd, f.location.file) === abs) && f.location.line >= c.from && f.location.line <= c.to,
      scope,
      reportable: true,
    };
  });
}
