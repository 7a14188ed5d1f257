import { index, integer, pgTable, text } from 'drizzle-orm/pg-core';
import { orgs } from '../identity/tables.ts';
import { ts } from '../platform/db/columns.ts';

export type UsageOutcome = 'ok' | 'error' | 'cancelled';

/**
 * One model call: who made it, on which model, what it cost and how it ended. `agent_id`, `run_id`
 * and `conversation_id` are deliberately not foreign keys: usage outlives what it was spent on.
 */
export const usageEvents = pgTable(
  'usage_events',
  {
    id: text('id').primaryKey(),
    orgId: text('org_id')
      .notNull()
      .references(() => orgs.id, { onDelete: 'cascade' }),
    agentId: text('agent_id').notNull(),
    runId: text('run_id'),
    conversationId: text('conversation_id'),
    /** `provider:model`, as the agent names it. */
    model: text('model').notNull(),
    provider: text('provider').notNull(),
    inputTokens: integer('input_tokens').notNull(),
    outputTokens: integer('output_tokens').notNull(),
    latencyMs: integer('latency_ms').notNull(),
    outcome: text('outcome').$type<UsageOutcome>().notNull(),
    /** Set when `outcome` is `error`: model_error, model_timeout, provider_not_configured, ... */
    errorCode: text('error_code'),
    createdAt: ts('created_at').notNull().defaultNow(),
  },
  (t) => [
    index('usage_events_org_created_idx').on(t.orgId, t.createdAt),
    index('usage_events_agent_created_idx').on(t.agentId, t.createdAt),
  ],
);
