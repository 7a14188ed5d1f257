import { useCallback, useMemo } from 'react';
import { useSession } from '../auth/SessionContext.tsx';
import { useMembers } from '../queries/members.ts';

/**
 * Who an issue can be given to: the org's members (as far as the reader may list them), as select options
 * by member id, and their names; a member no longer there reads as the id.
 */
export function useIssueAssignees() {
  const { can } = useSession();
  const members = useMembers(can('members:read'));
  const options = useMemo(
    () => (members.data ?? []).map((m) => ({ value: m.id, label: m.name || m.email })),
    [members.data],
  );
  const names = useMemo(() => new Map(options.map((o) => [o.value, o.label])), [options]);
  const nameOf = useCallback((id: string | null) => (id ? (names.get(id) ?? id) : 'Unassigned'), [names]);
  return { options, nameOf, toAssignee: (value: string) => value || null };
}
