import { describe, expect, it } from 'vitest';
import { changedKeys, type DiffLine, diffLines, diffLists, withContext } from './diff.ts';

/** A diff as `  kept`, `+ added`, `- removed` lines, to compare at a glance. */
const show = (diff: DiffLine[]) =>
  diff.map((l) => `${l.kind === 'same' ? ' ' : l.kind === 'added' ? '+' : '-'} ${l.text}`);

describe('diffLines', () => {
  it('keeps identical texts as they are', () => {
    expect(show(diffLines('a\nb', 'a\nb'))).toEqual(['  a', '  b']);
  });

  it('reads a changed line as removed, then added, between the lines kept', () => {
    expect(show(diffLines('one\ntwo\nthree', 'one\n2\nthree'))).toEqual(['  one', '- two', '+ 2', '  three']);
  });

  it('finds the lines two texts share in the middle', () => {
    expect(show(diffLines('a\nx\nb\ny\nc', 'a\nb\nz\nc'))).toEqual([
      '  a',
      '- x',
      '  b',
      '- y',
      '+ z',
      '  c',
    ]);
  });

  it('treats an empty text as no lines at all', () => {
    expect(show(diffLines('', 'new'))).toEqual(['+ new']);
    expect(show(diffLines('old', ''))).toEqual(['- old']);
    expect(diffLines('', '')).toEqual([]);
  });

  it('matches Windows and Unix line ends', () => {
    expect(show(diffLines('a\r\nb', 'a\nb\nc'))).toEqual(['  a', '  b', '+ c']);
  });

  it('still answers for texts too long to compare line by line', () => {
    const before = Array.from({ length: 2500 }, (_, i) => `old ${i}`).join('\n');
    const after = Array.from({ length: 2500 }, (_, i) => `new ${i}`).join('\n');
    const diff = diffLines(`head\n${before}\ntail`, `head\n${after}\ntail`);
    expect(diff).toHaveLength(5002);
    expect(diff[0]).toEqual({ kind: 'same', text: 'head' });
    expect(diff[1]).toEqual({ kind: 'removed', text: 'old 0' });
    expect(diff[2501]).toEqual({ kind: 'added', text: 'new 0' });
    expect(diff.at(-1)).toEqual({ kind: 'same', text: 'tail' });
  });
});

describe('withContext', () => {
  it('folds unchanged stretches away, keeping lines next to each change', () => {
    const before = ['1', '2', '3', '4', '5', '6', '7', '8'].join('\n');
    const after = ['1', '2', '3', 'four', '5', '6', '7', '8'].join('\n');
    expect(withContext(diffLines(before, after), 1)).toEqual([
      { kind: 'skipped', count: 2 },
      { kind: 'same', text: '3' },
      { kind: 'removed', text: '4' },
      { kind: 'added', text: 'four' },
      { kind: 'same', text: '5' },
      { kind: 'skipped', count: 3 },
    ]);
  });

  it('folds a whole text without changes into one stretch', () => {
    expect(withContext(diffLines('a\nb', 'a\nb'))).toEqual([{ kind: 'skipped', count: 2 }]);
  });
});

describe('diffLists', () => {
  it('names what was added and removed, in order', () => {
    expect(diffLists(['a', 'b', 'c'], ['c', 'd', 'a'])).toEqual({ added: ['d'], removed: ['b'] });
  });
});

describe('changedKeys', () => {
  it('lists keys whose values differ, a missing key counting as undefined', () => {
    expect(changedKeys({ temperature: 0.2, topP: 1 }, { topP: 1, maxTokens: 500 })).toEqual([
      { key: 'maxTokens', before: undefined, after: 500 },
      { key: 'temperature', before: 0.2, after: undefined },
    ]);
  });
});
