import { useQuery, useQueryClient } from '@tanstack/react-query';
import { Link, useSearchParams } from 'react-router';
import { api, unwrap } from '../api/client.ts';
import { useSession } from '../auth/SessionContext.tsx';
import { Empty, PageHeader, QueryState, StatusBadge, TimeAgo } from '../components/states.tsx';
import { useInboxAction } from '../queries/inbox.ts';
import type { InboxAction, InboxItem } from '../queries/inbox-cache.ts';
import { useChannel } from '../realtime/RealtimeContext.tsx';

const VIEWS = [
  { value: 'open', label: 'Open' },
  { value: 'closed', label: 'Closed' },
  { value: 'all', label: 'All' },
] as const;
type View = (typeof VIEWS)[number]['value'];

function ItemRow({
  item,
  act,
  canWrite,
}: {
  item: InboxItem;
  act: (id: string, action: InboxAction) => void;
  canWrite: boolean;
}) {
  const pendingApproval = item.kind === 'approval' && item.status === 'open' && !item.decision;
  return (
    <li className={`inbox-item card ${item.read ? '' : 'unread'}`} data-testid="inbox-item">
      <div className="inbox-head">
        {item.read ? null : <span className="unread-dot" title="Unread" />}
        <span className="inbox-title">{item.title}</span>
        <span className="muted small-inline">
          <TimeAgo iso={item.createdAt} />
        </span>
        {item.decision ? (
          <StatusBadge status={item.decision === 'approved' ? 'succeeded' : 'failed'} />
        ) : (
          <StatusBadge status={item.status} />
        )}
      </div>
      <p className="inbox-body">{item.body}</p>
      {item.decision ? (
        <p className="muted small-inline" data-testid="inbox-decision">
          {item.decision === 'approved' ? 'Approved' : 'Rejected'}
          {item.decisionReason ? `: ${item.decisionReason}` : ''}
        </p>
      ) : null}
      <div className="row-actions">
        {item.runId ? (
          <Link className="btn btn-small btn-ghost" to={`/runs/${item.runId}`}>
            View run
          </Link>
        ) : null}
        {canWrite && pendingApproval ? (
          <>
            <button
              type="button"
              className="btn btn-small btn-primary"
              onClick={() => act(item.id, 'approve')}
            >
              Approve
            </button>
            <button type="button" className="btn btn-small" onClick={() => act(item.id, 'reject')}>
              Reject
            </button>
          </>
        ) : null}
        {canWrite ? (
          <button
            type="button"
            className="btn btn-small btn-ghost"
            onClick={() => act(item.id, item.read ? 'unread' : 'read')}
          >
            {item.read ? 'Mark unread' : 'Mark read'}
          </button>
        ) : null}
        {canWrite && item.status === 'open' && !pendingApproval ? (
          <button type="button" className="btn btn-small btn-ghost" onClick={() => act(item.id, 'close')}>
            Close
          </button>
        ) : null}
      </div>
    </li>
  );
}

export function InboxPage() {
  const [params, setParams] = useSearchParams();
  const view = (VIEWS.some((v) => v.value === params.get('view')) ? params.get('view') : 'open') as View;
  const { can } = useSession();
  const queryClient = useQueryClient();
  const inbox = useQuery({
    queryKey: ['inbox', 'list', view],
    queryFn: ({ signal }) =>
      unwrap(
        api.GET('/api/v1/inbox', {
          params: { query: { limit: 100, ...(view === 'all' ? {} : { status: view }) } },
          signal,
        }),
      ),
  });
  useChannel('inbox', () => void queryClient.invalidateQueries({ queryKey: ['inbox'] }));
  const action = useInboxAction();
  const act = (id: string, a: InboxAction) => action.mutate({ id, action: a });
  const unreadIds = inbox.data?.items.filter((i) => !i.read).map((i) => i.id) ?? [];

  return (
    <div className="page-body">
      <PageHeader title="Inbox">
        <div className="segmented" role="tablist" aria-label="Which items">
          {VIEWS.map((v) => (
            <button
              key={v.value}
              type="button"
              role="tab"
              aria-selected={view === v.value}
              className={`seg ${view === v.value ? 'active' : ''}`}
              onClick={() => setParams(v.value === 'open' ? {} : { view: v.value })}
            >
              {v.label}
            </button>
          ))}
        </div>
        {can('inbox:write') && unreadIds.length > 0 ? (
          <button
            type="button"
            className="btn"
            onClick={() => {
              for (const id of unreadIds) act(id, 'read');
            }}
          >
            Mark all read
          </button>
        ) : null}
      </PageHeader>
      <QueryState query={inbox} loading="Loading the inbox…">
        {(data) =>
          data.items.length === 0 ? (
            <Empty title={view === 'open' ? 'Nothing needs you right now' : 'No items here'}>
              Approval requests from agents and notices land here.
            </Empty>
          ) : (
            <ul className="inbox-list">
              {data.items.map((item) => (
                <ItemRow key={item.id} item={item} act={act} canWrite={can('inbox:write')} />
              ))}
            </ul>
          )
        }
      </QueryState>
    </div>
  );
}
