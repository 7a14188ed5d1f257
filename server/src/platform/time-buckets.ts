import { Errors } from './errors.ts';

export const HOUR_MS = 3_600_000;
export const DAY_MS = 86_400_000;

/** The most buckets one read may ask for (a year of hours). */
export const MAX_BUCKETS = 366 * 24;

/** A read's period: `from` and `to` as given, by default the `defaultSpanMs` up to now. */
export function rangeOf(
  q: { from?: string | undefined; to?: string | undefined },
  now: Date,
  defaultSpanMs = 30 * DAY_MS,
): { from: Date; to: Date } {
  const to = q.to ? new Date(q.to) : now;
  const from = q.from ? new Date(q.from) : new Date(to.getTime() - defaultSpanMs);
  if (from.getTime() > to.getTime()) throw Errors.validation('from must not be after to');
  return { from, to };
}

/**
 * The hour or day buckets (UTC) a period covers, every one of them, empty or not: from the bucket
 * holding `from` to the one holding `to`. `span` is what to read: from the first bucket's start to the
 * last one's end. Timelines fill the buckets their query left out with zeros.
 */
export function fillBuckets(
  range: { from: Date; to: Date },
  bucket: 'hour' | 'day',
): { starts: Date[]; span: { from: Date; to: Date } } {
  const size = bucket === 'hour' ? HOUR_MS : DAY_MS;
  const first = Math.floor(range.from.getTime() / size) * size;
  const count = Math.floor((range.to.getTime() - first) / size) + 1;
  if (count > MAX_BUCKETS)
    throw Errors.validation(`the period holds ${count} ${bucket} buckets; ask for ${MAX_BUCKETS} at most`);
  const starts: Date[] = [];
  for (let i = 0; i < count; i++) starts.push(new Date(first + i * size));
  return { starts, span: { from: new Date(first), to: new Date(first + count * size) } };
}
