import { describe, expect, it } from 'vitest';
import { bucketEvents, trendWindow } from './trends.ts';

const HOUR = 3_600_000;
const at = (ms: number) => new Date(ms).toISOString();

describe('trendWindow', () => {
  it('ends with the hour in progress, an hour a bucket', () => {
    const now = Date.UTC(2026, 0, 2, 10, 30);
    const starts = trendWindow(now, 3);
    expect(starts.map((s) => new Date(s).toISOString())).toEqual([
      '2026-01-02T08:00:00.000Z',
      '2026-01-02T09:00:00.000Z',
      '2026-01-02T10:00:00.000Z',
    ]);
  });
});

describe('bucketEvents', () => {
  const starts = trendWindow(Date.UTC(2026, 0, 2, 10, 30), 4); // 07:00 … 10:00

  it('counts each event in its hour; events outside the window are left out', () => {
    const times = [
      at(Date.UTC(2026, 0, 2, 10, 5)),
      at(Date.UTC(2026, 0, 2, 10, 25)),
      at(Date.UTC(2026, 0, 2, 8, 59)),
      at(Date.UTC(2026, 0, 2, 2, 0)),
      'not a time',
    ];
    expect(bucketEvents(times, starts, true)).toEqual([0, 1, 0, 2]);
  });

  it('with only the newest events read, the hours before the oldest one are unknown', () => {
    const times = [at(Date.UTC(2026, 0, 2, 10, 5)), at(Date.UTC(2026, 0, 2, 9, 30))];
    expect(bucketEvents(times, starts, false)).toEqual([null, null, 1, 1]);
    expect(bucketEvents([], starts, false)).toEqual([0, 0, 0, 0]);
  });

  it('an hour starting exactly at the oldest event read is known', () => {
    expect(bucketEvents([at(starts[2]!)], starts, false)).toEqual([null, null, 1, 0]);
    expect(starts[2]! - starts[1]!).toBe(HOUR);
  });
});
