import type { components } from '@switchboard/client';
import { keepPreviousData, useQuery } from '@tanstack/react-query';
import { useEffect, useState } from 'react';
import { useSearchParams } from 'react-router';
import { api, unwrap } from '../api/client.ts';
import { BarChart, type BarDatum, TimeSeriesChart, type Tone } from '../components/charts.tsx';
import { Empty, PageHeader, QueryState, StatusBadge, TimeAgo } from '../components/states.tsx';

type ExecutionMetrics = components['schemas']['ExecutionMetrics'];
type AgentHealthTable = components['schemas']['AgentHealthTable'];
type MetricWindow = ExecutionMetrics['window'];

const REFRESH_MS = 5_000;
/** `unfinishedRuns` -> `Unfinished runs`: figures other domains add are named in camelCase. */
const humanize = (name: string) =>
  name
    .replace(/([a-z0-9])([A-Z])/g, '$1 $2')
    .replace(/^./, (c) => c.toUpperCase())
    .replace(/ ([A-Z])(?=[a-z])/g, (m) => m.toLowerCase());
const mb = (bytes: number) => `${Math.round(bytes / 1024 / 1024)} MB`;

function duration(seconds: number): string {
  const d = Math.floor(seconds / 86400);
  const h = Math.floor((seconds % 86400) / 3600);
  const m = Math.floor((seconds % 3600) / 60);
  return d ? `${d} d ${h} h` : h ? `${h} h ${m} min` : `${m} min ${Math.floor(seconds % 60)} s`;
}

/** A horizontal bar: value against a maximum, drawn with CSS only. */
function Bar({ label, value, max, text }: { label: string; value: number; max: number; text: string }) {
  const pct = max > 0 ? Math.min(100, (value / max) * 100) : 0;
  return (
    <div className="bar-row">
      <span className="bar-label">{label}</span>
      <span className="bar-track" role="img" aria-label={`${label}: ${text}`}>
        <span className="bar-fill" style={{ width: `${pct}%` }} />
      </span>
      <span className="bar-value">{text}</span>
    </div>
  );
}

const WINDOWS: Array<{ value: MetricWindow; label: string; long: string }> = [
  { value: '1h', label: '1 h', long: 'the last hour' },
  { value: '24h', label: '24 h', long: 'the last 24 hours' },
  { value: '7d', label: '7 days', long: 'the last 7 days' },
];

/** Run statuses in the order a run passes through them, each with its label and colour. */
const STATUSES: Array<{ status: string; label: string; tone: Tone }> = [
  { status: 'queued', label: 'Queued', tone: 'neutral' },
  { status: 'running', label: 'Running', tone: 'info' },
  { status: 'waiting_approval', label: 'Waiting for approval', tone: 'wait' },
  { status: 'succeeded', label: 'Succeeded', tone: 'ok' },
  { status: 'failed', label: 'Failed', tone: 'bad' },
  { status: 'cancelled', label: 'Cancelled', tone: 'neutral' },
];
const UNFINISHED = new Set(['queued', 'running', 'waiting_approval']);

/** `850 ms`, `1.5 s`, `2.3 min`. */
function ms(value: number): string {
  if (value < 1000) return `${Math.round(value)} ms`;
  if (value < 60_000) return `${Number((value / 1000).toFixed(1))} s`;
  return `${Number((value / 60_000).toFixed(1))} min`;
}

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

/** The chosen window lives in the address (`?window=24h`), so a view can be shared and survives a reload. */
function useMetricWindow(): [MetricWindow, (w: MetricWindow) => void] {
  const [params, setParams] = useSearchParams();
  const chosen = WINDOWS.find((w) => w.value === params.get('window'))?.value ?? '1h';
  return [chosen, (w) => setParams(w === '1h' ? {} : { window: w }, { replace: true })];
}

interface Sample {
  at: number;
  unfinished: number;
  finished: number;
}

const MAX_SAMPLES = 120;

/**
 * The server answers with totals, not a history, so the live chart is drawn from readings taken while
 * the page is open: runs not yet finished, and how many finished since the reading before.
 */
function useActivitySamples(metrics: ExecutionMetrics | undefined): Sample[] {
  const [samples, setSamples] = useState<Sample[]>([]);
  useEffect(() => {
    if (!metrics) return;
    const at = Date.parse(metrics.at);
    const counts = Object.entries(metrics.runsByStatus);
    const sample = {
      at,
      unfinished: counts.filter(([s]) => UNFINISHED.has(s)).reduce((sum, [, n]) => sum + n, 0),
      finished: counts.filter(([s]) => !UNFINISHED.has(s)).reduce((sum, [, n]) => sum + n, 0),
    };
    // A window switch can hand back an older cached answer; readings only move forward.
    setSamples((list) => ((list.at(-1)?.at ?? 0) >= at ? list : [...list.slice(1 - MAX_SAMPLES), sample]));
  }, [metrics]);
  return samples;
}

