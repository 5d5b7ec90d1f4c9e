import { lstatSync, readdirSync, readFileSync, realpathSync, statSync } from 'node:fs';
import { basename, isAbsolute, join, relative, sep, extname } from 'node:path';
import { createRequire } from 'node:module';
import type { Ignore } from 'ignore';
import type * as Tinyglobby from 'tinyglobby';
import type { RunError } from '../types.js';
import { CHART_FILE, KUSTOMIZATION_FILES, type RenderTarget, type RenderTool } from './render/index.js';

/** Extensions read as Kubernetes manifests. */
export const MANIFEST_EXTENSIONS = new Set(['.yaml', '.yml', '.json']);
/** Extensions read as application source (issue 3), by language. */
export const SOURCE_EXTENSIONS = new Set(['.go', '.py', '.java', '.js', '.mjs', '.cjs', '.jsx', '.ts', '.mts', '.cts', '.tsx']);
/** Extensions read as sysctl.d-style node settings (issue 6): `name = value` per line, `sysctl.d(5)`. */
export const SYSCTL_EXTENSIONS = new Set(['.conf']);
/** Directory names never descended into: dependencies, build output, VCS metadata. */
export const SKIPPED_DIRECTORIES = new Set(['node_modules', 'vendor', '.git', '.hg', '.svn', 'dist', 'build', 'out', 'target', '__pycache__', '.venv', 'venv', '.tox', '.next', '.terraform']);

/** Version-control metadata directories: skipped like the others, but not named among the skipped paths (every repository has one). */
const VCS_DIRECTORIES = new Set(['.git', '.hg', '.svn']);

const require = createRequire(import.meta.url);
/** tinyglobby, loaded on first use: only a path that does not exist may be a glob (saves ~10 ms at start). */
const glob = (): typeof Tinyglobby => require('tinyglobby') as typeof Tinyglobby;
/** The `ignore` package, loaded on first use: only directories with a `.gitignore` need it (saves ~8 ms at start). */
const ignore = (): Ignore => (require('ignore') as () => Ignore)();

/** What the command-line paths expand to. `-` (standard input) is kept as the path `-`. */
export interface DiscoveredInputs {
  /** Manifest files (and `-`), in a stable order: the order given, directories sorted. */
  manifests: string[];
  /** Source files found in directories or named explicitly. */
  sources: string[];
  /** sysctl.d-style `*.conf` files (node settings), named or found in directories. */
  sysctl: string[];
  errors: RunError[];
  /** Directories named on the command line that hold a `Chart.yaml` or a kustomization: rendered, not walked. */
  renders: RenderTarget[];
  /**
   * Charts and kustomizations met while walking (or named as files) that are not rendered: `input-not-rendered`
   * findings at `file` (a Chart.yaml or kustomization file); `from` is the chart template that led there, when one was named.
   */
  unrendered: { tool: RenderTool; file: string; from?: string }[];
  /** Paths left out, each with why (a dot-directory, build output, a device found in a walk), for the summary. */
  skipped: SkippedPath[];
}

/** A path meshlint did not read, and why: named in the report's summary (`stats.skippedPaths`). */
export interface SkippedPath {
  /** The path as the user would name it (relative to the working directory when given so). */
  path: string;
  /** `dot-directory`, `dependencies or build output`, `not a regular file`, … */
  reason: string;
}

/**
 * Expands command-line paths: files as given, directories recursively (manifests: `.yaml`, `.yml`, `.json`;
 * sources: Go, Python, Java, JS/TS; sysctl.d files: `.conf`), globs (tinyglobby), and `-` for standard input. Directories skip
 * {@link SKIPPED_DIRECTORIES}, what `.gitignore` files inside them ignore, and symlinked directories already
 * visited (symlink loops). A path that does not exist or cannot be listed becomes a {@link RunError}; the
 * other paths are still expanded. A directory path holding a Chart.yaml or a kustomization file is a render
 * target (`renders`) when `render` is true (the paths to check; context directories are walked instead, so a
 * missing helm or kubectl never fails a pre-commit hook through `--context-dir .`); charts met while walking are
 * not descended into and, like kustomization files, are listed in `unrendered`. Never throws.
 */
