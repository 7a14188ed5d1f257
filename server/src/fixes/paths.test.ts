import { describe, expect, it } from 'vitest';
import { AppError } from '../platform/errors.ts';
import { applyEdits, occurrences, unifiedDiff } from './patch.ts';
import { isInside, normaliseRepoPath, resolveLinkTarget } from './paths.ts';

const refusal = (fn: () => unknown) => {
  try {
    fn();
  } catch (err) {
    if (err instanceof AppError) return { status: err.status, code: err.code, message: err.message };
    throw err;
  }
  throw new Error('expected a refusal');
};

describe('repository paths', () => {
  it('keeps a relative path as it is, and names the root only where a folder is meant', () => {
    expect(normaliseRepoPath('src/app.ts')).toBe('src/app.ts');
    expect(normaliseRepoPath('src/lib/')).toBe('src/lib');
    expect(normaliseRepoPath('', { allowRoot: true })).toBe('');
    expect(normaliseRepoPath('.', { allowRoot: true })).toBe('');
    expect(refusal(() => normaliseRepoPath(''))).toMatchObject({ status: 400, code: 'invalid_path' });
  });

  it.each([
    ['../etc/passwd', 'holds a .. segment'],
    ['src/../../x', 'holds a .. segment'],
    ['/etc/passwd', 'must be relative to the repository root'],
    ['src//app.ts', 'holds an empty segment'],
    ['src\\app.ts', 'holds a backslash'],
    ['src/%2e%2e/x', 'holds percent-encoding'],
    ['a\0b', 'holds a NUL character'],
    ['.git/config', 'reaches into .git'],
    ['sub/.GIT/hooks/pre-commit', 'reaches into .git'],
    ['./src/app.ts', 'holds a . segment'],
  ])('refuses %j: %s', (raw, reason) => {
    const r = refusal(() => normaliseRepoPath(raw));
    expect(r.status).toBe(400);
    expect(r.code).toBe('invalid_path');
    expect(r.message).toContain(reason);
  });

  it('follows a symbolic link only while its target stays inside the repository', () => {
    expect(resolveLinkTarget('src/current.ts', 'impl/v2.ts')).toBe('src/impl/v2.ts');
    expect(resolveLinkTarget('src/a/link', '../../README.md')).toBe('README.md');
    expect(resolveLinkTarget('link', '../outside')).toBeUndefined();
    expect(resolveLinkTarget('src/link', '../../../etc/passwd')).toBeUndefined();
    expect(resolveLinkTarget('link', '/etc/passwd')).toBeUndefined();
    expect(resolveLinkTarget('link', '.git/config')).toBeUndefined();
    expect(resolveLinkTarget('link', '.')).toBeUndefined();
  });

  it('tells inside from a sibling that shares a prefix', () => {
    expect(isInside('/srv/repos/app', '/srv/repos')).toBe(true);
    expect(isInside('/srv/repos', '/srv/repos')).toBe(true);
    expect(isInside('/srv/repos-evil/app', '/srv/repos')).toBe(false);
  });
});

describe('exact-text edits', () => {
  it('counts overlapping occurrences, and an empty text occurs nowhere', () => {
    expect(occurrences('aaa', 'aa')).toBe(2);
    expect(occurrences('abc', '')).toBe(0);
  });

  it('makes edits in order, later ones seeing the earlier, and diffs them as git does', () => {
    const before = new Map([['src/a.js', 'one\ntwo\nthree\n']]);
    const after = applyEdits(before, [
      { path: 'src/a.js', find: 'two', replace: 'TWO' },
      { path: 'src/a.js', find: 'TWO\n', replace: 'TWO\n2.5\n' },
    ]);
    expect(after.get('src/a.js')).toBe('one\nTWO\n2.5\nthree\n');
    expect(unifiedDiff(before, after)).toBe(
      'diff --git a/src/a.js b/src/a.js\n--- a/src/a.js\n+++ b/src/a.js\n@@ -1,3 +1,4 @@\n one\n-two\n+TWO\n+2.5\n three\n',
    );
  });

  it('refuses text that is missing or not unique as a patch conflict', () => {
    const before = new Map([['a', 'x = 1;\nx = 1;\n']]);
    expect(refusal(() => applyEdits(before, [{ path: 'a', find: 'x = 1;', replace: 'y' }]))).toEqual({
      status: 409,
      code: 'patch_conflict',
      message: 'the text to replace occurs 2 times in a; give a longer, unique excerpt',
    });
    expect(refusal(() => applyEdits(before, [{ path: 'a', find: 'z', replace: 'y' }]))).toMatchObject({
      code: 'patch_conflict',
      message: 'the text to replace does not occur in a',
    });
  });
});
