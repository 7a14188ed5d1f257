import type { BudgetPeriod } from './tables.ts';

/** Where every `total` budget's one period starts. */
const EPOCH = new Date(0);

/**
 * The calendar period (UTC) that holds `at`: a day from midnight, an ISO week from Monday midnight, a
 * month from the 1st; `total` never resets. Budgets spend and reset by these.
 */
export function periodOf(period: BudgetPeriod, at: Date): { start: Date; end: Date | null } {
  const y = at.getUTCFullYear();
  const m = at.getUTCMonth();
  const d = at.getUTCDate();
  switch (period) {
    case 'day':
      return { start: new Date(Date.UTC(y, m, d)), end: new Date(Date.UTC(y, m, d + 1)) };
    case 'week': {
      const sinceMonday = (at.getUTCDay() + 6) % 7;
      return {
        start: new Date(Date.UTC(y, m, d - sinceMonday)),
        end: new Date(Date.UTC(y, m, d - sinceMonday + 7)),
      };
    }
    case 'month':
      return { start: new Date(Date.UTC(y, m, 1)), end: new Date(Date.UTC(y, m + 1, 1)) };
    case 'total':
      return { start: EPOCH, end: null };
  }
}
