import { lazy, Suspense, useMemo, useState } from 'react';
import { Link, useParams } from 'react-router';
import { useSession } from '../auth/SessionContext.tsx';
import { Empty, ErrorMessage, Loading, TimeAgo } from '../components/states.tsx';
import { useIssueAssignees } from '../errors/assignees.ts';
import { IssueStatusBadge, LevelBadge } from '../errors/badges.tsx';
import { EventDetails } from '../errors/EventDetails.tsx';
import { FixPanelSlot } from '../errors/FixPanelSlot.tsx';
import { StackTrace } from '../errors/StackTrace.tsx';
import { trendWindow } from '../errors/trends.ts';
import { useIssueTrends } from '../errors/useIssueTrends.ts';
import {
  type IssueDetail,
  type IssueEvent,
  type IssueStatus,
  useErrorProjects,
  useIssue,
  useIssueEvents,
  useIssueStats,
  useIssuesLive,
  useUpdateIssue,
} from '../queries/errors.ts';
import { pagedItems } from '../queries/paging.ts';

const IssueCharts = lazy(() => import('../errors/IssueCharts.tsx').then((m) => ({ default: m.IssueCharts })));

const DAY = 86_400_000;

/** The status changes offered for an issue in a status. */
const STATUS_ACTIONS: Array<{
  to: IssueStatus;
  label: string;
  from: (s: IssueStatus) => boolean;
  primary?: boolean;
}> = [
  { to: 'resolved', label: 'Resolve', from: (s) => s !== 'resolved', primary: true },
  { to: 'unresolved', label: 'Unresolve', from: (s) => s === 'resolved' || s === 'ignored' },
  { to: 'ignored', label: 'Ignore', from: (s) => s !== 'ignored' },
];

function Header({ issue, projectName }: { issue: IssueDetail; projectName: string }) {
  const { can } = useSession();
  const update = useUpdateIssue();
  const { options, nameOf } = useIssueAssignees();
  const canWrite = can('errors:write');
  const set = (change: { status?: IssueStatus; assignee?: string | null }) =>
    update.mutate({ id: issue.id, change });
  return (
    <header className="card issue-header">
      <nav className="crumbs" aria-label="Breadcrumb">
        <Link to="/errors">Errors</Link> <span aria-hidden="true">/</span>{' '}
        <span className="mono">{issue.shortId}</span>
      </nav>
      <h1 className="issue-heading" data-testid="issue-title">
        {issue.title}
      </h1>
      {issue.culprit ? <p className="issue-culprit mono">{issue.culprit}</p> : null}
      <div className="issue-meta">
        <LevelBadge level={issue.level} />
        <IssueStatusBadge status={issue.status} testId="issue-detail-status" />
        <span className="muted">{projectName}</span>
      </div>
      <dl className="issue-figures">
        <div>
          <dt>Events</dt>
          <dd data-testid="issue-detail-count">{issue.count.toLocaleString()}</dd>
        </div>
        <div>
          <dt>Users</dt>
          <dd>{issue.userCount.toLocaleString()}</dd>
        </div>
        <div>
          <dt>First seen</dt>
          <dd>
            <TimeAgo iso={issue.firstSeen} />
          </dd>
        </div>
        <div>
          <dt>Last seen</dt>
          <dd>
            <TimeAgo iso={issue.lastSeen} />
          </dd>
        </div>
      </dl>
      <div className="row-actions issue-actions">
        {canWrite
          ? STATUS_ACTIONS.filter((a) => a.from(issue.status)).map((a) => (
              <button
                key={a.to}
                type="button"
                className={a.primary ? 'btn btn-primary' : 'btn'}
                onClick={() => set({ status: a.to })}
                data-testid={`issue-${a.to}`}
              >
                {a.label}
              </button>
            ))
          : null}
        {canWrite ? (
          <label className="inline-field issue-assignee">
            <span>Assignee</span>
            <select
              value={issue.assignee ?? ''}
              onChange={(e) => set({ assignee: e.target.value || null })}
              data-testid="issue-assignee"
            >
              <option value="">Unassigned</option>
              {options.map((o) => (
                <option key={o.value} value={o.value}>
                  {o.label}
                </option>
              ))}
              {issue.assignee && !options.some((o) => o.value === issue.assignee) ? (
                <option value={issue.assignee}>{nameOf(issue.assignee)}</option>
              ) : null}
            </select>
          </label>
        ) : (
          <span className="inline-field issue-assignee">
            <span>Assignee</span> <span>{nameOf(issue.assignee)}</span>
          </span>
        )}
      </div>
    </header>
  );
}

