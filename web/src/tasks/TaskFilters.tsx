import { FilterSelect } from '../components/FilterSelect.tsx';
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
        <FilterSelect
          label="Status"
          value={filters.status}
          onChange={(v) => set('status', v)}
          any="Any"
          options={STATUSES}
        />
      ) : null}
      <FilterSelect
        label="Assignee"
        value={filters.assignee}
        onChange={(v) => set('assignee', v)}
        any="Anyone"
        options={[{ value: 'none', label: 'Unassigned' }, ...options.agents, ...options.members]}
      />
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
