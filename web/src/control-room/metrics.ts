import type { components } from '@switchboard/client';
import type { TimeAxis } from '../charts/TimeCharts.tsx';

export type ExecutionMetrics = components['schemas']['ExecutionMetrics'];
export type MetricWindow = ExecutionMetrics['window'];

/** The windows the control room offers, as the switch shows them and as titles name them. */
export const WINDOWS: Array<{ value: MetricWindow; label: string; long: string }> = [
  { value: '1h', label: '1 h', long: 'the last hour' },
  { value: '24h', label: '24 h', long: 'the last 24 hours' },
  { value: '7d', label: '7 days', long: 'the last 7 days' },
];

/** `the last 24 hours`, for titles. */
export const longName = (window: MetricWindow) => WINDOWS.find((w) => w.value === window)?.long ?? window;

/** `850 ms`, `1.5 s`, `2.3 min`. */
export function ms(value: number): string {
  if (value < 1000) return `${Math.round(value)} ms`;
  if (value < 60_000) return `${Number((value / 1000).toFixed(1))} s`;
  return `${Number((value / 60_000).toFixed(1))} min`;
}

/** A duration, or a dash where there is none. */
export const orDash = (value: number | null) => (value === null ? '—' : ms(value));

/** `per minute`, `per 30 minutes`, `per 3 hours`: a bucket's width as the series counts it. */
export function perBucket(bucketMs: number): string {
  const minutes = bucketMs / 60_000;
  if (minutes < 60) return minutes === 1 ? 'per minute' : `per ${minutes} minutes`;
  const hours = minutes / 60;
  return hours === 1 ? 'per hour' : `per ${hours} hours`;
}

const clock = (at: number) =>
  new Date(at).toLocaleTimeString(undefined, { hour: '2-digit', minute: '2-digit' });
const date = (at: number) => new Date(at).toLocaleDateString(undefined, { month: 'short', day: 'numeric' });
const isMidnight = (at: number) => {
  const d = new Date(at);
  return d.getHours() === 0 && d.getMinutes() === 0;
};

/**
 * The time axis of a window: an hour marked every quarter hour; a day every 6 hours, midnight by its date;
 * a week every midnight by its date. A bucket reads as its start, or as its span when it is longer than a
 * minute (with its day over a week).
 */
export function timeAxisFor(window: MetricWindow, bucketMs: number): TimeAxis {
  const span = (at: number) => `${clock(at)} – ${clock(at + bucketMs)}`;
  switch (window) {
    case '1h':
      return { bucketMs, everyMinutes: 15, tick: clock, bucket: bucketMs > 60_000 ? span : clock };
    case '24h':
      return {
        bucketMs,
        everyMinutes: 360,
        tick: (at) => (isMidnight(at) ? date(at) : clock(at)),
        bucket: span,
      };
    case '7d':
      return {
        bucketMs,
        everyMinutes: 1440,
        tick: date,
        bucket: (at) =>
          `${new Date(at).toLocaleDateString(undefined, { weekday: 'short', month: 'short', day: 'numeric' })}, ${span(at)}`,
      };
  }
}
