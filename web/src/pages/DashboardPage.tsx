import { useQuery, useQueryClient } from '@tanstack/react-query';
import { Link } from 'react-router';
import { api, unwrap } from '../api/client.ts';
import { useSession } from '../auth/SessionContext.tsx';
import { Empty, Loading, PageHeader, QueryState, StatusBadge, TimeAgo } from '../components/states.tsx';
import { useAgentName } from '../queries/agents.ts';
import { useChannel, useConnectionState, useDashboardStats } from '../realtime/RealtimeContext.tsx';

interface Figure {
  key: string;
  label: string;
  value: number | undefined;
  to?: string;
}

const num = (v: unknown): number | undefined => (typeof v === 'number' ? v : undefined);

function figuresOf(stats: Record<string, unknown>): Figure[] {
  const runs = (typeof stats.runs === 'object' && stats.runs !== null ? stats.runs : {}) as Record<
    string,
    unknown
  >;
  const list: Figure[] = [];
  if ('runs' in stats) {
    list.push(
      { key: 'active', label: 'Runs in flight', value: num(runs.active), to: '/runs?status=running' },
      { key: 'queued', label: 'Queued', value: num(runs.queued), to: '/runs?status=queued' },
      {
        key: 'waitingApproval',
        label: 'Waiting for approval',
        value: num(runs.waitingApproval),
        to: '/runs?status=waiting_approval',
      },
      { key: 'succeededLastHour', label: 'Succeeded (last hour)', value: num(runs.succeededLastHour) },
      { key: 'failedLastHour', label: 'Failed (last hour)', value: num(runs.failedLastHour) },
    );
  }
  if ('inboxUnread' in stats) {
    list.push({ key: 'inboxUnread', label: 'Unread in inbox', value: num(stats.inboxUnread), to: '/inbox' });
  }
  list.push({ key: 'connectedUsers', label: 'People online', value: num(stats.connectedUsers) });
  return list;
}

function LiveStats() {
  const { stats, at } = useDashboardStats();
  const state = useConnectionState();
  if (!stats) {
    return state === 'open' || state === 'connecting' ? (
      <Loading label="Waiting for live figures…" />
    ) : (
      <Empty title="Live figures are unavailable">
        The realtime connection is down; it reconnects by itself.
      </Empty>
    );
  }
  return (
    <section aria-labelledby="live-heading">
      <div className="section-head">
        <h2 id="live-heading">Live</h2>
        {at ? (
          <span className="muted small-inline" data-testid="stats-updated">
            updated {at.toLocaleTimeString()}
          </span>
        ) : null}
      </div>
      <ul className="stat-grid">
        {figuresOf(stats).map((f) => {
          const body = (
            <>
              <span className="stat-value" data-testid={`stat-${f.key}`}>
                {f.value ?? '—'}
              </span>
              <span className="stat-label">{f.label}</span>
            </>
          );
          return (
            <li key={f.key} className="card stat">
              {f.to ? (
                <Link to={f.to} className="stat-link">
                  {body}
                </Link>
              ) : (
                body
              )}
            </li>
          );
        })}
      </ul>
    </section>
  );
}

function RecentRuns({ canChat }: { canChat: boolean }) {
  const queryClient = useQueryClient();
  const agentName = useAgentName();
  const runs = useQuery({
    queryKey: ['runs', 'recent'],
    queryFn: ({ signal }) =>
      unwrap(api.GET('/api/v1/runs', { params: { query: { limit: 10 } }, signal })).then((d) => d.items),
  });
  useChannel('dashboard', (e) => {
    if (e.event.startsWith('run.') || e.event.startsWith('approval.'))
      void queryClient.invalidateQueries({ queryKey: ['runs'] });
  });
  return (
    <section aria-labelledby="recent-heading">
      <div className="section-head">
        <h2 id="recent-heading">Recent runs</h2>
        <Link to="/runs" className="muted">
          All runs
        </Link>
      </div>
      <QueryState query={runs}>
        {(items) =>
          items.length === 0 ? (
            <Empty title="No runs yet">
              {canChat ? (
                <>
                  Start one from <Link to="/chat">Chat</Link>; it will show up here as it happens.
                </>
              ) : (
                'Runs your team starts will show up here as they happen.'
              )}
            </Empty>
          ) : (
            <ul className="card list">
              {items.map((run) => (
                <li key={run.id} className="list-row">
                  <Link to={`/runs/${run.id}`} className="list-main">
                    <span className="list-title">{run.input.split('\n')[0] || run.id}</span>
                    <span className="muted small-inline">
                      {agentName(run.agentId)} · <TimeAgo iso={run.createdAt} />
                    </span>
                  </Link>
                  <StatusBadge status={run.status} />
                </li>
              ))}
            </ul>
          )
        }
      </QueryState>
    </section>
  );
}

export function DashboardPage() {
  const { session, can } = useSession();
  return (
    <div className="page-body">
      <PageHeader title={`Welcome, ${session?.user.name ?? ''}`} />
      <LiveStats />
      {can('runs:read') ? <RecentRuns canChat={can('chat:write')} /> : null}
    </div>
  );
}
