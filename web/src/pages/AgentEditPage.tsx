import type { components } from '@switchboard/client';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { type FormEvent, useEffect, useState } from 'react';
import { Link, useNavigate, useParams } from 'react-router';
import { api, unwrap } from '../api/client.ts';
import { useSession } from '../auth/SessionContext.tsx';
import { ErrorMessage, Loading, PageHeader, QueryState, TimeAgo } from '../components/states.tsx';
import { useToast } from '../components/Toasts.tsx';
import { useAgents } from '../queries/agents.ts';

type Agent = components['schemas']['Agent'];

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

function Versions({ id }: { id: string }) {
  const versions = useQuery({
    queryKey: ['agents', 'versions', id],
    queryFn: ({ signal }) =>
      unwrap(api.GET('/api/v1/agents/{id}/versions', { params: { path: { id } }, signal })).then(
        (d) => d.items,
      ),
  });
  return (
    <section aria-labelledby="versions-heading">
      <h2 id="versions-heading" className="section-title">
        Versions
      </h2>
      <QueryState query={versions}>
        {(items) => (
          <ul className="card list">
            {items.map((v) => (
              <li key={v.version} className="list-row">
                <span>
                  Version {v.version} <span className="muted">· {v.agent.model}</span>
                </span>
                <span className="muted small-inline">
                  <TimeAgo iso={v.createdAt} />
                </span>
              </li>
            ))}
          </ul>
        )}
      </QueryState>
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

  const others = (agents.data ?? []).filter((a) => a.id !== id);
  return (
    <div className="page-body">
      <p className="crumbs">
        <Link to="/agents">Agents</Link> / {creating ? 'New' : agent.data?.name}
      </p>
      <PageHeader title={creating ? 'New agent' : (agent.data?.name ?? '')}>
        {!creating && agent.data ? <span className="muted">version {agent.data.version}</span> : null}
      </PageHeader>
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
          {save.error ? <ErrorMessage error={save.error} /> : null}
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
      {!creating && id ? <Versions id={id} /> : null}
    </div>
  );
}
