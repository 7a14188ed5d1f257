import type { ReactNode } from 'react';
import { describeError } from '../api/errors.ts';

export function Loading({ label = 'Loading…' }: { label?: string }) {
  return (
    <div className="state state-loading" role="status" aria-live="polite">
      <span className="spinner" aria-hidden="true" />
      {label}
    </div>
  );
}

export function Empty({ title, children }: { title: string; children?: ReactNode }) {
  return (
    <div className="state state-empty">
      <p className="state-title">{title}</p>
      {children ? <div className="muted">{children}</div> : null}
    </div>
  );
}

/** Any error as a sentence, with its request id so support can find it in the logs. */
export function ErrorMessage({ error, onRetry }: { error: unknown; onRetry?: () => void }) {
  const { message, requestId, code } = describeError(error);
  const forbidden = code === 'forbidden' || code === 'insufficient_permissions';
  return (
    <div className={`problem ${forbidden ? 'problem-soft' : ''}`} role="alert">
      <span>{message}</span>
      {requestId ? <span className="request-id"> (request {requestId})</span> : null}
      {onRetry ? (
        <button type="button" className="btn btn-small" onClick={onRetry}>
          Try again
        </button>
      ) : null}
    </div>
  );
}

/** A query's three states in one place; children render only with data. */
export function QueryState<T>({
  query,
  children,
  loading,
}: {
  query: { data: T | undefined; error: unknown; isPending: boolean; refetch: () => unknown };
  children: (data: T) => ReactNode;
  loading?: string;
}) {
  if (query.data !== undefined) return <>{children(query.data)}</>;
  if (query.error) return <ErrorMessage error={query.error} onRetry={() => void query.refetch()} />;
  return <Loading {...(loading ? { label: loading } : {})} />;
}

/**
 * The button under a paged list that asks for its next page (with the cursor), saying so while it comes;
 * nothing once the last page is in.
 */
export function MoreButton({
  query,
  label = 'Load more',
  small = false,
}: {
  query: { hasNextPage: boolean; isFetchingNextPage: boolean; fetchNextPage: () => unknown };
  label?: string;
  small?: boolean;
}) {
  if (!query.hasNextPage) return null;
  return (
    <button
      type="button"
      className={small ? 'btn btn-small' : 'btn'}
      onClick={() => void query.fetchNextPage()}
      disabled={query.isFetchingNextPage}
    >
      {query.isFetchingNextPage ? 'Loading…' : label}
    </button>
  );
}

export function PageHeader({ title, children }: { title: string; children?: ReactNode }) {
  return (
    <div className="page-header">
      <h1>{title}</h1>
      {children ? <div className="page-actions">{children}</div> : null}
    </div>
  );
}

const RUN_LABELS: Record<string, string> = {
  queued: 'Queued',
  running: 'Running',
  waiting_approval: 'Waiting for approval',
  succeeded: 'Succeeded',
  failed: 'Failed',
  cancelled: 'Cancelled',
  healthy: 'Healthy',
  degraded: 'Degraded',
  failing: 'Failing',
  idle: 'Idle',
  open: 'Open',
  closed: 'Closed',
};

const TONES: Record<string, string> = {
  succeeded: 'ok',
  healthy: 'ok',
  failed: 'bad',
  failing: 'bad',
  waiting_approval: 'wait',
  degraded: 'wait',
  running: 'info',
  queued: 'info',
};

export function StatusBadge({ status, testId }: { status: string; testId?: string }) {
  return (
    <span className={`badge badge-${TONES[status] ?? 'neutral'}`} data-testid={testId}>
      {RUN_LABELS[status] ?? status}
    </span>
  );
}

export function TimeAgo({ iso }: { iso: string | null | undefined }) {
  if (!iso) return <span className="muted">—</span>;
  const date = new Date(iso);
  return (
    <time dateTime={iso} title={date.toLocaleString()}>
      {relative(date)}
    </time>
  );
}

export function relative(date: Date, now = Date.now()): string {
  const s = Math.round((now - date.getTime()) / 1000);
  if (s < 5) return 'just now';
  if (s < 60) return `${s} s ago`;
  if (s < 3600) return `${Math.floor(s / 60)} min ago`;
  if (s < 86400) return `${Math.floor(s / 3600)} h ago`;
  return date.toLocaleDateString();
}
