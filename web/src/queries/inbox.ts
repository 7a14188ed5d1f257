import { useMutation, useQueryClient } from '@tanstack/react-query';
import { api, unwrap } from '../api/client.ts';
import { useToast } from '../components/Toasts.tsx';
import { applyOptimistically, type InboxAction } from './inbox-cache.ts';

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
