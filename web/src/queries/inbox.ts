import { useMutation, useQueryClient } from '@tanstack/react-query';
import { api, unwrap } from '../api/client.ts';
import { describeError } from '../api/errors.ts';
import { useToast } from '../components/Toasts.tsx';
import {
  applyOptimistically,
  type BulkOutcome,
  bulkSummary,
  chunked,
  type InboxAction,
  type InboxItem,
  settleBulk,
} from './inbox-cache.ts';

/** The most ids `POST /inbox/bulk` takes at once. */
const BULK_LIMIT = 100;

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

/**
 * One action over many items: every item shows the change at once, then one `POST /inbox/bulk` per 100
 * items, which answers item by item; only the items refused go back (a request that fails as a whole takes
 * back all of its items). One toast sums the batch up, every failure named.
 */
export function useInboxBulkAction() {
  const queryClient = useQueryClient();
  const toast = useToast();
  return useMutation({
    mutationKey: BULK_MUTATION_KEY,
    mutationFn: async ({ items, action }: { items: InboxItem[]; action: InboxAction }) => {
      await queryClient.cancelQueries({ queryKey: ['inbox'] });
      const restore = new Map(
        items.map((item) => [item.id, applyOptimistically(queryClient, item.id, action)]),
      );
      const outcome: BulkOutcome = [];
      for (const chunk of chunked(items, BULK_LIMIT)) {
        const ids = chunk.map((item) => item.id);
        try {
          const answer = await unwrap(api.POST('/api/v1/inbox/bulk', { body: { ids, action } }));
          outcome.push(...settleBulk(chunk, answer.items, restore));
        } catch (err) {
          // Nothing was answered item by item (e.g. offline): the whole run goes back, with the reason.
          const { message, requestId } = describeError(err);
          outcome.push(
            ...settleBulk(chunk, [], restore, requestId ? `${message} (request ${requestId})` : message),
          );
        }
      }
      return outcome;
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
