import { and, desc, eq, gte, inArray, lt, lte, type SQL } from 'drizzle-orm';
import { bulkInsert } from '../platform/db/bulk.ts';
import { atKey, type FeedPosition, newestFirst, olderThan } from '../platform/db/feed.ts';
import type { Tx } from '../platform/db/index.ts';
import { auditLog } from './tables.ts';

export interface AuditRow {
  id: string;
  orgId: string | null;
  actorId: string | null;
  actorType: 'user' | 'api_key' | 'agent' | 'system' | 'anonymous';
  action: string;
  resourceType: string | null;
  resourceId: string | null;
  outcome: 'success' | 'failure';
  status: string | null;
  ip: string | null;
  requestId: string | null;
  details: Record<string, unknown> | null;
  /** When it happened; the database's clock when omitted. */
  createdAt?: Date;
}

export type AuditRecord = Required<AuditRow>;

export interface AuditFilters {
  actorId?: string | undefined;
  action?: string | undefined;
  resourceType?: string | undefined;
  resourceId?: string | undefined;
  outcome?: 'success' | 'failure' | undefined;
  since?: Date | undefined;
  until?: Date | undefined;
}

export async function insertAudit(tx: Tx, row: AuditRow): Promise<void> {
  await tx.insert(auditLog).values(row);
}

/**
 * A batch from the request hook in one statement (bulk.ts: as one JSON parameter; a multi-row VALUES
 * of a few hundred rows cost more to build than to insert).
 */
export async function insertAuditBatch(tx: Tx, rows: AuditRow[]): Promise<void> {
  await bulkInsert(tx, auditLog, rows);
}

/** One org's rows, newest first, after the `before` id (ids sort by time). */
export async function listAudit(
  tx: Tx,
  orgId: string,
  filters: AuditFilters,
  page: { limit: number; before?: string | undefined },
): Promise<AuditRecord[]> {
  const where: SQL[] = [eq(auditLog.orgId, orgId)];
  if (filters.actorId) where.push(eq(auditLog.actorId, filters.actorId));
  if (filters.action) where.push(eq(auditLog.action, filters.action));
  if (filters.resourceType) where.push(eq(auditLog.resourceType, filters.resourceType));
  if (filters.resourceId) where.push(eq(auditLog.resourceId, filters.resourceId));
  if (filters.outcome) where.push(eq(auditLog.outcome, filters.outcome));
  if (filters.since) where.push(gte(auditLog.createdAt, filters.since));
  if (filters.until) where.push(lte(auditLog.createdAt, filters.until));
  if (page.before) where.push(lt(auditLog.id, page.before));
  return tx
    .select()
    .from(auditLog)
    .where(and(...where))
    .orderBy(desc(auditLog.id))
    .limit(page.limit);
}

/** Deletes up to `batch` rows older than `cutoff`; returns how many went. */
export async function purgeAuditBefore(tx: Tx, cutoff: Date, batch: number): Promise<number> {
  const old = tx
    .select({ id: auditLog.id })
    .from(auditLog)
    .where(lt(auditLog.createdAt, cutoff))
    .limit(batch);
  const deleted = await tx.delete(auditLog).where(inArray(auditLog.id, old)).returning({ id: auditLog.id });
  return deleted.length;
}

export interface AuditFeedRow {
  id: string;
  at: string;
  action: string;
  actorType: 'user' | 'api_key' | 'agent' | 'system' | 'anonymous';
  actorId: string | null;
  resourceId: string | null;
  details: Record<string, unknown> | null;
}

/** The org's successful audit rows of these actions, newest first. */
export async function listAuditFeed(
  tx: Tx,
  orgId: string,
  actions: string[],
  page: { limit: number; before?: FeedPosition | undefined },
): Promise<AuditFeedRow[]> {
  const where = [
    eq(auditLog.orgId, orgId),
    eq(auditLog.outcome, 'success'),
    inArray(auditLog.action, actions),
  ];
  if (page.before) where.push(olderThan(auditLog.createdAt, auditLog.id, page.before));
  return tx
    .select({
      id: auditLog.id,
      at: atKey(auditLog.createdAt),
      action: auditLog.action,
      actorType: auditLog.actorType,
      actorId: auditLog.actorId,
      resourceId: auditLog.resourceId,
      details: auditLog.details,
    })
    .from(auditLog)
    .where(and(...where))
    .orderBy(...newestFirst(auditLog.createdAt, auditLog.id))
    .limit(page.limit);
}
