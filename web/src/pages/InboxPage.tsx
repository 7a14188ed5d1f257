import { useIsMutating } from '@tanstack/react-query';
import { type ChangeEvent, useRef } from 'react';
import { Link, useSearchParams } from 'react-router';
import { useSession } from '../auth/SessionContext.tsx';
import { SelectAll, useSelection } from '../components/selection.tsx';
import { Empty, PageHeader, QueryState, StatusBadge, TimeAgo } from '../components/states.tsx';
import { drawnItems, listPadding, type RowProps, useWindowRows } from '../components/VirtualRows.tsx';
import { useInboxAction, useInboxBulkAction, useInboxList, useRefreshInbox } from '../queries/inbox.ts';
import { bulkTargets, type InboxAction, type InboxItem, isPendingApproval } from '../queries/inbox-cache.ts';
import { keys } from '../queries/keys.ts';
import { useChannel } from '../realtime/RealtimeContext.tsx';

const VIEWS = [
  { value: 'open', label: 'Open' },
  { value: 'closed', label: 'Closed' },
  { value: 'all', label: 'All' },
] as const;
type View = (typeof VIEWS)[number]['value'];

/** The bulk buttons, in the order shown; approve and reject appear only for pending approvals. */
const BULK_ACTIONS: Array<{ action: InboxAction; label: string; className: string }> = [
  { action: 'approve', label: 'Approve', className: 'btn btn-small btn-primary' },
  { action: 'reject', label: 'Reject', className: 'btn btn-small' },
  { action: 'read', label: 'Mark read', className: 'btn btn-small' },
  { action: 'unread', label: 'Mark unread', className: 'btn btn-small' },
  { action: 'close', label: 'Close', className: 'btn btn-small' },
];

/** An item's usual height and the space between items (`.inbox-list`'s gap), for the virtual list. */
const ITEM_HEIGHT = 140;
const ITEM_GAP = 10;

/** A checkbox clicked with Shift held ticks (or unticks) the range from the previous one clicked. */
function withShift(e: ChangeEvent<HTMLInputElement>): boolean {
  return (e.nativeEvent as MouseEvent).shiftKey === true;
}

function ItemActions({ item, act }: { item: InboxItem; act: (id: string, action: InboxAction) => void }) {
  const pendingApproval = isPendingApproval(item);
  return (
    <>
      {pendingApproval ? (
        <>
          <button type="button" className="btn btn-small btn-primary" onClick={() => act(item.id, 'approve')}>
            Approve
          </button>
          <button type="button" className="btn btn-small" onClick={() => act(item.id, 'reject')}>
            Reject
          </button>
        </>
      ) : null}
      <button
        type="button"
        className="btn btn-small btn-ghost"
        onClick={() => act(item.id, item.read ? 'unread' : 'read')}
      >
        {item.read ? 'Mark unread' : 'Mark read'}
      </button>
      {item.status === 'open' && !pendingApproval ? (
        <button type="button" className="btn btn-small btn-ghost" onClick={() => act(item.id, 'close')}>
          Close
        </button>
      ) : null}
    </>
  );
}

/** The issue whose proposed fix a notice asks to review (the fixes domain names it in the payload). */
function reviewedIssue(item: InboxItem): string | undefined {
  const payload = item.payload as { kind?: unknown; issueId?: unknown } | null;
  return payload?.kind === 'fix.review' && typeof payload.issueId === 'string' ? payload.issueId : undefined;
}

function ItemRow({
  item,
  act,
  canWrite,
  selected,
  onSelect,
  row,
}: {
  item: InboxItem;
  act: (id: string, action: InboxAction) => void;
  canWrite: boolean;
  selected: boolean;
  onSelect: (id: string, checked: boolean, range: boolean) => void;
  row: RowProps;
}) {
  return (
    <li
      className={`inbox-item card ${item.read ? '' : 'unread'} ${selected ? 'selected' : ''}`}
      data-testid="inbox-item"
      {...row}
    >
      <div className="inbox-head">
        {canWrite ? (
          <input
            type="checkbox"
            className="inbox-select"
            checked={selected}
            onChange={(e) => onSelect(item.id, e.target.checked, withShift(e))}
            aria-label={`Select: ${item.title}`}
            aria-describedby={`inbox-body-${item.id}`}
          />
        ) : null}
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
      <p className="inbox-body" id={`inbox-body-${item.id}`}>
        {item.body}
      </p>
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
        {reviewedIssue(item) ? (
          <Link
            className="btn btn-small"
            to={`/errors/issues/${reviewedIssue(item)}`}
            data-testid="inbox-review-fix"
          >
            Review the fix
          </Link>
        ) : null}
        {canWrite ? <ItemActions item={item} act={act} /> : null}
      </div>
    </li>
  );
}