export function discoverInputs(paths: readonly string[], cwd: string = process.cwd(), ignored?: { base: string; patterns: readonly string[] }, render = true): DiscoveredInputs {
  const out: DiscoveredInputs = { manifests: [], sources: [], sysctl: [], errors: [], renders: [], unrendered: [], skipped: [] };
  // Files by real path: `a.yaml`, `./a.yaml`, `$PWD/a.yaml` and a symlink to it are one file, analysed once.
  const seen = new Set<string>();
  // The configuration's ignorePatterns apply everywhere: walked directories, glob matches and files named explicitly.
  const configured = ignored?.patterns.length ? [{ base: ignored.base, ig: ignore().add([...ignored.patterns]) }] : [];
  const add = (file: string, explicit: boolean, real = realOrResolved(resolveFrom(cwd, file))) => {
    if (seen.has(real)) return;
    if (configured.length && isIgnored(configured, resolveFrom(cwd, file), false)) return;
    const ext = extname(file).toLowerCase();
    const unrendered = unrenderedInput(cwd, file);
    if (unrendered) {
      seen.add(real);
      out.unrendered.push(unrendered);
    } else if (SYSCTL_EXTENSIONS.has(ext)) {
      seen.add(real);
      out.sysctl.push(file);
    } else if (MANIFEST_EXTENSIONS.has(ext) || (explicit && !SOURCE_EXTENSIONS.has(ext))) {
      seen.add(real);
      out.manifests.push(file);
    } else if (SOURCE_EXTENSIONS.has(ext)) {
      seen.add(real);
      out.sources.push(file);
    }
  };
  for (const path of paths) {
    if (path === '-') {
      if (!seen.has('-')) out.manifests.push('-');
      seen.add('-');
      continue;
    }
    let stat;
    try {
      stat = statSync(resolveFrom(cwd, path));
    } catch (error) {
      if (glob().isDynamicPattern(path)) {
        const matches = glob().globSync(path, { cwd, onlyFiles: true, dot: false, ignore: [...SKIPPED_DIRECTORIES].map((d) => `**/${d}/**`) }).sort();
        if (matches.length === 0) out.errors.push({ subject: path, message: 'no files match this pattern' });
        for (const m of matches) add(m, false);
        continue;
      }
      out.errors.push({ subject: path, message: describeFsError(error) });
      continue;
    }
    if (stat.isDirectory()) {
      const tool = render ? renderToolOf(resolveFrom(cwd, path)) : undefined;
      if (tool) out.renders.push({ tool, dir: path });
      else walk(cwd, path, out, add, configured);
    } else if (stat.isCharacterDevice() || stat.isBlockDevice() || stat.isSocket()) {
      // A FIFO is read (`<(helm template …)`, `/dev/stdin` from a pipe); `/dev/null`, a terminal or a socket is
      // not a manifest: reading it checks nothing (or blocks) and would report "no problems".
      out.errors.push({ subject: path, message: 'not a regular file (a device or a socket)' });
    } else {
      add(path, true);
    }
  }
  return out;
}

/** `helm` for a directory with a Chart.yaml, `kustomize` for one with a kustomization file, else undefined. */
export function renderToolOf(dir: string): RenderTool | undefined {
  if (entryExists(dir, CHART_FILE)) return 'helm';
  if (KUSTOMIZATION_FILES.some((f) => entryExists(dir, f))) return 'kustomize';
  return undefined;
}

function entryExists(dir: string, name: string): boolean {
  try {
    return statSync(join(dir, name)).isFile();
  } catch {
    return false;
  }
}

/**
 * A file that is an input meshlint cannot read as it is: a kustomization file (by name: its `kind` is
 * optional), or a file under `templates/` of a chart (a Chart.yaml beside that directory). Undefined otherwise.
 */
function unrenderedInput(cwd: string, file: string): { tool: RenderTool; file: string; from?: string } | undefined {
  const name = basename(file);
  if ((KUSTOMIZATION_FILES as readonly string[]).includes(name)) return { tool: 'kustomize', file };
  const parts = file.split(/[\\/]/);
  const at = parts.lastIndexOf('templates');
  if (at < 0) return undefined;
  const chartDir = parts.slice(0, at).join(sep) || '.';
  return entryExists(resolveFrom(cwd, chartDir), CHART_FILE) ? { tool: 'helm', file: join(chartDir, CHART_FILE), from: file } : undefined;
}

function resolveFrom(cwd: string, path: string): string {
  return isAbsolute(path) ? path : join(cwd, path);
}

