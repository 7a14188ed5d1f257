import type { components } from '@switchboard/client';
import type { QueryClient, QueryKey } from '@tanstack/react-query';
import { sentence } from '../api/errors.ts';
import { keys } from './keys.ts';

export type InboxItem = components['schemas']['InboxItem'];
export type InboxAction = 'approve' | 'reject' | 'read' | 'unread' | 'close';

/** What the cache holds for an action the server has not confirmed yet: the item before it. */
interface Unconfirmed {
  item: InboxItem;
  unreadDelta: number;
}

/**
 * A cached inbox list. `unconfirmed` marks optimistic changes by item id; a page fetched from the server
 * never has it, so a rollback knows which lists still show the change and which were refetched since.
 */
export type InboxPage = {
  items: InboxItem[];
  nextCursor: string | null;
  unread: number;
  unconfirmed?: Record<string, Unconfirmed>;
};

/** An approval nobody has decided yet: only approve or reject can close it. */
export function isPendingApproval(item: InboxItem): boolean {
  return item.kind === 'approval' && item.status === 'open' && !item.decision;
}

/** What an item looks like once the action is done, for the optimistic update. */
export function applyAction(item: InboxItem, action: InboxAction): InboxItem {
  const now = new Date().toISOString();
  switch (action) {
    case 'approve':
    case 'reject':
      return {
        ...item,
        decision: action === 'approve' ? 'approved' : 'rejected',
        status: 'closed',
        closedAt: now,
        read: true,
        readAt: item.readAt ?? now,
      };
    case 'read':
      return { ...item, read: true, readAt: item.readAt ?? now };
    case 'unread':
      return { ...item, read: false, readAt: null };
    case 'close':
      return { ...item, status: 'closed', closedAt: now, read: true, readAt: item.readAt ?? now };
  }
}

function cachedPages(queryClient: QueryClient): Array<[QueryKey, InboxPage]> {
  return queryClient
    .getQueriesData<InboxPage>({ queryKey: keys.inbox.all })
    .filter((entry): entry is [QueryKey, InboxPage] => {
      const value = entry[1];
      return typeof value === 'object' && value !== null && 'items' in value;
    });
}

function withoutMark(page: InboxPage, id: string): InboxPage {
  const { [id]: _gone, ...rest } = page.unconfirmed ?? {};
  const { unconfirmed: _all, ...bare } = page;
  return Object.keys(rest).length > 0 ? { ...bare, unconfirmed: rest } : bare;
}

/**
 * Shows an inbox action in every cached inbox list at once (the unread count, the navigation badge's
 * included); returns how to take back this one change if the server refuses. The rollback touches only
 * this item, so other actions running at the same time keep theirs, and it skips lists refetched since.
 */
export function applyOptimistically(queryClient: QueryClient, id: string, action: InboxAction): () => void {
  const pages = cachedPages(queryClient);
  const item = pages.flatMap(([, page]) => page.items).find((i) => i.id === id);
  if (!item) return () => {};
  const after = applyAction(item, action);
  const unreadDelta = Number(after.read) - Number(item.read);
  for (const [key, page] of pages) {
    queryClient.setQueryData<InboxPage>(key, {
      ...page,
      unread: Math.max(0, page.unread - unreadDelta),
      items: page.items.map((i) => (i.id === id ? after : i)),
      unconfirmed: { ...page.unconfirmed, [id]: { item, unreadDelta } },
    });
  }
  return () => {
    for (const [key, page] of cachedPages(queryClient)) {
      const mark = page.unconfirmed?.[id];
      if (!mark) continue;
      const rest = withoutMark(page, id);
      queryClient.setQueryData<InboxPage>(key, {
        ...rest,
        unread: rest.unread + mark.unreadDelta,
        items: rest.items.map((i) => (i.id === id ? mark.item : i)),
      });
    }
  };
}

/** The selection's items an action applies to; approve and reject need every item to be a pending approval. */
export function bulkTargets(selected: InboxItem[], action: InboxAction): InboxItem[] {
  switch (action) {
    case 'approve':
    case 'reject':
      return selected.length > 0 && selected.every(isPendingApproval) ? selected : [];
    case 'read':
      return selected.filter((i) => !i.read);
    case 'unread':
      return selected.filter((i) => i.read);
    case 'close':
      return selected.filter((i) => i.status === 'open' && !isPendingApproval(i));
  }
}

/** The server's answer for one item of a bulk action: done (with the item as it is now), or why not. */
export type BulkAnswer = components['schemas']['InboxBulkResponse']['items'][number];

/** What a bulk action did to each item: nothing said for a success, the reason for a failure. */
export type BulkOutcome = Array<{ item: InboxItem; error?: string }>;

/**
 * Takes the server's per-item answers to a bulk action shown optimistically: an item answered `ok: false`
 * goes back to what it was (`restore`, from `applyOptimistically`) and says why, worded as the single
 * routes' errors are; the others keep the change. An item the answers leave out fails with `unanswered`
 * (all of them when the request itself failed), so no change stays on screen unconfirmed.
 */
export function settleBulk(
  items: readonly InboxItem[],
  answers: readonly BulkAnswer[],
  restore: ReadonlyMap<string, () => void>,
  unanswered = 'The server did not answer for this item',
): BulkOutcome {
  const byId = new Map(answers.map((a) => [a.id, a]));
  return items.map((item) => {
    const answer = byId.get(item.id);
    if (answer?.ok) return { item };
    restore.get(item.id)?.();
    return { item, error: answer ? sentence(answer.error.message) : unanswered };
  });
}

/** `items` in runs of at most `size`, in order (a bulk request takes at most 100 ids). */
export function chunked<T>(items: readonly T[], size: number): T[][] {
  const chunks: T[][] = [];
  for (let i = 0; i < items.length; i += size) chunks.push(items.slice(i, i + size));
  return chunks;
}

/** The sentence for `count` items done, e.g. "Marked 3 items read". */
const DONE: Record<InboxAction, (count: string) => string> = {
  approve: (count) => `Approved ${count}`,
  reject: (count) => `Rejected ${count}`,
  read: (count) => `Marked ${count} read`,
  unread: (count) => `Marked ${count} unread`,
  close: (count) => `Closed ${count}`,
};

const items = (n: number) => `${n} item${n === 1 ? '' : 's'}`;

/** A bulk action's outcome in words: how many went through, and each failure with its item's title. */
export function bulkSummary(
  action: InboxAction,
  outcomes: BulkOutcome,
): { ok: boolean; text: string; details: string[] } {
  const failed = outcomes.filter((o) => o.error !== undefined);
  const succeeded = outcomes.length - failed.length;
  if (failed.length === 0) return { ok: true, text: `${DONE[action](items(succeeded))}.`, details: [] };
  return {
    ok: false,
    text: `${DONE[action](`${succeeded} of ${items(outcomes.length)}`)}; ${failed.length} failed:`,
    details: failed.map((o) => `${o.item.title} — ${o.error}`),
  };
}
