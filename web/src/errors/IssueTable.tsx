import { type ChangeEvent, type KeyboardEvent, useRef, useState } from 'react';
import { Link } from 'react-router';
import { Sparkline } from '../charts/Sparkline.tsx';
import { SelectAll, useSelection } from '../components/selection.tsx';
import { TimeAgo } from '../components/states.tsx';
import type { BulkAction, Issue, IssueAssignee } from '../queries/errors.ts';
import { IssueStatusBadge, LevelBadge } from './badges.tsx';

/** The bulk buttons; each is offered for the ticked issues it would change. */
const BULK: Array<{ action: Exclude<BulkAction, 'assign'>; label: string; targets: (i: Issue) => boolean }> =
  [
    { action: 'resolve', label: 'Resolve', targets: (i) => i.status !== 'resolved' },
    {
      action: 'unresolve',
      label: 'Unresolve',
      targets: (i) => i.status === 'resolved' || i.status === 'ignored',
    },
    { action: 'ignore', label: 'Ignore', targets: (i) => i.status !== 'ignored' },
  ];

export interface AssigneeOption {
  value: string;
  label: string;
}

function BulkBar({
  items,
  selected,
  setAll,
  run,
  busy,
  assignees,
  toAssignee,
}: {
  items: Issue[];
  selected: Issue[];
  setAll: (checked: boolean) => void;
  run: (targets: Issue[], action: BulkAction, assignee?: IssueAssignee) => void;
  busy: boolean;
  assignees: AssigneeOption[];
  toAssignee: (value: string) => IssueAssignee;
}) {
  const [assignTo, setAssignTo] = useState('');
  const offered = BULK.map((b) => ({ ...b, items: selected.filter(b.targets) })).filter(
    (b) => b.items.length > 0,
  );
  return (
    <fieldset className="bulk-bar card" aria-busy={busy} data-testid="issue-bulk">
      <legend className="sr-only">Bulk actions</legend>
      <SelectAll total={items.length} selected={selected.length} setAll={setAll} testId="issue-select-all">
        Select all shown
      </SelectAll>
      <span className="muted small-inline" aria-live="polite" data-testid="selection-count">
        {selected.length > 0
          ? `${selected.length} selected`
          : 'Tick issues (or press x on one) to act on several at once'}
      </span>
      {selected.length > 0 ? (
        <div className="row-actions bulk-actions">
          {offered.map((b) => (
            <button
              key={b.action}
              type="button"
              className={b.action === 'resolve' ? 'btn btn-small btn-primary' : 'btn btn-small'}
              disabled={busy}
              onClick={() => run(b.items, b.action)}
              data-testid={`bulk-${b.action}`}
            >
              {b.label} ({b.items.length})
            </button>
          ))}
          <span className="bulk-assign">
            <select
              aria-label="Assign the selected issues to"
              value={assignTo}
              onChange={(e) => setAssignTo(e.target.value)}
              disabled={busy}
            >
              <option value="">Unassigned</option>
              {assignees.map((a) => (
                <option key={a.value} value={a.value}>
                  {a.label}
                </option>
              ))}
            </select>
            <button
              type="button"
              className="btn btn-small"
              disabled={busy}
              onClick={() => run(selected, 'assign', toAssignee(assignTo))}
            >
              Assign ({selected.length})
            </button>
          </span>
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

/** A checkbox clicked with Shift held ticks the range from the previous one clicked. */
const withShift = (e: ChangeEvent<HTMLInputElement>) => (e.nativeEvent as MouseEvent).shiftKey === true;

/**
 * The issue list as a table: tick issues for bulk actions, each with its level, status, events over the
 * last day as a sparkline, counts and times. Keyboard: `j`/`k` (or the arrows) move between issues, `x`
 * ticks the one focused, Enter opens it.
 */
export function IssueTable({
  items,
  canWrite,
  fresh,
  trend,
  assignees,
  nameOf,
  toAssignee,
  bulk,
}: {
  items: Issue[];
  canWrite: boolean;
  /** Issues that just arrived or regressed, shown marked for a moment. */
  fresh: ReadonlySet<string>;
  /** An issue's events per bucket over the recent window (none: a dash). */
  trend: (issue: Issue) => Array<number | null> | undefined;
  assignees: AssigneeOption[];
  nameOf: (a: IssueAssignee) => string;
  toAssignee: (value: string) => IssueAssignee;
  bulk: {
    run: (targets: Issue[], action: BulkAction, assignee?: IssueAssignee) => Promise<string[]>;
    busy: boolean;
  };
}) {
  const selection = useSelection(items);
  const table = useRef<HTMLTableElement>(null);
  function run(targets: Issue[], action: BulkAction, assignee?: IssueAssignee) {
    // What failed stays ticked, ready for another try.
    void bulk.run(targets, action, assignee).then((failed) => selection.keepOnly(failed));
  }
  function onKeyDown(e: KeyboardEvent<HTMLTableElement>) {
    if (e.ctrlKey || e.metaKey || e.altKey) return;
    const links = [...(table.current?.querySelectorAll<HTMLAnchorElement>('a[data-issue-link]') ?? [])];
    const row = (e.target as HTMLElement).closest('tr[data-issue-id]');
    const at = row ? links.findIndex((l) => l.closest('tr') === row) : -1;
    const move = (to: number) => {
      e.preventDefault();
      links[Math.max(0, Math.min(links.length - 1, to))]?.focus();
    };
    if (e.key === 'j' || e.key === 'ArrowDown') move(at + 1);
    else if (e.key === 'k' || e.key === 'ArrowUp') move(at < 0 ? 0 : at - 1);
    else if (e.key === 'x' && row && canWrite) {
      e.preventDefault();
      const id = row.getAttribute('data-issue-id')!;
      selection.toggle(id, !selection.ids.has(id));
    }
  }
  return (
    <>
      {canWrite ? (
        <BulkBar
          items={items}
          selected={selection.selected}
          setAll={selection.setAll}
          run={run}
          busy={bulk.busy}
          assignees={assignees}
          toAssignee={toAssignee}
        />
      ) : null}
      <div className="card table-wrap">
        <table ref={table} className="table issue-table" data-testid="issue-list" onKeyDown={onKeyDown}>
          <thead>
            <tr>
              {canWrite ? (
                <th className="cell-check">
                  <span className="sr-only">Selected</span>
                </th>
              ) : null}
              <th>Issue</th>
              <th>Last 24 h</th>
              <th className="num">Events</th>
              <th className="num">Users</th>
              <th>Last seen</th>
              <th>First seen</th>
              <th>Assignee</th>
            </tr>
          </thead>
          <tbody>
            {items.map((issue) => {
              const selected = selection.ids.has(issue.id);
              const values = trend(issue);
              return (
                <tr
                  key={issue.id}
                  data-issue-id={issue.id}
                  data-testid="issue-row"
                  className={`${selected ? 'selected' : ''} ${fresh.has(issue.id) ? 'fresh' : ''} status-${issue.status}`}
                >
                  {canWrite ? (
                    <td className="cell-check">
                      <input
                        type="checkbox"
                        checked={selected}
                        onChange={(e) => selection.toggle(issue.id, e.target.checked, withShift(e))}
                        aria-label={`Select ${issue.shortId}: ${issue.title}`}
                      />
                    </td>
                  ) : null}
                  <td className="cell-main issue-cell">
                    <Link to={`/errors/issues/${issue.id}`} className="issue-title" data-issue-link>
                      {issue.title}
                    </Link>
                    <div className="issue-meta">
                      <LevelBadge level={issue.level} />
                      <IssueStatusBadge status={issue.status} testId="issue-status" />
                      <span className="mono muted">{issue.shortId}</span>
                      {issue.culprit ? <span className="issue-culprit mono">{issue.culprit}</span> : null}
                      {fresh.has(issue.id) ? <span className="tag tag-wait">new</span> : null}
                    </div>
                  </td>
                  <td>
                    {values ? (
                      <Sparkline
                        values={values}
                        label={`Events of ${issue.shortId} over the last 24 hours`}
                        tone="bad"
                      />
                    ) : (
                      <span className="muted">—</span>
                    )}
                  </td>
                  <td className="num" data-testid="issue-count">
                    {issue.count.toLocaleString()}
                  </td>
                  <td className="num">{issue.userCount.toLocaleString()}</td>
                  <td>
                    <TimeAgo iso={issue.lastSeen} />
                  </td>
                  <td>
                    <TimeAgo iso={issue.firstSeen} />
                  </td>
                  <td className="muted">{nameOf(issue.assignee)}</td>
                </tr>
              );
            })}
          </tbody>
        </table>
      </div>
    </>
  );
}
