import { describe, expect, it } from 'vitest';
import { AppError } from '../platform/errors.ts';
import { ancestorsOf, depthOf, isUnder, MAX_DEPTH, nameOf, normalisePath, parentOf, rebase } from './path.ts';

function refusal(raw: string): string {
  try {
    normalisePath(raw);
  } catch (err) {
    if (err instanceof AppError && err.status === 400 && err.code === 'invalid_path') return err.message;
    throw err;
  }
  throw new Error(`${JSON.stringify(raw)} was accepted`);
}

describe('normalisePath', () => {
  it.each([
    ['/', '/'],
    ['/docs', '/docs'],
    ['/docs/', '/docs'],
    ['/docs/plan.md', '/docs/plan.md'],
    ['/a b/c d.txt', '/a b/c d.txt'],
    ['/...', '/...'],
    ['/..hidden', '/..hidden'],
    ['/50%off.txt', '/50%off.txt'],
    ['/日本語/ファイル.md', '/日本語/ファイル.md'],
    // The same name typed two ways is one path: NFC.
    ['/cafe\u0301.txt', '/café.txt'],
  ])('%j -> %j', (raw, normal) => {
    expect(normalisePath(raw)).toBe(normal);
  });

  it.each([
    ['/docs/../etc/passwd', 'invalid path: holds a .. segment'],
    ['/..', 'invalid path: holds a .. segment'],
    ['/docs/..', 'invalid path: holds a .. segment'],
    ['/./docs', 'invalid path: holds a . segment'],
    ['//etc', 'invalid path: holds an empty segment (//)'],
    ['/docs//plan.md', 'invalid path: holds an empty segment (//)'],
    ['/docs/%2e%2e/etc', 'invalid path: holds percent-encoding (such as %2e or %2f); send the path decoded'],
    ['/docs%2f..%2fetc', 'invalid path: holds percent-encoding (such as %2e or %2f); send the path decoded'],
    ['/docs/%252e%252e', 'invalid path: holds percent-encoding (such as %2e or %2f); send the path decoded'],
    ['/a%00b', 'invalid path: holds percent-encoding (such as %2e or %2f); send the path decoded'],
    ['/a\0b', 'invalid path: holds a NUL character'],
    ['/a\nb', 'invalid path: holds a control character'],
    ['/a\tb', 'invalid path: holds a control character'],
    ['/a\u007fb', 'invalid path: holds a control character'],
    ['/a\u0085b', 'invalid path: holds a control character'],
    ['/evil\u202etxt.exe', 'invalid path: holds a control character'],
    ['/docs\\..\\etc', 'invalid path: holds a backslash; folders are separated by /'],
    ['docs/plan.md', 'invalid path: must start with / (got "docs/plan.md")'],
    ['', 'invalid path: must start with / (got "")'],
    ['../etc', 'invalid path: must start with / (got "../etc")'],
    ['/   /x', 'invalid path: holds a name of only spaces'],
    ['/bad\ud800', 'invalid path: not valid Unicode'],
  ])('refuses %j', (raw, message) => {
    expect(refusal(raw)).toBe(message);
  });

  it('refuses names over 255 bytes, paths over 1,024 bytes and more than 32 levels', () => {
    expect(normalisePath(`/${'a'.repeat(255)}`)).toHaveLength(256);
    expect(refusal(`/${'a'.repeat(256)}`)).toBe('invalid path: holds a name longer than 255 bytes');
    // 100 three-byte characters are 300 bytes, though only 100 characters.
    expect(refusal(`/${'é'.repeat(100)}${'€'.repeat(100)}`)).toBe(
      'invalid path: holds a name longer than 255 bytes',
    );
    const long = `/${Array.from({ length: 5 }, () => 'b'.repeat(250)).join('/')}`;
    expect(refusal(long)).toBe('invalid path: longer than 1024 bytes');
    const wide = `/${Array.from({ length: 5 }, () => '€'.repeat(80)).join('/')}`;
    expect(wide.length).toBeLessThan(1024);
    expect(refusal(wide)).toBe('invalid path: longer than 1024 bytes');
    const deep = `/${Array.from({ length: MAX_DEPTH }, () => 'd').join('/')}`;
    expect(normalisePath(deep)).toBe(deep);
    expect(refusal(`${deep}/d`)).toBe('invalid path: deeper than 32 levels');
  });
});

describe('path helpers', () => {
  it('name, parent, depth and ancestors', () => {
    expect([nameOf('/a/b.md'), parentOf('/a/b.md'), depthOf('/a/b.md')]).toEqual(['b.md', '/a', 2]);
    expect([nameOf('/a'), parentOf('/a'), depthOf('/a')]).toEqual(['a', '/', 1]);
    expect([nameOf('/'), parentOf('/'), depthOf('/')]).toEqual(['', '/', 0]);
    expect(ancestorsOf('/a/b/c')).toEqual(['/', '/a', '/a/b']);
    expect(ancestorsOf('/')).toEqual([]);
  });

  it('under: strictly inside, and not a sibling that shares a prefix', () => {
    expect(isUnder('/a/b', '/a')).toBe(true);
    expect(isUnder('/a', '/a')).toBe(false);
    expect(isUnder('/ab', '/a')).toBe(false);
    expect(isUnder('/a', '/')).toBe(true);
    expect(isUnder('/', '/')).toBe(false);
  });

  it('rebase moves a path and those under it', () => {
    expect(rebase('/a', '/a', '/x/y')).toBe('/x/y');
    expect(rebase('/a/b/c', '/a', '/x/y')).toBe('/x/y/b/c');
  });
});