function WindowSwitch({ value, onChange }: { value: MetricWindow; onChange: (w: MetricWindow) => void }) {
  return (
    <div className="segmented" role="tablist" aria-label="Time window">
      {WINDOWS.map((w) => (
        <button
          key={w.value}
          type="button"
          role="tab"
          aria-selected={value === w.value}
          className={`seg ${value === w.value ? 'active' : ''}`}
          onClick={() => onChange(w.value)}
        >
          {w.label}
        </button>
      ))}
    </div>
  );
}

/** Per minute as the server rounds it; a trickle over a long window would otherwise read as none. */
const throughput = (m: ExecutionMetrics) =>
  m.throughputPerMinute === 0 && m.finished > 0 ? 'under 0.01 / min' : `${m.throughputPerMinute} / min`;

const orDash = (value: number | null) => (value === null ? '—' : ms(value));
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

/** Runs in progress at each reading and how many finished since the one before (so from the second on). */
function LiveChart({ samples }: { samples: Sample[] }) {
  const live = samples.slice(1);
  return (
    <TimeSeriesChart
      title="Live: runs in progress and finishing"
      series={[
        {
          name: 'In progress',
          tone: 'accent',
          area: true,
          points: live.map((s) => ({ at: s.at, value: s.unfinished })),
        },
        {
          name: 'Finished since the reading before',
          tone: 'ok',
          points: live.map((s, i) => ({ at: s.at, value: Math.max(0, s.finished - samples[i]!.finished) })),
        },
      ]}
      axisLabel={`read every ${REFRESH_MS / 1000} s while this page is open`}
      integer
      emptyTitle="Taking the first readings…"
      emptyText={`The chart starts after three readings, ${REFRESH_MS / 1000} s apart.`}
      testId="chart-live"
    />
  );
}

/** Figures of the window, then runs by status, finished runs and their durations, and the live chart. */
function ExecutionView({ metrics: m, samples }: { metrics: ExecutionMetrics; samples: Sample[] }) {
  const long = WINDOWS.find((w) => w.value === m.window)?.long ?? m.window;
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
          title={`Finished in ${long}`}
          series={[{ name: 'Runs', tone: 'accent' }]}
          data={byStatus(m.finishedByStatus, (f) => [f.count])}
          axisLabel="runs"
          integer
          emptyTitle={`No run finished in ${long}`}
          testId="chart-finished"
        />
        <BarChart
          title={`Run duration in ${long}`}
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
        <LiveChart samples={samples} />
      </div>
    </>
  );
}

const percent = (rate: number | null) => (rate === null ? '—' : `${Math.round(rate * 100)}%`);
const rateTone = (rate: number | null) =>
  rate === null ? '' : rate >= 0.95 ? 'ok' : rate < 0.8 ? 'bad' : '';

