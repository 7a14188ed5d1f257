import { index, jsonb, pgTable, text } from 'drizzle-orm/pg-core';
import { ts } from '../platform/db/columns.ts';

/** Items that need a person: approvals that hold a run, and notices. */
export const inboxItems = pgTable(
  'inbox_items',
  {
    id: text('id').primaryKey(),
    orgId: text('org_id').notNull(),
    kind: text('kind').$type<'approval' | 'notice'>().notNull(),
    title: text('title').notNull(),
    body: text('body').notNull().default(''),
    runId: text('run_id'),
    /** The permission a reader needs to see the item (budget alerts: budgets:write); null: anyone. */
    audience: text('audience'),
    /** For approvals: the tool call waiting (name, arguments, call id). */
    payload: jsonb('payload').$type<Record<string, unknown>>().notNull().default({}),
    status: text('status').$type<'open' | 'closed'>().notNull().default('open'),
    decision: text('decision').$type<'approved' | 'rejected'>(),
    decisionReason: text('decision_reason'),
    decidedBy: text('decided_by'),
    readAt: ts('read_at'),
    closedAt: ts('closed_at'),
    createdAt: ts('created_at').notNull().defaultNow(),
  },
  (t) => [index('inbox_org_status_idx').on(t.orgId, t.status, t.id)],
);
