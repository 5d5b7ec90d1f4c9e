import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { tempDir } from './cli.js';

/** A real git repository in a temporary directory, for tests of git-driven workflows. */
export interface TempRepo {
  dir: string;
  /** Runs git in the repository; throws with git's stderr when it fails. */
  git(...args: string[]): string;
  /** Writes a file (creating directories), relative to the repository. */
  write(path: string, text: string): void;
  cleanup(): void;
}

/**
 * `git init -b main` in a new temp dir, with a local identity and no signing, so commits work on any
 * machine (CI has no global git config). Hooks and templates from the user's config are not used.
 */
export function tempRepo(): TempRepo {
  const { dir, cleanup } = tempDir('meshlint-git-');
  const env = { ...process.env, GIT_CONFIG_GLOBAL: '/dev/null', GIT_CONFIG_NOSYSTEM: '1', GIT_TERMINAL_PROMPT: '0' };
  const git = (...args: string[]) => {
    const r = spawnSync('git', args, { cwd: dir, env, encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`git ${args.join(' ')}: ${r.stderr || r.stdout}`);
    return r.stdout;
  };
  git('init', '-q', '-b', 'main');
  git('config', 'user.name', 'meshlint test');
  git('config', 'user.email', 'test@meshlint.invalid');
  git('config', 'commit.gpgsign', 'false');
  const write = (path: string, text: string) => {
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    writeFileSync(join(dir, path), text);
  };
  return { dir, git, write, cleanup };
}

/** Environment for running git (and hooks) in a {@link tempRepo} without the user's global config. */
export const GIT_ENV = { GIT_CONFIG_GLOBAL: '/dev/null', GIT_CONFIG_NOSYSTEM: '1', GIT_TERMINAL_PROMPT: '0' };
