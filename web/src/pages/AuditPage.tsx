import { type FormEvent, useState } from 'react';
import { useSearchParams } from 'react-router';
import { Empty, ErrorMessage, Loading, MoreButton, PageHeader } from '../components/states.tsx';
import { useToast } from '../components/Toasts.tsx';
import { VirtualTableBody } from '../components/VirtualRows.tsx';
import { type AuditFilters, useAuditExport, useAuditLog } from '../queries/audit.ts';
import { pagedItems } from '../queries/paging.ts';

const FILTERS = ['action', 'resourceType', 'actor', 'outcome', 'since', 'until'] as const;
type Filter = (typeof FILTERS)[number];

/** The filters in the URL, as the API takes them (dates from the date inputs become UTC day bounds). */
function queryOf(params: URLSearchParams): AuditFilters {
  const get = (k: Filter) => params.get(k) || undefined;
  const since = get('since');
  const until = get('until');
  const outcome = get('outcome');
  return {
    ...(get('action') ? { action: get('action') } : {}),
    ...(get('resourceType') ? { resourceType: get('resourceType') } : {}),
    ...(get('actor') ? { actor: get('actor') } : {}),
    ...(outcome === 'success' || outcome === 'failure' ? { outcome: outcome as 'success' | 'failure' } : {}),
    ...(since ? { since: `${since}T00:00:00.000Z` } : {}),
    ...(until ? { until: `${until}T23:59:59.999Z` } : {}),
  };
}

export function AuditPage() {
  const [params, setParams] = useSearchParams();
  const toast = useToast();
  const filters = queryOf(params);
  const [draft, setDraft] = useState<Record<Filter, string>>(
    () => Object.fromEntries(FILTERS.map((k) => [k, params.get(k) ?? ''])) as Record<Filter, string>,
  );
  const audit = useAuditLog(filters);
  const exportCsv = useAuditExport(filters);

  function apply(e: FormEvent) {
    e.preventDefault();
    setParams(Object.fromEntries(Object.entries(draft).filter(([, v]) => v.trim() !== '')));
  }
  const items = pagedItems(audit.data);
  const field = (k: Filter, label: string, type = 'text') => (
    <label>
      {label}
      <input type={type} value={draft[k]} onChange={(e) => setDraft({ ...draft, [k]: e.target.value })} />
    </label>
  );

  return (
    <div className="page-body">
      <PageHeader title="Audit log">
        <button
          type="button"
          className="btn"
          onClick={() => exportCsv.mutate(undefined, { onError: (err) => toast.fail(err) })}
          disabled={exportCsv.isPending}
        >
          {exportCsv.isPending ? 'Exporting…' : 'Export CSV'}
        </button>
      </PageHeader>
      <form className="form card" onSubmit={apply} aria-label="Filters">
        <div className="form-grid form-grid-tight">
          {field('action', 'Action')}
          {field('resourceType', 'Resource type')}
          {field('actor', 'Actor id')}
          <label>
            Outcome
            <select value={draft.outcome} onChange={(e) => setDraft({ ...draft, outcome: e.target.value })}>
              <option value="">Any</option>
              <option value="success">Success</option>
              <option value="failure">Failure</option>
            </select>
          </label>
          {field('since', 'From', 'date')}
          {field('until', 'To', 'date')}
        </div>
        <div className="row-actions">
          <button type="submit" className="btn btn-primary">
            Apply filters
          </button>
          {params.size > 0 ? (
            <button
              type="button"
              className="btn btn-ghost"
              onClick={() => {
                setDraft(Object.fromEntries(FILTERS.map((k) => [k, ''])) as Record<Filter, string>);
                setParams({});
              }}
            >
              Clear
            </button>
          ) : null}
        </div>
      </form>
      {audit.error && !audit.data ? (
        <ErrorMessage error={audit.error} onRetry={() => void audit.refetch()} />
      ) : !audit.data ? (
        <Loading label="Loading the audit log…" />
      ) : items.length === 0 ? (
        <Empty title="Nothing matches these filters" />
      ) : (
        <div className="card table-wrap">
          <table className="table">
            <thead>
              <tr>
                <th>When</th>
                <th>Who</th>
                <th>Action</th>
                <th>Resource</th>
                <th>Outcome</th>
                <th>Request</th>
              </tr>
            </thead>
            <VirtualTableBody items={items} columns={6}>
              {(e, row) => (
                <tr key={e.id} data-testid="audit-row" {...row}>
                  <td className="small-inline">
                    <time dateTime={e.at}>{new Date(e.at).toLocaleString()}</time>
                  </td>
                  <td className="small-inline">
                    {e.actor.type}
                    {e.actor.id ? <div className="muted mono">{e.actor.id}</div> : null}
                  </td>
                  <td>
                    <code>{e.action}</code>
                  </td>
                  <td className="small-inline">
                    {e.resource?.type ?? '—'}
                    {e.resource?.id ? <div className="muted mono">{e.resource.id}</div> : null}
                  </td>
                  <td>
                    <span className={`badge ${e.outcome === 'success' ? 'badge-ok' : 'badge-bad'}`}>
                      {e.outcome}
                      {e.status ? ` ${e.status}` : ''}
                    </span>
                  </td>
                  <td className="muted mono small-inline">{e.requestId ?? '—'}</td>
                </tr>
              )}
            </VirtualTableBody>
          </table>
        </div>
      )}
      <MoreButton query={audit} />
    </div>
  );
}
