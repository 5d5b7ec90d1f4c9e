import { realpathSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Finding, RunError, Severity } from '../types.js';
import { type DiscoveredInputs, type SkippedPath, discoverInputs } from './discover.js';
import type { ParseCache } from './cache.js';
import { readAndParse, type FileParse } from './file-parse.js';
import type { ManifestObject, Origin } from './objects.js';
import { objectsOf } from './objects.js';
import { parseInParallel } from './parallel.js';
import { readManifest, DEFAULT_MAX_FILE_BYTES } from './read.js';
import { parseSysctlConf, type SysctlSetting } from '../node/sysctl.js';
import type { ParsedFile } from './parse.js';
import { renderDirectory, type RenderedInput, type RenderOptions, type RenderTarget } from './render/index.js';
import { unrenderedFindings } from './render/unrendered.js';

export { readAndParse, type FileParse } from './file-parse.js';

/** Options of the load stage. */
export interface LoadOptions {
  paths: readonly string[];
  cwd: string;
  /** Namespace for objects without one (`kubectl apply` without `-n`): default `default`. */
  defaultNamespace: string;
  /** Largest file read, bytes. */
  maxFileBytes?: number;
  /** Standard input reader for `-` (tests inject one). */
  stdin?: () => Buffer;
  /** Severity of `parse-error` findings (from rule settings). */
  parseErrorSeverity: Severity | 'off';
  /** The configuration's `ignorePatterns` (.gitignore syntax, relative to `base`). */
  ignore?: { base: string; patterns: readonly string[] };
  /**
   * Paths (directories, files, globs) loaded for cross-file context only (`--context-dir`): their objects
   * feed the model, but their findings are not reported. A file also reached through `paths` is reported.
   */
  contextPaths?: readonly string[];
  /**
   * Which files of `paths` are reported (`--changed-since`): called with the file's real absolute path;
   * files it rejects (`false`: unchanged) are loaded as context. A string rejects the file too and says why it
   * cannot be reported at all (`outside the git repository`, `ignored by git`): it is named in
   * `stats.skippedPaths`. Standard input is always reported.
   */
  report?: (absolutePath: string) => boolean | string;
  /** Parse cache (`--cache`): unchanged files are not parsed again (see `cache.ts`); files are then parsed on this thread only. */
  cache?: ParseCache;
  /**
   * Rendering of charts and kustomizations (`render/`): directories of `paths` with a Chart.yaml or a
   * kustomization file are rendered, and so are `helmCharts` (`--helm-chart`) and `kustomizations`
   * (`--kustomize`), which are reported like `paths`.
   */
  render?: RenderOptions & { helmCharts?: readonly string[]; kustomizations?: readonly string[] };
  /** Severity of `input-not-rendered` findings (from rule settings); default `warn`. */
  notRenderedSeverity?: Severity | 'off';
}

/** Counts of what was read. */
export interface LoadStats {
  files: number;
  documents: number;
  objects: number;
  /** Objects analysed, per kind. */
  byKind: Record<string, number>;
  /** Objects skipped, per kind (kinds meshlint does not read). */
  skipped: Record<string, number>;
  /** Node settings read from sysctl.d-style files. */
  nodeSettings?: number;
  /** Paths not read or not reported, each with why (dot-directories, build output, devices, binary source files, …). */
  skippedPaths?: SkippedPath[];
}

/** Output of the load stage. */
export interface Loaded {
  objects: ManifestObject[];
  notMappings: { origin: Origin; got: string }[];
  /** `parse-error` findings. */
  findings: Finding[];
  errors: RunError[];
  /** Source files found in the given directories (for the source scanners), context ones included. */
  sources: string[];
  /** Text of each manifest whose text contains `meshlint-disable`, by display name (for the suppression stage: js-yaml drops comments). */
  directiveTexts: Map<string, string>;
  /** Node settings read from sysctl.d-style `*.conf` files, in input order. */
  sysctl: SysctlSetting[];
  stats: LoadStats;
  /** Charts and kustomizations rendered: their output, and the file each document came from (findings are moved there). */
  renders: RenderedInput[];
  /**
   * Files (as findings name them: the display path, `<stdin>`) whose findings are reported; undefined when
   * every loaded file is (no `contextPaths`, no `report` filter).
   */
  reported?: Set<string>;
}

/** Real absolute path of `path` (symlinks resolved), or the resolved path when it cannot be resolved. */
export function realPath(cwd: string, path: string): string {
  const abs = resolve(cwd, path);
  try {
    return realpathSync.native(abs);
  } catch {
    return abs;
  }
}

/**
 * Splits discovered inputs into reported and context-only files: files of `paths` that `report` accepts
 * are reported, the rest of `paths` and the files of `contextPaths` (less those already reached) are
 * context. Files are identified by real path, so `./a.yaml` and `a.yaml` are one file.
 */
