import type { components } from '@switchboard/client';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { api, unwrap } from '../api/client.ts';
import { useChannel } from '../realtime/RealtimeContext.tsx';
import { keys } from './keys.ts';

type CurrentNotice = components['schemas']['CurrentNotice'];

/**
 * The operator's maintenance notice, read once and kept live by the `notice` channel (every console of
 * every org hears a change the moment it is posted or cleared).
 */
export function useNotice(enabled: boolean) {
  const queryClient = useQueryClient();
  useChannel(enabled ? 'notice' : undefined, (event) => {
    queryClient.setQueryData<CurrentNotice>(keys.notice, event.data as CurrentNotice);
  });
  return useQuery({
    queryKey: keys.notice,
    queryFn: ({ signal }) => unwrap(api.GET('/api/v1/notice', { signal })),
    enabled,
    staleTime: 60_000,
  });
}

export function usePostNotice() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (body: components['schemas']['PostNoticeRequest']) =>
      unwrap(api.PUT('/api/v1/admin/notice', { body })),
    onSuccess: (data) => queryClient.setQueryData(keys.notice, data),
  });
}

export function useClearNotice() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: async () => {
      await unwrap(api.DELETE('/api/v1/admin/notice'));
    },
    onSuccess: () => queryClient.setQueryData<CurrentNotice>(keys.notice, { notice: null }),
  });
}

export function useRestart() {
  return useMutation({
    mutationFn: () => unwrap(api.POST('/api/v1/admin/restart')),
  });
}