/** Real path of `abs` (symlinks resolved), or `abs` when it cannot be resolved (the read reports why). */
function realOrResolved(abs: string): string {
  try {
    return realpathSync.native(abs);
  } catch {
    return abs;
  }
}

function walk(cwd: string, root: string, out: DiscoveredInputs, add: (file: string, explicit: boolean, real?: string) => void, initial: { base: string; ig: Ignore }[]): void {
  const visited = new Set<string>();
  const visit = (dir: string, rules: { base: string; ig: Ignore }[]) => {
    const abs = resolveFrom(cwd, dir);
    let real: string;
    try {
      real = realpathSync(abs);
    } catch (error) {
      out.errors.push({ subject: dir, message: describeFsError(error) });
      return;
    }
    if (visited.has(real)) return; // symlink loop or a directory reached twice
    visited.add(real);
    let entries: string[];
    try {
      entries = readdirSync(abs).sort();
    } catch (error) {
      out.errors.push({ subject: dir, message: describeFsError(error) });
      return;
    }
    let scoped = rules;
    if (entries.includes('.gitignore')) {
      try {
        scoped = [...rules, { base: abs, ig: ignore().add(readFileSync(join(abs, '.gitignore'), 'utf8')) }];
      } catch {
        /* an unreadable .gitignore ignores nothing */
      }
    }
    for (const name of entries) {
      const child = dir === '.' ? name : join(dir, name);
      const childAbs = join(abs, name);
      let st;
      let link = false;
      try {
        st = lstatSync(childAbs);
        link = st.isSymbolicLink();
        if (link) st = statSync(childAbs);
      } catch (error) {
        out.errors.push({ subject: child, message: describeFsError(error) });
        continue;
      }
      const isDir = st.isDirectory();
      if (isDir && SKIPPED_DIRECTORIES.has(name)) {
        // Version-control metadata is never configuration: skipped without a word, unlike what a user may have put in `build/`.
        if (!VCS_DIRECTORIES.has(name)) out.skipped.push({ path: child, reason: name.startsWith('.') ? 'tool directory' : 'dependencies or build output' });
        continue;
      }
      if (isDir && name.startsWith('.')) {
        out.skipped.push({ path: child, reason: 'dot-directory' });
        continue;
      }
      if (isIgnored(scoped, childAbs, isDir)) continue;
      // A chart's templates are not YAML until rendered: the chart is reported once, at its Chart.yaml.
      if (isDir && entryExists(childAbs, CHART_FILE)) {
        out.unrendered.push({ tool: 'helm', file: join(child, CHART_FILE) });
        continue;
      }
      if (isDir) visit(child, scoped);
      // A file's real path is its directory's plus its name, unless it is a symlink (one syscall saved per file).
      else if (st.isFile()) add(child, false, link ? realOrResolved(childAbs) : join(real, name));
      else if (MANIFEST_EXTENSIONS.has(extname(name).toLowerCase()) || SOURCE_EXTENSIONS.has(extname(name).toLowerCase())) out.skipped.push({ path: child, reason: 'not a regular file' });
    }
  };
  visit(root, initial);
}

function isIgnored(rules: { base: string; ig: Ignore }[], abs: string, isDir: boolean): boolean {
  for (const { base, ig } of rules) {
    const rel = relative(base, abs).split(sep).join('/');
    if (!rel || rel.startsWith('..')) continue;
    if (ig.ignores(isDir ? `${rel}/` : rel)) return true;
  }
  return false;
}

/** One-line description of a file-system error, without a stack trace. */
export function describeFsError(error: unknown): string {
  const e = error as NodeJS.ErrnoException;
  switch (e?.code) {
    case 'ENOENT':
      return 'no such file or directory';
    case 'EACCES':
    case 'EPERM':
      return 'permission denied';
    case 'EISDIR':
      return 'is a directory';
    case 'ELOOP':
      return 'too many levels of symbolic links';
    case 'ENAMETOOLONG':
      return 'file name too long';
    case 'ENOTDIR':
      return 'a component of the path is not a directory';
    case 'ENXIO':
      return 'not a regular file (a socket or a device without a reader)';
    case 'ENOSPC':
      return 'no space left on device';
    case 'EPIPE':
      return 'the reader closed the pipe';
    default:
      return e?.message ? String(e.message).split('\n')[0] : String(error);
  }
}
