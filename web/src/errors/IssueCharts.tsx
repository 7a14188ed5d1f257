import { StackedColumnChart, type TimeAxis } from '../charts/TimeCharts.tsx';
import type { IssueStats } from '../queries/errors.ts';
import { HOUR } from './trends.ts';

const time = (at: number) => new Date(at).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' });
const day = (at: number) => new Date(at).toLocaleDateString([], { month: 'short', day: 'numeric' });

const HOURLY: TimeAxis = {
  bucketMs: HOUR,
  everyMinutes: 360,
  tick: time,
  bucket: (at) => `${day(at)} ${time(at)}`,
};

const DAILY: TimeAxis = { bucketMs: 24 * HOUR, everyMinutes: 1440 * 2, tick: day, bucket: day };

/**
 * The issue's charts (visx, loaded with them): its own events hour by hour over the last day, and its
 * project's events day by day by level (`GET /issues/stats`), so a spike reads against the project's usual.
 */
export function IssueCharts({
  trend,
  starts,
  stats,
  projectName,
}: {
  trend: Array<number | null> | undefined;
  starts: number[];
  stats: IssueStats | undefined;
  projectName: string;
}) {
  return (
    <div className="chart-grid">
      <StackedColumnChart
        title="This issue, last 24 hours"
        series={[{ name: 'events', tone: 'bad' }]}
        buckets={starts.map((at, i) => ({ at, values: [trend?.[i] ?? null] }))}
        axis={HOURLY}
        axisLabel="events per hour"
        integer
        emptyTitle="No events in the last 24 hours"
        testId="issue-chart"
      />
      <StackedColumnChart
        title={`${projectName}, last 14 days`}
        series={[
          { name: 'fatal and error', tone: 'bad' },
          { name: 'warning', tone: 'wait' },
          { name: 'info and debug', tone: 'info' },
        ]}
        buckets={(stats?.buckets ?? []).map((b) => ({
          at: Date.parse(b.start),
          values: [b.byLevel.fatal + b.byLevel.error, b.byLevel.warning, b.byLevel.info + b.byLevel.debug],
        }))}
        axis={DAILY}
        axisLabel="events per day"
        integer
        emptyTitle="No events in the project over 14 days"
        testId="project-chart"
      />
    </div>
  );
}
