import { describe, expect, it } from 'vitest';
import { editorLanguage, formatBytes, joinPath, looksLikeText, parentOf, viewKind } from './kinds.ts';

describe('viewKind', () => {
  it.each([
    ['text/markdown', 'plan.md', 'markdown'],
    ['text/plain; charset=utf-8', 'notes.md', 'markdown'],
    ['text/plain', 'notes.txt', 'text'],
    ['application/json', 'data.json', 'text'],
    ['application/ld+json', 'data.jsonld', 'text'],
    ['image/png', 'a.png', 'image'],
    ['image/svg+xml', 'logo.svg', 'image'],
    ['application/pdf', 'a.pdf', 'download'],
    ['application/octet-stream', 'a.bin', 'download'],
    ['text/html', 'page.html', 'text'],
  ])('%s %s -> %s', (type, name, kind) => {
    expect(viewKind(type, name, 100)).toBe(kind);
  });

  it('offers a large text as a download, and opens text sent with a binary type', () => {
    expect(viewKind('text/plain', 'big.txt', 3 * 1024 * 1024)).toBe('download');
    expect(viewKind('video/mp2t', 'main.ts', 100, true)).toBe('text');
  });
});

describe('looksLikeText', () => {
  it('is UTF-8 without NUL', () => {
    expect(looksLikeText(new TextEncoder().encode('const a = "é";\n'))).toBe(true);
    expect(looksLikeText(new Uint8Array([0x47, 0x00, 0x11]))).toBe(false);
    expect(looksLikeText(new Uint8Array([0xff, 0xfe, 0x41]))).toBe(false);
  });
});

describe('names', () => {
  it('language, sizes and paths', () => {
    expect(['a.md', 'b.json', 'c.tsx', 'd.mjs', 'e.txt'].map(editorLanguage)).toEqual([
      'markdown',
      'json',
      'typescript',
      'javascript',
      'plain',
    ]);
    expect([formatBytes(12), formatBytes(3500), formatBytes(1.5 * 1024 * 1024)]).toEqual([
      '12 B',
      '3.4 KB',
      '1.5 MB',
    ]);
    expect([parentOf('/a/b.md'), parentOf('/a'), joinPath('/', 'x'), joinPath('/a', 'x')]).toEqual([
      '/a',
      '/',
      '/x',
      '/a/x',
    ]);
  });
});
