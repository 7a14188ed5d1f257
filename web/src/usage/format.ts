/** USD as money reads: cents for amounts over a dollar, more digits for the small ones models cost. */
export function usd(value: number): string {
  if (value === 0) return '$0';
  if (Math.abs(value) >= 1)
    return `$${value.toLocaleString('en', { minimumFractionDigits: 2, maximumFractionDigits: 2 })}`;
  return `$${value.toLocaleString('en', { maximumFractionDigits: 6 })}`;
}

export const count = (n: number) => n.toLocaleString('en');

/** The periods the Usage page offers: how far back, and the timeline's bucket. */
export const PERIODS = [
  { value: '24h', label: '24 hours', ms: 86_400_000, bucket: 'hour' },
  { value: '7d', label: '7 days', ms: 7 * 86_400_000, bucket: 'day' },
  { value: '30d', label: '30 days', ms: 30 * 86_400_000, bucket: 'day' },
] as const;

export type PeriodValue = (typeof PERIODS)[number]['value'];

/** The range of a period ending now, to the minute (so a query key stays the same within a minute). */
export function rangeOf(value: PeriodValue, now = Date.now()) {
  const period = PERIODS.find((p) => p.value === value) ?? PERIODS[1];
  const to = Math.ceil(now / 60_000) * 60_000;
  return {
    from: new Date(to - period.ms).toISOString(),
    to: new Date(to).toISOString(),
    bucket: period.bucket,
  };
}

/** What a budget covers, in words. */
export function scopeText(
  budget: { scope: string; scopeId: string | null },
  names: ReadonlyMap<string, string>,
): string {
  if (budget.scope === 'org') return 'The organisation';
  const name = budget.scopeId ? names.get(budget.scopeId) : undefined;
  const kind = budget.scope === 'apiKey' ? 'API key' : budget.scope;
  return `${kind.charAt(0).toUpperCase()}${kind.slice(1)} ${name ?? budget.scopeId}`;
}
