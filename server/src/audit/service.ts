import type { FastifyBaseLogger } from 'fastify';
import type { Principal } from '../platform/auth.ts';
import type { FeedPosition } from '../platform/db/feed.ts';
import type { Db, Tx } from '../platform/db/index.ts';
import { Errors } from '../platform/errors.ts';
import type { RequestMeta } from '../platform/http.ts';
import { newId } from '../platform/ids.ts';
import { decodeCursor, toPage } from '../platform/pagination.ts';
import { AUDIT_CSV_COLUMNS, auditCsvLine, csvLine } from './csv.ts';
import { presentAudit } from './present.ts';
import type { AuditQuery } from './schema.ts';
import {
  type AuditFilters,
  type AuditRow,
  insertAudit,
  listAudit,
  listAuditFeed,
  purgeAuditBefore,
} from './store.ts';

export interface AuditEvent {
  action: string;
  orgId: string | null;
  /** `agent`: an agent acting through its tools (a file it wrote), not a person or a key. */
  actor:
    | Pick<Principal, 'kind' | 'id'>
    | { kind: 'agent'; id: string }
    | { kind: 'system' | 'anonymous'; id: string | null };
  resource?: { type: string; id: string } | undefined;
  outcome: 'success' | 'failure';
  status?: number | undefined;
  details?: Record<string, unknown> | undefined;
  meta: RequestMeta | null;
}

/** The stored form of an event; `at` defaults to the database's clock. */
export function auditRow(event: AuditEvent, at?: Date): AuditRow {
  return {
    id: newId('aud'),
    orgId: event.orgId,
    actorId: event.actor.id,
    actorType: event.actor.kind,
    action: event.action,
    resourceType: event.resource?.type ?? null,
    resourceId: event.resource?.id ?? null,
    outcome: event.outcome,
    status: event.status === undefined ? null : String(event.status),
    ip: event.meta?.ip ?? null,
    requestId: event.meta?.requestId ?? null,
    details: event.details ?? null,
    ...(at ? { createdAt: at } : {}),
  };
}

/** Appends one audit row. Pass the transaction of the change so the record and the change commit together. */
export async function recordAudit(tx: Tx, event: AuditEvent): Promise<void> {
  await insertAudit(tx, auditRow(event));
}

/** Records without failing the caller: an audit write error is logged, never surfaced. */
export async function recordAuditSafely(tx: Tx, event: AuditEvent, log: FastifyBaseLogger): Promise<void> {
  try {
    await recordAudit(tx, event);
  } catch (err) {
    log.error({ err, action: event.action }, 'audit write failed');
  }
}

/** Rows a CSV export holds at most; narrow with since/until for more. */
export const AUDIT_EXPORT_MAX_ROWS = 100_000;
const EXPORT_PAGE = 1_000;
const PURGE_BATCH = 5_000;

function filtersOf(query: AuditQuery): AuditFilters {
  const since = query.since ? new Date(query.since) : undefined;
  const until = query.until ? new Date(query.until) : undefined;
  if (since && until && since > until) throw Errors.validation('since must not be after until');
  return {
    actorId: query.actor,
    action: query.action,
    resourceType: query.resourceType,
    resourceId: query.resourceId,
    outcome: query.outcome,
    since,
    until,
  };
}

/** Reading the org's audit trail, and keeping it within the retention period. */
export function createAuditService(db: Db) {
  return {
    async list(p: Principal, query: AuditQuery) {
      const rows = await listAudit(db, p.orgId, filtersOf(query), {
        limit: query.limit + 1,
        before: decodeCursor(query.cursor),
      });
      const page = toPage(rows, query.limit);
      return { items: page.items.map(presentAudit), nextCursor: page.nextCursor };
    },

    /** Every matching row, newest first, page by page, as CSV lines after a header. */
    async *exportCsv(p: Principal, query: AuditQuery): AsyncGenerator<string> {
      const filters = filtersOf(query);
      let before = decodeCursor(query.cursor);
      let sent = 0;
      yield csvLine([...AUDIT_CSV_COLUMNS]);
      while (sent < AUDIT_EXPORT_MAX_ROWS) {
        const limit = Math.min(EXPORT_PAGE, AUDIT_EXPORT_MAX_ROWS - sent);
        const rows = await listAudit(db, p.orgId, filters, { limit, before });
        if (rows.length === 0) return;
        yield rows.map((r) => auditCsvLine(presentAudit(r))).join('');
        sent += rows.length;
        before = rows.at(-1)?.id;
        if (rows.length < limit) return;
      }
    },

    /** Deletes rows older than `days` days, in batches; returns how many went. */
    /** The org's successful audit rows of these actions, newest first, from `before` on (the activity feed). */
    feed: (orgId: string, actions: string[], page: { limit: number; before?: FeedPosition | undefined }) =>
      listAuditFeed(db, orgId, actions, page),

    async purge(days: number, now = new Date()): Promise<number> {
      const cutoff = new Date(now.getTime() - days * 86_400_000);
      let total = 0;
      for (;;) {
        const n = await purgeAuditBefore(db, cutoff, PURGE_BATCH);
        total += n;
        if (n < PURGE_BATCH) return total;
      }
    },
  };
}

export type AuditService = ReturnType<typeof createAuditService>;

/** The usual audit row: a principal's successful change to one resource, in the change's transaction. */
export async function auditChange(
  tx: Tx,
  p: Pick<Principal, 'kind' | 'id' | 'orgId'>,
  action: string,
  resource: { type: string; id: string },
  meta: RequestMeta,
  details?: object,
): Promise<void> {
  await recordAudit(tx, {
    action,
    orgId: p.orgId,
    actor: { kind: p.kind, id: p.id },
    resource,
    outcome: 'success',
    meta,
    details: details as Record<string, unknown> | undefined,
  });
}
