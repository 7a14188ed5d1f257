import { describe, expect, it } from 'vitest';
import { contextLines, culpritIndex, groupFrames } from './frames.ts';

interface F {
  fn: string;
  app: boolean;
}
const f = (fn: string, app: boolean): F => ({ fn, app });
const inApp = (x: F) => x.app;
const names = (groups: ReturnType<typeof groupFrames<F>>) =>
  groups.map(
    (g) => `${g.kind}${g.collapsed ? '(folded)' : ''}@${g.start}:${g.frames.map((x) => x.fn).join(',')}`,
  );

describe('groupFrames', () => {
  // As SDKs send them: the outermost call first, the throwing frame last.
  const trace = [
    f('main', false),
    f('run', false),
    f('handler', true),
    f('lib.parse', false),
    f('lib.inner', false),
    f('validate', true),
  ];

  it('shows the newest frame first, each in-app frame alone, system runs folded', () => {
    expect(names(groupFrames(trace, inApp))).toEqual([
      'app@0:validate',
      'system(folded)@1:lib.inner,lib.parse',
      'app@3:handler',
      'system(folded)@4:run,main',
    ]);
  });

  it('keeps the SDK order when asked', () => {
    expect(names(groupFrames(trace, inApp, { newestFirst: false }))).toEqual([
      'system(folded)@0:main,run',
      'app@2:handler',
      'system(folded)@3:lib.parse,lib.inner',
      'app@5:validate',
    ]);
  });

  it('with no in-app frame nothing is folded: there is nothing else to look at', () => {
    expect(names(groupFrames([f('a', false), f('b', false)], inApp))).toEqual(['app@0:b', 'app@1:a']);
  });

  it('no frames, no groups; the input is not reordered in place', () => {
    expect(groupFrames([], inApp)).toEqual([]);
    const copy = [...trace];
    groupFrames(trace, inApp);
    expect(trace).toEqual(copy);
  });
});

describe('culpritIndex', () => {
  it('is the newest in-app frame, else the newest frame', () => {
    expect(culpritIndex([f('a', true), f('b', true), f('c', false)], inApp)).toBe(1);
    expect(culpritIndex([f('a', false), f('b', false)], inApp)).toBe(1);
    expect(culpritIndex([], inApp)).toBe(-1);
  });
});

describe('contextLines', () => {
  it('numbers the lines around the frame and marks its own', () => {
    expect(
      contextLines({ lineno: 10, preContext: ['a', 'b'], contextLine: 'c', postContext: ['d'] }),
    ).toEqual([
      { number: 8, text: 'a', current: false },
      { number: 9, text: 'b', current: false },
      { number: 10, text: 'c', current: true },
      { number: 11, text: 'd', current: false },
    ]);
  });

  it('has nothing without the line itself, and no numbers without a line number', () => {
    expect(contextLines({ lineno: 3, preContext: ['x'] })).toEqual([]);
    expect(contextLines({ contextLine: 'only' })).toEqual([{ number: null, text: 'only', current: true }]);
  });
});
