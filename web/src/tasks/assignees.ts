import { useCallback, useMemo } from 'react';
import { useSession } from '../auth/SessionContext.tsx';
import { useAgents } from '../queries/agents.ts';
import { useMembers } from '../queries/members.ts';
import type { Assignee, TaskStatus } from '../queries/tasks.ts';

export const STATUSES: ReadonlyArray<{ value: TaskStatus; label: string }> = [
  { value: 'todo', label: 'To do' },
  { value: 'in_progress', label: 'In progress' },
  { value: 'blocked', label: 'Blocked' },
  { value: 'done', label: 'Done' },
  { value: 'cancelled', label: 'Cancelled' },
];

export const statusLabel = (s: TaskStatus) => STATUSES.find((x) => x.value === s)?.label ?? s;

export const PRIORITIES = [
  { value: 'low', label: 'Low' },
  { value: 'normal', label: 'Normal' },
  { value: 'high', label: 'High' },
  { value: 'urgent', label: 'Urgent' },
] as const;

/** `agent:<id>` / `member:<id>`: an assignee as a select's value (and the list's filter). */
export const assigneeKey = (a: Assignee | null) => (a ? `${a.type}:${a.id}` : '');

export function parseAssignee(key: string): Assignee | null {
  const [type, id] = key.split(':');
  return (type === 'agent' || type === 'member') && id ? { type, id } : null;
}

/**
 * Who a task can be given to (the org's agents and members, as far as the reader may list them) and
 * their names; an assignee no longer there reads as its id.
 */
export function useAssignees() {
  const { can } = useSession();
  const agents = useAgents(can('agents:read'));
  const members = useMembers(can('members:read'));
  const options = useMemo(
    () => ({
      agents: (agents.data ?? []).map((a) => ({ value: `agent:${a.id}`, label: a.name })),
      members: (members.data ?? []).map((m) => ({ value: `member:${m.id}`, label: m.name || m.email })),
    }),
    [agents.data, members.data],
  );
  const names = useMemo(
    () => new Map([...options.agents, ...options.members].map((o) => [o.value, o.label])),
    [options],
  );
  const nameOf = useCallback(
    (a: Assignee | null) => (a ? (names.get(assigneeKey(a)) ?? a.id) : 'Unassigned'),
    [names],
  );
  return { options, nameOf };
}

/** Open and past its due time. */
export const isOverdue = (t: { dueAt: string | null; status: TaskStatus }) =>
  t.dueAt !== null &&
  new Date(t.dueAt).getTime() < Date.now() &&
  t.status !== 'done' &&
  t.status !== 'cancelled';
