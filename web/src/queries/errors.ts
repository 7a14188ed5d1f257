import type { components } from '@switchboard/client';
import { useInfiniteQuery, useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useCallback, useRef } from 'react';
import { api, unwrap } from '../api/client.ts';
import { useToast } from '../components/Toasts.tsx';
import { applyToCached, type BulkOutcome, optimisticBulk } from '../errors/optimistic.ts';
import { useChannel } from '../realtime/RealtimeContext.tsx';
import { keys } from './keys.ts';
import { cursorPages } from './paging.ts';
import { FIRST_200, useListChange, useOne, useOrgList } from './resource.ts';

export type ErrorProject = components['schemas']['ErrorProject'];
export type ErrorProjectInput = components['schemas']['CreateErrorProjectRequest'];
export type ErrorProjectChange = components['schemas']['UpdateErrorProjectRequest'];
export type Issue = components['schemas']['Issue'];
export type IssueStatus = Issue['status'];
export type IssueLevel = Issue['level'];
export type IssueAssignee = Issue['assignee'];
export type IssueEvent = components['schemas']['IssueEvent'];
export type IssueDetail = components['schemas']['IssueDetail'];
export type IssueStats = components['schemas']['IssueStats'];
export type BulkAction = components['schemas']['IssueBulkRequest']['action'];

/** What the list narrows by; empty strings mean "any". */
export interface IssueFilters {
  projectId: string;
  status: IssueStatus | '';
  level: IssueLevel | '';
  q: string;
  sort: 'lastSeen' | 'firstSeen' | 'count';
}

export const DEFAULT_FILTERS: IssueFilters = {
  projectId: '',
  status: 'unresolved',
  level: '',
  q: '',
  sort: 'lastSeen',
};

function queryOf(f: IssueFilters) {
  return {
    sort: f.sort,
    ...(f.projectId ? { projectId: f.projectId } : {}),
    ...(f.status ? { status: f.status } : {}),
    ...(f.level ? { level: f.level } : {}),
    ...(f.q.trim() ? { q: f.q.trim() } : {}),
  };
}

/** The org's error projects (one page of 200: an org has a handful). */
export const useErrorProjects = (enabled = true) =>
  useOrgList(
    keys.errors.projects,
    (signal) => unwrap(api.GET('/api/v1/error-projects', { params: FIRST_200, signal })),
    enabled,
  );

export const useCreateErrorProject = (onCreated: (p: ErrorProject) => void) =>
  useListChange(
    keys.errors.projects,
    (body: ErrorProjectInput) => unwrap(api.POST('/api/v1/error-projects', { body })),
    { quiet: true, onSuccess: onCreated, done: 'Project created' },
  );

export const useUpdateErrorProject = (onSaved: () => void) =>
  useListChange(
    keys.errors.projects,
    ({ id, change }: { id: string; change: ErrorProjectChange }) =>
      unwrap(api.PATCH('/api/v1/error-projects/{id}', { params: { path: { id } }, body: change })),
    { quiet: true, onSuccess: onSaved, done: 'Project saved' },
  );

export const useDeleteErrorProject = () =>
  useListChange(
    keys.errors.projects,
    (id: string) => unwrap(api.DELETE('/api/v1/error-projects/{id}', { params: { path: { id } } })),
    { done: 'Project deleted' },
  );

/** Issues matching the filters, 50 a page, in the chosen order. */
export function useIssueList(filters: IssueFilters, limit = 50) {
  return useInfiniteQuery({
    queryKey: keys.errors.list({ ...filters, limit }),
    ...cursorPages((cursor, signal) =>
      unwrap(
        api.GET('/api/v1/issues', { params: { query: { limit, ...queryOf(filters), ...cursor } }, signal }),
      ),
    ),
  });
}

export const useIssue = (id: string | undefined) =>
  useOne(keys.errors.one(id), id, (issueId, signal) =>
    unwrap(api.GET('/api/v1/issues/{id}', { params: { path: { id: issueId } }, signal })),
  );

/** An issue's events, newest first, a page at a time (the detail page walks them one by one). */
export function useIssueEvents(id: string, limit = 20) {
  return useInfiniteQuery({
    queryKey: keys.errors.events(id),
    ...cursorPages((cursor, signal) =>
      unwrap(
        api.GET('/api/v1/issues/{id}/events', {
          params: { path: { id }, query: { limit, ...cursor } },
          signal,
        }),
      ),
    ),
  });
}

/** Events over time (`GET /issues/stats`) for a window and bucket, optionally one project's. */
export function useIssueStats(
  q: { bucket: 'hour' | 'day'; from: string; to: string; projectId?: string },
  enabled = true,
) {
  return useQuery({
    queryKey: keys.errors.stats(q),
    queryFn: ({ signal }) => unwrap(api.GET('/api/v1/issues/stats', { params: { query: q }, signal })),
    enabled,
  });
}

/** Every issue list and issue, for optimistic changes. */
const ISSUE_QUERIES = [keys.errors.lists, keys.errors.ones] as const;

