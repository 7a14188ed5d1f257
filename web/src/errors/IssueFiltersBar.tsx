import { useEffect, useRef, useState } from 'react';
import type { ErrorProject, IssueFilters } from '../queries/errors.ts';
import { LEVELS, STATUSES } from './badges.tsx';

/** Typing pauses this long before the search goes to the server. */
const SEARCH_DELAY_MS = 250;

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
      <label className="inline-field">
        <span>Project</span>
        <select
          value={filters.projectId}
          onChange={(e) => set('projectId', e.target.value)}
          data-testid="issue-project"
        >
          <option value="">All projects</option>
          {projects.map((p) => (
            <option key={p.id} value={p.id}>
              {p.name}
            </option>
          ))}
        </select>
      </label>
      <label className="inline-field">
        <span>Status</span>
        <select
          value={filters.status}
          onChange={(e) => set('status', e.target.value as IssueFilters['status'])}
          data-testid="issue-status-filter"
        >
          <option value="">Any</option>
          {STATUSES.map((s) => (
            <option key={s.value} value={s.value}>
              {s.label}
            </option>
          ))}
        </select>
      </label>
      <label className="inline-field">
        <span>Level</span>
        <select value={filters.level} onChange={(e) => set('level', e.target.value as IssueFilters['level'])}>
          <option value="">Any</option>
          {LEVELS.map((l) => (
            <option key={l.value} value={l.value}>
              {l.label}
            </option>
          ))}
        </select>
      </label>
      <label className="inline-field">
        <span>Sort by</span>
        <select value={filters.sort} onChange={(e) => set('sort', e.target.value as IssueFilters['sort'])}>
          <option value="lastSeen">Last seen</option>
          <option value="firstSeen">First seen</option>
          <option value="count">Events</option>
        </select>
      </label>
    </search>
  );
}
