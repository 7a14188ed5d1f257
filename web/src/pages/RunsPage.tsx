import type { components } from '@switchboard/client';
import { Link, useSearchParams } from 'react-router';
import {
  Empty,
  ErrorMessage,
  Loading,
  MoreButton,
  PageHeader,
  StatusBadge,
  TimeAgo,
} from '../components/states.tsx';
import { VirtualTableBody } from '../components/VirtualRows.tsx';
import { useAgentName } from '../queries/agents.ts';
import { pagedItems } from '../queries/paging.ts';
import { useRunsList, useRunsLive } from '../queries/runs.ts';

type RunStatus = components['schemas']['Run']['status'];
const STATUSES: Array<{ value: RunStatus | ''; label: string }> = [
  { value: '', label: 'All' },
  { value: 'queued', label: 'Queued' },
  { value: 'running', label: 'Running' },
  { value: 'waiting_approval', label: 'Waiting for approval' },
  { value: 'succeeded', label: 'Succeeded' },
  { value: 'failed', label: 'Failed' },
  { value: 'cancelled', label: 'Cancelled' },
];

function duration(from: string | null, to: string | null): string {
  if (!from) return '—';
  const ms = (to ? new Date(to).getTime() : Date.now()) - new Date(from).getTime();
  if (ms < 1000) return `${ms} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  return `${Math.round(ms / 60_000)} min`;
}

export function RunsPage() {
  const [params, setParams] = useSearchParams();
  const status = (params.get('status') ?? '') as RunStatus | '';
  const agentName = useAgentName();
  const runs = useRunsList(status);
  useRunsLive();
  const items = pagedItems(runs.data);

  return (
    <div className="page-body">
      <PageHeader title="Runs">
        <label className="inline-field">
          <span>Status</span>
          <select
            value={status}
            onChange={(e) => setParams(e.target.value ? { status: e.target.value } : {})}
            data-testid="runs-status-filter"
          >
            {STATUSES.map((s) => (
              <option key={s.value} value={s.value}>
                {s.label}
              </option>
            ))}
          </select>
        </label>
      </PageHeader>
      {runs.error && !runs.data ? (
        <ErrorMessage error={runs.error} onRetry={() => void runs.refetch()} />
      ) : !runs.data ? (
        <Loading label="Loading runs…" />
      ) : items.length === 0 ? (
        <Empty title={status ? 'No runs with this status' : 'No runs yet'}>
          Runs start from chat or from <code>POST /api/v1/runs</code>.
        </Empty>
      ) : (
        <div className="card table-wrap">
          <table className="table">
            <thead>
              <tr>
                <th>Input</th>
                <th>Agent</th>
                <th>Status</th>
                <th>Started</th>
                <th>Took</th>
              </tr>
            </thead>
            <VirtualTableBody items={items} columns={5}>
              {(run, row) => (
                <tr key={run.id} data-testid="run-row" {...row}>
                  <td className="cell-main">
                    <Link to={`/runs/${run.id}`}>{run.input.split('\n')[0]?.slice(0, 80) || run.id}</Link>
                    <div className="muted mono small-inline">{run.id}</div>
                  </td>
                  <td>{agentName(run.agentId)}</td>
                  <td>
                    <StatusBadge status={run.status} testId="run-status" />
                  </td>
                  <td>
                    <TimeAgo iso={run.createdAt} />
                  </td>
                  <td>{duration(run.startedAt, run.finishedAt)}</td>
                </tr>
              )}
            </VirtualTableBody>
          </table>
        </div>
      )}
      <MoreButton query={runs} />
      {runs.error && runs.data ? <ErrorMessage error={runs.error} /> : null}
    </div>
  );
}
