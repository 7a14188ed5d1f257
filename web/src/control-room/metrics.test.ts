import { describe, expect, it } from 'vitest';
import { ms, perBucket } from './metrics.ts';

describe('perBucket', () => {
  it("names each window's bucket as the axis reads it", () => {
    expect([60_000, 1_800_000, 3_600_000, 10_800_000].map(perBucket)).toEqual([
      'per minute',
      'per 30 minutes',
      'per hour',
      'per 3 hours',
    ]);
  });
});

describe('ms', () => {
  it('reads a duration in the unit that suits it', () => {
    expect([850, 1500, 138_000].map(ms)).toEqual(['850 ms', '1.5 s', '2.3 min']);
  });
});
