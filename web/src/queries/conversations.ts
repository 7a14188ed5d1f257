import type { components } from '@switchboard/client';
import {
  type InfiniteData,
  keepPreviousData,
  useInfiniteQuery,
  useMutation,
  useQuery,
  useQueryClient,
} from '@tanstack/react-query';
import { useCallback, useEffect, useState } from 'react';
import { useNavigate } from 'react-router';
import { api, unwrap } from '../api/client.ts';
import { useToast } from '../components/Toasts.tsx';
import { keys } from './keys.ts';
import { cursorPages } from './paging.ts';
import { useOne } from './resource.ts';

type Conversation = components['schemas']['Conversation'];
type ConversationPage = { items: Conversation[]; nextCursor: string | null };

/** Conversations asked for per page; "Show more" asks for the next with the cursor. */
const PAGE = 50;
/** How long typing must pause before the search goes to the server. */
export const SEARCH_DEBOUNCE_MS = 250;
const LISTS = keys.conversations.lists;

/** `value`, once it has stopped changing for `ms`. */
function useDebounced<T>(value: T, ms: number): T {
  const [settled, setSettled] = useState(value);
  useEffect(() => {
    const t = setTimeout(() => setSettled(value), ms);
    return () => clearTimeout(t);
  }, [value, ms]);
  return settled;
}

/**
 * The conversations, newest first, whose title contains `search` (any case; all of them when it is
 * blank), searched by the server once typing pauses. A search typed over goes unanswered: its request is
 * aborted through the query's signal. The previous answer stays on screen while the next is on its way.
 */
export function useConversationSearch(search: string) {
  const q = useDebounced(search.trim(), SEARCH_DEBOUNCE_MS);
  const list = useInfiniteQuery({
    queryKey: keys.conversations.list(q),
    ...cursorPages((cursor, signal) =>
      unwrap(
        api.GET('/api/v1/conversations', {
          params: { query: { limit: PAGE, ...(q ? { q } : {}), ...cursor } },
          signal,
        }),
      ),
    ),
    placeholderData: keepPreviousData,
  });
  const searching = list.isPlaceholderData || q !== search.trim();
  return { list, q, searching };
}

/**
 * Renaming and deleting conversations. A rename shows at once in every list and goes back if refused; a
 * delete of the open conversation leaves it first, so nothing asks the server for what no longer exists.
 */
export function useConversationChanges(activeId: string | undefined) {
  const queryClient = useQueryClient();
  const toast = useToast();
  const navigate = useNavigate();
  const updateLists = (change: (items: Conversation[]) => Conversation[]) =>
    queryClient.setQueriesData<InfiniteData<ConversationPage>>({ queryKey: LISTS }, (data) =>
      data ? { ...data, pages: data.pages.map((p) => ({ ...p, items: change(p.items) })) } : data,
    );
  const setTitle = (id: string, title: string) => {
    updateLists((items) => items.map((c) => (c.id === id ? { ...c, title } : c)));
    queryClient.setQueryData<Conversation>(keys.conversations.one(id), (c) => (c ? { ...c, title } : c));
  };
  const rename = useMutation({
    mutationFn: (v: { id: string; title: string; before: string }) =>
      unwrap(
        api.PATCH('/api/v1/conversations/{id}', { params: { path: { id: v.id } }, body: { title: v.title } }),
      ),
    onMutate: async (v) => {
      await queryClient.cancelQueries({ queryKey: LISTS });
      setTitle(v.id, v.title);
    },
    onError: (err, v) => {
      setTitle(v.id, v.before);
      toast.fail(err);
    },
    onSettled: () => void queryClient.invalidateQueries({ queryKey: LISTS }),
  });
  const remove = useMutation({
    mutationFn: (id: string) =>
      unwrap(api.DELETE('/api/v1/conversations/{id}', { params: { path: { id } } })).then(() => id),
    onSuccess: (id) => {
      if (id === activeId) navigate('/chat', { replace: true });
      updateLists((items) => items.filter((c) => c.id !== id));
      queryClient.removeQueries({ queryKey: keys.conversations.one(id), type: 'inactive' });
      queryClient.removeQueries({ queryKey: keys.conversations.messages(id), type: 'inactive' });
      toast.notify('Conversation deleted');
    },
    onError: (err) => toast.fail(err),
    onSettled: () => void queryClient.invalidateQueries({ queryKey: LISTS }),
  });
  return { rename, remove };
}

/** One conversation (none asked for while `id` is undefined: a new chat). */
export const useConversation = (id: string | undefined) =>
  useOne(keys.conversations.one(id), id, (conversationId, signal) =>
    unwrap(api.GET('/api/v1/conversations/{id}', { params: { path: { id: conversationId } }, signal })),
  );

/** A conversation's stored messages, oldest first (the first 200). */
export function useConversationMessages(id: string | undefined) {
  return useQuery({
    queryKey: keys.conversations.messages(id),
    queryFn: ({ signal }) =>
      unwrap(
        api.GET('/api/v1/conversations/{id}/messages', {
          params: { path: { id: id! }, query: { limit: 200 } },
          signal,
        }),
      ).then((d) => d.items),
    enabled: id !== undefined,
    // Runs may have added to it while the page was elsewhere.
    staleTime: 0,
  });
}

/** Reads every conversation query again (a turn started a conversation or added to one). */
export function useRefreshConversations(): () => void {
  const queryClient = useQueryClient();
  return useCallback(
    () => void queryClient.invalidateQueries({ queryKey: keys.conversations.all }),
    [queryClient],
  );
}
