import type { TaskFilters } from '../queries/tasks.ts';
import { STATUSES, useAssignees } from './assignees.ts';

/** The list's filters; the board leaves out status (its columns are the statuses). */
export function TaskFiltersBar({
  filters,
  onChange,
  withStatus,
}: {
  filters: TaskFilters;
  onChange: (f: TaskFilters) => void;
  withStatus: boolean;
}) {
  const { options } = useAssignees();
  const set = <K extends keyof TaskFilters>(key: K, value: TaskFilters[K]) =>
    onChange({ ...filters, [key]: value });
  return (
    <search className="task-filters" aria-label="Filter tasks">
      <label className="inline-field">
        <span>Search</span>
        <input
          type="search"
          value={filters.q}
          onChange={(e) => set('q', e.target.value)}
          placeholder="Title or description"
          data-testid="task-search"
        />
      </label>
      {withStatus ? (
        <label className="inline-field">
          <span>Status</span>
          <select
            value={filters.status}
            onChange={(e) => set('status', e.target.value as TaskFilters['status'])}
          >
            <option value="">Any</option>
            {STATUSES.map((s) => (
              <option key={s.value} value={s.value}>
                {s.label}
              </option>
            ))}
          </select>
        </label>
      ) : null}
      <label className="inline-field">
        <span>Assignee</span>
        <select value={filters.assignee} onChange={(e) => set('assignee', e.target.value)}>
          <option value="">Anyone</option>
          <option value="none">Unassigned</option>
          {[...options.agents, ...options.members].map((o) => (
            <option key={o.value} value={o.value}>
              {o.label}
            </option>
          ))}
        </select>
      </label>
      <label className="inline-field">
        <span>Label</span>
        <input value={filters.label} onChange={(e) => set('label', e.target.value)} size={10} />
      </label>
      <label className="inline-check">
        <input type="checkbox" checked={filters.overdue} onChange={(e) => set('overdue', e.target.checked)} />
        <span>Overdue only</span>
      </label>
    </search>
  );
}
