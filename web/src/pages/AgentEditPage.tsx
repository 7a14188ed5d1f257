import type { components } from '@switchboard/client';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { type FormEvent, type ReactNode, useEffect, useState } from 'react';
import { Link, useNavigate, useParams } from 'react-router';
import { api, unwrap } from '../api/client.ts';
import { ApiError } from '../api/errors.ts';
import { useSession } from '../auth/SessionContext.tsx';
import { Empty, ErrorMessage, Loading, PageHeader, QueryState, TimeAgo } from '../components/states.tsx';
import { useToast } from '../components/Toasts.tsx';
import { changedKeys, type DiffLine, diffLines, diffLists, type Skipped, withContext } from '../diff.ts';
import {
  useAgentName,
  useAgents,
  useAgentVersions,
  useDeleteAgent,
  useRestoreVersion,
  versionConflict,
} from '../queries/agents.ts';
import { confirmDelete, DeleteProblem } from './AgentsPage.tsx';

type Agent = components['schemas']['Agent'];
type AgentVersion = components['schemas']['AgentVersion'];

interface Draft {
  name: string;
  description: string;
  instructions: string;
  model: string;
  tools: string[];
  handoffs: string[];
}

const EMPTY: Draft = {
  name: '',
  description: '',
  instructions: 'You are a helpful assistant.',
  model: 'builtin:scripted',
  tools: [],
  handoffs: [],
};

function draftOf(a: Agent): Draft {
  return {
    name: a.name,
    description: a.description,
    instructions: a.instructions,
    model: a.model,
    tools: a.tools,
    handoffs: a.handoffs,
  };
}

const toggle = (list: string[], value: string, on: boolean) =>
  on ? [...new Set([...list, value])] : list.filter((v) => v !== value);

/**
 * A save or restore refused because someone saved the agent first (409 version_conflict) reads as what
 * happened and what to do, with a button that loads their version; any other failure reads as usual.
 */
function SaveProblem({
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

/** Lines of a diff: − only in the chosen version, + only in the current one; folded stretches as a count. */
function DiffRows({ lines, label }: { lines: Array<DiffLine | Skipped>; label: string }) {
  return (
    <ol className="diff" aria-label={label}>
      {lines.map((l, i) =>
        l.kind === 'skipped' ? (
          // biome-ignore lint/suspicious/noArrayIndexKey: a diff's lines have no identity but their place
          <li key={i} className="diff-line diff-skipped">
            ⋯ {l.count} unchanged {l.count === 1 ? 'line' : 'lines'}
          </li>
        ) : (
          // biome-ignore lint/suspicious/noArrayIndexKey: a diff's lines have no identity but their place
          <li key={i} className={`diff-line diff-${l.kind}`}>
            <span className="diff-mark" aria-hidden="true">
              {l.kind === 'added' ? '+' : l.kind === 'removed' ? '−' : ' '}
            </span>
            {l.kind === 'same' ? null : <span className="sr-only">{l.kind}: </span>}
            {l.text || ' '}
          </li>
        ),
      )}
    </ol>
  );
}

const shown = (value: unknown) => (value === undefined ? 'not set' : JSON.stringify(value));

/** A single value's change as a removed line and an added one. */
const valueChange = (before: string, after: string): DiffLine[] => [
  { kind: 'removed', text: before || '(empty)' },
  { kind: 'added', text: after || '(empty)' },
];

/** A list's change: what only the chosen version has, then what only the current one has. */
function listChange(before: string[], after: string[], nameOf: (id: string) => string): DiffLine[] {
  const { added, removed } = diffLists(before, after);
  return [
    ...removed.map((v): DiffLine => ({ kind: 'removed', text: nameOf(v) })),
    ...added.map((v): DiffLine => ({ kind: 'added', text: nameOf(v) })),
  ];
}

/** Every field that differs between a version and the agent now, as diff lines, in the form's order. */
function fieldChanges(
  version: AgentVersion['agent'],
  current: Agent,
  nameOf: (id: string) => string,
): Array<[field: string, lines: Array<DiffLine | Skipped>]> {
  const settings = changedKeys(version.modelSettings, current.modelSettings).flatMap(
    ({ key, before, after }): DiffLine[] => [
      { kind: 'removed', text: `${key}: ${shown(before)}` },
      { kind: 'added', text: `${key}: ${shown(after)}` },
    ],
  );
  return [
    ['Name', version.name === current.name ? [] : valueChange(version.name, current.name)],
    [
      'Description',
      version.description === current.description
        ? []
        : valueChange(version.description, current.description),
    ],
    ['Model', version.model === current.model ? [] : valueChange(version.model, current.model)],
    [
      'Instructions',
      version.instructions === current.instructions
        ? []
        : withContext(diffLines(version.instructions, current.instructions)),
    ],
    ['Tools', listChange(version.tools, current.tools, (t) => t)],
    ['Hand-offs', listChange(version.handoffs, current.handoffs, nameOf)],
    ['Model settings', settings],
  ];
}

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
                  <DiffRows lines={lines} label={`${field}: version ${version.version} against current`} />
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

/** The agent's versions, newest first; any earlier one can be compared with the current one and restored. */
function Versions({ agent, canRestore }: { agent: Agent; canRestore: boolean }) {
  const versions = useAgentVersions(agent.id);
  const restore = useRestoreVersion(agent.id);
  const queryClient = useQueryClient();
  const toast = useToast();
  const [selected, setSelected] = useState<number>();
  const chosen = versions.data?.find((v) => v.version === selected);
  const choose = (version: number | undefined) => {
    restore.reset();
    setSelected(version);
  };
  const restoreChosen = (version: AgentVersion) =>
    restore.mutate(
      { version, expectedVersion: agent.version },
      {
        onSuccess: (saved) => toast.notify(`Restored version ${version.version} as version ${saved.version}`),
      },
    );
  const reload = () => {
    restore.reset();
    void queryClient.invalidateQueries({ queryKey: ['agents'] });
  };
  const restoreControls = chosen ? (
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
            onClick={() => restoreChosen(chosen)}
          >
            {restore.isPending ? 'Restoring…' : `Restore version ${chosen.version}`}
          </button>
          <span className="muted small-inline">
            Saves its fields as a new version; the slug stays as it is.
          </span>
        </div>
      ) : null}
    </>
  ) : null;
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
      {chosen ? <VersionDiff version={chosen} current={agent} restore={restoreControls} /> : null}
    </section>
  );
}

