import { useQuery } from '@tanstack/react-query';
import { api, unwrap } from '../api/client.ts';

/** Every agent of the org (the API pages by 200; an org with more sees the first 200 here). */
export function useAgents(enabled = true) {
  return useQuery({
    queryKey: ['agents'],
    queryFn: ({ signal }) =>
      unwrap(api.GET('/api/v1/agents', { params: { query: { limit: 200 } }, signal })).then((d) => d.items),
    enabled,
  });
}

/** An agent's name by id, falling back to the id while loading or when it was deleted. */
export function useAgentName(): (id: string | null | undefined) => string {
  const agents = useAgents();
  return (id) => {
    if (!id) return '—';
    return agents.data?.find((a) => a.id === id)?.name ?? id;
  };
}
