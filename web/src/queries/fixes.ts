import type { components } from '@switchboard/client';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useCallback } from 'react';
import { api, unwrap } from '../api/client.ts';
import { useChannel } from '../realtime/RealtimeContext.tsx';
import { keys } from './keys.ts';

export type Fix = components['schemas']['Fix'];
export type FixStatus = Fix['status'];
export type FixRequest = components['schemas']['RequestFixRequest'];

/** Statuses in which a fix still moves on its own (its run works, or its approval is applied). */
export const MOVING: ReadonlySet<FixStatus> = new Set([
  'queued',
  'analyzing',
  'applying',
  'applied',
  'verifying',
]);

/** An issue's fixes, newest first (the first page: an issue has few). */
export function useIssueFixes(issueId: string) {
  return useQuery({
    queryKey: keys.fixes.ofIssue(issueId),
    queryFn: ({ signal }) =>
      unwrap(
        api.GET('/api/v1/issues/{id}/fixes', {
          params: { path: { id: issueId }, query: { limit: 50 } },
          signal,
        }),
      ),
  });
}

/** One fix (the activity feed and other links name fixes by id). */
export function useFix(id: string | undefined) {
  return useQuery({
    queryKey: keys.fixes.one(id),
    enabled: id !== undefined,
    queryFn: ({ signal }) => unwrap(api.GET('/api/v1/fixes/{id}', { params: { path: { id: id! } }, signal })),
  });
}

/**
 * Keeps an issue's fixes fresh while mounted: `fix.updated` on the `issues` channel carries the fix as it
 * is now, so the panel shows each move at once; the list is read again for order and new fixes.
 */
export function useFixesLive(issueId: string): void {
  const queryClient = useQueryClient();
  const onEvent = useCallback(
    (e: { event: string; data: unknown }) => {
      const fix = (e.data as { fix?: Fix } | undefined)?.fix;
      if (!fix || fix.issueId !== issueId) return;
      queryClient.setQueryData(keys.fixes.one(fix.id), fix);
      queryClient.setQueryData<{ items: Fix[]; nextCursor: string | null }>(
        keys.fixes.ofIssue(issueId),
        (data) =>
          data?.items.some((f) => f.id === fix.id)
            ? { ...data, items: data.items.map((f) => (f.id === fix.id ? fix : f)) }
            : data,
      );
      void queryClient.invalidateQueries({ queryKey: keys.fixes.ofIssue(issueId) });
    },
    [queryClient, issueId],
  );
  useChannel('issues', onEvent);
}

function useFixMutation<TVars>(issueId: string, fn: (vars: TVars) => Promise<Fix>) {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: fn,
    onSuccess: (fix) => {
      queryClient.setQueryData(keys.fixes.one(fix.id), fix);
      void queryClient.invalidateQueries({ queryKey: keys.fixes.ofIssue(issueId) });
    },
  });
}

export const useRequestFix = (issueId: string) =>
  useFixMutation(issueId, (body: FixRequest) =>
    unwrap(api.POST('/api/v1/issues/{id}/fixes', { params: { path: { id: issueId } }, body })),
  );

export const useApproveFix = (issueId: string) =>
  useFixMutation(issueId, (id: string) =>
    unwrap(api.POST('/api/v1/fixes/{id}/approve', { params: { path: { id } } })),
  );

export const useRejectFix = (issueId: string) =>
  useFixMutation(issueId, ({ id, reason }: { id: string; reason: string }) =>
    unwrap(
      api.POST('/api/v1/fixes/{id}/reject', {
        params: { path: { id } },
        body: reason.trim() ? { reason: reason.trim() } : {},
      }),
    ),
  );
