import { describe, expect, it } from 'vitest';
import { pairRows } from './DiffView.tsx';
import { changedKeys, type DiffRow, diffLists, diffSequences, diffTexts, parseUnified } from './diff.ts';

/** Rows as `  kept`, `+ added`, `- removed` and `… n`, to compare at a glance. */
const show = (rows: DiffRow[]) =>
  rows.map((r) =>
    r.kind === 'skipped' ? `… ${r.count}` : `${{ same: ' ', added: '+', removed: '-' }[r.kind]} ${r.text}`,
  );

describe('diffTexts', () => {
  it('has no rows for identical texts', () => {
    expect(diffTexts('a\nb', 'a\nb')).toEqual([]);
  });

  it('reads a changed line as removed, then added, between the lines kept', () => {
    expect(show(diffTexts('one\ntwo\nthree', 'one\n2\nthree'))).toEqual(['  one', '- two', '+ 2', '  three']);
  });

  it('finds the lines two texts share in the middle', () => {
    expect(show(diffTexts('a\nx\nb\ny\nc', 'a\nb\nz\nc'))).toEqual([
      '  a',
      '- x',
      '  b',
      '- y',
      '+ z',
      '  c',
    ]);
  });

  it('treats an empty text as no lines at all', () => {
    expect(show(diffTexts('', 'new'))).toEqual(['+ new']);
    expect(show(diffTexts('old', ''))).toEqual(['- old']);
  });

  it('matches Windows and Unix line ends, and a text with or without a last line end', () => {
    expect(show(diffTexts('a\r\nb', 'a\nb\nc\n'))).toEqual(['  a', '  b', '+ c']);
  });

  it('folds unchanged stretches away, keeping lines next to each change, numbered in both texts', () => {
    const before = ['1', '2', '3', '4', '5', '6', '7', '8'].join('\n');
    const after = ['1', '2', '3', 'four', '5', '6', '7', '8'].join('\n');
    expect(diffTexts(before, after, 1)).toEqual([
      { kind: 'skipped', count: 2 },
      { kind: 'same', text: '3', oldNumber: 3, newNumber: 3 },
      { kind: 'removed', text: '4', oldNumber: 4 },
      { kind: 'added', text: 'four', newNumber: 4 },
      { kind: 'same', text: '5', oldNumber: 5, newNumber: 5 },
      { kind: 'skipped', count: 3 },
    ]);
  });

  it('still answers for texts too different to compare line by line: one removed, then the other added', () => {
    const before = Array.from({ length: 2500 }, (_, i) => `old ${i}`).join('\n');
    const after = Array.from({ length: 2500 }, (_, i) => `new ${i}`).join('\n');
    const rows = diffTexts(`head\n${before}\ntail`, `head\n${after}\ntail`);
    expect(rows).toHaveLength(5004);
    expect(rows[0]).toMatchObject({ kind: 'removed', text: 'head' });
    expect(rows[2502]).toMatchObject({ kind: 'added', text: 'head' });
  });
});

describe('diffSequences', () => {
  it('diffs lists an item a line', () => {
    expect(show(diffSequences(['a', 'b'], ['a', 'c']))).toEqual(['  a', '- b', '+ c']);
  });
});

describe('parseUnified', () => {
  it('reads each file of a patch with its rows, folding what lies between hunks', () => {
    const patch = [
      'diff --git a/src/app.ts b/src/app.ts',
      '--- a/src/app.ts',
      '+++ b/src/app.ts',
      '@@ -2,3 +2,3 @@',
      ' const a = 1;',
      '-const b = 2;',
      '+const b = 3;',
      ' const c = 4;',
      '@@ -10,2 +10,3 @@',
      ' end();',
      '+log();',
      ' done();',
      '',
    ].join('\n');
    const [file] = parseUnified(patch);
    expect(file?.newName).toBe('b/src/app.ts');
    expect(show(file!.rows)).toEqual([
      '… 1',
      '  const a = 1;',
      '- const b = 2;',
      '+ const b = 3;',
      '  const c = 4;',
      '… 5',
      '  end();',
      '+ log();',
      '  done();',
    ]);
    expect(file!.rows[7]).toEqual({ kind: 'added', text: 'log();', newNumber: 11 });
  });
});

describe('pairRows', () => {
  it('puts a change’s removed lines beside its added ones, kept lines on both sides', () => {
    const pairs = pairRows(diffTexts('a\nb\nc\nd', 'a\nB\nd'));
    expect(
      pairs.map((p) =>
        p.kind === 'skipped' ? `… ${p.count}` : `${p.old?.text ?? ''} | ${p.new?.text ?? ''}`,
      ),
    ).toEqual(['a | a', 'b | B', 'c | ', 'd | d']);
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
