import { ErrorMessage } from '../components/states.tsx';
import { versionConflict } from '../queries/agents.ts';

/**
 * A save or restore refused because someone saved the agent first (409 version_conflict) reads as what
 * happened and what to do, with a button that loads their version; any other failure reads as usual.
 */
export function SaveProblem({
  error,
  refused,
  onReload,
}: {
  error: unknown;
  refused: string;
  onReload: () => void;
}) {
  const conflict = versionConflict(error);
  if (!conflict) return <ErrorMessage error={error} />;
  const now = conflict.current ? ` (it is at version ${conflict.current} now)` : '';
  return (
    <div className="problem problem-soft" role="alert" data-testid="version-conflict">
      <span>
        Someone else saved this agent after you opened it{now}, so {refused}. Reload to see their change, then
        try again.
      </span>
      <button type="button" className="btn btn-small" onClick={onReload}>
        Reload
      </button>
    </div>
  );
}
