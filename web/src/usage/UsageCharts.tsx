import type { components } from '@switchboard/client';
import { BarChart } from '../charts/BarChart.tsx';
import { StackedColumnChart, type TimeAxis } from '../charts/TimeCharts.tsx';
import { count, usd } from './format.ts';

type Timeline = components['schemas']['UsageTimeline'];
type Summary = components['schemas']['UsageSummary'];

export type Metric = 'costUsd' | 'calls' | 'tokens';

const METRICS: Record<Metric, { label: string; format: (n: number) => string; integer: boolean }> = {
  costUsd: { label: 'cost (USD)', format: usd, integer: false },
  calls: { label: 'model calls', format: count, integer: true },
  tokens: { label: 'tokens in and out', format: count, integer: true },
};

function axisOf(bucket: 'hour' | 'day'): TimeAxis {
  const hour = bucket === 'hour';
  const time = (at: number) => new Date(at).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' });
  const day = (at: number) => new Date(at).toLocaleDateString([], { month: 'short', day: 'numeric' });
  return {
    bucketMs: hour ? 3_600_000 : 86_400_000,
    everyMinutes: hour ? 360 : 1440,
    tick: hour ? time : day,
    bucket: (at) => (hour ? `${day(at)} ${time(at)}` : day(at)),
  };
}

/** The Usage page's charts (visx, loaded with them): the period bucket by bucket, and cost by group. */
export function UsageCharts({
  timeline,
  summary,
  metric,
}: {
  timeline: Timeline;
  summary: Summary;
  metric: Metric;
}) {
  const m = METRICS[metric];
  const tokens = metric === 'tokens';
  const buckets = timeline.buckets.map((b) => ({
    at: Date.parse(b.start),
    values: tokens ? [b.inputTokens, b.outputTokens] : [metric === 'calls' ? b.calls : b.costUsd],
  }));
  const groups = summary.groups.slice(0, 8);
  return (
    <div className="chart-grid">
      <StackedColumnChart
        title={`Usage per ${timeline.bucket}`}
        series={
          tokens
            ? [
                { name: 'input', tone: 'accent-soft' },
                { name: 'output', tone: 'accent' },
              ]
            : [{ name: m.label, tone: 'accent' }]
        }
        buckets={buckets}
        axis={axisOf(timeline.bucket)}
        axisLabel={`${m.label} per ${timeline.bucket}`}
        format={m.format}
        integer={m.integer}
        emptyTitle="No model calls in this period"
        testId="usage-timeline"
      />
      <BarChart
        title={`Cost by ${summary.groupBy === 'apiKey' ? 'API key' : summary.groupBy}`}
        series={[{ name: 'cost', tone: 'accent' }]}
        data={groups.map((g) => ({ label: g.label ?? g.key, values: [g.costUsd] }))}
        format={usd}
        axisLabel="cost (USD)"
        emptyTitle="Nothing spent in this period"
        testId="usage-by-group"
      />
    </div>
  );
}