/** What an issue looks like once the action is done, for the optimistic update. */
export function applyIssueAction(issue: Issue, action: BulkAction, assignee: IssueAssignee = null): Issue {
  switch (action) {
    case 'resolve':
      return { ...issue, status: 'resolved' };
    case 'unresolve':
      return { ...issue, status: 'unresolved' };
    case 'ignore':
      return { ...issue, status: 'ignored' };
    case 'assign':
      return { ...issue, assignee };
  }
}

const DONE: Record<BulkAction, string> = {
  resolve: 'Resolved',
  unresolve: 'Reopened',
  ignore: 'Ignored',
  assign: 'Assigned',
};

const plural = (n: number) => `${n} issue${n === 1 ? '' : 's'}`;

/** A bulk action's outcome in words: how many went through, each failure with its issue's title. */
export function bulkSummary(action: BulkAction, outcome: BulkOutcome<Issue>) {
  const failed = outcome.filter((o) => o.error !== undefined);
  const ok = outcome.length - failed.length;
  if (failed.length === 0) return { ok: true, text: `${DONE[action]} ${plural(ok)}.`, details: [] };
  return {
    ok: false,
    text: `${DONE[action]} ${ok} of ${plural(outcome.length)}; ${failed.length} failed:`,
    details: failed.map((o) => `${o.item.shortId} ${o.item.title} — ${o.error}`),
  };
}

/**
 * Resolve, reopen, ignore or assign many issues: each shows the change at once, then one
 * `POST /issues/bulk` per 100, answered item by item; only the refused ones go back. One toast sums up.
 */
export function useIssueBulk() {
  const queryClient = useQueryClient();
  const toast = useToast();
  return useMutation({
    mutationKey: keys.errors.bulk,
    mutationFn: ({
      items,
      action,
      assignee = null,
    }: {
      items: Issue[];
      action: BulkAction;
      assignee?: IssueAssignee;
    }) =>
      optimisticBulk<Issue>({
        queryClient,
        prefixes: ISSUE_QUERIES,
        items,
        change: (issue) => applyIssueAction(issue, action, assignee),
        send: async (ids) => {
          const body = action === 'assign' ? { ids, action, assignee } : { ids, action };
          const answer = await unwrap(api.POST('/api/v1/issues/bulk', { body }));
          return answer.results;
        },
      }),
    onSuccess: (outcome, { action }) => {
      const summary = bulkSummary(action, outcome);
      toast.notify(summary.text, { tone: summary.ok ? 'info' : 'error', details: summary.details });
    },
    onSettled: () => void queryClient.invalidateQueries({ queryKey: keys.errors.all }),
  });
}

/** One issue's status or assignee, shown at once and taken back if the server refuses. */
export function useUpdateIssue() {
  const queryClient = useQueryClient();
  const toast = useToast();
  return useMutation({
    mutationFn: ({
      id,
      change,
    }: {
      id: string;
      change: { status?: IssueStatus; assignee?: IssueAssignee };
    }) => unwrap(api.PATCH('/api/v1/issues/{id}', { params: { path: { id } }, body: change })),
    onMutate: async ({ id, change }) => {
      for (const prefix of ISSUE_QUERIES) await queryClient.cancelQueries({ queryKey: prefix });
      return { restore: applyToCached<Issue>(queryClient, ISSUE_QUERIES, id, (i) => ({ ...i, ...change })) };
    },
    onError: (err, _vars, context) => {
      context?.restore();
      toast.fail(err);
    },
    onSuccess: (issue) => queryClient.setQueryData(keys.errors.one(issue.id), issue),
    onSettled: () => void queryClient.invalidateQueries({ queryKey: keys.errors.all }),
  });
}

/**
 * Keeps the issue queries live on the `issues` channel: an event's issue replaces the cached one at once,
 * and lists are read again a moment later (several arrivals in a burst make one read). While a bulk
 * action runs its own echoes are skipped; it reads everything again when it ends. `onArrival` hears of
 * each issue created or regressed.
 */
export function useIssuesLive(options: { paused?: boolean; onArrival?: (issue: Issue) => void } = {}) {
  const queryClient = useQueryClient();
  const timer = useRef<ReturnType<typeof setTimeout> | undefined>(undefined);
  const opts = useRef(options);
  opts.current = options;
  const onEvent = useCallback(
    (e: { event: string; data: unknown }) => {
      const issue = (e.data as { issue?: Issue } | undefined)?.issue;
      if (issue) {
        // The cached issue is the detail (with its latest event): the event's figures go into it at once,
        // and the detail is read again for the event that came with them.
        queryClient.setQueryData<IssueDetail>(keys.errors.one(issue.id), (detail) =>
          detail ? { ...detail, ...issue } : detail,
        );
        void queryClient.invalidateQueries({ queryKey: keys.errors.one(issue.id) });
        if (e.event === 'issue.created' || e.event === 'issue.regressed') opts.current.onArrival?.(issue);
      }
      if (opts.current.paused) return;
      clearTimeout(timer.current);
      timer.current = setTimeout(() => {
        void queryClient.invalidateQueries({ queryKey: keys.errors.lists });
        void queryClient.invalidateQueries({ queryKey: ['errors', 'stats'] });
        if (issue) void queryClient.invalidateQueries({ queryKey: keys.errors.events(issue.id) });
      }, 300);
    },
    [queryClient],
  );
  useChannel('issues', onEvent);
}
