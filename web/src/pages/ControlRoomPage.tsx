import type { components } from '@switchboard/client';
import { lazy, Suspense } from 'react';
import { useSearchParams } from 'react-router';
import { Segmented } from '../components/Segmented.tsx';
import { Empty, Loading, PageHeader, QueryState, StatusBadge, TimeAgo } from '../components/states.tsx';
import { longName, type MetricWindow, orDash, WINDOWS } from '../control-room/metrics.ts';
import { Operations } from '../control-room/Operations.tsx';
import {
  CONTROL_ROOM_REFRESH_MS,
  useAgentHealthTable,
  useExecutionMetrics,
  usePlatformStatistics,
  useSystemHealth,
} from '../queries/admin.ts';

type AgentHealthTable = components['schemas']['AgentHealthTable'];

/** The charts (visx) load with the execution section, in a chunk of their own. */
const ExecutionView = lazy(() =>
  import('../control-room/ExecutionView.tsx').then((m) => ({ default: m.ExecutionView })),
);

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

/** The chosen window lives in the address (`?window=24h`), so a view can be shared and survives a reload. */
function useMetricWindow(): [MetricWindow, (w: MetricWindow) => void] {
  const [params, setParams] = useSearchParams();
  const chosen = WINDOWS.find((w) => w.value === params.get('window'))?.value ?? '1h';
  return [chosen, (w) => setParams(w === '1h' ? {} : { window: w }, { replace: true })];
}

function WindowSwitch({ value, onChange }: { value: MetricWindow; onChange: (w: MetricWindow) => void }) {
  return <Segmented label="Time window" options={WINDOWS} value={value} onChange={onChange} />;
}

const percent = (rate: number | null) => (rate === null ? '—' : `${Math.round(rate * 100)}%`);
const rateTone = (rate: number | null) =>
  rate === null ? '' : rate >= 0.95 ? 'ok' : rate < 0.8 ? 'bad' : '';

/** Every agent that ran in the window, busiest first, across all organisations. */
function AgentHealthView({ table }: { table: AgentHealthTable }) {
  const long = longName(table.window);
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
              <td title={a.orgId}>
                {a.orgName ?? <span className="mono small-inline org-id">{a.orgId}</span>}
              </td>
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
  const stats = usePlatformStatistics();
  const health = useSystemHealth();
  const [metricWindow, setMetricWindow] = useMetricWindow();
  const metrics = useExecutionMetrics(metricWindow);
  const agentHealth = useAgentHealthTable(metricWindow);
  // While another window loads, the last one's answers stay on screen, dimmed, under their own title.
  const healthWindow = agentHealth.data?.window ?? metricWindow;
  return (
    <div className="page-body">
      <PageHeader title="Control room">
        <span className="muted small-inline">refreshes every {CONTROL_ROOM_REFRESH_MS / 1000} s</span>
      </PageHeader>
      <section aria-labelledby="operations-heading">
        <h2 id="operations-heading" className="section-title">
          Operations
        </h2>
        <Operations />
      </section>
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
        <QueryState query={metrics}>
          {(m) => (
            <Suspense fallback={<Loading label="Drawing the charts…" />}>
              <ExecutionView metrics={m} />
            </Suspense>
          )}
        </QueryState>
      </section>
      <section
        aria-labelledby="agent-health-heading"
        aria-busy={agentHealth.isPlaceholderData}
        className={agentHealth.isPlaceholderData ? 'is-switching' : undefined}
      >
        <h2 id="agent-health-heading" className="section-title">
          Agent health, {longName(healthWindow)}
        </h2>
        <QueryState query={agentHealth}>{(t) => <AgentHealthView table={t} />}</QueryState>
      </section>
    </div>
  );
}
