import { keepPreviousData, useQuery } from '@tanstack/react-query';
import { useMemo } from 'react';
import { api, unwrap } from '../api/client.ts';
import type { Issue } from '../queries/errors.ts';
import { keys } from '../queries/keys.ts';
import { HOUR, TREND_BUCKETS, trendWindow } from './trends.ts';

/**
 * Each issue's events over the last 24 hours, hour by hour, for the list's sparklines: one request for
 * the whole page (the server counts them grouped). An issue last seen before the window had none in it,
 * known without asking. The request is made again when an issue's count moves or the hour turns.
 */
export function useIssueTrends(items: Issue[]): (issue: Issue) => number[] | undefined {
  // The window moves on the hour; within it, the same starts (and so the same cached answers) are used.
  const hour = Math.floor(Date.now() / HOUR);
  const starts = useMemo(() => trendWindow(hour * HOUR), [hour]);
  const recent = items.filter((i) => Date.parse(i.lastSeen) >= starts[0]!);
  const ids = recent.map((i) => i.id).join(',');
  const counts = recent.map((i) => i.count).join(',');
  const trends = useQuery({
    queryKey: [...keys.errors.trends, ids, counts, hour] as const,
    queryFn: ({ signal }) =>
      unwrap(api.GET('/api/v1/issues/trends', { params: { query: { ids, hours: TREND_BUCKETS } }, signal })),
    enabled: recent.length > 0,
    staleTime: 60_000,
    // A new arrival changes the key: the last lines stay drawn until the new ones come.
    placeholderData: keepPreviousData,
  });
  const byId = useMemo(
    () => new Map((trends.data?.items ?? []).map((t) => [t.issueId, t.events])),
    [trends.data],
  );
  const quiet = starts.map(() => 0);
  const isRecent = new Set(recent.map((i) => i.id));
  return (issue) => (isRecent.has(issue.id) ? byId.get(issue.id) : quiet);
}
