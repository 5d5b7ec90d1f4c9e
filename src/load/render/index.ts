import { statSync } from 'node:fs';
import { isAbsolute, relative, resolve } from 'node:path';
import type { RunError } from '../../types.js';
import { parseManifestText, type ParsedDocument, type ParsedFile } from '../parse.js';
import { helmSourceComments, helmTemplateArgs, templateFile, type HelmOptions } from './helm.js';
import { kustomizeArgs, takeOrigin, writeOriginWrapper, type KustomizeOptions } from './kustomize.js';
import { DEFAULT_RENDER_MAX_BYTES, DEFAULT_RENDER_TIMEOUT_SECONDS, runRenderer, type RunOutcome } from './run.js';

export type { HelmOptions } from './helm.js';
export type { KustomizeOptions } from './kustomize.js';
export { DEFAULT_RENDER_TIMEOUT_SECONDS } from './run.js';

/** The tool that turns a directory into manifests. */
export type RenderTool = 'helm' | 'kustomize';

/** Files that make a directory a Helm chart or a kustomization (kustomize's `konfig.RecognizedKustomizationFileNames`). */
export const CHART_FILE = 'Chart.yaml';
export const KUSTOMIZATION_FILES = ['kustomization.yaml', 'kustomization.yml', 'Kustomization'] as const;

/** A directory to render, as the user named it. */
export interface RenderTarget {
  tool: RenderTool;
  /** The directory as given (relative to the run's working directory, or absolute). */
  dir: string;
}

/** How directories are rendered (`--helm-*`, `--kustomize*`, `--render-timeout`). */
export interface RenderOptions {
  helm?: HelmOptions;
  kustomize?: KustomizeOptions;
  /** Seconds a renderer may run (default {@link DEFAULT_RENDER_TIMEOUT_SECONDS}). */
  timeoutSeconds?: number;
}

/** One document of a render and the file it came from. */
export interface RenderedDocument {
  /** 1-based line of the document's first node in the rendered output. */
  startLine: number;
  /** The template or resource file, as findings name files (relative to the working directory when the target was). */
  source?: string;
  /** Kind of the document's object, and how many documents of that kind from the same source came before it (to find it in a file of several). */
  kind?: string;
  ordinal: number;
}

/** A rendered directory: its output and where each document of it came from. */
export interface RenderedInput {
  tool: RenderTool;
  /** The directory as given. */
  dir: string;
  /** Name of the output in objects' origins: `<dir> (helm template)` or `<dir> (kustomize build)`. */
  display: string;
  /** The rendered output, by line (for matching a line back to its template). */
  lines: string[];
  /** Documents in output order (`startLine` ascending). */
  documents: RenderedDocument[];
  parsed: ParsedFile;
}

/** Display name of a target's rendered output. */
export function renderedDisplay(target: RenderTarget): string {
  return `${target.dir} (${target.tool === 'helm' ? 'helm template' : 'kustomize build'})`;
}

/**
 * Renders one directory with the user's `helm template` or `kubectl kustomize`/`kustomize build` (see
 * `run.ts` for the limits: no shell, a timeout, bounded output) and parses the output with positions.
 * Each document gets the file it came from: helm's `# Source:` comments, kustomize's origin annotations (which
 * are removed from the objects). Returns a {@link RunError} (one line: the tool, the directory, and the
 * exit code with the tool's error text) when the tool is missing or fails. Never throws.
 */
