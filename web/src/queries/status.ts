import { useQuery } from '@tanstack/react-query';
import { api } from '../api/client.ts';
import { type Readiness, readinessFrom } from '../readiness.ts';
import { keys } from './keys.ts';

export const READINESS_REFRESH_MS = 10_000;

async function fetchReadiness(): Promise<Readiness & { checkedAt: Date }> {
  const { data, error } = await api.GET('/health/ready');
  return { ...readinessFrom({ data, error }), checkedAt: new Date() };
}

/** Whether the platform is ready and each dependency answers, read again every 10 s. */
export function useReadiness() {
  return useQuery({
    queryKey: keys.readiness,
    queryFn: fetchReadiness,
    refetchInterval: READINESS_REFRESH_MS,
  });
}
