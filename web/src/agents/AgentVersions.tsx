import type { components } from '@switchboard/client';
import { type ReactNode, useState } from 'react';
import { DiffView } from '../components/DiffView.tsx';
import { QueryState, TimeAgo } from '../components/states.tsx';
import { useToast } from '../components/Toasts.tsx';
import {
  useAgentName,
  useAgentVersions,
  useReloadAgents,
  useRestoreVersion,
  versionConflict,
} from '../queries/agents.ts';
import { SaveProblem } from './SaveProblem.tsx';
import { fieldChanges } from './versionDiff.ts';

type Agent = components['schemas']['Agent'];
type AgentVersion = components['schemas']['AgentVersion'];

/** A chosen version against the agent now, field by field, and the way back to it. */
function VersionDiff({
  version,
  current,
  restore,
}: {
  version: AgentVersion;
  current: Agent;
  restore: ReactNode;
}) {
  const nameOf = useAgentName();
  const fields = fieldChanges(version.agent, current, nameOf);
  const changed = fields.filter(([, lines]) => lines.length > 0);
  const same = fields.filter(([, lines]) => lines.length === 0).map(([field]) => field);
  return (
    <div className="card version-diff" data-testid="version-diff">
      <h3 className="version-diff-title">
        Version {version.version} → current (version {current.version})
      </h3>
      {changed.length === 0 ? (
        <p className="muted">Version {version.version} is the same as the current version.</p>
      ) : (
        <>
          <p className="muted small-inline">
            <span className="diff-key diff-removed">− only in version {version.version}</span>{' '}
            <span className="diff-key diff-added">+ only in the current version</span>
          </p>
          <dl className="diff-fields">
            {changed.map(([field, lines]) => (
              <div key={field} data-testid={`diff-${field}`}>
                <dt>{field}</dt>
                <dd>
                  <DiffView
                    source={{ rows: lines }}
                    label={`${field}: version ${version.version} against current`}
                  />
                </dd>
              </div>
            ))}
          </dl>
          {same.length ? <p className="muted small-inline">The same in both: {same.join(', ')}.</p> : null}
          {restore}
        </>
      )}
    </div>
  );
}

/** The restore button of a chosen version (for those who may write) and why a restore was refused. */
function RestoreControls({
  agent,
  chosen,
  canRestore,
  restore,
}: {
  agent: Agent;
  chosen: AgentVersion;
  canRestore: boolean;
  restore: ReturnType<typeof useRestoreVersion>;
}) {
  const reloadAgents = useReloadAgents();
  const toast = useToast();
  const restoreChosen = () =>
    restore.mutate(
      { version: chosen, expectedVersion: agent.version },
      {
        onSuccess: (saved) => toast.notify(`Restored version ${chosen.version} as version ${saved.version}`),
      },
    );
  const reload = () => {
    restore.reset();
    reloadAgents();
  };
  return (
    <>
      {restore.error ? (
        <SaveProblem
          error={restore.error}
          refused={`version ${chosen.version} was not restored`}
          onReload={reload}
        />
      ) : null}
      {canRestore ? (
        <div className="row-actions">
          <button
            type="button"
            className="btn btn-primary"
            disabled={restore.isPending || versionConflict(restore.error) !== undefined}
            onClick={restoreChosen}
          >
            {restore.isPending ? 'Restoring…' : `Restore version ${chosen.version}`}
          </button>
          <span className="muted small-inline">
            Saves its fields as a new version; the slug stays as it is.
          </span>
        </div>
      ) : null}
    </>
  );
}

/** The agent's versions, newest first; any earlier one can be compared with the current one and restored. */
export function AgentVersions({ agent, canRestore }: { agent: Agent; canRestore: boolean }) {
  const versions = useAgentVersions(agent.id);
  const restore = useRestoreVersion(agent.id);
  const [selected, setSelected] = useState<number>();
  const chosen = versions.data?.find((v) => v.version === selected);
  const choose = (version: number | undefined) => {
    restore.reset();
    setSelected(version);
  };
  return (
    <section aria-labelledby="versions-heading">
      <h2 id="versions-heading" className="section-title">
        Versions
      </h2>
      <QueryState query={versions}>
        {(items) => (
          <ul className="card list">
            {items.map((v) => (
              <li key={v.version} className="list-row" data-testid="version-row">
                <span>
                  Version {v.version} <span className="muted">· {v.agent.model}</span>
                  {v.version === agent.version ? <span className="tag">current</span> : null}
                </span>
                <span className="row-actions">
                  <span className="muted small-inline">
                    <TimeAgo iso={v.createdAt} />
                  </span>
                  {v.version === agent.version ? null : (
                    <button
                      type="button"
                      className="btn btn-small"
                      aria-expanded={selected === v.version}
                      onClick={() => choose(selected === v.version ? undefined : v.version)}
                    >
                      {selected === v.version ? 'Hide changes' : 'Compare with current'}
                    </button>
                  )}
                </span>
              </li>
            ))}
          </ul>
        )}
      </QueryState>
      {chosen ? (
        <VersionDiff
          version={chosen}
          current={agent}
          restore={
            <RestoreControls agent={agent} chosen={chosen} canRestore={canRestore} restore={restore} />
          }
        />
      ) : null}
    </section>
  );
}
