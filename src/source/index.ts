/**
 * Entry point of application-source scanning: `scanSources(files, opts)` groups files by extension, loads
 * each language's engine with a dynamic `import()` only when files of that language are present (ESLint
 * and the TypeScript parser for JavaScript/TypeScript; ast-grep and tree-sitter grammars for Go, Python and
 * Java), runs the scanners and merges their results.
 */
import path from 'node:path';
import { appendScanResult, DEFAULT_ISOLATE_MIN_BYTES, DEFAULT_SOURCE_MAX_HEAP_MIB, DEFAULT_SOURCE_TIMEOUT_SECONDS, scanIsolated, sourceFileBytes, type SourceIsolation } from './isolated.js';
import type { SourceLanguage, SourceScanResult } from './types.js';

/** Options every scanner receives. */
export interface SourceScanOptions {
  /** Directory relative file paths are read from. */
  cwd: string;
  /** Environment-variable name → destination (`host`, `host:port` or a URL), for URLs read from `process.env.X` / `os.environ["X"]`. */
  envHosts?: Record<string, string>;
  /** Per-rule options (rule id → options object). */
  ruleOptions?: Record<string, Record<string, unknown>>;
  /** Rule ids not to run (configured `off`). */
  disabledRules?: readonly string[];
  /** Largest source file scanned, bytes (default `DEFAULT_MAX_SOURCE_BYTES`, 1 MiB); a larger one is a `parse-error` finding. */
  maxFileBytes?: number;
  /**
   * Per-file time and heap limits (`isolated.ts`): files of at least `minBytes` bytes are scanned on a worker
   * thread, each within `timeoutSeconds` of wall clock and the worker within `maxHeapMiB` of heap. Defaults:
   * 120 s, 1,536 MiB, 128 KiB. Only the built-in scanners (`SCANNERS`) are isolated.
   */
  isolation?: Partial<SourceIsolation>;
}

/** A scanner as the registry loads it: files relative to `opts.cwd`; result paths are the paths as given. */
export type SourceScanner = (files: string[], opts: SourceScanOptions) => Promise<SourceScanResult>;

/** One registry entry: the extensions an engine reads and how to load it. */
export interface ScannerEntry {
  /** Engine name, for messages (`eslint`, `tree-sitter`). */
  engine: string;
  /** Lower-case extensions with the dot. */
  extensions: Readonly<Record<string, SourceLanguage>>;
  /** Imports the engine; `undefined` while the engine is not part of this build. */
  load: (() => Promise<SourceScanner>) | undefined;
}

/**
 * The scanners, in the order they run. The JavaScript/TypeScript scanner is ESLint with meshlint's plugin
 * (`eslint/scan.ts`); the Go/Python/Java scanner is the ast-grep one (`treesitter/scan.ts`).
 */
export const SCANNERS: readonly ScannerEntry[] = [
  {
    engine: 'eslint',
    extensions: {
      '.js': 'javascript',
      '.mjs': 'javascript',
      '.cjs': 'javascript',
      '.jsx': 'javascript',
      '.ts': 'typescript',
      '.mts': 'typescript',
      '.cts': 'typescript',
      '.tsx': 'typescript',
    },
    load: async () => (await import('./eslint/scan.js')).scanJavaScript,
  },
  {
    engine: 'tree-sitter',
    extensions: { '.go': 'go', '.py': 'python', '.java': 'java' },
    load: async () => (await import('./treesitter/scan.js')).scanTreeSitter,
  },
];

/** Every extension some scanner reads (with the dot, lower-case). */
export function sourceExtensions(scanners: readonly ScannerEntry[] = SCANNERS): string[] {
  return scanners.flatMap((s) => Object.keys(s.extensions));
}

/** The language of a file by its extension, or `undefined` for a file no scanner reads (`.d.ts` files included). */
export function languageOfFile(file: string, scanners: readonly ScannerEntry[] = SCANNERS): SourceLanguage | undefined {
  const lower = file.toLowerCase();
  if (/\.d\.[mc]?ts$/.test(lower)) return undefined;
  const ext = path.extname(lower);
  for (const s of scanners) if (s.extensions[ext]) return s.extensions[ext];
  return undefined;
}

/** What {@link scanSources} returns: the merged result, plus what could not be scanned. */
export interface SourceScanSummary extends SourceScanResult {
  /** Files per language handed to a scanner. */
  filesByLanguage: Partial<Record<SourceLanguage, number>>;
  /** Files of a language whose engine is not part of this build, per language (not scanned, not errors). */
  notScanned: Partial<Record<SourceLanguage, number>>;
}

/**
 * Scans application source files: each file goes to the scanner for its extension; an engine is imported
 * only when at least one file needs it, so `meshlint check` over manifests alone never loads ESLint or
 * tree-sitter. Files with other extensions are ignored. A file that cannot be read or parsed is in `errors`;
 * the others are still scanned. A scanner that throws (a meshlint bug or a broken install) becomes one error
 * per file it was given, so the rest of the run goes on. Findings and call sites keep the paths as given.
 */
export async function scanSources(files: readonly string[], opts: SourceScanOptions, scanners: readonly ScannerEntry[] = SCANNERS): Promise<SourceScanSummary> {
  const out: SourceScanSummary = { findings: [], callSites: [], filesScanned: 0, errors: [], filesByLanguage: {}, notScanned: {} };
  for (const scanner of scanners) {
    const mine: string[] = [];
    for (const f of files) {
      const lang = languageOfFile(f, [scanner]);
      if (!lang) continue;
      mine.push(f);
      if (scanner.load) out.filesByLanguage[lang] = (out.filesByLanguage[lang] ?? 0) + 1;
      else out.notScanned[lang] = (out.notScanned[lang] ?? 0) + 1;
    }
    if (mine.length === 0 || !scanner.load) continue;
    let result: SourceScanResult;
    try {
      result = await scanWithLimits(scanner, mine, opts, scanners === SCANNERS);
    } catch (e) {
      const reason = e instanceof Error ? e.message.split('\n')[0] : String(e);
      for (const f of mine) out.errors.push({ file: f, message: `${f}: not scanned: the ${scanner.engine} scanner failed: ${reason}` });
      continue;
    }
    appendScanResult(out, result);
  }
  return out;
}

/**
 * Runs one scanner over its files: files below the isolation threshold on this thread, larger ones on a worker
 * with a per-file time limit and a heap cap (`isolated.ts`). Custom registries (tests) run on this thread only.
 */
async function scanWithLimits(scanner: ScannerEntry, files: string[], opts: SourceScanOptions, builtIn: boolean): Promise<SourceScanResult> {
  const limits: SourceIsolation = {
    timeoutSeconds: opts.isolation?.timeoutSeconds ?? DEFAULT_SOURCE_TIMEOUT_SECONDS,
    maxHeapMiB: opts.isolation?.maxHeapMiB ?? DEFAULT_SOURCE_MAX_HEAP_MIB,
    minBytes: opts.isolation?.minBytes ?? DEFAULT_ISOLATE_MIN_BYTES,
  };
  const here: string[] = [];
  const isolated: string[] = [];
  for (const f of files) (builtIn && sourceFileBytes(f, opts.cwd) >= limits.minBytes ? isolated : here).push(f);
  const result: SourceScanResult = here.length ? await (await scanner.load!())(here, opts) : { findings: [], callSites: [], filesScanned: 0, errors: [] };
  if (isolated.length === 0) return result;
  const { isolation: _limits, ...workerOptions } = opts;
  appendScanResult(result, await scanIsolated(scanner.engine, isolated, workerOptions, limits));
  return result;
}
