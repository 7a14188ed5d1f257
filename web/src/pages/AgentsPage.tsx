import type { components } from '@switchboard/client';
import { useQuery } from '@tanstack/react-query';
import { Link } from 'react-router';
import { api, unwrap } from '../api/client.ts';
import { useSession } from '../auth/SessionContext.tsx';
import { Empty, ErrorMessage, PageHeader, QueryState, StatusBadge, TimeAgo } from '../components/states.tsx';
import { useToast } from '../components/Toasts.tsx';
import { handoffReferrers, useAgentName, useAgents, useDeleteAgent } from '../queries/agents.ts';

type Agent = components['schemas']['Agent'];

/** Health over the last 24 h, refreshed every 30 s while the page is open. */
function Health({ agentId }: { agentId: string }) {
  const health = useQuery({
    queryKey: ['agents', 'health', agentId],
    queryFn: ({ signal }) =>
      unwrap(
        api.GET('/api/v1/agents/{id}/health', {
          params: { path: { id: agentId }, query: { window: '24h' } },
          signal,
        }),
      ),
    refetchInterval: 30_000,
  });
  if (!health.data) return <span className="muted">{health.error ? 'unknown' : '…'}</span>;
  const h = health.data;
  return (
    <span className="health">
      <StatusBadge status={h.status} testId="agent-health" />
      <span className="muted small-inline">
        {h.requests} calls
        {h.successRate !== null ? ` · ${Math.round(h.successRate * 100)}% ok` : ''}
        {h.latencyMs.p50 !== null ? ` · p50 ${h.latencyMs.p50} ms` : ''}
      </span>
    </span>
  );
}

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

export function AgentsPage() {
  const { can } = useSession();
  const agents = useAgents();
  const toast = useToast();
  const remove = useDeleteAgent();
  const canWrite = can('agents:write');
  const deleteAgent = (agent: Agent) => {
    if (!confirmDelete(agent)) return;
    remove.mutate(agent, { onSuccess: () => toast.notify(`Agent ${agent.name} deleted`) });
  };
  return (
    <div className="page-body">
      <PageHeader title="Agents">
        {canWrite ? (
          <Link to="/agents/new" className="btn btn-primary">
            New agent
          </Link>
        ) : null}
      </PageHeader>
      {remove.error ? (
        <DeleteProblem error={remove.error} agent={remove.variables} onDismiss={() => remove.reset()} />
      ) : null}
      <QueryState query={agents} loading="Loading agents…">
        {(items) =>
          items.length === 0 ? (
            <Empty title="No agents yet">
              {can('agents:write') ? (
                <Link to="/agents/new">Create the first one</Link>
              ) : (
                'Someone with the agents:write permission can create one.'
              )}
            </Empty>
          ) : (
            <div className="card table-wrap">
              <table className="table">
                <thead>
                  <tr>
                    <th>Name</th>
                    <th>Model</th>
                    <th>Tools</th>
                    <th>Health (24 h)</th>
                    <th>Changed</th>
                    {canWrite ? (
                      <th>
                        <span className="sr-only">Actions</span>
                      </th>
                    ) : null}
                  </tr>
                </thead>
                <tbody>
                  {items.map((a) => (
                    <tr key={a.id} data-testid="agent-row">
                      <td className="cell-main">
                        <Link to={`/agents/${a.id}`}>{a.name}</Link>
                        <div className="muted mono small-inline">{a.slug}</div>
                      </td>
                      <td>
                        <code>{a.model}</code>
                        {a.model.startsWith('builtin:') ? (
                          <span className="tag">built-in test model</span>
                        ) : null}
                      </td>
                      <td>{a.tools.length ? a.tools.join(', ') : <span className="muted">none</span>}</td>
                      <td>
                        <Health agentId={a.id} />
                      </td>
                      <td>
                        <TimeAgo iso={a.updatedAt} />
                      </td>
                      {canWrite ? (
                        <td>
                          <button
                            type="button"
                            className="btn btn-small btn-danger"
                            aria-label={`Delete ${a.name}`}
                            disabled={remove.isPending && remove.variables?.id === a.id}
                            onClick={() => deleteAgent(a)}
                          >
                            Delete
                          </button>
                        </td>
                      ) : null}
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          )
        }
      </QueryState>
    </div>
  );
}
