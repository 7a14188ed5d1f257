import { useQuery } from '@tanstack/react-query';
import { api, unwrap } from '../api/client.ts';
import { PageHeader, QueryState, StatusBadge } from '../components/states.tsx';

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
    </div>
  );
}
