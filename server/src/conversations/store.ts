import { and, asc, desc, eq, gt, ilike, lt, sql } from 'drizzle-orm';
import type { Tx } from '../platform/db/index.ts';
import { conversationMessages, conversations, type MessageData, type MessageRole } from './tables.ts';

export interface ConversationRecord {
  id: string;
  orgId: string;
  agentId: string;
  title: string;
  createdBy: string;
  messageCount: number;
  createdAt: Date;
  updatedAt: Date;
}

export interface MessageRecord {
  id: string;
  conversationId: string;
  seq: number;
  role: MessageRole;
  agentId: string | null;
  content: string;
  data: MessageData;
  createdAt: Date;
}

export async function insertConversation(
  tx: Tx,
  row: { id: string; orgId: string; agentId: string; title: string; createdBy: string },
): Promise<ConversationRecord> {
  const [inserted] = await tx.insert(conversations).values(row).returning();
  return inserted!;
}

export async function findConversation(
  tx: Tx,
  orgId: string,
  id: string,
): Promise<ConversationRecord | undefined> {
  const [row] = await tx
    .select()
    .from(conversations)
    .where(and(eq(conversations.orgId, orgId), eq(conversations.id, id)));
  return row;
}

/** Locks the conversation so concurrent appends number their messages one after the other. */
export async function lockConversation(
  tx: Tx,
  orgId: string,
  id: string,
): Promise<ConversationRecord | undefined> {
  const [row] = await tx
    .select()
    .from(conversations)
    .where(and(eq(conversations.orgId, orgId), eq(conversations.id, id)))
    .for('update');
  return row;
}

/** Newest first; `before` is the last id of the previous page. */
export async function listConversations(
  tx: Tx,
  orgId: string,
  page: {
    limit: number;
    before?: string | undefined;
    agentId?: string | undefined;
    titleContains?: string | undefined;
  },
): Promise<ConversationRecord[]> {
  const conditions = [eq(conversations.orgId, orgId)];
  if (page.before) conditions.push(lt(conversations.id, page.before));
  if (page.agentId) conditions.push(eq(conversations.agentId, page.agentId));
  // LIKE's own wildcards in the text are matched as themselves.
  const pattern = page.titleContains?.replace(/[\\%_]/g, (c) => `\\${c}`);
  if (pattern) conditions.push(ilike(conversations.title, `%${pattern}%`));
  return tx
    .select()
    .from(conversations)
    .where(and(...conditions))
    .orderBy(desc(conversations.id))
    .limit(page.limit);
}

export async function updateTitle(
  tx: Tx,
  orgId: string,
  id: string,
  title: string,
): Promise<ConversationRecord | undefined> {
  const [row] = await tx
    .update(conversations)
    .set({ title, updatedAt: new Date() })
    .where(and(eq(conversations.orgId, orgId), eq(conversations.id, id)))
    .returning();
  return row;
}

export async function deleteConversation(tx: Tx, orgId: string, id: string): Promise<boolean> {
  const rows = await tx
    .delete(conversations)
    .where(and(eq(conversations.orgId, orgId), eq(conversations.id, id)))
    .returning({ id: conversations.id });
  return rows.length > 0;
}

export async function insertMessages(
  tx: Tx,
  orgId: string,
  conversationId: string,
  rows: Array<Omit<MessageRecord, 'conversationId' | 'createdAt'>>,
): Promise<MessageRecord[]> {
  if (rows.length === 0) return [];
  const inserted = await tx
    .insert(conversationMessages)
    .values(rows.map((r) => ({ ...r, orgId, conversationId })))
    .returning();
  await tx
    .update(conversations)
    .set({ messageCount: sql`${conversations.messageCount} + ${rows.length}`, updatedAt: new Date() })
    .where(and(eq(conversations.orgId, orgId), eq(conversations.id, conversationId)));
  return inserted.map(toMessage).sort((a, b) => a.seq - b.seq);
}

function toMessage(row: typeof conversationMessages.$inferSelect): MessageRecord {
  return {
    id: row.id,
    conversationId: row.conversationId,
    seq: row.seq,
    role: row.role,
    agentId: row.agentId,
    content: row.content,
    data: row.data,
    createdAt: row.createdAt,
  };
}

const messageColumns = {
  id: conversationMessages.id,
  conversationId: conversationMessages.conversationId,
  seq: conversationMessages.seq,
  role: conversationMessages.role,
  agentId: conversationMessages.agentId,
  content: conversationMessages.content,
  data: conversationMessages.data,
  createdAt: conversationMessages.createdAt,
};

/** Oldest first; `after` is the last seq of the previous page. */
export async function listMessages(
  tx: Tx,
  orgId: string,
  conversationId: string,
  page: { limit: number; after?: number | undefined },
): Promise<MessageRecord[]> {
  const conditions = [
    eq(conversationMessages.orgId, orgId),
    eq(conversationMessages.conversationId, conversationId),
  ];
  if (page.after !== undefined) conditions.push(gt(conversationMessages.seq, page.after));
  return tx
    .select(messageColumns)
    .from(conversationMessages)
    .where(and(...conditions))
    .orderBy(asc(conversationMessages.seq))
    .limit(page.limit);
}

/** The latest `limit` messages, returned oldest first (the model's history). */
export async function latestMessages(
  tx: Tx,
  orgId: string,
  conversationId: string,
  limit: number,
): Promise<MessageRecord[]> {
  const rows = await tx
    .select(messageColumns)
    .from(conversationMessages)
    .where(
      and(eq(conversationMessages.orgId, orgId), eq(conversationMessages.conversationId, conversationId)),
    )
    .orderBy(desc(conversationMessages.seq))
    .limit(limit);
  return rows.reverse();
}
