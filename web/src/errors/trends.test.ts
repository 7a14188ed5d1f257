import { describe, expect, it } from 'vitest';
import { trendWindow } from './trends.ts';

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
