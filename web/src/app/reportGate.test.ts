import { describe, expect, it } from 'vitest';
import { ReportGate, reportKey } from './reportGate.ts';

describe('ReportGate', () => {
  it('lets the same error out once per cooldown', () => {
    const gate = new ReportGate({ cooldownMs: 1000, maxPerWindow: 100, windowMs: 1000 });
    expect(gate.allow('a', 0)).toBe(true);
    expect(gate.allow('a', 10)).toBe(false);
    expect(gate.allow('a', 999)).toBe(false);
    expect(gate.allow('b', 999)).toBe(true);
    expect(gate.allow('a', 1000)).toBe(true);
  });

  it('caps reports of any kind per window, and opens again when the window moves on', () => {
    const gate = new ReportGate({ cooldownMs: 0, maxPerWindow: 3, windowMs: 1000 });
    expect([1, 2, 3, 4].map((n) => gate.allow(`e${n}`, n))).toEqual([true, true, true, false]);
    expect(gate.allow('e5', 999)).toBe(false);
    expect(gate.allow('e5', 1002)).toBe(true);
  });

  it('a refused report does not count against the window', () => {
    const gate = new ReportGate({ cooldownMs: 1000, maxPerWindow: 2, windowMs: 1000 });
    expect(gate.allow('a', 0)).toBe(true);
    for (let t = 1; t < 50; t++) expect(gate.allow('a', t)).toBe(false);
    expect(gate.allow('b', 60)).toBe(true);
  });
});

describe('reportKey', () => {
  it('masks numbers and ids so one failing render with varying ids is one error', () => {
    expect(reportKey('TypeError', 'no task 42 in org 0f3a9c2e1b7d')).toBe(
      reportKey('TypeError', 'no task 7 in org 99aa88bb77cc'),
    );
    expect(reportKey('TypeError', 'x')).not.toBe(reportKey('RangeError', 'x'));
    expect(reportKey(undefined, undefined)).toBe('Error: ');
  });
});
