import { realpath, stat } from 'node:fs/promises';
import path from 'node:path';
import { FixErrors } from './errors.ts';
import { git, gitOk, type Repo } from './git.ts';
import { isInside, normaliseRepoPath, resolveLinkTarget } from './paths.ts';

/** The largest file the fixer reads or edits (source files; anything bigger is data or generated). */
export const MAX_READ_BYTES = 1024 * 1024;
/** Matches `repo.search` answers at most. */
export const MAX_SEARCH_MATCHES = 200;
/** Entries `repo.list` answers at most. */
export const MAX_LIST_ENTRIES = 2_000;
/** Symbolic links followed one after another before giving up. */
const MAX_LINK_HOPS = 8;

/** A snapshot of one branch: the repository and the commit its tip was at when it was opened. */
export interface Snapshot {
  repo: Repo;
  branch: string;
  commit: string;
}

export interface TreeEntry {
  path: string;
  type: 'file' | 'folder' | 'symlink' | 'submodule';
  size?: number;
}

export interface FileText {
  path: string;
  /** The blob's id, and its mode (100644, 100755) to keep when it is edited. */
  oid: string;
  mode: string;
  text: string;
}

const BRANCH = /^(?!-)(?!.*\.\.)(?!.*\/\/)(?!.*@\{)[A-Za-z0-9._\-/]{1,200}(?<![./])$/;

/**
 * Opens a repository for the fixer: `dir` must be an absolute path whose real location (symbolic links
 * resolved) is inside one of the operator's `roots` (also resolved), and be a git repository.
 * No roots: no repository may be opened at all.
 */
export async function openRepository(
  dir: string,
  roots: string[],
  env: Record<string, string>,
): Promise<Repo> {
  if (!path.isAbsolute(dir)) throw FixErrors.repositoryNotFound(dir, 'the path must be absolute');
  if (roots.length === 0) throw FixErrors.repositoryNotAllowed(dir, roots);
  let real: string;
  try {
    real = await realpath(dir);
    if (!(await stat(real)).isDirectory()) throw new Error('not a folder');
  } catch {
    throw FixErrors.repositoryNotFound(dir, 'no such folder');
  }
  const realRoots = await Promise.all(roots.map((root) => realpath(root).catch(() => undefined)));
  // A root must hold the repository, not be it: the operator names folders repositories live under.
  if (!realRoots.some((root) => root !== undefined && real !== root && isInside(real, root)))
    throw FixErrors.repositoryNotAllowed(dir, roots);
  const repo = { dir: real, env };
  const top = await git(repo, ['rev-parse', '--absolute-git-dir']);
  if (top.code !== 0) throw FixErrors.repositoryNotFound(dir, 'not a git repository');
  return repo;
}

/** The commit at the tip of `branch` (a local branch), or a 409 when it does not exist. */
export async function branchTip(repo: Repo, branch: string): Promise<string> {
  if (!BRANCH.test(branch)) throw FixErrors.branchNotFound(branch);
  const result = await git(repo, ['rev-parse', '--verify', '--quiet', `refs/heads/${branch}^{commit}`]);
  if (result.code !== 0) throw FixErrors.branchNotFound(branch);
  return result.stdout.trim();
}

/** A snapshot of `branch` as it is now: reads through it all see one commit. */
export async function snapshot(repo: Repo, branch: string): Promise<Snapshot> {
  return { repo, branch, commit: await branchTip(repo, branch) };
}

interface LsEntry {
  mode: string;
  type: string;
  oid: string;
  size: number | undefined;
  path: string;
}

/** `git ls-tree -z -l` output as entries. */
function parseLsTree(out: string): LsEntry[] {
  return out
    .split('\0')
    .filter(Boolean)
    .map((line) => {
      const tab = line.indexOf('\t');
      const [mode, type, oid, size] = line.slice(0, tab).split(/\s+/) as [string, string, string, string];
      return { mode, type, oid, size: size === '-' ? undefined : Number(size), path: line.slice(tab + 1) };
    });
}

/** The tree entry at exactly `relPath` in the snapshot, or undefined. */
async function entryAt(snap: Snapshot, relPath: string): Promise<LsEntry | undefined> {
  const out = await gitOk(snap.repo, ['ls-tree', '-z', '-l', '--full-tree', snap.commit, '--', relPath]);
  return parseLsTree(out).find((e) => e.path === relPath);
}

const kindOf = (e: LsEntry): TreeEntry['type'] =>
  e.type === 'tree' ? 'folder' : e.type === 'commit' ? 'submodule' : e.mode === '120000' ? 'symlink' : 'file';

/**
 * The regular file at `raw` in the snapshot, as text. A symbolic link is followed while its target
 * stays inside the repository (it is a blob holding the target's path; nothing on disk is touched);
 * one leaving it, a folder, a submodule, a binary or an over-large file is refused.
 */
export async function readText(snap: Snapshot, raw: string): Promise<FileText> {
  let relPath = normaliseRepoPath(raw);
  for (let hop = 0; hop <= MAX_LINK_HOPS; hop++) {
    const entry = await entryAt(snap, relPath);
    if (!entry) throw FixErrors.pathNotFound(relPath);
    const kind = kindOf(entry);
    if (kind === 'symlink') {
      const target = await gitOk(snap.repo, ['cat-file', 'blob', entry.oid]);
      const next = resolveLinkTarget(relPath, target.trim());
      if (next === undefined)
        throw FixErrors.invalidRepoPath(raw, 'is a symbolic link pointing outside the repository');
      relPath = next;
      continue;
    }
    if (kind !== 'file') throw FixErrors.notAFile(relPath, kind);
    if ((entry.size ?? 0) > MAX_READ_BYTES)
      throw FixErrors.tooLarge(relPath, entry.size ?? 0, MAX_READ_BYTES);
    const text = await gitOk(snap.repo, ['cat-file', 'blob', entry.oid]);
    if (text.includes('\0') || text.includes('\uFFFD')) throw FixErrors.binary(relPath);
    return { path: relPath, oid: entry.oid, mode: entry.mode, text };
  }
  throw FixErrors.invalidRepoPath(raw, `follows more than ${MAX_LINK_HOPS} symbolic links`);
}

/**
 * The entries of the folder at `raw` ("" or omitted: the root), one level or, with `recursive`, every
 * file below it; at most MAX_LIST_ENTRIES.
 */
export async function listTree(
  snap: Snapshot,
  raw: string | undefined,
  recursive = false,
): Promise<{ path: string; entries: TreeEntry[]; truncated: boolean }> {
  const folder = normaliseRepoPath(raw ?? '', { allowRoot: true });
  if (folder !== '') {
    const entry = await entryAt(snap, folder);
    if (!entry) throw FixErrors.pathNotFound(folder);
    if (entry.type !== 'tree') throw FixErrors.notAFile(folder, 'file, not a folder');
  }
  const args = ['ls-tree', '-z', '-l', '--full-tree', ...(recursive ? ['-r'] : []), snap.commit];
  if (folder !== '') args.push('--', `${folder}/`);
  const all = parseLsTree(await gitOk(snap.repo, args)).filter(
    (e) => !e.path.split('/').some((s) => s.toLowerCase() === '.git'),
  );
  const entries = all.slice(0, MAX_LIST_ENTRIES).map((e) => ({
    path: e.path,
    type: kindOf(e),
    ...(e.size === undefined ? {} : { size: e.size }),
  }));
  return { path: folder, entries, truncated: all.length > MAX_LIST_ENTRIES };
}

/** The path of every file in the snapshot (the fixer's prompt finds stack frames' files among them). */
export async function filePaths(snap: Snapshot): Promise<Set<string>> {
  const out = await gitOk(snap.repo, ['ls-tree', '-r', '-z', '--name-only', '--full-tree', snap.commit]);
  return new Set(out.split('\0').filter(Boolean));
}

export interface SearchMatch {
  path: string;
  line: number;
  text: string;
}

/**
 * Lines holding `query` as fixed text (never a pattern: no expression can be made to run long), in
 * text files of the snapshot, optionally under `under`; at most MAX_SEARCH_MATCHES.
 */
export async function searchText(
  snap: Snapshot,
  query: string,
  opts: { under?: string | undefined; ignoreCase?: boolean | undefined } = {},
): Promise<{ matches: SearchMatch[]; truncated: boolean }> {
  if (query.length === 0 || query.includes('\n') || query.includes('\0'))
    throw FixErrors.invalidRepoPath(query, 'a search is one line of text');
  const under = opts.under ? normaliseRepoPath(opts.under, { allowRoot: true }) : '';
  const args = ['grep', '-z', '-n', '-I', '-F', '--full-name', ...(opts.ignoreCase ? ['-i'] : [])];
  args.push('-e', query, snap.commit, '--');
  if (under) args.push(under);
  const result = await git(snap.repo, args);
  if (result.code === 1) return { matches: [], truncated: false };
  if (result.code !== 0) throw FixErrors.gitFailed('grep', result.stderr);
  const prefix = `${snap.commit}:`;
  const matches: SearchMatch[] = [];
  let truncated = false;
  for (const line of result.stdout.split('\n')) {
    if (!line) continue;
    const [file, number, ...rest] = line.split('\0');
    if (!file || !number) continue;
    const relPath = file.startsWith(prefix) ? file.slice(prefix.length) : file;
    if (relPath.split('/').some((s) => s.toLowerCase() === '.git')) continue;
    if (matches.length === MAX_SEARCH_MATCHES) {
      truncated = true;
      break;
    }
    matches.push({ path: relPath, line: Number(number), text: rest.join('\0').slice(0, 500) });
  }
  return { matches, truncated };
}