/** Every agent that ran in the window, busiest first, across all organisations. */
function AgentHealthView({ table }: { table: AgentHealthTable }) {
  const long = WINDOWS.find((w) => w.value === table.window)?.long ?? table.window;
  if (table.items.length === 0) {
    return (
      <Empty title={`No agent ran in ${long}`}>Agents show here with their figures once they run.</Empty>
    );
  }
  return (
    <div className="card table-wrap">
      <table className="table">
        <thead>
          <tr>
            <th>Agent</th>
            <th>Organisation</th>
            <th className="num">Runs</th>
            <th className="num">Succeeded · failed</th>
            <th className="num">Success rate</th>
            <th className="num">p50 · p95</th>
            <th className="nowrap">Last run</th>
          </tr>
        </thead>
        <tbody>
          {table.items.map((a) => (
            <tr key={`${a.orgId}/${a.agentId}`} data-testid="agent-health-row">
              <td className="cell-main">
                {a.name ?? <span className="muted">Deleted agent</span>}
                <div className="muted mono small-inline">{a.slug ?? a.agentId}</div>
              </td>
              <td className="mono small-inline org-id">{a.orgId}</td>
              <td className="num">{a.runs}</td>
              <td className="num">
                {a.succeeded} · {a.failed}
              </td>
              <td className={`num ${rateTone(a.successRate)}`}>{percent(a.successRate)}</td>
              <td className="num">
                {orDash(a.latencyMs.p50)} · {orDash(a.latencyMs.p95)}
              </td>
              <td className="nowrap">
                <TimeAgo iso={a.lastRunAt} />
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

/** The operator's view of the platform: figures across every org and this replica's health. */
export function ControlRoomPage() {
  const stats = useQuery({
    queryKey: ['admin', 'statistics'],
    queryFn: ({ signal }) => unwrap(api.GET('/api/v1/admin/control-room/statistics', { signal })),
    refetchInterval: REFRESH_MS,
  });
  const health = useQuery({
    queryKey: ['admin', 'system-health'],
    queryFn: ({ signal }) => unwrap(api.GET('/api/v1/admin/control-room/system-health', { signal })),
    refetchInterval: REFRESH_MS,
  });
  const [metricWindow, setMetricWindow] = useMetricWindow();
  const metrics = useQuery({
    queryKey: ['admin', 'execution-metrics', metricWindow],
    queryFn: ({ signal }) =>
      unwrap(
        api.GET('/api/v1/admin/control-room/execution-metrics', {
          params: { query: { window: metricWindow } },
          signal,
        }),
      ),
    refetchInterval: REFRESH_MS,
    placeholderData: keepPreviousData,
  });
  const agentHealth = useQuery({
    queryKey: ['admin', 'agent-health', metricWindow],
    queryFn: ({ signal }) =>
      unwrap(
        api.GET('/api/v1/admin/control-room/agent-health', {
          params: { query: { window: metricWindow } },
          signal,
        }),
      ),
    refetchInterval: REFRESH_MS,
    placeholderData: keepPreviousData,
  });
  const samples = useActivitySamples(metrics.data);
  // While another window loads, the last one's answers stay on screen, dimmed, under their own title.
  const healthWindow = agentHealth.data?.window ?? metricWindow;
  return (
    <div className="page-body">
      <PageHeader title="Control room">
        <span className="muted small-inline">refreshes every {REFRESH_MS / 1000} s</span>
      </PageHeader>
      <section aria-labelledby="platform-heading">
        <h2 id="platform-heading" className="section-title">
          Platform
        </h2>
        <QueryState query={stats}>
          {(s) => {
            const figures: Array<[string, number]> = [
              ['Organisations', s.orgs],
              ['Users', s.users],
              ['Sockets (all replicas)', s.realtime.sockets],
              ['Replicas', s.realtime.replicas],
              ...Object.entries(s.figures).map(([k, v]): [string, number] => [humanize(k), v]),
            ];
            return (
              <ul className="stat-grid">
                {figures.map(([label, value]) => (
                  <li key={label} className="card stat" data-testid="control-figure">
                    <span className="stat-value">{value}</span>
                    <span className="stat-label">{label}</span>
                  </li>
                ))}
              </ul>
            );
          }}
        </QueryState>
      </section>
      <section aria-labelledby="health-heading">
        <h2 id="health-heading" className="section-title">
          System health
        </h2>
        <QueryState query={health}>
          {(h) => (
            <div className="card health-card">
              <div className="row-actions">
                <StatusBadge status={h.status === 'ok' ? 'healthy' : 'degraded'} testId="system-status" />
                <span className="muted small-inline">
                  {h.version} · Node {h.node} · replica {h.replicaId} · up {duration(h.uptimeSeconds)}
                </span>
              </div>
              <ul className="checks">
                {Object.entries(h.checks)
                  .sort(([a], [b]) => a.localeCompare(b))
                  .map(([name, c]) => (
                    <li key={name} className="check">
                      <span className={`dot ${c.ok ? 'dot-ok' : 'dot-failed'}`} aria-hidden="true" />
                      <span className="check-name">{name}</span>
                      <span className="check-state">
                        {c.ok ? `${c.latencyMs} ms` : (c.error ?? 'failed')}
                      </span>
                    </li>
                  ))}
              </ul>
              <div className="bars">
                <Bar
                  label="Heap used"
                  value={h.memory.heapUsedBytes}
                  max={h.memory.heapTotalBytes}
                  text={`${mb(h.memory.heapUsedBytes)} of ${mb(h.memory.heapTotalBytes)}`}
                />
                <Bar
                  label="Resident"
                  value={h.memory.rssBytes}
                  max={2 * 1024 ** 3}
                  text={mb(h.memory.rssBytes)}
                />
                <Bar
                  label="Event loop p99"
                  value={h.eventLoop.p99Ms}
                  max={200}
                  text={`${h.eventLoop.p99Ms.toFixed(1)} ms (mean ${h.eventLoop.meanMs.toFixed(1)})`}
                />
              </div>
            </div>
          )}
        </QueryState>
      </section>
      <section
        aria-labelledby="execution-heading"
        aria-busy={metrics.isPlaceholderData}
        className={metrics.isPlaceholderData ? 'is-switching' : undefined}
      >
        <div className="chart-section-head">
          <h2 id="execution-heading" className="section-title">
            Execution
          </h2>
          <WindowSwitch value={metricWindow} onChange={setMetricWindow} />
        </div>
        <QueryState query={metrics}>{(m) => <ExecutionView metrics={m} samples={samples} />}</QueryState>
      </section>
      <section
        aria-labelledby="agent-health-heading"
        aria-busy={agentHealth.isPlaceholderData}
        className={agentHealth.isPlaceholderData ? 'is-switching' : undefined}
      >
        <h2 id="agent-health-heading" className="section-title">
          Agent health, {WINDOWS.find((w) => w.value === healthWindow)?.long}
        </h2>
        <QueryState query={agentHealth}>{(t) => <AgentHealthView table={t} />}</QueryState>
      </section>
    </div>
  );
}
