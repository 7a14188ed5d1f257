import { useIsMutating } from '@tanstack/react-query';
import { useCallback, useEffect, useMemo, useState } from 'react';
import { Link, useSearchParams } from 'react-router';
import { useSession } from '../auth/SessionContext.tsx';
import { Empty, ErrorMessage, Loading, MoreButton, PageHeader } from '../components/states.tsx';
import { useIssueAssignees } from '../errors/assignees.ts';
import { ConnectSdk } from '../errors/ConnectSdk.tsx';
import { filtersFromParams, paramsOf } from '../errors/filters.ts';
import { IssueFiltersBar } from '../errors/IssueFiltersBar.tsx';
import { IssueTable } from '../errors/IssueTable.tsx';
import { useIssueTrends } from '../errors/useIssueTrends.ts';
import {
  type BulkAction,
  type Issue,
  type IssueAssignee,
  type IssueFilters,
  useErrorProjects,
  useIssueBulk,
  useIssueList,
  useIssuesLive,
} from '../queries/errors.ts';
import { keys } from '../queries/keys.ts';
import { pagedItems } from '../queries/paging.ts';

/** How long an issue that just arrived stays marked "new". */
const FRESH_MS = 8000;

/**
 * The org's error issues: filtered, searched and sorted (all kept in the address), a page of 50 at a
 * time, ticked for bulk actions, live as issues arrive and change on the `issues` channel.
 */
export function ErrorsPage() {
  const { can } = useSession();
  const [params, setParams] = useSearchParams();
  const filters = useMemo(() => filtersFromParams(params), [params]);
  const setFilters = (f: IssueFilters) => setParams(paramsOf(f), { replace: true });
  const projects = useErrorProjects();
  const issues = useIssueList(filters);
  const items = pagedItems(issues.data);
  const trend = useIssueTrends(items);
  const { options, nameOf, toAssignee } = useIssueAssignees();
  const bulk = useIssueBulk();
  const bulkRunning = useIsMutating({ mutationKey: keys.errors.bulk }) > 0;

  const [fresh, setFresh] = useState<ReadonlySet<string>>(new Set());
  const onArrival = useCallback((issue: Issue) => {
    setFresh((f) => new Set([...f, issue.id]));
    setTimeout(
      () =>
        setFresh((f) => {
          const next = new Set(f);
          next.delete(issue.id);
          return next;
        }),
      FRESH_MS,
    );
  }, []);
  useIssuesLive({ paused: bulkRunning, onArrival });

  const runBulk = async (targets: Issue[], action: BulkAction, assignee?: IssueAssignee) => {
    const outcome = await bulk.mutateAsync({
      items: targets,
      action,
      ...(assignee !== undefined ? { assignee } : {}),
    });
    return outcome.filter((o) => o.error).map((o) => o.item.id);
  };
  const filtered =
    filters.projectId !== '' ||
    filters.level !== '' ||
    filters.q.trim() !== '' ||
    filters.status !== 'unresolved';
  const [announce, setAnnounce] = useState('');
  useEffect(() => {
    if (issues.data) setAnnounce(`${items.length}${issues.hasNextPage ? ' or more' : ''} issues shown`);
  }, [issues.data, issues.hasNextPage, items.length]);

  return (
    <div className="page-body errors-page">
      <PageHeader title="Errors">
        <Link to="/errors/projects" className="btn" data-testid="error-projects-link">
          Projects
        </Link>
      </PageHeader>
      <IssueFiltersBar filters={filters} projects={projects.data ?? []} onChange={setFilters} />
      <p className="sr-only" aria-live="polite">
        {announce}
      </p>
      {issues.error && !issues.data ? (
        <ErrorMessage error={issues.error} onRetry={() => void issues.refetch()} />
      ) : !issues.data || !projects.data ? (
        <Loading label="Loading issues…" />
      ) : items.length === 0 ? (
        filtered ? (
          <Empty title="No issues match">
            Change the filters, or <Link to="/errors">see every unresolved issue</Link>.
          </Empty>
        ) : (
          <ConnectSdk projects={projects.data} canManage={can('errors:write')} />
        )
      ) : (
        <>
          <IssueTable
            items={items}
            canWrite={can('errors:write')}
            fresh={fresh}
            trend={trend}
            assignees={options}
            nameOf={nameOf}
            toAssignee={toAssignee}
            bulk={{ run: runBulk, busy: bulk.isPending }}
          />
          <p className="muted small keys-hint">
            <kbd className="kbd">j</kbd>/<kbd className="kbd">k</kbd> move, <kbd className="kbd">x</kbd>{' '}
            select, <kbd className="kbd">Enter</kbd> open, <kbd className="kbd">/</kbd> search
          </p>
          <MoreButton query={issues} />
        </>
      )}
    </div>
  );
}
