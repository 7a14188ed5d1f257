import type { components } from '@switchboard/client';
import { useQueryClient } from '@tanstack/react-query';
import { useEffect, useRef } from 'react';
import { Link } from 'react-router';
import { useSession } from '../auth/SessionContext.tsx';
import {
  Empty,
  Loading,
  MoreButton,
  PageHeader,
  QueryState,
  StatusBadge,
  TimeAgo,
} from '../components/states.tsx';
import { GettingStarted } from '../dashboard/GettingStarted.tsx';
import { useAgentName } from '../queries/agents.ts';
import { keys } from '../queries/keys.ts';
import { pagedItems } from '../queries/paging.ts';
import { useRecentRuns, useRunsLive } from '../queries/runs.ts';
import { useTaskStats } from '../queries/tasks.ts';
import { useRefreshUpdates, useUpdates } from '../queries/updates.ts';
import { useBudgets, useMonthUsage, useUsageLive } from '../queries/usage.ts';
import { useChannel, useConnectionState, useDashboardStats } from '../realtime/RealtimeContext.tsx';
import { useAssignees } from '../tasks/assignees.ts';
import { usd } from '../usage/format.ts';

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
  const agentName = useAgentName();
  const runs = useRecentRuns();
  useRunsLive();
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

type Update = components['schemas']['Update'];

/**
 * Live events come when runs and inbox items change; the feed's audit rows for the same request are
 * written a moment behind the response (batched), so the refresh waits a little and takes a burst at once.
 */
const UPDATES_REFRESH_MS = 400;

const TONES: Partial<Record<Update['kind'], 'ok' | 'bad' | 'wait' | 'neutral'>> = {
  'run.succeeded': 'ok',
  'run.failed': 'bad',
  'run.waiting_approval': 'wait',
  'approval.rejected': 'bad',
  'approval.approved': 'ok',
};

function toneOf(kind: Update['kind']): string {
  return (
    TONES[kind] ?? (/\.(deleted|removed|revoked|cancelled|cancel_requested)$/.test(kind) ? 'neutral' : 'info')
  );
}

/** The console page of an item's subject, when there is one and the reader may open it. */
function subjectPath(u: Update, can: (permission: string) => boolean): string | undefined {
  const s = u.subject;
  if (!s) return undefined;
  switch (s.type) {
    case 'run':
      return can('runs:read') ? `/runs/${encodeURIComponent(s.id)}` : undefined;
    case 'agent':
      return u.kind !== 'agent.deleted' && can('agents:read')
        ? `/agents/${encodeURIComponent(s.id)}`
        : undefined;
    case 'inbox_item':
      return can('inbox:read') ? '/inbox' : undefined;
    case 'member':
      return u.kind !== 'member.removed' && can('members:read') ? '/settings/members' : undefined;
    case 'role':
      return u.kind !== 'role.deleted' && can('roles:read') ? '/settings/roles' : undefined;
    case 'api_key':
      return can('api_keys:read') ? '/settings/api-keys' : undefined;
    case 'task':
      return u.kind !== 'task.deleted' && can('tasks:read')
        ? `/tasks?task=${encodeURIComponent(s.id)}`
        : undefined;
    case 'issue':
      return can('errors:read') ? `/errors/issues/${encodeURIComponent(s.id)}` : undefined;
    case 'fix':
      return can('errors:read') ? `/errors/fixes/${encodeURIComponent(s.id)}` : undefined;
    case 'error_project':
      return u.kind !== 'error_project.deleted' && can('errors:read') ? '/errors/projects' : undefined;
    default:
      return undefined;
  }
}

/** "You created agent Triage", "Ada changed role support", "Run of Triage succeeded". */
function sentenceOf(u: Update, myId: string | undefined): { who: string | undefined; what: string } {
  if (!u.actor) return { who: undefined, what: u.summary.charAt(0).toUpperCase() + u.summary.slice(1) };
  const who =
    u.actor.kind === 'user' && u.actor.id === myId
      ? 'You'
      : (u.actor.name ?? (u.actor.kind === 'api_key' ? 'An API key' : 'Someone'));
  return { who, what: u.summary };
}

function UpdateRow({
  update,
  path,
  myId,
}: {
  update: Update;
  path: string | undefined;
  myId: string | undefined;
}) {
  const { who, what } = sentenceOf(update, myId);
  const text = (
    <>
      {who ? <span className="update-actor">{who}</span> : null}
      {who ? ' ' : null}
      {what}
    </>
  );
  return (
    <li className="update-row" data-testid="update-item" data-kind={update.kind}>
      <span className={`update-dot update-dot-${toneOf(update.kind)}`} aria-hidden="true" />
      <div className="update-body">
        {path ? (
          <Link to={path} className="update-text">
            {text}
          </Link>
        ) : (
          <span className="update-text">{text}</span>
        )}
        <span className="muted small-inline">
          <TimeAgo iso={update.at} />
          {update.actor?.kind === 'api_key' ? ' · API key' : null}
        </span>
      </div>
    </li>
  );
}

