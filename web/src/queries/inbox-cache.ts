import type { components } from '@switchboard/client';
import type { QueryClient, QueryKey } from '@tanstack/react-query';

export type InboxItem = components['schemas']['InboxItem'];
export type InboxPage = { items: InboxItem[]; nextCursor: string | null; unread: number };
export type InboxAction = 'approve' | 'reject' | 'read' | 'unread' | 'close';

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

/**
 * Shows an inbox action in every cached inbox list at once (the unread count, the navigation badge's
 * included); returns how to put the lists back as they were if the server refuses.
 */
export function applyOptimistically(queryClient: QueryClient, id: string, action: InboxAction): () => void {
  const before = queryClient.getQueriesData<InboxPage>({ queryKey: ['inbox'] });
  const restore = () => {
    for (const [key, value] of before) queryClient.setQueryData(key, value);
  };
  const pages = before.filter((entry): entry is [QueryKey, InboxPage] => {
    const value = entry[1];
    return typeof value === 'object' && value !== null && 'items' in value;
  });
  const item = pages.flatMap(([, page]) => page.items).find((i) => i.id === id);
  if (!item) return restore;
  const after = applyAction(item, action);
  const unreadDelta = Number(after.read) - Number(item.read);
  for (const [key, page] of pages) {
    queryClient.setQueryData<InboxPage>(key, {
      ...page,
      unread: Math.max(0, page.unread - unreadDelta),
      items: page.items.map((i) => (i.id === id ? after : i)),
    });
  }
  return restore;
}