/**
 * Walks the issue's events one at a time, newest first: `index` 0 is the newest. Pages of events are read
 * as the walk reaches them; the newest is the issue's own `latestEvent` until the list has come.
 */
function useEventWalk(issue: IssueDetail) {
  const events = useIssueEvents(issue.id);
  const [index, setIndex] = useState(0);
  const items = pagedItems(events.data);
  const event: IssueEvent | null | undefined = items[index] ?? (index === 0 ? issue.latestEvent : undefined);
  const older = () => {
    const next = index + 1;
    if (next >= items.length && events.hasNextPage) void events.fetchNextPage();
    setIndex(next);
  };
  return {
    event,
    index,
    loaded: items.length,
    hasOlder: index + 1 < items.length || events.hasNextPage,
    hasNewer: index > 0,
    older,
    newer: () => setIndex((i) => Math.max(0, i - 1)),
    newest: () => setIndex(0),
    loading: events.isFetchingNextPage || (index > 0 && !items[index]),
    error: events.error,
  };
}

function EventView({ issue }: { issue: IssueDetail }) {
  const walk = useEventWalk(issue);
  const event = walk.event;
  return (
    <section className="issue-event" aria-labelledby="event-heading">
      <div className="section-head event-nav">
        <h2 id="event-heading" className="section-title">
          {walk.index === 0 ? 'Latest event' : `Event ${walk.index + 1} of ${issue.count.toLocaleString()}`}
        </h2>
        {event ? (
          <span className="muted small-inline" data-testid="event-id">
            <span className="mono">{event.eventId.slice(0, 12)}</span> · <TimeAgo iso={event.timestamp} />
          </span>
        ) : null}
        <div className="row-actions">
          <button type="button" className="btn btn-small" disabled={!walk.hasNewer} onClick={walk.newest}>
            Newest
          </button>
          <button
            type="button"
            className="btn btn-small"
            disabled={!walk.hasNewer}
            onClick={walk.newer}
            data-testid="event-newer"
          >
            ‹ Newer
          </button>
          <button
            type="button"
            className="btn btn-small"
            disabled={!walk.hasOlder || walk.loading}
            onClick={walk.older}
            data-testid="event-older"
          >
            Older ›
          </button>
        </div>
      </div>
      {walk.error && !event ? (
        <ErrorMessage error={walk.error} />
      ) : !event ? (
        walk.loading ? (
          <Loading label="Loading the event…" />
        ) : (
          <Empty title="No event to show">The issue’s events have been removed.</Empty>
        )
      ) : (
        <div className="event-body" data-testid="event-body" aria-busy={walk.loading}>
          {event.message && event.exceptions.length === 0 ? (
            <pre className="code-block event-message">{event.message}</pre>
          ) : null}
          {event.exceptions.length > 0 ? (
            <section className="card">
              <h2 className="section-title">Stack trace</h2>
              <StackTrace exceptions={event.exceptions} />
            </section>
          ) : null}
          <EventDetails event={event} />
        </div>
      )}
    </section>
  );
}

/**
 * One issue: its header (figures, status actions, assignee), the Fix panel's place, its events over time
 * against its project's, and its events one at a time with their stack traces and context. Live on the
 * `issues` channel.
 */
export function IssuePage() {
  const { id } = useParams();
  const issue = useIssue(id);
  const projects = useErrorProjects();
  useIssuesLive();
  const data = issue.data;
  const trend = useIssueTrends(data ? [data] : []);
  const starts = useMemo(() => trendWindow(Date.now()), []);
  const range = useMemo(() => {
    const to = Math.ceil(Date.now() / DAY) * DAY;
    return { from: new Date(to - 14 * DAY).toISOString(), to: new Date(to).toISOString() };
  }, []);
  const stats = useIssueStats(
    { bucket: 'day', ...range, ...(data ? { projectId: data.projectId } : {}) },
    data !== undefined,
  );
  if (issue.error && !data) return <ErrorMessage error={issue.error} onRetry={() => void issue.refetch()} />;
  if (!data) return <Loading label="Loading the issue…" />;
  const projectName = projects.data?.find((p) => p.id === data.projectId)?.name ?? 'Project';
  return (
    <div className="page-body issue-page">
      <Header issue={data} projectName={projectName} />
      <FixPanelSlot issue={data} />
      <Suspense fallback={<Loading label="Drawing the charts…" />}>
        <IssueCharts trend={trend(data)} starts={starts} stats={stats.data} projectName={projectName} />
      </Suspense>
      <EventView key={data.id} issue={data} />
    </div>
  );
}
