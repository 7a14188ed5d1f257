import type { components } from '@switchboard/client';
import { type FormEvent, useEffect, useRef, useState } from 'react';
import { Link, useNavigate, useParams } from 'react-router';
import { confirmDelete, DeleteProblem } from '../agents/AgentDelete.tsx';
import { AgentVersions } from '../agents/AgentVersions.tsx';
import { GuardrailsEditor } from '../agents/GuardrailsEditor.tsx';
import {
  draftOfGuardrail,
  type GuardrailDraft,
  guardrailOfDraft,
  guardrailsValid,
} from '../agents/guardrails.ts';
import { SaveProblem } from '../agents/SaveProblem.tsx';
import { ApiError } from '../api/errors.ts';
import { useSession } from '../auth/SessionContext.tsx';
import { Empty, ErrorMessage, Loading, PageHeader } from '../components/states.tsx';
import { useToast } from '../components/Toasts.tsx';
import {
  useAgent,
  useAgents,
  useDeleteAgent,
  useReloadAgents,
  useSaveAgent,
  useTools,
} from '../queries/agents.ts';

type Agent = components['schemas']['Agent'];

interface Draft {
  name: string;
  description: string;
  instructions: string;
  model: string;
  tools: string[];
  handoffs: string[];
  guardrails: GuardrailDraft[];
}

const EMPTY: Draft = {
  name: '',
  description: '',
  instructions: 'You are a helpful assistant.',
  model: 'builtin:scripted',
  tools: [],
  handoffs: [],
  guardrails: [],
};

function draftOf(a: Agent): Draft {
  return {
    name: a.name,
    description: a.description,
    instructions: a.instructions,
    model: a.model,
    tools: a.tools,
    handoffs: a.handoffs,
    guardrails: a.guardrails.map(draftOfGuardrail),
  };
}

/** What a save sends: the form's fields, trimmed where the server would refuse spaces. */
function bodyOf(d: Draft) {
  return {
    name: d.name.trim(),
    description: d.description,
    instructions: d.instructions,
    model: d.model.trim(),
    tools: d.tools,
    handoffs: d.handoffs,
    guardrails: d.guardrails.map(guardrailOfDraft),
  };
}

const toggle = (list: string[], value: string, on: boolean) =>
  on ? [...new Set([...list, value])] : list.filter((v) => v !== value);

/** Create (at /agents/new) or edit an agent: instructions, model, tools from the registry, hand-offs, guardrails. */
export function AgentEditPage() {
  const { id } = useParams();
  const creating = id === undefined;
  const { can } = useSession();
  const readOnly = !can('agents:write');
  const navigate = useNavigate();
  const toast = useToast();
  const agent = useAgent(id);
  const tools = useTools(can('tools:read'));
  const reloadAgents = useReloadAgents();
  const agents = useAgents();
  const remove = useDeleteAgent();
  const [draft, setDraft] = useState<Draft>(EMPTY);
  // Set by the first attempt to save: from then on the guardrails say what is wrong with them.
  const [checked, setChecked] = useState(false);
  const form = useRef<HTMLFormElement>(null);
  useEffect(() => {
    if (!agent.data) return;
    setDraft(draftOf(agent.data));
    setChecked(false);
  }, [agent.data]);

  const save = useSaveAgent(id);

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
    setChecked(true);
    if (guardrailsValid(draft.guardrails)) {
      save.mutate(
        { body: bodyOf(draft), expectedVersion: agent.data?.version },
        {
          onSuccess: (saved) => {
            toast.notify(creating ? `Agent ${saved.name} created` : `Saved version ${saved.version}`);
            if (creating) navigate(`/agents/${saved.id}`, { replace: true });
          },
        },
      );
      return;
    }
    // Rendered with its message by the next frame: take the keyboard to the first field to fix.
    requestAnimationFrame(() => form.current?.querySelector<HTMLElement>('[aria-invalid="true"]')?.focus());
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
    reloadAgents();
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
      <form ref={form} className="form card form-wide" onSubmit={submit}>
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
          <GuardrailsEditor
            rules={draft.guardrails}
            onChange={(guardrails) => setDraft({ ...draft, guardrails })}
            checked={checked}
            saveError={save.error}
            readOnly={readOnly}
          />
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
      {agent.data ? <AgentVersions agent={agent.data} canRestore={!readOnly} /> : null}
    </div>
  );
}
