import type { components } from '@switchboard/client';
import { useInfiniteQuery, useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useCallback } from 'react';
import { api, unwrap } from '../api/client.ts';
import { useChannel } from '../realtime/RealtimeContext.tsx';
import { TERMINAL_STATUSES } from '../runs/timeline.ts';
import { keys } from './keys.ts';
import { cursorPages } from './paging.ts';
import { useOne } from './resource.ts';

type Run = components['schemas']['Run'];
type RunStatus = Run['status'];

/** The org's runs, newest first, 50 a page; `status` '' for all of them. */
export function useRunsList(status: RunStatus | '') {
  return useInfiniteQuery({
    queryKey: keys.runs.list(status),
    ...cursorPages((cursor, signal) =>
      unwrap(
        api.GET('/api/v1/runs', {
          params: { query: { limit: 50, ...(status ? { status } : {}), ...cursor } },
          signal,
        }),
      ),
    ),
  });
}

/** The ten newest runs, for the dashboard. */
export function useRecentRuns() {
  return useQuery({
    queryKey: keys.runs.recent,
    queryFn: ({ signal }) =>
      unwrap(api.GET('/api/v1/runs', { params: { query: { limit: 10 } }, signal })).then((d) => d.items),
  });
}

/** One run (none asked for while `id` is undefined). */
export const useRun = (id: string | undefined) =>
  useOne(keys.runs.one(id), id, (runId, signal) =>
    unwrap(api.GET('/api/v1/runs/{id}', { params: { path: { id: runId } }, signal })),
  );

/** Reads every run query again: lists, single runs, conversations' open runs. */
export function useRefreshRuns(): () => void {
  const queryClient = useQueryClient();
  return useCallback(() => void queryClient.invalidateQueries({ queryKey: keys.runs.all }), [queryClient]);
}

/** Keeps the run queries fresh while mounted: any run or approval event of the dashboard channel. */
export function useRunsLive(): void {
  const refresh = useRefreshRuns();
  useChannel('dashboard', (e) => {
    if (e.event.startsWith('run.') || e.event.startsWith('approval.')) refresh();
  });
}

/** Asks a run to stop; the answer (the run as it is now) replaces the cached one. */
export function useCancelRun(id: string | undefined) {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: () => unwrap(api.POST('/api/v1/runs/{id}/cancel', { params: { path: { id: id! } } })),
    onSuccess: (data) => queryClient.setQueryData(keys.runs.one(id), data),
  });
}

/** A conversation's newest run while it is unfinished, else null. */
export function useOpenRun(conversationId: string | undefined, enabled: boolean) {
  return useQuery({
    queryKey: keys.runs.open(conversationId),
    queryFn: ({ signal }) =>
      unwrap(
        api.GET('/api/v1/runs', {
          params: { query: { conversationId: conversationId!, limit: 1 } },
          signal,
        }),
      ).then((d) => {
        const newest = d.items[0];
        return newest && !TERMINAL_STATUSES.has(newest.status) ? newest : null;
      }),
    enabled: enabled && conversationId !== undefined,
    staleTime: 0,
  });
}

/**
 * A run seen to complete: no conversation shows it as open any more, and the conversations are read again
 * (its reply is stored there now).
 */
export function useForgetOpenRun() {
  const queryClient = useQueryClient();
  return useCallback(
    async (runId: string) => {
      queryClient.setQueriesData<Run | null>({ queryKey: keys.runs.opens }, (r) =>
        r?.id === runId ? null : r,
      );
      await queryClient.invalidateQueries({ queryKey: keys.conversations.all });
    },
    [queryClient],
  );
}
