import { keepPreviousData, useQuery } from '@tanstack/react-query';
import { api, unwrap } from '../api/client.ts';
import type { MetricWindow } from '../control-room/metrics.ts';
import { keys } from './keys.ts';

/** How often the control room reads its figures again. */
export const CONTROL_ROOM_REFRESH_MS = 5_000;

/** Figures across every org: organisations, users, sockets, replicas and what domains add. */
export function usePlatformStatistics() {
  return useQuery({
    queryKey: keys.admin.statistics,
    queryFn: ({ signal }) => unwrap(api.GET('/api/v1/admin/control-room/statistics', { signal })),
    refetchInterval: CONTROL_ROOM_REFRESH_MS,
  });
}

/** This replica's checks, memory and event loop. */
export function useSystemHealth() {
  return useQuery({
    queryKey: keys.admin.systemHealth,
    queryFn: ({ signal }) => unwrap(api.GET('/api/v1/admin/control-room/system-health', { signal })),
    refetchInterval: CONTROL_ROOM_REFRESH_MS,
  });
}

/** Execution over a window; the last window's answer stays while another loads. */
export function useExecutionMetrics(window: MetricWindow) {
  return useQuery({
    queryKey: keys.admin.executionMetrics(window),
    queryFn: ({ signal }) =>
      unwrap(
        api.GET('/api/v1/admin/control-room/execution-metrics', { params: { query: { window } }, signal }),
      ),
    refetchInterval: CONTROL_ROOM_REFRESH_MS,
    placeholderData: keepPreviousData,
  });
}

/** Every agent that ran in the window, across orgs; the last window's answer stays while another loads. */
export function useAgentHealthTable(window: MetricWindow) {
  return useQuery({
    queryKey: keys.admin.agentHealth(window),
    queryFn: ({ signal }) =>
      unwrap(api.GET('/api/v1/admin/control-room/agent-health', { params: { query: { window } }, signal })),
    refetchInterval: CONTROL_ROOM_REFRESH_MS,
    placeholderData: keepPreviousData,
  });
}
