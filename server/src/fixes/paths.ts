import { normalisePath } from '../files/path.ts';
import { AppError } from '../platform/errors.ts';
import { FixErrors } from './errors.ts';

/**
 * The normal form of a path inside a repository, as the fixer's tools take it: relative to the
 * repository's root (`src/app.ts`), checked as strictly as workspace file paths (no `..`, `.`, `//`,
 * backslashes, control characters, percent-encoding, over-long names) and never inside `.git`.
 * An empty path, `.` or `/` alone name the root and answer "" (only where a folder is meant).
 */
export function normaliseRepoPath(raw: string, opts: { allowRoot?: boolean } = {}): string {
  const trimmed = raw.trim();
  if (trimmed === '' || trimmed === '.' || trimmed === '/') {
    if (opts.allowRoot) return '';
    throw FixErrors.invalidRepoPath(raw, 'names the repository root, not a file');
  }
  if (trimmed.startsWith('/'))
    throw FixErrors.invalidRepoPath(raw, 'must be relative to the repository root, e.g. src/app.ts');
  let normal: string;
  try {
    normal = normalisePath(`/${trimmed.replace(/\/$/, '')}`).slice(1);
  } catch (err) {
    if (err instanceof AppError)
      throw FixErrors.invalidRepoPath(raw, err.message.replace(/^invalid path: /, ''));
    throw err;
  }
  if (normal.split('/').some((segment) => segment.toLowerCase() === '.git'))
    throw FixErrors.invalidRepoPath(raw, 'reaches into .git, which is not part of the code');
  return normal;
}

/**
 * Where a symbolic link at `linkPath` (relative) points to, relative to the repository root, or
 * undefined when its target leaves the repository (absolute, or climbing above the root).
 */
export function resolveLinkTarget(linkPath: string, target: string): string | undefined {
  if (target.startsWith('/') || target.includes('\0')) return undefined;
  const parts = linkPath.split('/').slice(0, -1);
  for (const segment of target.split('/')) {
    if (segment === '' || segment === '.') continue;
    if (segment === '..') {
      if (parts.length === 0) return undefined;
      parts.pop();
    } else parts.push(segment);
  }
  const resolved = parts.join('/');
  if (resolved === '' || resolved.split('/').some((s) => s.toLowerCase() === '.git')) return undefined;
  return resolved;
}

/** Whether `child` is `root` itself or inside it (both absolute, real paths). */
export function isInside(child: string, root: string): boolean {
  const base = root.endsWith('/') ? root : `${root}/`;
  return child === root || child.startsWith(base);
}
