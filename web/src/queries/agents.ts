import type { components } from '@switchboard/client';
import {
  keepPreviousData,
  type QueryClient,
  useMutation,
  useQuery,
  useQueryClient,
} from '@tanstack/react-query';
import { api, unwrap } from '../api/client.ts';
import { ApiError } from '../api/errors.ts';
import { keys } from './keys.ts';
import { useOne } from './resource.ts';

type Agent = components['schemas']['Agent'];
type AgentVersion = components['schemas']['AgentVersion'];
type AgentBody = components['schemas']['CreateAgentRequestInput'];

/** Every agent of the org (the API pages by 200; an org with more sees the first 200 here). */
export function useAgents(enabled = true) {
  return useQuery({
    queryKey: keys.agents.list,
    queryFn: ({ signal }) =>
      unwrap(api.GET('/api/v1/agents', { params: { query: { limit: 200 } }, signal })).then((d) => d.items),
    enabled,
  });
}

/** The most agent ids `GET /agents/health` takes at once. */
const HEALTH_BATCH = 100;

/**
 * The 24 h health of the agents given, by id, refreshed every 30 s: one request per 100 agents, all at
 * once. An agent the answer leaves out (deleted meanwhile) has none. While the list of agents changes the
 * last answer stays.
 */
export function useAgentsHealth(ids: string[]) {
  return useQuery({
    queryKey: keys.agents.health('24h', ids),
    queryFn: async ({ signal }) => {
      const batches = [];
      for (let i = 0; i < ids.length; i += HEALTH_BATCH) batches.push(ids.slice(i, i + HEALTH_BATCH));
      const answers = await Promise.all(
        batches.map((batch) =>
          unwrap(
            api.GET('/api/v1/agents/health', {
              params: { query: { window: '24h', ids: batch.join(',') } },
              signal,
            }),
          ),
        ),
      );
      return new Map(answers.flatMap((a) => a.items).map((h) => [h.agentId, h]));
    },
    enabled: ids.length > 0,
    placeholderData: keepPreviousData,
    refetchInterval: 30_000,
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

/** An agent's versions, newest first (the first 100; each is a full snapshot). */
export function useAgentVersions(id: string) {
  return useQuery({
    queryKey: keys.agents.versions(id),
    queryFn: ({ signal }) =>
      unwrap(
        api.GET('/api/v1/agents/{id}/versions', {
          params: { path: { id }, query: { limit: 100 } },
          signal,
        }),
      ).then((d) => d.items),
  });
}

/** One agent (none asked for while `id` is undefined: a new agent's form). */
export const useAgent = (id: string | undefined) =>
  useOne(keys.agents.one(id), id, (agentId, signal) =>
    unwrap(api.GET('/api/v1/agents/{id}', { params: { path: { id: agentId } }, signal })),
  );

/** The tools agents may be given, from the registry. */
export function useTools(enabled: boolean) {
  return useQuery({
    queryKey: keys.tools,
    queryFn: ({ signal }) => unwrap(api.GET('/api/v1/tools', { signal })).then((d) => d.items),
    enabled,
  });
}

/**
 * Creates an agent (`id` undefined) or saves a new version of it. `expectedVersion` is the version the form
 * was loaded from: someone who saved in between makes the server answer 409 version_conflict.
 */
export function useSaveAgent(id: string | undefined) {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: ({ body, expectedVersion }: { body: AgentBody; expectedVersion: number | undefined }) =>
      id === undefined
        ? unwrap(api.POST('/api/v1/agents', { body }))
        : unwrap(
            api.PATCH('/api/v1/agents/{id}', {
              params: { path: { id } },
              body: { ...body, expectedVersion },
            }),
          ),
    onSuccess: () => {
      void queryClient.invalidateQueries({ queryKey: keys.agents.all });
      void queryClient.invalidateQueries({ queryKey: keys.tools });
    },
  });
}

/** Reads every agent query again (after a refused save, to show what someone else saved). */
export function useReloadAgents() {
  const queryClient = useQueryClient();
  return () => void queryClient.invalidateQueries({ queryKey: keys.agents.all });
}

/**
 * Deletes an agent. The list drops it at once; queries of the deleted agent that no page shows any more
 * go too. (Ones still on screen are left alone: refetching them now would only answer 404.)
 */
export function useDeleteAgent() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: async (agent: Agent) => {
      await unwrap(api.DELETE('/api/v1/agents/{id}', { params: { path: { id: agent.id } } }));
      return agent;
    },
    onSuccess: (agent) => forgetAgent(queryClient, agent.id),
  });
}

function forgetAgent(queryClient: QueryClient, id: string): void {
  queryClient.setQueryData<Agent[]>(keys.agents.list, (list) => list?.filter((a) => a.id !== id));
  queryClient.removeQueries({ type: 'inactive', predicate: (q) => keys.agents.isOf(q.queryKey, id) });
  void queryClient.invalidateQueries({ queryKey: keys.agents.list, exact: true });
}

/**
 * Makes a version current again by saving its fields as a new version. `expectedVersion` is the version
 * the person was looking at: if someone saved in between, the server answers 409 version_conflict.
 */
export function useRestoreVersion(agentId: string) {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: ({ version, expectedVersion }: { version: AgentVersion; expectedVersion: number }) => {
      const { name, description, instructions, model, tools, handoffs, modelSettings, guardrails } =
        version.agent;
      return unwrap(
        api.PATCH('/api/v1/agents/{id}', {
          params: { path: { id: agentId } },
          body: {
            name,
            description,
            instructions,
            model,
            tools,
            handoffs,
            modelSettings,
            guardrails,
            expectedVersion,
          },
        }),
      );
    },
    // On a conflict the page keeps what the person was looking at until they choose to reload.
    onSuccess: () => void queryClient.invalidateQueries({ queryKey: keys.agents.all }),
  });
}

/** The agents still handing off to one that could not be deleted (409 agent_in_use), else undefined. */
export function handoffReferrers(error: unknown): Array<{ id: string; slug: string }> | undefined {
  if (!(error instanceof ApiError) || error.code !== 'agent_in_use') return undefined;
  const agents = (error.details as { agents?: unknown } | undefined)?.agents;
  if (!Array.isArray(agents)) return [];
  return agents.filter(
    (a): a is { id: string; slug: string } => typeof a?.id === 'string' && typeof a?.slug === 'string',
  );
}

/** Whether a save or restore was refused because someone saved first (409 version_conflict), and the version now. */
export function versionConflict(error: unknown): { current: number | undefined } | undefined {
  if (!(error instanceof ApiError) || error.code !== 'version_conflict') return undefined;
  const version = (error.details as { version?: unknown } | undefined)?.version;
  return { current: typeof version === 'number' ? version : undefined };
}
