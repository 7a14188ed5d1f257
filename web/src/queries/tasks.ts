import type { components } from '@switchboard/client';
import { useInfiniteQuery, useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useCallback } from 'react';
import { api, unwrap } from '../api/client.ts';
import { useChannel } from '../realtime/RealtimeContext.tsx';
import { keys } from './keys.ts';
import { cursorPages } from './paging.ts';
import { useOne } from './resource.ts';

export type Task = components['schemas']['Task'];
export type TaskStatus = Task['status'];
export type TaskPriority = Task['priority'];
export type Assignee = NonNullable<Task['assignee']>;
export type TaskInput = components['schemas']['CreateTaskRequest'];
export type TaskChange = components['schemas']['UpdateTaskRequest'];
export type TaskStats = components['schemas']['TaskStats'];

/** What the list and board narrow by; empty strings mean "any". */
export interface TaskFilters {
  status: TaskStatus | '';
  /** `agent:<id>`, `member:<id>`, `none`, or '' for anyone. */
  assignee: string;
  label: string;
  overdue: boolean;
  q: string;
}

export const NO_FILTERS: TaskFilters = { status: '', assignee: '', label: '', overdue: false, q: '' };

function queryOf(f: TaskFilters) {
  return {
    ...(f.status ? { status: f.status } : {}),
    ...(f.assignee ? { assignee: f.assignee } : {}),
    ...(f.label.trim() ? { label: f.label.trim() } : {}),
    ...(f.overdue ? { overdue: 'true' as const } : {}),
    ...(f.q.trim() ? { q: f.q.trim() } : {}),
  };
}

/** Tasks matching the filters, newest first, `limit` a page. */
export function useTasksList(filters: TaskFilters, limit = 50) {
  return useInfiniteQuery({
    queryKey: keys.tasks.list({ ...filters, limit }),
    ...cursorPages((cursor, signal) =>
      unwrap(
        api.GET('/api/v1/tasks', { params: { query: { limit, ...queryOf(filters), ...cursor } }, signal }),
      ),
    ),
  });
}

export const useTask = (id: string | undefined) =>
  useOne(keys.tasks.one(id), id, (taskId, signal) =>
    unwrap(api.GET('/api/v1/tasks/{id}', { params: { path: { id: taskId } }, signal })),
  );

export function useTaskStats(enabled = true) {
  return useQuery({
    queryKey: keys.tasks.stats,
    queryFn: ({ signal }) => unwrap(api.GET('/api/v1/tasks/stats', { signal })),
    enabled,
  });
}

/** Keeps every task query fresh while mounted: each event of the `tasks` channel. */
export function useTasksLive(): void {
  const queryClient = useQueryClient();
  const onEvent = useCallback(
    (e: { event: string; data: unknown }) => {
      const task = (e.data as { task?: Task } | undefined)?.task;
      // The event carries the task as it is now: an open drawer shows it at once.
      if (task) queryClient.setQueryData(keys.tasks.one(task.id), task);
      void queryClient.invalidateQueries({ queryKey: keys.tasks.all });
    },
    [queryClient],
  );
  useChannel('tasks', onEvent);
}

/** After a change: the answer replaces the cached task, and lists and figures are read again. */
function useTaskMutation<TVars>(fn: (vars: TVars) => Promise<Task | undefined>) {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: fn,
    onSuccess: (task) => {
      if (task) queryClient.setQueryData(keys.tasks.one(task.id), task);
      void queryClient.invalidateQueries({ queryKey: keys.tasks.all });
    },
  });
}

export const useCreateTask = () =>
  useTaskMutation((body: TaskInput) => unwrap(api.POST('/api/v1/tasks', { body })));

export const useUpdateTask = () =>
  useTaskMutation(({ id, change }: { id: string; change: TaskChange }) =>
    unwrap(api.PATCH('/api/v1/tasks/{id}', { params: { path: { id } }, body: change })),
  );

export const useStartTask = () =>
  useTaskMutation((id: string) => unwrap(api.POST('/api/v1/tasks/{id}/start', { params: { path: { id } } })));

export const useDeleteTask = () =>
  useTaskMutation(async (id: string) => {
    await unwrap(api.DELETE('/api/v1/tasks/{id}', { params: { path: { id } } }));
    return undefined;
  });

/**
 * Moves a task to another status at once on every cached list (the board), then asks the server; a
 * refusal puts it back (the lists are read again either way).
 */
export function useMoveTask() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: ({ id, status }: { id: string; status: TaskStatus }) =>
      unwrap(api.PATCH('/api/v1/tasks/{id}', { params: { path: { id } }, body: { status } })),
    onMutate: async ({ id, status }) => {
      await queryClient.cancelQueries({ queryKey: keys.tasks.all });
      const before = queryClient.getQueriesData({ queryKey: keys.tasks.all });
      queryClient.setQueriesData<{ pages: Array<{ items: Task[] }> }>(
        { queryKey: ['tasks', 'list'] },
        (data) =>
          data && {
            ...data,
            pages: data.pages.map((p) => ({
              ...p,
              items: p.items.map((t) => (t.id === id ? { ...t, status } : t)),
            })),
          },
      );
      return { before };
    },
    onError: (_err, _vars, context) => {
      for (const [key, data] of context?.before ?? []) queryClient.setQueryData(key, data);
    },
    onSettled: () => void queryClient.invalidateQueries({ queryKey: keys.tasks.all }),
  });
}
