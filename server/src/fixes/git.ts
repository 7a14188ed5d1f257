import { execFile } from 'node:child_process';

/** Output kept from one git command; far more than any answer the fixer's tools give. */
const MAX_BUFFER = 64 * 1024 * 1024;
const TIMEOUT_MS = 60_000;

export interface GitResult {
  stdout: string;
  stderr: string;
  code: number;
}

/** A repository as git commands reach it: its real path, and the environment they run in. */
export interface Repo {
  dir: string;
  /** From `childEnv` (config): what git needs to find itself and a home, nothing of the server's. */
  env: Record<string, string>;
}

/**
 * Runs `git` in a repository with an argument array (never a shell), hooks off and no prompts, and
 * answers its output and exit code; a non-zero exit is the caller's to judge (`git grep` answers 1 for
 * "nothing found"). Only a git that cannot start, or runs past the timeout, throws.
 */
export function git(
  repo: Repo,
  args: string[],
  opts: { env?: Record<string, string>; input?: string | Buffer; timeoutMs?: number } = {},
): Promise<GitResult> {
  return new Promise((resolve, reject) => {
    const child = execFile(
      'git',
      // Hooks of the repository never run for us (worktree add would start post-checkout).
      ['-c', 'core.hooksPath=/dev/null', '-c', 'core.fsmonitor=false', '-C', repo.dir, ...args],
      {
        maxBuffer: MAX_BUFFER,
        timeout: opts.timeoutMs ?? TIMEOUT_MS,
        encoding: 'utf8',
        env: { ...repo.env, ...GIT_ENV, ...opts.env },
      },
      (err, stdout, stderr) => {
        if (err && typeof err.code !== 'number') {
          reject(new Error(`git ${args[0]} could not run: ${err.message}`));
          return;
        }
        resolve({ stdout, stderr, code: err ? (err.code as number) : 0 });
      },
    );
    if (opts.input !== undefined) child.stdin?.end(opts.input);
  });
}

/**
 * Set for every git command: no prompts, no system-wide configuration that could change what a
 * command means, no optional locks that would compete with people using the repository.
 */
const GIT_ENV = {
  GIT_TERMINAL_PROMPT: '0',
  GIT_CONFIG_NOSYSTEM: '1',
  GIT_OPTIONAL_LOCKS: '0',
  LC_ALL: 'C',
};
/** Runs git and answers its stdout; a non-zero exit throws with git's own message. */
export async function gitOk(
  repo: Repo,
  args: string[],
  opts: Parameters<typeof git>[2] = {},
): Promise<string> {
  const result = await git(repo, args, opts);
  if (result.code !== 0) throw new GitCommandError(args, result);
  return result.stdout;
}

export class GitCommandError extends Error {
  readonly result: GitResult;
  constructor(args: string[], result: GitResult) {
    super(`git ${args.slice(0, 2).join(' ')} exited ${result.code}: ${result.stderr.trim().slice(0, 500)}`);
    this.name = 'GitCommandError';
    this.result = result;
  }
}
