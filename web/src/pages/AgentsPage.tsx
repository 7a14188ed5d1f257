import type { components } from '@switchboard/client';
import { Link } from 'react-router';
import { confirmDelete, DeleteProblem } from '../agents/AgentDelete.tsx';
import { useSession } from '../auth/SessionContext.tsx';
import { Empty, PageHeader, QueryState, StatusBadge, TimeAgo } from '../components/states.tsx';
import { useToast } from '../components/Toasts.tsx';
import { useAgents, useAgentsHealth, useDeleteAgent } from '../queries/agents.ts';

type Agent = components['schemas']['Agent'];
type AgentHealth = components['schemas']['AgentHealth'];

/** An agent's health over the last 24 h: '…' until the first answer, 'unknown' when there is none. */
function Health({ health, unknown }: { health: AgentHealth | undefined; unknown: boolean }) {
  if (!health) return <span className="muted">{unknown ? 'unknown' : '…'}</span>;
  return (
    <span className="health">
      <StatusBadge status={health.status} testId="agent-health" />
      <span className="muted small-inline">
        {health.requests} calls
        {health.successRate !== null ? ` · ${Math.round(health.successRate * 100)}% ok` : ''}
        {health.latencyMs.p50 !== null ? ` · p50 ${health.latencyMs.p50} ms` : ''}
      </span>
    </span>
  );
}

export function AgentsPage() {
  const { can } = useSession();
  const agents = useAgents();
  const health = useAgentsHealth(agents.data?.map((a) => a.id) ?? []);
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
                        <Health
                          health={health.data?.get(a.id)}
                          unknown={health.isError || (health.isSuccess && !health.isPlaceholderData)}
                        />
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
