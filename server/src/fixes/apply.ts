import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { FixErrors } from './errors.ts';
import { git, gitOk, type Repo } from './git.ts';
import { applyEdits, type Edit } from './patch.ts';
import { branchTip, readText } from './repository.ts';

/** Output of a verify command kept: its last 8 KiB (where a test runner prints what failed). */
export const OUTPUT_TAIL_BYTES = 8 * 1024;

export interface CommitRequest {
  /** The project's branch the edits apply to (its tip now, not when they were proposed). */
  baseBranch: string;
  /**
   * The new branch made for the commit; when a branch of that name exists (another fix's), the first
   * free of `<branch>-2`, `<branch>-3`… is made instead.
   */
  branch: string;
  edits: readonly Edit[];
  message: string;
  /** A line of the message (`Switchboard-Fix: fix_123`) that recognises this commit on a retry. */
  marker: string;
  author: { name: string; email: string };
}

export interface Committed {
  branch: string;
  commit: string;
  base: string;
  files: string[];
}

/** Names tried for a fix's branch: the name, then `-2` up to `-MAX_BRANCH_TRIES`. */
const MAX_BRANCH_TRIES = 50;

/**
 * Makes the edits one commit on a new branch, with git's plumbing on a temporary index: the objects
 * are written, the branch is created (only if it does not exist, atomically), and nothing else moves:
 * not HEAD, not the checked-out branch, not the repository's index or working tree. An edit whose text
 * no longer occurs exactly once at the branch's tip is 409 `patch_conflict` and nothing is made.
 * A branch already holding this commit (a retry after a crash) is answered as it is.
 */
