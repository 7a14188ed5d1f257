import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
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
import { keys } from './keys.ts';

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
      await queryClient.cancelQueries({ queryKey: keys.inbox.all });
      return { restore: applyOptimistically(queryClient, id, action) };
    },
    onError: (err, _vars, context) => {
      context?.restore();
      toast.fail(err);
    },
    onSettled: () => {
      void queryClient.invalidateQueries({ queryKey: keys.inbox.all });
      void queryClient.invalidateQueries({ queryKey: keys.runs.all });
    },
  });
}

/**
 * One action over many items: every item shows the change at once, then one `POST /inbox/bulk` per 100
 * items, which answers item by item; only the items refused go back (a request that fails as a whole takes
 * back all of its items). One toast sums the batch up, every failure named.
 */
export function useInboxBulkAction() {
  const queryClient = useQueryClient();
  const toast = useToast();
  return useMutation({
    mutationKey: keys.inbox.bulk,
    mutationFn: async ({ items, action }: { items: InboxItem[]; action: InboxAction }) => {
      await queryClient.cancelQueries({ queryKey: keys.inbox.all });
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
      void queryClient.invalidateQueries({ queryKey: keys.inbox.all });
      void queryClient.invalidateQueries({ queryKey: keys.runs.all });
    },
  });
}

/** The inbox's open or closed items (or all), newest first: the first 100, with the unread count. */
export function useInboxList(view: 'open' | 'closed' | 'all') {
  return useQuery({
    queryKey: keys.inbox.list(view),
    queryFn: ({ signal }) =>
      unwrap(
        api.GET('/api/v1/inbox', {
          params: { query: { limit: 100, ...(view === 'all' ? {} : { status: view }) } },
          signal,
        }),
      ),
  });
}

/** How many inbox items are unread (kept with the lists, so an optimistic change moves it too). */
export function useInboxUnread(enabled: boolean) {
  return useQuery({
    queryKey: keys.inbox.unread,
    queryFn: ({ signal }) =>
      unwrap(api.GET('/api/v1/inbox', { params: { query: { limit: 1, unread: 'true' } }, signal })),
    enabled,
    select: (d) => d.unread,
  });
}

/** Reads every inbox query again. */
export function useRefreshInbox(): () => void {
  const queryClient = useQueryClient();
  return () => void queryClient.invalidateQueries({ queryKey: keys.inbox.all });
}
