import { and, count, desc, eq, inArray, isNull, lt, or, sql } from 'drizzle-orm';
import type { Tx } from '../platform/db/index.ts';
import { inboxItems } from './tables.ts';

export type InboxItemRecord = typeof inboxItems.$inferSelect;

export async function insertInboxItem(tx: Tx, row: typeof inboxItems.$inferInsert): Promise<InboxItemRecord> {
  const [created] = await tx.insert(inboxItems).values(row).returning();
  return created!;
}

export async function findInboxItem(tx: Tx, orgId: string, id: string): Promise<InboxItemRecord | undefined> {
  const [row] = await tx
    .select()
    .from(inboxItems)
    .where(and(eq(inboxItems.orgId, orgId), eq(inboxItems.id, id)));
  return row;
}

export async function listInboxItems(
  tx: Tx,
  orgId: string,
  filter: {
    status?: 'open' | 'closed' | undefined;
    kind?: 'approval' | 'notice' | undefined;
    unread?: boolean | undefined;
    /** The reader's permissions: items meant for a permission they lack are left out. */
    scopes: ReadonlySet<string>;
  },
  page: { limit: number; before?: string | undefined },
): Promise<InboxItemRecord[]> {
  const where = [eq(inboxItems.orgId, orgId), forReader(filter.scopes)];
  if (filter.status) where.push(eq(inboxItems.status, filter.status));
  if (filter.kind) where.push(eq(inboxItems.kind, filter.kind));
  if (filter.unread) where.push(isNull(inboxItems.readAt));
  if (page.before) where.push(lt(inboxItems.id, page.before));
  return tx
    .select()
    .from(inboxItems)
    .where(and(...where))
    .orderBy(desc(inboxItems.id))
    .limit(page.limit);
}

export async function updateInboxItem(
  tx: Tx,
  orgId: string,
  id: string,
  patch: Partial<typeof inboxItems.$inferInsert>,
  onlyIfOpen = false,
): Promise<InboxItemRecord | undefined> {
  const where = [eq(inboxItems.orgId, orgId), eq(inboxItems.id, id)];
  if (onlyIfOpen) where.push(eq(inboxItems.status, 'open'));
  const [row] = await tx
    .update(inboxItems)
    .set(patch)
    .where(and(...where))
    .returning();
  return row;
}

/** Items a reader with these permissions may see: those for everyone, and those for a permission they hold. */
function forReader(scopes: ReadonlySet<string>) {
  return or(isNull(inboxItems.audience), inArray(inboxItems.audience, [...scopes, '']))!;
}

export async function countUnread(tx: Tx, orgId: string, scopes?: ReadonlySet<string>): Promise<number> {
  const [row] = await tx
    .select({ n: count() })
    .from(inboxItems)
    .where(
      and(
        eq(inboxItems.orgId, orgId),
        eq(inboxItems.status, 'open'),
        isNull(inboxItems.readAt),
        scopes ? forReader(scopes) : isNull(inboxItems.audience),
      ),
    );
  return row?.n ?? 0;
}

/** The tool each of these approval items asks about, by item id (the feed names items by it). */
export async function toolNamesOf(tx: Tx, orgId: string, ids: string[]): Promise<Map<string, string>> {
  if (ids.length === 0) return new Map();
  const rows = await tx
    .select({ id: inboxItems.id, name: sql<string | null>`${inboxItems.payload}->>'toolName'` })
    .from(inboxItems)
    .where(and(eq(inboxItems.orgId, orgId), inArray(inboxItems.id, [...new Set(ids)])));
  return new Map(rows.flatMap((r) => (r.name ? [[r.id, r.name] as const] : [])));
}
