import { DEFAULT_FILTERS, type IssueFilters } from '../queries/errors.ts';
import { LEVELS, STATUSES } from './badges.tsx';

const SORTS: ReadonlyArray<IssueFilters['sort']> = ['lastSeen', 'firstSeen', 'count'];

/**
 * The list's filters as the address keeps them (`?status=resolved&q=timeout`), so a filtered list can be
 * bookmarked, shared and gone back to. Only what differs from the defaults is written; `status=all`
 * stands for "any status", since no status means unresolved.
 */
export function filtersFromParams(params: URLSearchParams): IssueFilters {
  const status = params.get('status');
  const level = params.get('level');
  const sort = params.get('sort');
  return {
    projectId: params.get('project') ?? '',
    status:
      status === 'all' ? '' : (STATUSES.find((s) => s.value === status)?.value ?? DEFAULT_FILTERS.status),
    level: LEVELS.find((l) => l.value === level)?.value ?? '',
    q: params.get('q') ?? '',
    sort: SORTS.find((s) => s === sort) ?? DEFAULT_FILTERS.sort,
  };
}

export function paramsOf(filters: IssueFilters): URLSearchParams {
  const params = new URLSearchParams();
  if (filters.projectId) params.set('project', filters.projectId);
  if (filters.status !== DEFAULT_FILTERS.status) params.set('status', filters.status || 'all');
  if (filters.level) params.set('level', filters.level);
  if (filters.q) params.set('q', filters.q);
  if (filters.sort !== DEFAULT_FILTERS.sort) params.set('sort', filters.sort);
  return params;
}
