export const HOUR = 3_600_000;
/** The sparkline's window: the last 24 hours, an hour a point. */
export const TREND_BUCKETS = 24;

/** The window's hourly buckets, ending with the hour in progress: their starts, oldest first. */
export function trendWindow(now: number, buckets = TREND_BUCKETS): number[] {
  const end = Math.floor(now / HOUR) * HOUR + HOUR;
  return Array.from({ length: buckets }, (_, i) => end - (buckets - i) * HOUR);
}
