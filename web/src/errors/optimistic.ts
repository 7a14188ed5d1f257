import type { QueryClient, QueryKey } from '@tanstack/react-query';
import { describeError, sentence } from '../api/errors.ts';

/**
 * Optimistic changes to items held in several cached queries at once: cursor-paged lists
 * (`useInfiniteQuery` data, `{pages:[{items}]}`) and single-item queries (the item itself). A change
 * shows everywhere at once; taking it back restores only the copies that still show it, so a list
 * refetched meanwhile (the server's word) or a later change to the same item is left alone.
 */

interface Identified {
  id: string;
}

interface PagedData<T> {
  pages: Array<{ items: T[] }>;
}

function isPaged<T>(data: unknown): data is PagedData<T> {
  return (
    typeof data === 'object' &&
    data !== null &&
    Array.isArray((data as { pages?: unknown }).pages) &&
    (data as PagedData<T>).pages.every((p) => Array.isArray(p?.items))
  );
}

function isItem<T extends Identified>(data: unknown, id: string): data is T {
  return typeof data === 'object' && data !== null && (data as Identified).id === id;
}

/**
 * Applies `change` to the item `id` in every query under each of `prefixes` (lists and single items),
 * and returns how to take it back. An item in no cached query is left alone (nothing to take back).
 */
export function applyToCached<T extends Identified>(
  queryClient: QueryClient,
  prefixes: readonly QueryKey[],
  id: string,
  change: (item: T) => T,
): () => void {
  const shown: Array<{ key: QueryKey; before: T; after: T }> = [];
  for (const prefix of prefixes) {
    for (const [key, data] of queryClient.getQueriesData({ queryKey: prefix })) {
      if (isPaged<T>(data)) {
        const before = data.pages.flatMap((p) => p.items).find((i) => i.id === id);
        if (!before) continue;
        const after = change(before);
        const stored = queryClient.setQueryData<PagedData<T>>(key, {
          ...data,
          pages: data.pages.map((p) => ({ ...p, items: p.items.map((i) => (i.id === id ? after : i)) })),
        });
        // The cache shares structure with what it held, so the copy it keeps is looked up, not assumed.
        const kept = stored?.pages.flatMap((p) => p.items).find((i) => i.id === id);
        if (kept) shown.push({ key, before, after: kept });
      } else if (isItem<T>(data, id)) {
        const kept = queryClient.setQueryData<T>(key, change(data));
        if (kept) shown.push({ key, before: data, after: kept });
      }
    }
  }
  return () => {
    for (const { key, before, after } of shown) {
      const data = queryClient.getQueryData(key);
      if (isPaged<T>(data)) {
        if (!data.pages.some((p) => p.items.includes(after))) continue;
        queryClient.setQueryData<PagedData<T>>(key, {
          ...data,
          pages: data.pages.map((p) => ({ ...p, items: p.items.map((i) => (i === after ? before : i)) })),
        });
      } else if (data === after) {
        queryClient.setQueryData<T>(key, before);
      }
    }
  };
}

/** One item's answer in a bulk response (`{results:[{id, ok, error?}]}`). */
export interface ItemAnswer {
  id: string;
  ok: boolean;
  error?: { code: string; message: string } | null | undefined;
}

/** What a bulk action did to each item: nothing said for a success, the reason for a failure. */
export type BulkOutcome<T> = Array<{ item: T; error?: string }>;

/** `items` in runs of at most `size`, in order (a bulk request takes at most 100 ids). */
export function chunked<T>(items: readonly T[], size: number): T[][] {
  const chunks: T[][] = [];
  for (let i = 0; i < items.length; i += size) chunks.push(items.slice(i, i + size));
  return chunks;
}

/**
 * Shows `change` on every item at once, then sends them `size` at a time; each item the server answers
 * `ok: false` goes back (with its reason), the others keep the change. A request that fails as a whole
 * takes back all of its items, with the request's error; an item the answer leaves out fails too, so no
 * change stays on screen unconfirmed.
 */
export async function optimisticBulk<T extends Identified>({
  queryClient,
  prefixes,
  items,
  change,
  send,
  size = 100,
}: {
  queryClient: QueryClient;
  prefixes: readonly QueryKey[];
  items: readonly T[];
  change: (item: T) => T;
  send: (ids: string[]) => Promise<readonly ItemAnswer[]>;
  size?: number;
}): Promise<BulkOutcome<T>> {
  for (const prefix of prefixes) await queryClient.cancelQueries({ queryKey: prefix });
  const restore = new Map(
    items.map((item) => [item.id, applyToCached(queryClient, prefixes, item.id, change)]),
  );
  const outcome: BulkOutcome<T> = [];
  for (const chunk of chunked(items, size)) {
    let answers: readonly ItemAnswer[];
    let whole: string | undefined;
    try {
      answers = await send(chunk.map((i) => i.id));
    } catch (err) {
      const { message, requestId } = describeError(err);
      answers = [];
      whole = requestId ? `${message} (request ${requestId})` : message;
    }
    const byId = new Map(answers.map((a) => [a.id, a]));
    for (const item of chunk) {
      const answer = byId.get(item.id);
      if (answer?.ok) {
        outcome.push({ item });
        continue;
      }
      restore.get(item.id)?.();
      outcome.push({
        item,
        error: answer?.error
          ? sentence(answer.error.message)
          : (whole ?? 'The server did not answer for this item'),
      });
    }
  }
  return outcome;
}