export async function commitEdits(repo: Repo, req: CommitRequest): Promise<Committed> {
  const base = await branchTip(repo, req.baseBranch);
  const files = [...new Set(req.edits.map((e) => e.path))].sort();
  const names = Array.from({ length: MAX_BRANCH_TRIES }, (_, i) =>
    i === 0 ? req.branch : `${req.branch}-${i + 1}`,
  );
  // The names in order up to the first free one: a retry finds its own commit on the way there.
  const free: string[] = [];
  for (const name of names) {
    const existing = await git(repo, ['rev-parse', '--verify', '--quiet', `refs/heads/${name}^{commit}`]);
    if (existing.code !== 0) {
      free.push(name);
      if (free.length === 3) break;
      continue;
    }
    if (free.length > 0) continue;
    const commit = existing.stdout.trim();
    const message = await gitOk(repo, ['log', '-1', '--format=%B', commit]);
    if (message.includes(req.marker)) {
      const parent = (await gitOk(repo, ['rev-parse', `${commit}^`])).trim();
      return { branch: name, commit, base: parent, files };
    }
  }
  if (free.length === 0) throw FixErrors.branchExists(req.branch);

  const snap = { repo, branch: req.baseBranch, commit: base };
  const before = new Map<string, string>();
  const modes = new Map<string, string>();
  for (const file of files) {
    const read = await readText(snap, file);
    // An edit goes to the file named, never through a symbolic link to another.
    if (read.path !== file) throw FixErrors.notAFile(file, 'symbolic link');
    before.set(file, read.text);
    modes.set(file, read.mode);
  }
  const after = applyEdits(before, req.edits);

  const scratch = await mkdtemp(path.join(tmpdir(), 'sb-fix-index-'));
  try {
    const env = { GIT_INDEX_FILE: path.join(scratch, 'index') };
    await gitOk(repo, ['read-tree', base], { env });
    for (const [file, text] of after) {
      const oid = (
        await gitOk(repo, ['hash-object', '-w', '--no-filters', '--stdin'], { input: text })
      ).trim();
      await gitOk(repo, ['update-index', '--cacheinfo', `${modes.get(file)},${oid},${file}`], { env });
    }
    const tree = (await gitOk(repo, ['write-tree'], { env })).trim();
    const identity = {
      GIT_AUTHOR_NAME: req.author.name,
      GIT_AUTHOR_EMAIL: req.author.email,
      GIT_COMMITTER_NAME: req.author.name,
      GIT_COMMITTER_EMAIL: req.author.email,
    };
    const message = `${req.message.trim()}\n\n${req.marker}\n`;
    const commit = (
      await gitOk(repo, ['commit-tree', tree, '-p', base, '-F', '-'], { env: identity, input: message })
    ).trim();
    // The empty old value: create the branch only if it does not exist (another fix's job may make the
    // same name at the same moment; the loser takes the next free name).
    for (const name of free) {
      const made = await git(repo, ['update-ref', '-m', 'switchboard fix', `refs/heads/${name}`, commit, '']);
      if (made.code === 0) return { branch: name, commit, base, files };
    }
    throw FixErrors.branchExists(req.branch);
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
}

export interface VerifyResult {
  command: string[];
  exitCode: number | null;
  timedOut: boolean;
  outputTail: string;
}

/** Whether the operator lets a verify command start `program` (`*` in the list: any). */
export function programAllowed(program: string, allowed: readonly string[]): boolean {
  return allowed.includes('*') || allowed.includes(program);
}

/** Keeps the last `max` bytes of what a process prints (stdout and stderr, as they come). */
function tailKeeper(max: number) {
  let chunks: Buffer[] = [];
  let size = 0;
  return {
    push(chunk: Buffer) {
      chunks.push(chunk);
      size += chunk.length;
      while (size - (chunks[0]?.length ?? 0) >= max && chunks.length > 1) size -= chunks.shift()!.length;
    },
    text(): string {
      const all = Buffer.concat(chunks);
      chunks = [all];
      const tail = all.length > max ? all.subarray(all.length - max) : all;
      // A cut through a multi-byte character shows as one replacement character at the start.
      return tail.toString('utf8');
    },
  };
}

/**
 * Runs the project's verify command in a temporary worktree of `commit` (detached: no branch is
 * checked out there, so the branch stays free), with an argument array (never a shell), the
 * environment `env` (no server secrets) and a timeout that kills the command's whole process group.
 * The worktree is removed after, whatever happened; the repository's own working tree is not touched.
 */
export async function verifyCommit(
  repo: Repo,
  commit: string,
  command: readonly string[],
  opts: { timeoutMs: number; env: Record<string, string>; signal?: AbortSignal | undefined },
): Promise<VerifyResult> {
  const parent = await mkdtemp(path.join(tmpdir(), 'sb-fix-verify-'));
  const dir = path.join(parent, 'worktree');
  try {
    await gitOk(repo, ['worktree', 'add', '--detach', '--quiet', dir, commit]);
    const [program, ...args] = command as [string, ...string[]];
    const tail = tailKeeper(OUTPUT_TAIL_BYTES);
    const outcome = await new Promise<{ code: number | null; timedOut: boolean }>((resolve) => {
      const child = spawn(program, args, {
        cwd: dir,
        env: { ...opts.env, CI: 'true' },
        stdio: ['ignore', 'pipe', 'pipe'],
        detached: true,
      });
      let timedOut = false;
      const kill = () => {
        try {
          if (child.pid) process.kill(-child.pid, 'SIGKILL');
        } catch {
          child.kill('SIGKILL');
        }
      };
      const timer = setTimeout(() => {
        timedOut = true;
        kill();
      }, opts.timeoutMs);
      opts.signal?.addEventListener('abort', kill, { once: true });
      child.stdout.on('data', (c: Buffer) => tail.push(c));
      child.stderr.on('data', (c: Buffer) => tail.push(c));
      child.on('error', (err) => {
        tail.push(Buffer.from(`\n${program} could not start: ${err.message}\n`));
        clearTimeout(timer);
        resolve({ code: null, timedOut: false });
      });
      child.on('close', (code) => {
        clearTimeout(timer);
        opts.signal?.removeEventListener('abort', kill);
        resolve({ code, timedOut });
      });
    });
    let outputTail = tail.text();
    if (outcome.timedOut) outputTail += `\n[stopped after ${Math.round(opts.timeoutMs / 1000)} s]\n`;
    return { command: [...command], exitCode: outcome.code, timedOut: outcome.timedOut, outputTail };
  } finally {
    const removed = await git(repo, ['worktree', 'remove', '--force', dir]).catch(() => undefined);
    await rm(parent, { recursive: true, force: true });
    // Not removed cleanly (the command left something locked): forget the worktree now it is gone.
    if (removed?.code !== 0) await git(repo, ['worktree', 'prune']).catch(() => undefined);
  }
}
