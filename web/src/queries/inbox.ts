import { useMutation, useQueryClient } from '@tanstack/react-query';
import { api, unwrap } from '../api/client.ts';
import { describeError } from '../api/errors.ts';
import { useToast } from '../components/Toasts.tsx';
import {
  applyOptimistically,
  bulkSummary,
  type InboxAction,
  type InboxItem,
  settleBounded,
} from './inbox-cache.ts';

/** Requests a bulk action keeps in flight at once: quick for a page of items, gentle on the server. */
const BULK_CONCURRENCY = 4;

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
      return { restore: applyOptimistically(queryClient, id, action) };
    },
    onError: (err, _vars, context) => {
      context?.restore();
      toast.fail(err);
    },
    onSettled: () => {
      void queryClient.invalidateQueries({ queryKey: ['inbox'] });
      void queryClient.invalidateQueries({ queryKey: ['runs'] });
    },
  });
}

/** Marks bulk actions, so the page can tell one is running (`useIsMutating`). */
export const BULK_MUTATION_KEY = ['inbox', 'bulk'];

/** What a bulk action did to each item: nothing said for a success, the reason for a failure. */
export type BulkOutcome = Array<{ item: InboxItem; error?: string }>;

/**
 * One action over many items. The server has per-item routes only, so each item is its own request
 * (a few at a time), shown at once and rolled back alone if refused; one toast sums the batch up.
 */
export function useInboxBulkAction() {
  const queryClient = useQueryClient();
  const toast = useToast();
  return useMutation({
    mutationKey: BULK_MUTATION_KEY,
    mutationFn: async ({ items, action }: { items: InboxItem[]; action: InboxAction }) => {
      await queryClient.cancelQueries({ queryKey: ['inbox'] });
      const settled = await settleBounded(items, BULK_CONCURRENCY, async (item) => {
        const restore = applyOptimistically(queryClient, item.id, action);
        try {
          await callAction(item.id, action);
        } catch (err) {
          restore();
          throw err;
        }
      });
      return settled.map((result, i): BulkOutcome[number] => ({
        item: items[i]!,
        ...(result.status === 'rejected' ? { error: describeError(result.reason).message } : {}),
      }));
    },
    onSuccess: (outcome, { action }) => {
      const summary = bulkSummary(action, outcome);
      toast.notify(summary.text, { tone: summary.ok ? 'info' : 'error', details: summary.details });
    },
    onSettled: () => {
      void queryClient.invalidateQueries({ queryKey: ['inbox'] });
      void queryClient.invalidateQueries({ queryKey: ['runs'] });
    },
  });
}
