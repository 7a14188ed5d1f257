import { describe, expect, it } from 'vitest';
import { periodOf } from './periods.ts';

const iso = (p: { start: Date; end: Date | null }) => [p.start.toISOString(), p.end?.toISOString() ?? null];

describe('periodOf', () => {
  it('cuts days, ISO weeks and months at UTC midnight', () => {
    const at = new Date('2026-03-01T23:59:59.999Z'); // a Sunday
    expect(iso(periodOf('day', at))).toEqual(['2026-03-01T00:00:00.000Z', '2026-03-02T00:00:00.000Z']);
    expect(iso(periodOf('week', at))).toEqual(['2026-02-23T00:00:00.000Z', '2026-03-02T00:00:00.000Z']);
    expect(iso(periodOf('month', at))).toEqual(['2026-03-01T00:00:00.000Z', '2026-04-01T00:00:00.000Z']);
  });

  it('starts the next period on the boundary itself', () => {
    const monday = new Date('2026-03-02T00:00:00.000Z');
    expect(iso(periodOf('week', monday))[0]).toBe('2026-03-02T00:00:00.000Z');
    expect(iso(periodOf('day', monday))[0]).toBe('2026-03-02T00:00:00.000Z');
    expect(iso(periodOf('month', new Date('2026-12-31T23:59:59Z')))[1]).toBe('2027-01-01T00:00:00.000Z');
  });

  it('has one period for total budgets, which never resets', () => {
    expect(iso(periodOf('total', new Date('2031-05-05T12:00:00Z')))).toEqual([
      '1970-01-01T00:00:00.000Z',
      null,
    ]);
  });
});
