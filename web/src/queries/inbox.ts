import type { components } from '@switchboard/client';
import { type QueryKey, useMutation, useQueryClient } from '@tanstack/react-query';
import { api, unwrap } from '../api/client.ts';
import { useToast } from '../components/Toasts.tsx';

export type InboxItem = components['schemas']['InboxItem'];
type InboxPage = { items: InboxItem[]; nextCursor: string | null; unread: number };

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

function callAction(id: string, action: InboxAction) {
  const params = { path: { id } };
  switch (action) {
    case 'approve':
      return unwrap(api.POST('/api/v1/inbox/{id}/approve', { params, body: {} }));
    case 'reject':
      return unwrap(api.POST('/api/v1/inbox/{id}/reject', { params, body: {} }));
    case 'read':
    case 'unread':
      return unwrap(api.PATCH('/api/v1/inbox/{id}/read', { params, body: { read: action === 'read' } }));
    case 'close':
      return unwrap(api.POST('/api/v1/inbox/{id}/close', { params }));
  }
}

/**
 * Inbox actions with optimistic updates: every cached inbox list shows the change at once (and the
 * unread count follows); when the server refuses, the lists go back to what they were and a toast says why.
 */
export function useInboxAction() {
  const queryClient = useQueryClient();
  const toast = useToast();
  return useMutation({
    mutationFn: ({ id, action }: { id: string; action: InboxAction }) => callAction(id, action),
    onMutate: async ({ id, action }) => {
      await queryClient.cancelQueries({ queryKey: ['inbox'] });
      const before = queryClient.getQueriesData<InboxPage | number>({ queryKey: ['inbox'] });
      const pages = before.filter((entry): entry is [QueryKey, InboxPage] => {
        const value = entry[1];
        return typeof value === 'object' && value !== null && 'items' in value;
      });
      const item = pages.flatMap(([, page]) => page.items).find((i) => i.id === id);
      if (!item) return { before };
      const after = applyAction(item, action);
      // The unread count drops (or rises) in every list, the navigation badge's included.
      const unreadDelta = Number(after.read) - Number(item.read);
      for (const [key, page] of pages) {
        queryClient.setQueryData<InboxPage>(key, {
          ...page,
          unread: Math.max(0, page.unread - unreadDelta),
          items: page.items.map((i) => (i.id === id ? after : i)),
        });
      }
      return { before };
    },
    onError: (err, _vars, context) => {
      for (const [key, value] of (context?.before ?? []) as Array<[QueryKey, unknown]>) {
        queryClient.setQueryData(key, value);
      }
      toast.fail(err);
    },
    onSettled: () => {
      void queryClient.invalidateQueries({ queryKey: ['inbox'] });
      void queryClient.invalidateQueries({ queryKey: ['runs'] });
    },
  });
}
