import { BarChart, type BarDatum } from '../charts/BarChart.tsx';
import type { Tone } from '../charts/frame.tsx';
import { LineOverTimeChart, StackedColumnChart, type TimeBucket } from '../charts/TimeCharts.tsx';
import { type ExecutionMetrics, longName, ms, orDash, perBucket, timeAxisFor } from './metrics.ts';

/** Run statuses in the order a run passes through them, each with its label and colour. */
const STATUSES: Array<{ status: string; label: string; tone: Tone }> = [
  { status: 'queued', label: 'Queued', tone: 'neutral' },
  { status: 'running', label: 'Running', tone: 'info' },
  { status: 'waiting_approval', label: 'Waiting for approval', tone: 'wait' },
  { status: 'succeeded', label: 'Succeeded', tone: 'ok' },
  { status: 'failed', label: 'Failed', tone: 'bad' },
  { status: 'cancelled', label: 'Cancelled', tone: 'neutral' },
];

/** The outcomes `series` counts per bucket, stacked in this order from the bottom. */
const OUTCOMES = (['succeeded', 'failed', 'cancelled'] as const).map((status) => {
  const known = STATUSES.find((s) => s.status === status)!;
  return { status, name: known.label, tone: known.tone };
});

/** `timed_out` -> `Timed out`. */
const snakeLabel = (status: string) => status.charAt(0).toUpperCase() + status.slice(1).replaceAll('_', ' ');

/** One bar per status present, in run order; statuses this console does not know yet come last. */
function byStatus<T>(record: Record<string, T>, values: (v: T) => Array<number | null>): BarDatum[] {
  const known = STATUSES.filter((s) => s.status in record);
  const unknown = Object.keys(record)
    .filter((k) => !STATUSES.some((s) => s.status === k))
    .map((status): (typeof STATUSES)[number] => ({ status, label: snakeLabel(status), tone: 'neutral' }));
  return [...known, ...unknown].map((s) => ({
    label: s.label,
    tone: s.tone,
    values: values(record[s.status]!),
  }));
}

/** Per minute as the server rounds it; a trickle over a long window would otherwise read as none. */
const throughput = (m: ExecutionMetrics) =>
  m.throughputPerMinute === 0 && m.finished > 0 ? 'under 0.01 / min' : `${m.throughputPerMinute} / min`;

const orUnknown = (n: number | null) => (n === null ? 'unknown' : String(n));

/** The window's figures in one line of facts. */
function ExecutionFacts({ metrics: m, long }: { metrics: ExecutionMetrics; long: string }) {
  return (
    <dl className="card facts chart-facts" data-testid="execution-facts">
      <div>
        <dt>Finished in {long}</dt>
        <dd>{m.finished}</dd>
      </div>
      <div>
        <dt>Throughput</dt>
        <dd>{throughput(m)}</dd>
      </div>
      <div>
        <dt>Duration p50 · p95</dt>
        <dd>
          {orDash(m.durationMs.p50)} · {orDash(m.durationMs.p95)}
        </dd>
      </div>
      <div>
        <dt>Job queue: ready · active · deferred</dt>
        <dd>
          {orUnknown(m.queue.ready)} · {orUnknown(m.queue.active)} · {orUnknown(m.queue.deferred)}
        </dd>
      </div>
    </dl>
  );
}

/**
 * Figures of the window; finished runs by outcome and their p50 duration over the whole window, bucket by
 * bucket (refreshed with the page, so the latest bucket fills as runs finish); every run by status now;
 * durations by outcome.
 */
export function ExecutionView({ metrics: m }: { metrics: ExecutionMetrics }) {
  const long = longName(m.window);
  const axis = timeAxisFor(m.window, m.bucketMs);
  const finished: TimeBucket[] = m.series.map((b) => ({
    at: Date.parse(b.at),
    values: OUTCOMES.map((o) => b[o.status]),
  }));
  const p50: TimeBucket[] = m.series.map((b) => ({ at: Date.parse(b.at), values: [b.p50Ms] }));
  const durations: BarDatum[] = m.finished
    ? [
        { label: 'All finished', values: [m.durationMs.p50, m.durationMs.p95] },
        ...byStatus(m.finishedByStatus, (f) => [f.p50Ms, f.p95Ms]),
      ]
    : [];
  return (
    <>
      <ExecutionFacts metrics={m} long={long} />
      <div className="chart-grid">
        <StackedColumnChart
          title={`Finished in ${long}`}
          series={OUTCOMES}
          buckets={finished}
          axis={axis}
          axisLabel={`runs finished ${perBucket(m.bucketMs)}`}
          integer
          emptyTitle={`No run finished in ${long}`}
          testId="chart-finished"
        />
        <LineOverTimeChart
          title={`Run duration p50 over ${long}`}
          series={[{ name: 'p50', tone: 'accent' }]}
          buckets={p50}
          axis={axis}
          format={ms}
          axisLabel={`from start to finish, ${perBucket(m.bucketMs)}`}
          emptyTitle={`No run finished in ${long}`}
          testId="chart-p50"
        />
        <BarChart
          title="Runs by status, all time"
          series={[{ name: 'Runs', tone: 'accent' }]}
          data={byStatus(m.runsByStatus, (n) => [n])}
          axisLabel="runs"
          integer
          emptyTitle="No runs yet"
          emptyText="Runs show here once any organisation submits one."
          testId="chart-runs-by-status"
        />
        <BarChart
          title={`Run duration by outcome in ${long}`}
          series={[
            { name: 'p50', tone: 'accent-soft' },
            { name: 'p95', tone: 'accent' },
          ]}
          data={durations}
          format={ms}
          axisLabel="from start to finish"
          emptyTitle={`No run finished in ${long}`}
          testId="chart-durations"
        />
      </div>
    </>
  );
}