export function renderDirectory(target: RenderTarget, cwd: string, options: RenderOptions, maxBytes: number = DEFAULT_RENDER_MAX_BYTES): RenderedInput | RunError {
  const abs = resolve(cwd, target.dir);
  try {
    if (!statSync(abs).isDirectory()) return { subject: target.dir, message: 'not a directory: helm and kustomize render directories' };
  } catch {
    return { subject: target.dir, message: 'no such directory' };
  }
  const limits = { timeoutSeconds: options.timeoutSeconds ?? DEFAULT_RENDER_TIMEOUT_SECONDS, maxBytes, cwd };
  const display = renderedDisplay(target);
  const shown = (file: string) => (isAbsolute(target.dir) ? file : relative(cwd, file) || '.');
  if (target.tool === 'helm') {
    const binary = options.helm?.binary ?? 'helm';
    const run = runRenderer(binary, helmTemplateArgs(abs, options.helm ?? {}), limits);
    if (!run.ok) return failure(target, 'helm template', run, '--helm-binary', 'https://helm.sh/docs/intro/install/');
    const lines = run.stdout.split('\n');
    const parsed = parseManifestText(run.stdout, display);
    const comments = helmSourceComments(lines);
    let c = -1;
    const documents = withOrdinals(
      objectDocuments(parsed).map((doc) => {
        const startLine = doc.positions.resolve([]).line;
        while (c + 1 < comments.length && comments[c + 1]!.line < startLine) c++;
        return { startLine, source: c >= 0 ? shown(templateFile(abs, comments[c]!.template)) : undefined, kind: kindOf(doc) };
      }),
    );
    return { tool: 'helm', dir: target.dir, display, lines, documents, parsed };
  }
  let wrapper;
  try {
    wrapper = writeOriginWrapper(abs);
  } catch (error) {
    return { subject: target.dir, message: `cannot write a temporary kustomization: ${(error as Error).message.split('\n')[0]}` };
  }
  try {
    let binary = options.kustomize?.binary ?? 'kubectl';
    let run = runRenderer(binary, kustomizeArgs(binary, wrapper.dir), limits);
    if (!run.ok && run.missing && !options.kustomize?.binary) {
      binary = 'kustomize';
      run = runRenderer(binary, kustomizeArgs(binary, wrapper.dir), limits);
    }
    if (!run.ok) return failure(target, kustomizeArgs(binary, '')[0] === 'build' ? 'kustomize build' : 'kubectl kustomize', run, '--kustomize-binary', 'https://kubectl.docs.kubernetes.io/installation/');
    const lines = run.stdout.split('\n');
    const parsed = parseManifestText(run.stdout, display);
    const documents = withOrdinals(
      objectDocuments(parsed).map((doc) => {
        const origin = takeOrigin(doc.value, wrapper.dir);
        return { startLine: doc.positions.resolve([]).line, source: origin ? shown(origin) : undefined, kind: kindOf(doc) };
      }),
    );
    return { tool: 'kustomize', dir: target.dir, display, lines, documents, parsed };
  } finally {
    wrapper.remove();
  }
}

function failure(target: RenderTarget, command: string, run: Extract<RunOutcome, { ok: false }>, flag: string, install: string): RunError {
  if (run.missing) return { subject: target.dir, message: `${command} cannot run: ${run.message}; install it (${install}) or name it with ${flag}. Not analysed` };
  return { subject: target.dir, message: `${command} failed: ${run.message}` };
}

/** Documents with content: an empty one (a template that rendered nothing) has no position of its own, and would break the ascending `startLine` order. */
function objectDocuments(parsed: ParsedFile): ParsedDocument[] {
  return parsed.documents.filter((d) => d.value !== null && d.value !== undefined);
}

function kindOf(doc: ParsedDocument): string | undefined {
  const v = doc.value as { kind?: unknown } | null;
  return v && typeof v === 'object' && typeof v.kind === 'string' ? v.kind : undefined;
}

/** Numbers each document among those of the same source and kind before it. Linear. */
function withOrdinals(documents: Omit<RenderedDocument, 'ordinal'>[]): RenderedDocument[] {
  const seen = new Map<string, number>();
  return documents.map((d) => {
    const key = `${d.source ?? ''}\0${d.kind ?? ''}`;
    const ordinal = seen.get(key) ?? 0;
    seen.set(key, ordinal + 1);
    return { ...d, ordinal };
  });
}