function RecentUpdates() {
  const { session, can } = useSession();
  const updates = useUpdates();
  const refreshUpdates = useRefreshUpdates();
  const pending = useRef<ReturnType<typeof setTimeout>>(undefined);
  useChannel('dashboard', () => {
    clearTimeout(pending.current);
    pending.current = setTimeout(refreshUpdates, UPDATES_REFRESH_MS);
  });
  useEffect(() => () => clearTimeout(pending.current), []);

  return (
    <section aria-labelledby="updates-heading" className="dashboard-updates">
      <div className="section-head">
        <h2 id="updates-heading">Recent updates</h2>
        {can('audit:read') ? (
          <Link to="/settings/audit" className="muted">
            Audit log
          </Link>
        ) : null}
      </div>
      <QueryState query={updates} loading="Loading updates…">
        {(data) => {
          const items = pagedItems(data);
          if (items.length === 0) {
            return (
              <Empty title="Nothing has happened yet">
                Changes to agents, members and roles, approvals and finished runs show up here.
              </Empty>
            );
          }
          return (
            <div className="card updates-card">
              <ul className="list updates-list" data-testid="updates">
                {items.map((u) => (
                  <UpdateRow key={u.id} update={u} path={subjectPath(u, can)} myId={session?.user.id} />
                ))}
              </ul>
              {updates.hasNextPage ? (
                <div className="updates-more">
                  <MoreButton query={updates} label="Show older" small />
                </div>
              ) : null}
            </div>
          );
        }}
      </QueryState>
    </section>
  );
}

/** The org's task figures from `GET /tasks/stats`, read again whenever a task changes. */
function TaskFigures() {
  const stats = useTaskStats();
  const queryClient = useQueryClient();
  const { nameOf } = useAssignees();
  useChannel('dashboard', (e) => {
    if (e.event.startsWith('task.')) void queryClient.invalidateQueries({ queryKey: keys.tasks.stats });
  });
  if (!stats.data) return null;
  const { byStatus, overdue, completedLast7Days, byAssignee } = stats.data;
  const figures = [
    { key: 'todo', label: 'To do', value: byStatus.todo },
    { key: 'in_progress', label: 'In progress', value: byStatus.in_progress },
    { key: 'blocked', label: 'Blocked', value: byStatus.blocked },
    { key: 'overdue', label: 'Overdue', value: overdue },
    { key: 'done7', label: 'Done (last 7 days)', value: completedLast7Days },
  ];
  const busiest = byAssignee.filter((a) => a.assignee && a.open > 0).slice(0, 5);
  return (
    <section aria-labelledby="tasks-heading" className="task-figures">
      <div className="section-head">
        <h2 id="tasks-heading">Tasks</h2>
        <Link to="/tasks" className="muted">
          All tasks
        </Link>
      </div>
      <ul className="stat-grid">
        {figures.map((f) => (
          <li key={f.key} className="card stat">
            <Link to="/tasks" className="stat-link">
              <span className="stat-value" data-testid={`task-stat-${f.key}`}>
                {f.value}
              </span>
              <span className="stat-label">{f.label}</span>
            </Link>
          </li>
        ))}
      </ul>
      {busiest.length ? (
        <p className="muted small">
          Open by assignee: {busiest.map((a) => `${nameOf(a.assignee)} ${a.open}`).join(' · ')}
        </p>
      ) : null}
    </section>
  );
}

/** This month's spending on model calls, against the org's monthly budget when it has one. Live. */
function MonthSpend() {
  const month = useMonthUsage();
  const budgets = useBudgets();
  useUsageLive();
  const budget = budgets.data?.find((b) => b.scope === 'org' && b.period === 'month');
  if (!month.data) return null;
  const spent = month.data.costUsd;
  return (
    <section aria-labelledby="spend-heading" className="card month-spend">
      <div className="section-head">
        <h2 id="spend-heading">Spent this month</h2>
        <Link to="/usage" className="small-inline">
          Usage
        </Link>
      </div>
      <p className="stat-value" data-testid="month-spend">
        {usd(spent)}
        {budget ? <span className="muted"> of {usd(budget.limitUsd)}</span> : null}
      </p>
      {budget ? (
        <div
          className="budget-track"
          role="img"
          aria-label={`${usd(spent)} of ${usd(budget.limitUsd)} spent`}
        >
          <span
            className={`budget-fill tone-${spent >= budget.limitUsd ? 'bad' : 'ok'}`}
            style={{ width: `${Math.min(100, (spent / budget.limitUsd) * 100)}%` }}
          />
        </div>
      ) : (
        <p className="muted">
          {month.data.calls.toLocaleString()} model calls. No monthly budget limits the organisation.
        </p>
      )}
    </section>
  );
}

export function DashboardPage() {
  const { profile, can } = useSession();
  return (
    <div className="page-body">
      <PageHeader title={`Welcome, ${profile?.user.name ?? ''}`} />
      <GettingStarted />
      <LiveStats />
      {can('tasks:read') ? <TaskFigures /> : null}
      {can('usage:read') ? <MonthSpend /> : null}
      <div className="dashboard-panels">
        {can('runs:read') ? <RecentRuns canChat={can('chat:write')} /> : null}
        {can('tasks:read') ? <RecentUpdates /> : null}
      </div>
    </div>
  );
}
