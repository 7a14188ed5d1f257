import { sql } from 'drizzle-orm';
import { index, jsonb, pgTable, text } from 'drizzle-orm/pg-core';
import { orgs } from '../identity/tables.ts';
import { createdAt, ts } from '../platform/db/columns.ts';

export type TaskStatus = 'todo' | 'in_progress' | 'blocked' | 'done' | 'cancelled';
export type TaskPriority = 'low' | 'normal' | 'high' | 'urgent';
export type AssigneeType = 'agent' | 'member';

/** Why a task waits: a run paused for a person's approval, or a run that failed. */
export interface TaskBlock {
  kind: 'approval' | 'failure';
  reason: string;
  /** The approval a person answers in the inbox (approval blocks). */
  inboxItemId: string | null;
  /** The run's error code (failure blocks). */
  code: string | null;
}

/**
 * The org's tasks. A task assigned to an agent can be worked by a run (`run_id`, the latest); the run's
 * outcome moves the task in the run's own transaction (outcomes.ts).
 */
export const tasks = pgTable(
  'tasks',
  {
    id: text('id').primaryKey(),
    orgId: text('org_id')
      .notNull()
      .references(() => orgs.id, { onDelete: 'cascade' }),
    title: text('title').notNull(),
    description: text('description').notNull().default(''),
    status: text('status').$type<TaskStatus>().notNull().default('todo'),
    priority: text('priority').$type<TaskPriority>().notNull().default('normal'),
    assigneeType: text('assignee_type').$type<AssigneeType>(),
    assigneeId: text('assignee_id'),
    dueAt: ts('due_at'),
    labels: text('labels').array().notNull().default(sql`'{}'::text[]`),
    /** The run that works (or last worked) the task. */
    runId: text('run_id'),
    /** The conversation the task's runs speak in. */
    conversationId: text('conversation_id'),
    /** The final output of the run that finished the task. */
    result: text('result'),
    blocked: jsonb('blocked').$type<TaskBlock>(),
    createdBy: text('created_by').notNull(),
    createdAt: createdAt(),
    updatedAt: ts('updated_at').notNull().defaultNow(),
    /** When it last became done (the dashboard's completed figures); null while it is not done. */
    completedAt: ts('completed_at'),
  },
  (t) => [
    index('tasks_org_id_idx').on(t.orgId, t.id),
    index('tasks_org_status_idx').on(t.orgId, t.status),
    index('tasks_org_assignee_idx').on(t.orgId, t.assigneeType, t.assigneeId),
    index('tasks_labels_idx').using('gin', t.labels),
  ],
);
