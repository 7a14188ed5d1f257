import { useEffect, useRef, useState } from 'react';
import { FilterSelect } from '../components/FilterSelect.tsx';
import { DEFAULT_FILTERS, type ErrorProject, type IssueFilters } from '../queries/errors.ts';
import { LEVELS, STATUSES } from './badges.tsx';

/** Typing pauses this long before the search goes to the server. */
const SEARCH_DELAY_MS = 250;

const SORTS: ReadonlyArray<{ value: IssueFilters['sort']; label: string }> = [
  { value: 'lastSeen', label: 'Last seen' },
  { value: 'firstSeen', label: 'First seen' },
  { value: 'count', label: 'Events' },
];

/**
 * The list's filters: search (title, culprit, message; sent once typing pauses), project, status, level
 * and order. `/` anywhere on the page jumps to the search.
 */
export function IssueFiltersBar({
  filters,
  projects,
  onChange,
}: {
  filters: IssueFilters;
  projects: ErrorProject[];
  onChange: (f: IssueFilters) => void;
}) {
  const set = <K extends keyof IssueFilters>(key: K, value: IssueFilters[K]) =>
    onChange({ ...filters, [key]: value });
  const [q, setQ] = useState(filters.q);
  const search = useRef<HTMLInputElement>(null);
  const latest = useRef({ filters, onChange });
  latest.current = { filters, onChange };
  // The address may change the search (back, a link): the field follows.
  useEffect(() => setQ(filters.q), [filters.q]);
  useEffect(() => {
    if (q === latest.current.filters.q) return;
    const t = setTimeout(() => latest.current.onChange({ ...latest.current.filters, q }), SEARCH_DELAY_MS);
    return () => clearTimeout(t);
  }, [q]);
  useEffect(() => {
    function onKey(e: KeyboardEvent) {
      const target = e.target as HTMLElement | null;
      if (e.key !== '/' || e.ctrlKey || e.metaKey || e.altKey) return;
      if (target?.closest('input, textarea, select, [contenteditable="true"]')) return;
      e.preventDefault();
      search.current?.focus();
    }
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, []);
  return (
    <search className="task-filters" aria-label="Filter issues">
      <label className="inline-field">
        <span>
          Search <kbd className="kbd">/</kbd>
        </span>
        <input
          ref={search}
          type="search"
          value={q}
          onChange={(e) => setQ(e.target.value)}
          placeholder="Title, culprit or message"
          data-testid="issue-search"
        />
      </label>
      <FilterSelect
        label="Project"
        value={filters.projectId}
        onChange={(v) => set('projectId', v)}
        any="All projects"
        options={projects.map((p) => ({ value: p.id, label: p.name }))}
        testId="issue-project"
      />
      <FilterSelect
        label="Status"
        value={filters.status}
        onChange={(v) => set('status', v)}
        any="Any"
        options={STATUSES}
        testId="issue-status-filter"
      />
      <FilterSelect
        label="Level"
        value={filters.level}
        onChange={(v) => set('level', v)}
        any="Any"
        options={LEVELS}
      />
      <FilterSelect
        label="Sort by"
        value={filters.sort}
        onChange={(v) => set('sort', v || DEFAULT_FILTERS.sort)}
        options={SORTS}
      />
    </search>
  );
}