function withContext(options: LoadOptions): DiscoveredInputs & { reported?: Set<string> } {
  const discovered = discoverInputs(options.paths, options.cwd, options.ignore);
  if (!options.contextPaths?.length && !options.report) return { ...discovered };
  const context = options.contextPaths?.length ? discoverInputs(options.contextPaths, options.cwd, options.ignore, false) : { manifests: [], sources: [], sysctl: [], errors: [], renders: [], unrendered: [], skipped: [] };
  const reported = new Set<string>();
  const seen = new Set<string>();
  const pick = (files: readonly string[], primary: boolean, out: string[]) => {
    for (const file of files) {
      if (file === '-') {
        if (primary) reported.add('<stdin>');
        out.push(file);
        continue;
      }
      const real = realPath(options.cwd, file);
      if (seen.has(real)) continue;
      seen.add(real);
      const verdict = primary && options.report ? options.report(real) : primary;
      if (verdict === true) reported.add(file);
      else if (typeof verdict === 'string') skipped.push({ path: file, reason: verdict });
      out.push(file);
    }
  };
  const manifests: string[] = [];
  const sources: string[] = [];
  const sysctl: string[] = [];
  // A chart or kustomization of the paths is reported at its Chart.yaml or kustomization file (a pre-commit hook
  // names the staged template, and runs with --context-dir).
  for (const u of discovered.unrendered) if (!options.report || options.report(realPath(options.cwd, u.from ?? u.file))) reported.add(u.file);
  const skipped: SkippedPath[] = [...discovered.skipped, ...context.skipped];
  pick(discovered.manifests, true, manifests);
  pick(discovered.sources, true, sources);
  pick(discovered.sysctl, true, sysctl);
  pick(context.manifests, false, manifests);
  pick(context.sources, false, sources);
  pick(context.sysctl, false, sysctl);
  return {
    manifests,
    sources,
    sysctl,
    errors: [...discovered.errors, ...context.errors],
    renders: discovered.renders,
    unrendered: [...discovered.unrendered, ...context.unrendered],
    skipped,
    reported,
  };
}

/**
 * The load stage: expands paths, reads each file (or standard input), parses every YAML/JSON document
 * with positions, and splits documents into Kubernetes objects. A file that cannot be parsed becomes a
 * `parse-error` finding and the other files are still loaded; a path that cannot be read becomes a
 * {@link RunError}. Never throws for bad input. With `contextPaths` or `report`, `reported` names the files
 * whose findings count; when it is empty nothing is read. Single-threaded; {@link loadInputsParallel} can
 * parse on worker threads as well, with the same result.
 */
export function loadInputs(options: LoadOptions): Loaded {
  const discovered = withContext(options);
  if (discovered.reported?.size === 0) return assemble(options, discovered, []);
  const maxBytes = options.maxFileBytes ?? DEFAULT_MAX_FILE_BYTES;
  return assemble(options, discovered, discovered.manifests.map((path) => readAndParse(path, options.cwd, maxBytes, options.stdin, options.cache)));
}

/**
 * {@link loadInputs}, with the files read and parsed by worker threads as well as the main thread when
 * `MESHLINT_PARSE_WORKERS` asks for them (see `parallel.ts`). Same result, in the same order. Never throws
 * for bad input.
 */
export async function loadInputsParallel(options: LoadOptions): Promise<Loaded> {
  if (options.cache) return loadInputs(options); // cached parses are read on this thread
  const discovered = withContext(options);
  if (discovered.reported?.size === 0) return assemble(options, discovered, []);
  const maxBytes = options.maxFileBytes ?? DEFAULT_MAX_FILE_BYTES;
  return assemble(options, discovered, await parseInParallel(discovered.manifests, options.cwd, maxBytes, options.stdin));
}

/**
 * The directories to render: those of `paths` with a Chart.yaml or a kustomization file, then `--helm-chart`
 * and `--kustomize` ones; one directory (by real path) once. All are reported (none is context).
 */
function renderTargets(options: LoadOptions, discovered: DiscoveredInputs): RenderTarget[] {
  const targets: RenderTarget[] = [
    ...discovered.renders,
    ...(options.render?.helmCharts ?? []).map((dir) => ({ tool: 'helm' as const, dir })),
    ...(options.render?.kustomizations ?? []).map((dir) => ({ tool: 'kustomize' as const, dir })),
  ];
  const seen = new Set<string>();
  return targets.filter((t) => {
    const real = `${t.tool}:${realPath(options.cwd, t.dir)}`;
    if (seen.has(real)) return false;
    seen.add(real);
    return true;
  });
}

