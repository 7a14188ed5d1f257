import { useQueries } from '@tanstack/react-query';
import { useMemo } from 'react';
import { api, unwrap } from '../api/client.ts';
import type { Issue } from '../queries/errors.ts';
import { keys } from '../queries/keys.ts';
import { bucketEvents, HOUR, trendWindow } from './trends.ts';

/** Events read per issue for its sparkline; a busier issue's older hours read as unknown, not zero. */
const TREND_EVENTS = 200;

/**
 * Each issue's events over the last 24 hours, hour by hour, for the list's sparklines. An issue last seen
 * before the window had none in it (known without asking); the others read their newest events (one
 * request each, cached for a minute and read again as the list refreshes).
 */
export function useIssueTrends(items: Issue[]): (issue: Issue) => Array<number | null> | undefined {
  // The window moves on the hour; within it, the same starts (and so the same cached answers) are used.
  const hour = Math.floor(Date.now() / HOUR);
  const starts = useMemo(() => trendWindow(hour * HOUR), [hour]);
  const recent = items.filter((i) => Date.parse(i.lastSeen) >= starts[0]!);
  const results = useQueries({
    queries: recent.map((issue) => ({
      queryKey: [...keys.errors.events(issue.id), 'trend', issue.count, issue.lastSeen] as const,
      queryFn: ({ signal }: { signal: AbortSignal }) =>
        unwrap(
          api.GET('/api/v1/issues/{id}/events', {
            params: { path: { id: issue.id }, query: { limit: TREND_EVENTS } },
            signal,
          }),
        ),
      staleTime: 60_000,
    })),
  });
  const byId = new Map(
    recent.map((issue, i) => {
      const page = results[i]?.data;
      return [
        issue.id,
        page
          ? bucketEvents(
              page.items.map((e) => e.timestamp),
              starts,
              page.nextCursor === null,
            )
          : undefined,
      ];
    }),
  );
  const quiet = starts.map(() => 0);
  return (issue) => (byId.has(issue.id) ? byId.get(issue.id) : quiet);
}
