import type { components } from '@switchboard/client';
import { Link } from 'react-router';
import { ErrorMessage } from '../components/states.tsx';
import { handoffReferrers, useAgentName } from '../queries/agents.ts';

type Agent = components['schemas']['Agent'];

/** Asks before deleting: the agent's versions go with it (its past runs and conversations stay). */
export function confirmDelete(agent: Agent): boolean {
  return window.confirm(
    `Delete the agent ${agent.name}? Its versions are deleted with it; its past runs and conversations stay.`,
  );
}

/**
 * Why a delete failed. Refused because other agents hand off to it (409 agent_in_use), it names them and
 * links to each so their hand-offs can be changed; any other failure reads as usual.
 */
export function DeleteProblem({
  error,
  agent,
  onDismiss,
}: {
  error: unknown;
  agent: Agent | undefined;
  onDismiss: () => void;
}) {
  const nameOf = useAgentName();
  const referrers = handoffReferrers(error);
  if (!referrers) return <ErrorMessage error={error} />;
  const name = agent?.name ?? 'This agent';
  return (
    <div className="problem problem-soft" role="alert" data-testid="agent-in-use">
      <span>
        {name} cannot be deleted yet: {referrers.length === 1 ? 'another agent hands' : 'other agents hand'}{' '}
        off to it. Remove {name} from the hand-offs of{' '}
        {referrers.map((r, i) => (
          <span key={r.id}>
            {i > 0 ? (i === referrers.length - 1 ? ' and ' : ', ') : null}
            <Link to={`/agents/${r.id}`}>{nameOf(r.id) === r.id ? r.slug : nameOf(r.id)}</Link>
          </span>
        ))}{' '}
        first, then delete it.
      </span>
      <button type="button" className="btn btn-small" onClick={onDismiss}>
        Dismiss
      </button>
    </div>
  );
}
