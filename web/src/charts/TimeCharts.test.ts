import { describe, expect, it } from 'vitest';
import { clockTicks } from './TimeCharts.tsx';

/** An instant on the local clock, 23 November 2026 (no change of daylight saving time near it). */
const local = (day: number, hours: number, minutes = 0) => new Date(2026, 10, day, hours, minutes).getTime();

describe('clockTicks', () => {
  it('marks an hour every quarter of the local clock', () => {
    expect(clockTicks(local(23, 16, 5), local(23, 17, 6), 15)).toEqual([
      local(23, 16, 15),
      local(23, 16, 30),
      local(23, 16, 45),
      local(23, 17),
    ]);
  });

  it('marks a day every 6 hours and a week every midnight, ends included', () => {
    expect(clockTicks(local(22, 17), local(23, 18), 360)).toEqual([
      local(22, 18),
      local(23, 0),
      local(23, 6),
      local(23, 12),
      local(23, 18),
    ]);
    expect(clockTicks(local(16, 15), local(23, 18), 1440)).toEqual(
      [17, 18, 19, 20, 21, 22, 23].map((day) => local(day, 0)),
    );
  });
});