function BulkBar({
  items,
  selected,
  setAll,
  run,
  busy,
}: {
  items: InboxItem[];
  selected: InboxItem[];
  setAll: (checked: boolean) => void;
  run: (targets: InboxItem[], action: InboxAction) => void;
  busy: boolean;
}) {
  const offered = BULK_ACTIONS.map((b) => ({ ...b, targets: bulkTargets(selected, b.action) })).filter(
    (b) => b.targets.length > 0,
  );
  return (
    <fieldset className="bulk-bar card" aria-busy={busy}>
      <legend className="sr-only">Bulk actions</legend>
      <SelectAll total={items.length} selected={selected.length} setAll={setAll}>
        Select all on this page
      </SelectAll>
      <span className="muted small-inline" aria-live="polite" data-testid="selection-count">
        {selected.length > 0 ? `${selected.length} selected` : 'Select items to act on several at once'}
      </span>
      {offered.length > 0 ? (
        <div className="row-actions bulk-actions">
          {offered.map((b) => (
            <button
              key={b.action}
              type="button"
              className={b.className}
              disabled={busy}
              onClick={() => run(b.targets, b.action)}
            >
              {b.label} ({b.targets.length})
            </button>
          ))}
          <button
            type="button"
            className="btn btn-small btn-ghost"
            disabled={busy}
            onClick={() => setAll(false)}
          >
            Clear selection
          </button>
        </div>
      ) : null}
    </fieldset>
  );
}

function InboxList({
  items,
  canWrite,
  act,
}: {
  items: InboxItem[];
  canWrite: boolean;
  act: (id: string, action: InboxAction) => void;
}) {
  const selection = useSelection(items);
  const bulk = useInboxBulkAction();
  function run(targets: InboxItem[], action: InboxAction) {
    bulk.mutate(
      { items: targets, action },
      // What failed stays ticked, ready for another try.
      { onSuccess: (outcome) => selection.keepOnly(outcome.filter((o) => o.error).map((o) => o.item.id)) },
    );
  }
  const ids = new Set(selection.selected.map((i) => i.id));
  const list = useRef<HTMLUListElement>(null);
  const drawn = useWindowRows(items.length, ITEM_HEIGHT, list, ITEM_GAP);
  return (
    <>
      {canWrite ? (
        <BulkBar
          items={items}
          selected={selection.selected}
          setAll={selection.setAll}
          run={run}
          busy={bulk.isPending}
        />
      ) : null}
      <ul ref={list} className="inbox-list" style={listPadding(drawn)}>
        {drawnItems(drawn, items).map(({ item, props }) => (
          <ItemRow
            key={item.id}
            item={item}
            act={act}
            canWrite={canWrite}
            selected={ids.has(item.id)}
            onSelect={selection.toggle}
            row={props}
          />
        ))}
      </ul>
    </>
  );
}

export function InboxPage() {
  const [params, setParams] = useSearchParams();
  const view = (VIEWS.some((v) => v.value === params.get('view')) ? params.get('view') : 'open') as View;
  const { can } = useSession();
  const inbox = useInboxList(view);
  const refreshInbox = useRefreshInbox();
  const action = useInboxAction();
  const markAll = useInboxBulkAction();
  // While a batch runs, its own changes come back as events; one refetch at its end is enough.
  const bulkRunning = useIsMutating({ mutationKey: keys.inbox.bulk }) > 0;
  useChannel('inbox', () => {
    if (!bulkRunning) refreshInbox();
  });
  const act = (id: string, a: InboxAction) => action.mutate({ id, action: a });
  const unread = inbox.data?.items.filter((i) => !i.read) ?? [];
  const canWrite = can('inbox:write');

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
        {canWrite && unread.length > 0 ? (
          <button
            type="button"
            className="btn"
            disabled={markAll.isPending}
            onClick={() => markAll.mutate({ items: unread, action: 'read' })}
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
            // A new view starts with nothing selected.
            <InboxList key={view} items={data.items} canWrite={canWrite} act={act} />
          )
        }
      </QueryState>
    </div>
  );
}
