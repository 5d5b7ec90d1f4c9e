import { execFileSync } from 'node:child_process';
import { realpathSync } from 'node:fs';
import { dirname, resolve, sep } from 'node:path';
import { UserError } from '../io.js';

/** Runs git with `args` in `cwd` (no shell); returns stdout, or throws with git's first stderr line. */
function git(cwd: string, args: readonly string[]): string {
  try {
    return execFileSync('git', args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: 256 * 1024 * 1024 });
  } catch (error) {
    const e = error as NodeJS.ErrnoException & { stderr?: string };
    if (e.code === 'ENOENT') throw new UserError('--changed-since needs git, which is not on PATH');
    const first = String(e.stderr ?? e.message).split('\n').find((l) => l.trim()) ?? 'git failed';
    throw new GitError(first.replace(/^(fatal|error): /, ''));
  }
}

class GitError extends Error {}

/** NUL-separated git output (`-z`) as a list. */
function splitZ(text: string): string[] {
  return text.split('\0').filter(Boolean);
}

/** What `--changed-since REF` selects. */
export interface ChangedFiles {
  /** The repository's top-level directory (real path). */
  root: string;
  /** Commit the comparison starts from: `git merge-base REF HEAD`. */
  base: string;
  /** Real absolute paths of files changed since `base`: committed on this branch, staged, unstaged, or untracked (not ignored). Deleted files are not listed. */
  files: Set<string>;
  /**
   * Why a file that is not in `files` can never be reported under `--changed-since`: `outside the git
   * repository` (no git history says whether it changed), `ignored by git` (git never lists it); undefined for a
   * file that is simply unchanged. `abs` is a real absolute path.
   */
  notTracked(abs: string): string | undefined;
}

/**
 * Files changed since a git ref, for PR checks: the merge-base of `ref` and HEAD (what the pull request
 * adds, as `git diff REF...HEAD` shows it), plus uncommitted changes in the working tree (staged or not)
 * and untracked files that `.gitignore` does not exclude. Deleted files are skipped (`--diff-filter=d`);
 * a renamed file is listed under its new name.
 * @throws UserError (exit 2) when `cwd` is not in a git work tree, `ref` is not a commit, or the two
 * histories share no commit.
 */
export function changedSince(ref: string, cwd: string): ChangedFiles {
  if (!ref || ref.startsWith('-')) throw new UserError(`--changed-since: "${ref}" is not a git ref`);
  let root: string;
  try {
    root = realpathSync.native(git(cwd, ['rev-parse', '--show-toplevel']).trim());
  } catch (error) {
    if (error instanceof GitError) throw new UserError(`--changed-since: ${cwd} is not in a git repository (${error.message})`);
    throw error;
  }
  try {
    git(root, ['rev-parse', '--verify', '--quiet', '--end-of-options', `${ref}^{commit}`]);
  } catch (error) {
    if (error instanceof GitError) throw new UserError(`--changed-since: unknown git ref "${ref}" (fetch it first, e.g. git fetch origin ${ref.replace(/^origin\//, '')})`);
    throw error;
  }
  let base: string;
  try {
    base = git(root, ['merge-base', '--end-of-options', ref, 'HEAD']).trim();
  } catch (error) {
    if (error instanceof GitError) throw new UserError(`--changed-since: no common ancestor of "${ref}" and HEAD (${error.message}); a shallow clone needs more history (fetch-depth: 0)`);
    throw error;
  }
  const files = new Set<string>();
  for (const p of splitZ(git(root, ['diff', '--name-only', '-z', '--no-ext-diff', '--diff-filter=d', base, '--']))) files.add(resolve(root, p));
  for (const p of splitZ(git(root, ['ls-files', '-z', '--others', '--exclude-standard']))) files.add(resolve(root, p));
  // Ignored files, whole ignored directories collapsed to one entry (`--directory`: not every file of node_modules).
  const ignored = new Set(splitZ(git(root, ['ls-files', '-z', '--others', '--ignored', '--exclude-standard', '--directory'])).map((p) => resolve(root, p)));
  const notTracked = (abs: string): string | undefined => {
    if (abs !== root && !abs.startsWith(root + sep)) return 'outside the git repository';
    // The file or one of its directories up to the root: depth lookups, not one per ignored entry.
    for (let p = abs; p.length > root.length; p = dirname(p)) if (ignored.has(p)) return 'ignored by git';
    return undefined;
  };
  return { root, base, files, notTracked };
}
