import type { components, paths } from '@switchboard/client';
import { useInfiniteQuery, useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { api, unwrap } from '../api/client.ts';
import { useChannel } from '../realtime/RealtimeContext.tsx';
import type { ChannelEvent } from '../realtime/socket.ts';
import { keys } from './keys.ts';
import { cursorPages } from './paging.ts';

export type Plan = components['schemas']['Plan'];
export type Subscription = components['schemas']['Subscription'];
export type Invoice = components['schemas']['Invoice'];
export type BillingEvent = components['schemas']['BillingEvent'];
export type PlanInput =
  paths['/api/v1/admin/billing/plans/{id}']['put']['requestBody']['content']['application/json'];

export function usePlans() {
  return useQuery({
    queryKey: keys.billing.plans,
    queryFn: ({ signal }) => unwrap(api.GET('/api/v1/billing/plans', { signal })),
  });
}

export function useSubscription() {
  return useQuery({
    queryKey: keys.billing.subscription,
    queryFn: ({ signal }) => unwrap(api.GET('/api/v1/billing/subscription', { signal })),
  });
}

export function useInvoices() {
  return useQuery({
    queryKey: keys.billing.invoices,
    queryFn: ({ signal }) => unwrap(api.GET('/api/v1/billing/invoices', { signal })).then((d) => d.items),
  });
}

export function useBillingEvents(
  filter: { type?: string; status?: BillingEvent['status'] },
  enabled: boolean,
) {
  return useInfiniteQuery({
    queryKey: keys.billing.events(filter),
    enabled,
    ...cursorPages((cursor, signal) =>
      unwrap(
        api.GET('/api/v1/billing/events', { params: { query: { ...filter, limit: 50, ...cursor } }, signal }),
      ),
    ),
  });
}

/** Keeps billing fresh while mounted, and hands each event of the `billing` channel to `onEvent`. */
export function useBillingLive(onEvent?: (event: ChannelEvent) => void): void {
  const queryClient = useQueryClient();
  useChannel('billing', (event) => {
    void queryClient.invalidateQueries({ queryKey: keys.billing.all });
    void queryClient.invalidateQueries({ queryKey: keys.usage.all });
    onEvent?.(event);
  });
}

/** Subscribes (POST) or changes the plan (PATCH); a Checkout URL means the person goes to Stripe. */
export function useChoosePlan() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: async ({ planId, change }: { planId: string; change: boolean }) => {
      if (change) {
        await unwrap(api.PATCH('/api/v1/billing/subscription', { body: { planId } }));
        return { checkoutUrl: null };
      }
      return unwrap(api.POST('/api/v1/billing/subscription', { body: { planId } }));
    },
    onSettled: () => {
      void queryClient.invalidateQueries({ queryKey: keys.billing.all });
      void queryClient.invalidateQueries({ queryKey: keys.usage.all });
    },
  });
}

export function useCancelSubscription() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: () => unwrap(api.DELETE('/api/v1/billing/subscription')),
    onSettled: () => queryClient.invalidateQueries({ queryKey: keys.billing.all }),
  });
}

export function useOpenPortal() {
  return useMutation({ mutationFn: () => unwrap(api.POST('/api/v1/billing/portal')) });
}

export function useSavePlan() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (change: { id: string; body?: PlanInput; remove?: boolean }) =>
      change.remove
        ? unwrap(api.DELETE('/api/v1/admin/billing/plans/{id}', { params: { path: { id: change.id } } }))
        : unwrap(
            api.PUT('/api/v1/admin/billing/plans/{id}', {
              params: { path: { id: change.id } },
              body: change.body!,
            }),
          ),
    onSettled: () => queryClient.invalidateQueries({ queryKey: keys.billing.all }),
  });
}

export function useReplayEvent() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (id: string) =>
      unwrap(api.POST('/api/v1/billing/events/{id}/replay', { params: { path: { id } } })),
    onSettled: () => queryClient.invalidateQueries({ queryKey: keys.billing.all }),
  });
}
