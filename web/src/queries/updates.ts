import { useInfiniteQuery, useQueryClient } from '@tanstack/react-query';
import { api, unwrap } from '../api/client.ts';
import { keys } from './keys.ts';
import { cursorPages } from './paging.ts';

const PAGE = 10;
const POLL_MS = 30_000;

/** What happened in the org lately, newest first, ten at a time ("Show older" asks for more). */
export function useUpdates() {
  return useInfiniteQuery({
    queryKey: keys.updates,
    ...cursorPages((cursor, signal) =>
      unwrap(api.GET('/api/v1/updates', { params: { query: { limit: PAGE, ...cursor } }, signal })),
    ),
    // Fresh on every visit; changes that send no live event (agents, members, roles) show within a poll.
    staleTime: 0,
    refetchInterval: POLL_MS,
  });
}

export function useRefreshUpdates(): () => void {
  const queryClient = useQueryClient();
  return () => void queryClient.invalidateQueries({ queryKey: keys.updates });
}
