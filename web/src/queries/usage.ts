import type { components } from '@switchboard/client';
import { useInfiniteQuery, useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { api, unwrap } from '../api/client.ts';
import { useChannel } from '../realtime/RealtimeContext.tsx';
import { keys } from './keys.ts';
import { cursorPages } from './paging.ts';

export type UsageGroup = components['schemas']['UsageSummary']['groupBy'];
export type Budget = components['schemas']['Budget'];
export type ModelPrice = components['schemas']['ModelPrice'];
export type BudgetInput = components['schemas']['CreateBudgetRequestInput'];
export type PriceInput = components['schemas']['PutModelPriceRequest'];

/** A period of the Usage page: where it starts and ends, and the timeline's bucket. */
export interface UsageRange {
  from: string;
  to: string;
  bucket: 'hour' | 'day';
}

export function useUsageSummary(range: UsageRange, groupBy: UsageGroup) {
  const query = { from: range.from, to: range.to, groupBy };
  return useQuery({
    queryKey: keys.usage.summary(query),
    queryFn: ({ signal }) => unwrap(api.GET('/api/v1/usage/summary', { params: { query }, signal })),
  });
}

export function useUsageTimeline(range: UsageRange, filter: { agentId?: string; model?: string }) {
  const query = { from: range.from, to: range.to, bucket: range.bucket, ...filter };
  return useQuery({
    queryKey: keys.usage.timeline(query),
    queryFn: ({ signal }) => unwrap(api.GET('/api/v1/usage/timeline', { params: { query }, signal })),
  });
}

/** Failed model calls of the period, newest first, 20 a page. */
export function useUsageErrors(range: UsageRange) {
  const query = { from: range.from, to: range.to };
  return useInfiniteQuery({
    queryKey: keys.usage.errors(query),
    ...cursorPages((cursor, signal) =>
      unwrap(
        api.GET('/api/v1/usage/errors', { params: { query: { ...query, limit: 20, ...cursor } }, signal }),
      ),
    ),
  });
}

/** This calendar month's calls, tokens and cost (the dashboard). */
export function useMonthUsage(enabled = true) {
  return useQuery({
    queryKey: keys.usage.month,
    queryFn: ({ signal }) => unwrap(api.GET('/api/v1/usage/month', { signal })),
    enabled,
  });
}

export function useBudgets(enabled = true) {
  return useQuery({
    queryKey: keys.usage.budgets,
    queryFn: ({ signal }) => unwrap(api.GET('/api/v1/usage/budgets', { signal })).then((d) => d.items),
    enabled,
  });
}

export function usePrices() {
  return useQuery({
    queryKey: keys.usage.prices,
    queryFn: ({ signal }) => unwrap(api.GET('/api/v1/usage/prices', { signal })).then((d) => d.items),
  });
}

/** Keeps every usage query fresh while mounted: calls recorded, budgets crossing a threshold. */
export function useUsageLive(enabled = true): void {
  const queryClient = useQueryClient();
  useChannel(
    enabled ? 'usage' : undefined,
    () => void queryClient.invalidateQueries({ queryKey: keys.usage.all }),
  );
}

/** Creates, changes or deletes a budget; every usage query is read again after. */
export function useSaveBudget() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (change: { id?: string; body?: BudgetInput; remove?: boolean }) => {
      if (change.id && change.remove)
        return unwrap(api.DELETE('/api/v1/usage/budgets/{id}', { params: { path: { id: change.id } } }));
      if (change.id)
        return unwrap(
          api.PATCH('/api/v1/usage/budgets/{id}', {
            params: { path: { id: change.id } },
            body: change.body ?? {},
          }),
        );
      return unwrap(api.POST('/api/v1/usage/budgets', { body: change.body! }));
    },
    onSettled: () => queryClient.invalidateQueries({ queryKey: keys.usage.all }),
  });
}

/** Sets or drops the org's price of a model. */
export function useSavePrice() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (change: { model: string; price?: PriceInput }) =>
      change.price
        ? unwrap(
            api.PUT('/api/v1/usage/prices/{model}', {
              params: { path: { model: change.model } },
              body: change.price,
            }),
          )
        : unwrap(api.DELETE('/api/v1/usage/prices/{model}', { params: { path: { model: change.model } } })),
    onSettled: () => queryClient.invalidateQueries({ queryKey: keys.usage.all }),
  });
}
