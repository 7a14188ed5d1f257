import { index, integer, jsonb, pgTable, text, uniqueIndex } from 'drizzle-orm/pg-core';
import type { TurnMessage } from '../execution/events.ts';
import { orgs } from '../identity/tables.ts';
import { ts } from '../platform/db/columns.ts';

/**
 * A conversation with an agent. `agent_id` is deliberately not a foreign key: a conversation keeps
 * what was said after its agent is deleted.
 */
export const conversations = pgTable(
  'conversations',
  {
    id: text('id').primaryKey(),
    orgId: text('org_id')
      .notNull()
      .references(() => orgs.id, { onDelete: 'cascade' }),
    agentId: text('agent_id').notNull(),
    title: text('title').notNull(),
    /** The user or API key that started it. */
    createdBy: text('created_by').notNull(),
    messageCount: integer('message_count').notNull().default(0),
    createdAt: ts('created_at').notNull().defaultNow(),
    updatedAt: ts('updated_at').notNull().defaultNow(),
  },
  (t) => [index('conversations_org_idx').on(t.orgId, t.id)],
);

export type MessageRole = TurnMessage['role'];

/** Role-specific fields: tool name, call id and arguments, or the hand-off's from and to. */
export type MessageData = TurnMessage['data'];

/** One message of a conversation, numbered by `seq` so the order never depends on clocks. */
export const conversationMessages = pgTable(
  'conversation_messages',
  {
    id: text('id').primaryKey(),
    orgId: text('org_id')
      .notNull()
      .references(() => orgs.id, { onDelete: 'cascade' }),
    conversationId: text('conversation_id')
      .notNull()
      .references(() => conversations.id, { onDelete: 'cascade' }),
    seq: integer('seq').notNull(),
    role: text('role').$type<MessageRole>().notNull(),
    /** The agent that produced it; for user messages, the agent it was addressed to. */
    agentId: text('agent_id'),
    content: text('content').notNull(),
    data: jsonb('data').$type<MessageData>().notNull(),
    createdAt: ts('created_at').notNull().defaultNow(),
  },
  (t) => [uniqueIndex('conversation_messages_seq_key').on(t.conversationId, t.seq)],
);
