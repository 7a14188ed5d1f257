/**
 * The options every cursor-paged list shares (`useInfiniteQuery({ queryKey, ...cursorPages(fetch) })`):
 * the first page without a cursor, each next one with the previous page's `nextCursor`, none after a page
 * without one. `fetchPage` gets the cursor as the query parameters to spread (`{}` for the first page).
 */
export function cursorPages<TPage extends { nextCursor: string | null }>(
  fetchPage: (cursor: { cursor?: string }, signal: AbortSignal) => Promise<TPage>,
) {
  return {
    initialPageParam: undefined as string | undefined,
    queryFn: ({ signal, pageParam }: { signal: AbortSignal; pageParam: string | undefined }) =>
      fetchPage(pageParam ? { cursor: pageParam } : {}, signal),
    getNextPageParam: (last: TPage) => last.nextCursor ?? undefined,
  };
}

/** The items of every page fetched so far, in order. */
export function pagedItems<T>(data: { pages: Array<{ items: T[] }> } | undefined): T[] {
  return data?.pages.flatMap((p) => p.items) ?? [];
}
