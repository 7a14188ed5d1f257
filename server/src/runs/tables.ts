import { index, integer, jsonb, pgTable, primaryKey, text, uniqueIndex } from 'drizzle-orm/pg-core';
import type { TurnUsage } from '../execution/events.ts';
import type { RunStatus } from '../execution/records.ts';
import { ts } from '../platform/db/columns.ts';

/** An execution of an intent: one agent turn (or a chain of hand-offs) that may pause for approval. */
export const runs = pgTable(
  'runs',
  {
    id: text('id').primaryKey(),
    orgId: text('org_id').notNull(),
    agentId: text('agent_id').notNull(),
    conversationId: text('conversation_id'),
    status: text('status').$type<RunStatus>().notNull(),
    input: text('input').notNull(),
    metadata: jsonb('metadata').$type<Record<string, unknown>>().notNull().default({}),
    output: text('output'),
    error: jsonb('error').$type<{ code: string; message: string; details?: unknown }>(),
    usage: jsonb('usage').$type<TurnUsage>(),
    /** The agents SDK's serialised RunState while waiting for approval. */
    pausedState: text('paused_state'),
    idempotencyKey: text('idempotency_key'),
    source: text('source').$type<'api' | 'chat' | 'openai'>().notNull().default('api'),
    createdBy: text('created_by').notNull(),
    attempts: integer('attempts').notNull().default(0),
    lastSeq: integer('last_seq').notNull().default(0),
    cancelRequestedAt: ts('cancel_requested_at'),
    createdAt: ts('created_at').notNull().defaultNow(),
    startedAt: ts('started_at'),
    finishedAt: ts('finished_at'),
    updatedAt: ts('updated_at').notNull().defaultNow(),
  },
  (t) => [
    index('runs_org_created_idx').on(t.orgId, t.id),
    index('runs_org_status_idx').on(t.orgId, t.status),
    index('runs_conversation_idx').on(t.conversationId),
    uniqueIndex('runs_org_idempotency_key').on(t.orgId, t.idempotencyKey),
  ],
);

/**
 * The append-only log of a run: every transition and agent event, numbered from 1 without gaps.
 * `run_id` is deliberately not a foreign key: only the runs domain writes here, always with or after
 * its run (store.ts), runs are never deleted, and the check cost a lookup per event on the hottest
 * write of the platform (a run's start and end write several events each).
 */
export const runEvents = pgTable(
  'run_events',
  {
    runId: text('run_id').notNull(),
    seq: integer('seq').notNull(),
    orgId: text('org_id').notNull(),
    type: text('type').notNull(),
    data: jsonb('data').$type<Record<string, unknown>>().notNull(),
    createdAt: ts('created_at').notNull().defaultNow(),
  },
  (t) => [primaryKey({ columns: [t.runId, t.seq] })],
);

/** Side effects already done, keyed by run and step, so a retried run never repeats a finished tool call. */
export const runSteps = pgTable(
  'run_steps',
  {
    runId: text('run_id')
      .notNull()
      .references(() => runs.id, { onDelete: 'cascade' }),
    stepId: text('step_id').notNull(),
    result: jsonb('result').$type<unknown>().notNull(),
    createdAt: ts('created_at').notNull().defaultNow(),
  },
  (t) => [primaryKey({ columns: [t.runId, t.stepId] })],
);