/** Turns per-file parses (in discovery order) into objects, findings, errors and counts; renders charts and kustomizations; then reads the sysctl files. */
function assemble(options: LoadOptions, discovered: DiscoveredInputs & { reported?: Set<string> }, parses: readonly FileParse[]): Loaded {
  const out: Loaded = {
    objects: [],
    notMappings: [],
    findings: [],
    errors: [...discovered.errors],
    sources: discovered.sources,
    directiveTexts: new Map(),
    sysctl: [],
    stats: { files: 0, documents: 0, objects: 0, byKind: {}, skipped: {}, skippedPaths: [...discovered.skipped] },
    renders: [],
  };
  if (discovered.reported) {
    out.reported = discovered.reported;
    if (discovered.reported.size === 0) return { ...out, sources: [] }; // nothing to report: skip the context
  }
  let order = 0;
  const nextOrder = () => order++;
  /** Adds one parsed file's (or rendered output's) problems, objects and counts. */
  const take = (display: string, parsed: ParsedFile) => {
    if (options.parseErrorSeverity !== 'off') {
      for (const p of parsed.problems) {
        const finding: Finding = { ruleId: 'parse-error', severity: options.parseErrorSeverity, message: p.message, location: { file: display, line: p.line, column: p.column } };
        if (p.hint) finding.hint = p.hint;
        out.findings.push(finding);
      }
    }
    out.stats.documents += parsed.documents.filter((d) => d.value !== null && d.value !== undefined).length;
    const split = objectsOf(display, parsed.documents, options.defaultNamespace, nextOrder);
    for (const o of split.objects) out.objects.push(o);
    for (const n of split.notMappings) out.notMappings.push(n);
    for (const [kind, n] of split.skipped) out.stats.skipped[kind] = (out.stats.skipped[kind] ?? 0) + n;
  };
  for (const { path, read, parsed, directiveText } of parses) {
    const display = path === '-' ? '<stdin>' : path;
    if (!read.ok || !parsed) {
      const message = read.ok ? 'not parsed' : read.message;
      if (!read.ok && read.kind === 'io') out.errors.push({ subject: display, message });
      else if (options.parseErrorSeverity !== 'off') out.findings.push({ ruleId: 'parse-error', severity: options.parseErrorSeverity, message, location: { file: display, line: 1, column: 1 } });
      continue;
    }
    out.stats.files++;
    if (directiveText !== undefined) out.directiveTexts.set(display, directiveText);
    take(display, parsed);
  }
  for (const target of renderTargets(options, discovered)) {
    const rendered = renderDirectory(target, options.cwd, options.render ?? {}, options.maxFileBytes ?? DEFAULT_MAX_FILE_BYTES);
    if ('subject' in rendered) {
      out.errors.push(rendered);
      continue;
    }
    out.renders.push(rendered);
    out.stats.files += new Set(rendered.documents.map((d) => d.source ?? rendered.display)).size;
    take(rendered.display, rendered.parsed);
    // Findings move to the template or resource files: their `# meshlint-disable` comments apply there.
    for (const source of new Set(rendered.documents.map((d) => d.source))) {
      if (!source || out.directiveTexts.has(source)) continue;
      const read = readManifest(source, options.cwd, options.maxFileBytes ?? DEFAULT_MAX_FILE_BYTES);
      if (read.ok && read.text.includes('meshlint-disable')) out.directiveTexts.set(source, read.text);
    }
    if (out.reported) {
      out.reported.add(rendered.display);
      for (const d of rendered.documents) if (d.source) out.reported.add(d.source);
    }
  }
  const renderedDirs = new Set(out.renders.map((r) => realPath(options.cwd, r.dir)));
  for (const f of unrenderedFindings(discovered.unrendered, parses, (dir) => renderedDirs.has(realPath(options.cwd, dir)), options.notRenderedSeverity)) out.findings.push(f);
  for (const path of discovered.sysctl) loadSysctlFile(path, options, out);
  out.stats.nodeSettings = out.sysctl.length;
  for (const o of out.objects) out.stats.byKind[o.ref.kind] = (out.stats.byKind[o.ref.kind] ?? 0) + 1;
  out.stats.objects = out.objects.length;
  return out;
}

/**
 * Reads one sysctl.d-style file into `out.sysctl`. Lines that are not assignments become `parse-error` findings,
 * except in a `.conf` file with no sysctl assignment at all (another program's configuration found in a
 * directory, e.g. `nginx.conf`), which is counted as skipped.
 */
function loadSysctlFile(path: string, options: LoadOptions, out: Loaded): void {
  const read = readManifest(path, options.cwd, options.maxFileBytes ?? DEFAULT_MAX_FILE_BYTES);
  if (!read.ok) {
    if (read.kind === 'io') out.errors.push({ subject: path, message: read.message });
    else if (options.parseErrorSeverity !== 'off') out.findings.push({ ruleId: 'parse-error', severity: options.parseErrorSeverity, message: read.message, location: { file: path, line: 1, column: 1 } });
    return;
  }
  const parsed = parseSysctlConf(path, read.text);
  if (parsed.settings.length === 0) {
    out.stats.skipped['(.conf without sysctl settings)'] = (out.stats.skipped['(.conf without sysctl settings)'] ?? 0) + 1;
    return;
  }
  out.stats.files++;
  for (const s of parsed.settings) out.sysctl.push(s);
  if (options.parseErrorSeverity === 'off') return;
  for (const p of parsed.problems) out.findings.push({ ruleId: 'parse-error', severity: options.parseErrorSeverity, message: p.message, location: { file: path, line: p.line, column: p.column } });
}
