import type { components } from '@switchboard/client';
import { Link } from 'react-router';
import { confirmDelete, DeleteProblem } from '../agents/AgentDelete.tsx';
import { useSession } from '../auth/SessionContext.tsx';
import { ConfirmButton, ResourcePage } from '../components/ResourcePage.tsx';
import { Empty, StatusBadge, TimeAgo } from '../components/states.tsx';
import { useToast } from '../components/Toasts.tsx';
import { useAgents, useAgentsHealth, useDeleteAgent } from '../queries/agents.ts';

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
  return (
    <ResourcePage
      title="Agents"
      actions={
        canWrite ? (
          <Link to="/agents/new" className="btn btn-primary">
            New agent
          </Link>
        ) : null
      }
      notice={
        remove.error ? (
          <DeleteProblem error={remove.error} agent={remove.variables} onDismiss={() => remove.reset()} />
        ) : null
      }
      query={agents}
      loading="Loading agents…"
      empty={
        <Empty title="No agents yet">
          {canWrite ? (
            <Link to="/agents/new">Create the first one</Link>
          ) : (
            'Someone with the agents:write permission can create one.'
          )}
        </Empty>
      }
      rowTestId="agent-row"
      name={{ main: (a) => <Link to={`/agents/${a.id}`}>{a.name}</Link>, under: (a) => a.slug }}
      columns={[
        {
          header: 'Model',
          cell: (a) => (
            <>
              <code>{a.model}</code>
              {a.model.startsWith('builtin:') ? <span className="tag">built-in test model</span> : null}
            </>
          ),
        },
        {
          header: 'Tools',
          cell: (a) => (a.tools.length ? a.tools.join(', ') : <span className="muted">none</span>),
        },
        {
          header: 'Health (24 h)',
          cell: (a) => (
            <Health
              health={health.data?.get(a.id)}
              unknown={health.isError || (health.isSuccess && !health.isPlaceholderData)}
            />
          ),
        },
        { header: 'Changed', cell: (a) => <TimeAgo iso={a.updatedAt} /> },
      ]}
      rowActions={
        canWrite
          ? (a) => (
              <ConfirmButton
                question={() => confirmDelete(a)}
                label={`Delete ${a.name}`}
                disabled={remove.isPending && remove.variables?.id === a.id}
                onConfirm={() =>
                  remove.mutate(a, { onSuccess: () => toast.notify(`Agent ${a.name} deleted`) })
                }
              >
                Delete
              </ConfirmButton>
            )
          : undefined
      }
    />
  );
}