/** Create (at /agents/new) or edit an agent: instructions, model, tools from the registry, hand-offs. */
export function AgentEditPage() {
  const { id } = useParams();
  const creating = id === undefined;
  const { can } = useSession();
  const readOnly = !can('agents:write');
  const navigate = useNavigate();
  const toast = useToast();
  const queryClient = useQueryClient();
  const agent = useQuery({
    queryKey: ['agents', 'one', id],
    queryFn: ({ signal }) =>
      unwrap(api.GET('/api/v1/agents/{id}', { params: { path: { id: id! } }, signal })),
    enabled: !creating,
  });
  const tools = useQuery({
    queryKey: ['tools'],
    queryFn: ({ signal }) => unwrap(api.GET('/api/v1/tools', { signal })).then((d) => d.items),
    enabled: can('tools:read'),
  });
  const agents = useAgents();
  const remove = useDeleteAgent();
  const [draft, setDraft] = useState<Draft>(EMPTY);
  useEffect(() => {
    if (agent.data) setDraft(draftOf(agent.data));
  }, [agent.data]);

  const save = useMutation({
    mutationFn: async (d: Draft) => {
      const body = {
        name: d.name.trim(),
        description: d.description,
        instructions: d.instructions,
        model: d.model.trim(),
        tools: d.tools,
        handoffs: d.handoffs,
      };
      if (creating) return unwrap(api.POST('/api/v1/agents', { body }));
      return unwrap(
        api.PATCH('/api/v1/agents/{id}', {
          params: { path: { id: id! } },
          body: { ...body, expectedVersion: agent.data?.version },
        }),
      );
    },
    onSuccess: (saved) => {
      void queryClient.invalidateQueries({ queryKey: ['agents'] });
      void queryClient.invalidateQueries({ queryKey: ['tools'] });
      toast.notify(creating ? `Agent ${saved.name} created` : `Saved version ${saved.version}`);
      if (creating) navigate(`/agents/${saved.id}`, { replace: true });
    },
  });

  // Deleted here or in another tab: whatever the cache still holds, the agent is gone.
  if (agent.error instanceof ApiError && agent.error.status === 404) {
    return (
      <div className="page-body">
        <Empty title="This agent no longer exists">
          It may have been deleted. <Link to="/agents">Back to the agents</Link>
        </Empty>
      </div>
    );
  }
  if (!creating && !agent.data) {
    return agent.error ? (
      <ErrorMessage error={agent.error} onRetry={() => void agent.refetch()} />
    ) : (
      <Loading />
    );
  }

  function submit(e: FormEvent) {
    e.preventDefault();
    save.mutate(draft);
  }

  function deleteAgent(a: Agent) {
    if (!confirmDelete(a)) return;
    remove.mutate(a, {
      onSuccess: () => {
        toast.notify(`Agent ${a.name} deleted`);
        navigate('/agents', { replace: true });
      },
    });
  }

  function reload() {
    save.reset();
    void queryClient.invalidateQueries({ queryKey: ['agents'] });
  }

  const others = (agents.data ?? []).filter((a) => a.id !== id);
  return (
    <div className="page-body">
      <p className="crumbs">
        <Link to="/agents">Agents</Link> / {creating ? 'New' : agent.data?.name}
      </p>
      <PageHeader title={creating ? 'New agent' : (agent.data?.name ?? '')}>
        {!creating && agent.data ? <span className="muted">version {agent.data.version}</span> : null}
        {!creating && agent.data && !readOnly ? (
          <button
            type="button"
            className="btn btn-danger"
            disabled={remove.isPending}
            onClick={() => agent.data && deleteAgent(agent.data)}
          >
            Delete agent
          </button>
        ) : null}
      </PageHeader>
      {remove.error ? (
        <DeleteProblem error={remove.error} agent={agent.data} onDismiss={() => remove.reset()} />
      ) : null}
      <form className="form card form-wide" onSubmit={submit}>
        <fieldset disabled={readOnly || save.isPending}>
          <div className="form-grid">
            <label>
              Name
              <input
                required
                maxLength={100}
                value={draft.name}
                onChange={(e) => setDraft({ ...draft, name: e.target.value })}
              />
            </label>
            <label>
              Model
              <input
                required
                value={draft.model}
                onChange={(e) => setDraft({ ...draft, model: e.target.value })}
                placeholder="provider:model"
                list="model-suggestions"
              />
              <datalist id="model-suggestions">
                <option value="builtin:scripted" />
              </datalist>
              <span className="hint">
                <code>provider:model</code>; <code>builtin:scripted</code> is the offline test model.
              </span>
            </label>
          </div>
          <label>
            Description
            <input
              value={draft.description}
              onChange={(e) => setDraft({ ...draft, description: e.target.value })}
            />
          </label>
          <label>
            Instructions
            <textarea
              rows={6}
              value={draft.instructions}
              onChange={(e) => setDraft({ ...draft, instructions: e.target.value })}
            />
          </label>
          <fieldset className="checks-group">
            <legend>Tools</legend>
            {!can('tools:read') ? (
              <p className="muted">Your role cannot see the tool registry.</p>
            ) : tools.error ? (
              <ErrorMessage error={tools.error} />
            ) : !tools.data ? (
              <Loading label="Loading tools…" />
            ) : (
              tools.data.map((t) => (
                <label key={t.name} className="check-row">
                  <input
                    type="checkbox"
                    checked={draft.tools.includes(t.name)}
                    onChange={(e) =>
                      setDraft({ ...draft, tools: toggle(draft.tools, t.name, e.target.checked) })
                    }
                  />
                  <span>
                    <code>{t.name}</code>
                    {t.requiresApproval ? <span className="tag tag-wait">needs approval</span> : null}
                    <span className="muted block">{t.description}</span>
                  </span>
                </label>
              ))
            )}
          </fieldset>
          <fieldset className="checks-group">
            <legend>Hand-offs</legend>
            {others.length === 0 ? (
              <p className="muted">No other agents to hand off to yet.</p>
            ) : (
              others.map((a) => (
                <label key={a.id} className="check-row">
                  <input
                    type="checkbox"
                    checked={draft.handoffs.includes(a.id)}
                    onChange={(e) =>
                      setDraft({ ...draft, handoffs: toggle(draft.handoffs, a.id, e.target.checked) })
                    }
                  />
                  <span>
                    {a.name} <span className="muted mono">{a.slug}</span>
                  </span>
                </label>
              ))
            )}
          </fieldset>
          {save.error ? (
            <SaveProblem error={save.error} refused="your changes were not saved" onReload={reload} />
          ) : null}
          {readOnly ? null : (
            <div className="row-actions">
              <button type="submit" className="btn btn-primary">
                {save.isPending ? 'Saving…' : creating ? 'Create agent' : 'Save changes'}
              </button>
              {!creating && can('chat:write') ? (
                <Link to={`/chat?agent=${id}`} className="btn btn-ghost">
                  Chat with this agent
                </Link>
              ) : null}
            </div>
          )}
        </fieldset>
      </form>
      {agent.data ? <Versions agent={agent.data} canRestore={!readOnly} /> : null}
    </div>
  );
}
