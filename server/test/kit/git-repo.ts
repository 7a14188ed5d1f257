import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, realpathSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

/** The environment the fixes code gives git in tests: only what it needs (as config.fixes.childEnv). */
export const childEnv = (): Record<string, string> =>
  Object.fromEntries(
    ['PATH', 'HOME', 'TMPDIR'].flatMap((name) => (process.env[name] ? [[name, process.env[name]!]] : [])),
  );

/**
 * A real git repository in a temporary folder, under a root folder of its own (what FIX_REPOSITORY_ROOTS
 * names), with a first commit on `main` made from `files` (a value starting with `->` makes a symbolic
 * link to the rest). `git()` runs git there as a person would; `cleanup()` removes it all.
 */
export function makeGitRepo(files: Record<string, string>, opts: { name?: string } = {}) {
  const root = realpathSync(mkdtempSync(path.join(tmpdir(), 'sb-fix-root-')));
  const dir = path.join(root, opts.name ?? 'app');
  mkdirSync(dir);
  const git = (...args: string[]) =>
    execFileSync('git', ['-C', dir, ...args], {
      encoding: 'utf8',
      env: { ...process.env, GIT_CONFIG_NOSYSTEM: '1', GIT_AUTHOR_DATE: '2025-01-01T00:00:00Z' },
    });
  git('init', '--quiet', '--initial-branch=main');
  git('config', 'user.name', 'Test Person');
  git('config', 'user.email', 'person@example.test');
  git('config', 'commit.gpgsign', 'false');
  const write = (entries: Record<string, string>) => {
    for (const [file, content] of Object.entries(entries)) {
      const full = path.join(dir, file);
      mkdirSync(path.dirname(full), { recursive: true });
      if (content.startsWith('->')) symlinkSync(content.slice(2), full);
      else writeFileSync(full, content);
    }
  };
  write(files);
  git('add', '--all');
  git('commit', '--quiet', '-m', 'first');
  return {
    root,
    dir,
    git,
    /** Commits `entries` on the checked-out branch, as someone working in the repository would. */
    commit(entries: Record<string, string>, message = 'change') {
      write(entries);
      git('add', '--all');
      git('commit', '--quiet', '-m', message);
      return git('rev-parse', 'HEAD').trim();
    },
    /** What a person would check: HEAD, the checked-out branch and whether the working tree is clean. */
    state() {
      return {
        head: git('rev-parse', 'HEAD').trim(),
        branch: git('symbolic-ref', '--short', 'HEAD').trim(),
        status: git('status', '--porcelain', '--untracked-files=all'),
        worktrees: git('worktree', 'list', '--porcelain').split('\n\n').filter(Boolean).length,
      };
    },
    cleanup: () => rmSync(root, { recursive: true, force: true }),
  };
}

export type GitRepo = ReturnType<typeof makeGitRepo>;
