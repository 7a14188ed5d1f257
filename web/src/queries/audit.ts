import type { paths } from '@switchboard/client';
import { useInfiniteQuery, useMutation } from '@tanstack/react-query';
import { api, unwrap } from '../api/client.ts';
import { keys } from './keys.ts';
import { cursorPages } from './paging.ts';

/** The audit log's filters, as `GET /audit` takes them. */
export type AuditFilters = Omit<
  NonNullable<paths['/api/v1/audit']['get']['parameters']['query']>,
  'limit' | 'cursor' | 'format'
>;

/** The audit entries that match, newest first, 100 a page. */
export function useAuditLog(filters: AuditFilters) {
  return useInfiniteQuery({
    queryKey: keys.audit(filters),
    ...cursorPages((cursor, signal) =>
      unwrap(api.GET('/api/v1/audit', { params: { query: { limit: 100, ...filters, ...cursor } }, signal })),
    ),
  });
}

/** Downloads every entry that matches as a CSV file. */
export function useAuditExport(filters: AuditFilters) {
  return useMutation({
    mutationFn: async () => {
      const blob = await unwrap(
        api.GET('/api/v1/audit', { params: { query: { ...filters, format: 'csv' } }, parseAs: 'blob' }),
      );
      const url = URL.createObjectURL(blob as Blob);
      const a = document.createElement('a');
      a.href = url;
      a.download = `audit-${new Date().toISOString().slice(0, 10)}.csv`;
      a.click();
      setTimeout(() => URL.revokeObjectURL(url), 10_000);
    },
  });
}
