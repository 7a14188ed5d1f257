import { type QueryKey, useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useToast } from '../components/Toasts.tsx';

/**
 * A change to one of the org's lists (members, roles, API keys…): the list is read again once the change
 * has settled, whichever way it went. `done` is said in a toast on success; a failure goes to a toast too,
 * unless `quiet` (a form shows its failure under its fields).
 */
export function useListChange<TVars, TResult>(
  list: QueryKey,
  change: (vars: TVars) => Promise<TResult>,
  options: { done?: string; quiet?: boolean; onSuccess?: (result: TResult) => void } = {},
) {
  const queryClient = useQueryClient();
  const toast = useToast();
  return useMutation({
    mutationFn: change,
    onSuccess: (result) => {
      if (options.done) toast.notify(options.done);
      options.onSuccess?.(result);
    },
    onError: (err) => {
      if (!options.quiet) toast.fail(err);
    },
    onSettled: () => void queryClient.invalidateQueries({ queryKey: list }),
  });
}

/** What a form adds to a list: the form shows a failure under its fields, and clears itself on success. */
export function useFormAdd<TBody, TResult>(
  list: QueryKey,
  add: (body: TBody) => Promise<TResult>,
  onAdded: () => void,
) {
  return useListChange(list, add, { quiet: true, onSuccess: onAdded });
}

/** The query of a short list read whole: its first (and usually only) page of 200. */
export const FIRST_200 = { query: { limit: 200 } } as const;

/**
 * One of the org's short lists, read whole: the API pages by 200, so an org with more sees the first 200.
 * Not asked for unless `enabled` (a page that only names things asks only when the reader may list them).
 */
export function useOrgList<T>(
  list: QueryKey,
  read: (signal: AbortSignal) => Promise<{ items: T[] }>,
  enabled = true,
) {
  return useQuery({ queryKey: list, queryFn: ({ signal }) => read(signal).then((d) => d.items), enabled });
}

/** One resource by id; nothing is asked for while `id` is undefined (a new one's form, no turn yet). */
export function useOne<T>(
  key: QueryKey,
  id: string | undefined,
  read: (id: string, signal: AbortSignal) => Promise<T>,
) {
  return useQuery({ queryKey: key, queryFn: ({ signal }) => read(id!, signal), enabled: id !== undefined });
}
