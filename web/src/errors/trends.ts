export const HOUR = 3_600_000;
/** The sparkline's window: the last 24 hours, an hour a point. */
export const TREND_BUCKETS = 24;

/** The window's hourly buckets, ending with the hour in progress: their starts, oldest first. */
export function trendWindow(now: number, buckets = TREND_BUCKETS): number[] {
  const end = Math.floor(now / HOUR) * HOUR + HOUR;
  return Array.from({ length: buckets }, (_, i) => end - (buckets - i) * HOUR);
}

/**
 * Events per hour from their times. When `complete` is false the times are only the newest events (a
 * page of them), so the hours before the oldest one read are unknown (null), not quiet.
 */
export function bucketEvents(
  times: readonly string[],
  starts: readonly number[],
  complete: boolean,
): Array<number | null> {
  const counts = starts.map(() => 0);
  const first = starts[0] ?? 0;
  let oldest = Number.POSITIVE_INFINITY;
  for (const t of times) {
    const at = Date.parse(t);
    if (!Number.isFinite(at)) continue;
    oldest = Math.min(oldest, at);
    const i = Math.floor((at - first) / HOUR);
    if (i >= 0 && i < counts.length) counts[i]! += 1;
  }
  if (complete || oldest === Number.POSITIVE_INFINITY) return counts;
  // The hour holding the oldest event read is itself only partly known.
  return counts.map((c, i) => (starts[i]! + HOUR <= oldest ? null : c));
}
