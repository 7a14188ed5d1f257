import type { components } from '@switchboard/client';
import { useSession } from '../auth/SessionContext.tsx';
import { useAgents } from '../queries/agents.ts';
import { useMembers } from '../queries/members.ts';
import { useRoles } from '../queries/roles.ts';

type Actor = components['schemas']['FileActor'];

/**
 * The org's roles, members and agents, each list asked for only when the reader may see it: what the
 * files page names people by and what a rule can be given to.
 */
export function useSubjects() {
  const { can } = useSession();
  const roles = useRoles(can('roles:read'));
  const members = useMembers(can('members:read'));
  const agents = useAgents(can('agents:read'));
  return { roles: roles.data ?? [], members: members.data ?? [], agents: agents.data ?? [] };
}

/** Who wrote, in words: a member's name, `agent Triage`, `an API key`. */
export function useActorName(): (actor: Actor | null) => string {
  const { members, agents } = useSubjects();
  return (actor) => {
    if (!actor) return '—';
    if (actor.type === 'agent') return `agent ${agents.find((a) => a.id === actor.id)?.name ?? actor.id}`;
    if (actor.type === 'api_key') return 'an API key';
    return members.find((m) => m.userId === actor.id)?.name ?? 'a member';
  };
}
