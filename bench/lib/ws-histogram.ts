/** Publish-to-delivery times as `bench/ws.ts` and its client processes count them: 0.05 ms buckets to 10 s. */
export const HISTOGRAM_STEP_MS = 0.05;
export const HISTOGRAM_BUCKETS = 200_000;

/** Adds `from` into `into`, bucket by bucket. */
export function mergeHistogram(into: number[], from: readonly number[]): void {
  for (let i = 0; i < from.length; i++) into[i]! += from[i]!;
}

/** The p-th percentile (0–100) of a histogram, at its bucket's upper edge; NaN when it is empty. */
export function histogramPercentile(histogram: readonly number[], p: number): number {
  const total = histogram.reduce((a, b) => a + b, 0);
  if (total === 0) return Number.NaN;
  const rank = Math.min(total, Math.floor((total * p) / 100) + 1);
  let seen = 0;
  for (let i = 0; i < histogram.length; i++) {
    seen += histogram[i]!;
    if (seen >= rank) return (i + 1) * HISTOGRAM_STEP_MS;
  }
  return histogram.length * HISTOGRAM_STEP_MS;
}
