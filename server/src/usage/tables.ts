import { sql } from 'drizzle-orm';
import {
  bigint,
  boolean,
  doublePrecision,
  index,
  integer,
  jsonb,
  pgTable,
  primaryKey,
  text,
} from 'drizzle-orm/pg-core';
import { orgs } from '../identity/tables.ts';
import { ts } from '../platform/db/columns.ts';

export type UsageOutcome = 'ok' | 'error' | 'cancelled';

const orgId = () =>
  text('org_id')
    .notNull()
    .references(() => orgs.id, { onDelete: 'cascade' });

/** Money is kept in nano-USD (1e-9 USD): exact sums of per-call costs in a JS number up to $9M. */
const nanos = (name: string) => bigint(name, { mode: 'number' });

/**
 * One model call: who made it, on which model, what it cost and how it ended. `agent_id`, `run_id`
 * and `conversation_id` are deliberately not foreign keys: usage outlives what it was spent on.
 */
export const usageEvents = pgTable(
  'usage_events',
  {
    id: text('id').primaryKey(),
    orgId: orgId(),
    agentId: text('agent_id').notNull(),
    runId: text('run_id'),
    conversationId: text('conversation_id'),
    /** The user or API key whose run made the call (`usr_…`, `key_…`); null for older rows. */
    createdBy: text('created_by'),
    /** `provider:model`, as the agent names it. */
    model: text('model').notNull(),
    provider: text('provider').notNull(),
    inputTokens: integer('input_tokens').notNull(),
    /** Of the input tokens, how many the provider served from its prompt cache. */
    cachedInputTokens: integer('cached_input_tokens').notNull().default(0),
    outputTokens: integer('output_tokens').notNull(),
    /** What the call cost at the price in force when it was made. */
    costNanos: nanos('cost_nanos').notNull().default(0),
    latencyMs: integer('latency_ms').notNull(),
    outcome: text('outcome').$type<UsageOutcome>().notNull(),
    /** Set when `outcome` is `error`: model_error, model_timeout, provider_not_configured, ... */
    errorCode: text('error_code'),
    /** What the provider or runtime said, cut to 500 characters. */
    errorMessage: text('error_message'),
    createdAt: ts('created_at').notNull().defaultNow(),
  },
  (t) => [
    index('usage_events_org_created_idx').on(t.orgId, t.createdAt),
    index('usage_events_agent_created_idx').on(t.agentId, t.createdAt),
    // The failed calls, newest first (GET /usage/errors), without reading the successful ones.
    index('usage_events_org_errors_idx').on(t.orgId, t.id).where(sql`${t.outcome} = 'error'`),
  ],
);

/**
 * Usage summed per org, hour, model, agent and caller, kept as calls are recorded, so a month of a busy
 * org reads a few thousand rows instead of every call. `created_by` is '' when unknown.
 */
export const usageRollups = pgTable(
  'usage_rollups',
  {
    orgId: orgId(),
    hour: ts('hour').notNull(),
    model: text('model').notNull(),
    agentId: text('agent_id').notNull(),
    createdBy: text('created_by').notNull(),
    calls: integer('calls').notNull(),
    errors: integer('errors').notNull(),
    inputTokens: bigint('input_tokens', { mode: 'number' }).notNull(),
    cachedInputTokens: bigint('cached_input_tokens', { mode: 'number' }).notNull(),
    outputTokens: bigint('output_tokens', { mode: 'number' }).notNull(),
    costNanos: nanos('cost_nanos').notNull(),
  },
  (t) => [primaryKey({ columns: [t.orgId, t.hour, t.model, t.agentId, t.createdBy] })],
);

/** An org's own price for a model, in USD per million tokens; it overrides the built-in default. */
export const modelPrices = pgTable(
  'model_prices',
  {
    orgId: orgId(),
    model: text('model').notNull(),
    inputPerMTok: doublePrecision('input_per_mtok').notNull(),
    cachedInputPerMTok: doublePrecision('cached_input_per_mtok').notNull(),
    outputPerMTok: doublePrecision('output_per_mtok').notNull(),
    updatedBy: text('updated_by').notNull(),
    updatedAt: ts('updated_at').notNull().defaultNow(),
  },
  (t) => [primaryKey({ columns: [t.orgId, t.model] })],
);

export type BudgetScope = 'org' | 'agent' | 'user' | 'apiKey';
export type BudgetPeriod = 'day' | 'week' | 'month' | 'total';

/** A spending limit on the org, one agent, one user or one API key, for a calendar period (UTC). */
export const budgets = pgTable(
  'budgets',
  {
    id: text('id').primaryKey(),
    orgId: orgId(),
    scope: text('scope').$type<BudgetScope>().notNull(),
    /** The agent, user or API key; null for the org. */
    scopeId: text('scope_id'),
    limitNanos: nanos('limit_nanos').notNull(),
    period: text('period').$type<BudgetPeriod>().notNull(),
    /** Hard: calls are refused before they would pass the limit. Soft: only alerts. */
    hard: boolean('hard').notNull(),
    /** Fractions of the limit that send `budget.threshold`, e.g. [0.5, 0.8]. */
    alertAt: jsonb('alert_at').$type<number[]>().notNull(),
    /** `manual`, or `plan` for the monthly budget an org's billing plan sets. */
    source: text('source').notNull().default('manual'),
    createdBy: text('created_by').notNull(),
    createdAt: ts('created_at').notNull().defaultNow(),
    updatedAt: ts('updated_at').notNull().defaultNow(),
  },
  (t) => [index('budgets_org_idx').on(t.orgId)],
);

/**
 * A budget's spending in one period: what calls cost (`spent`) and what calls in flight may still
 * cost at worst (`reserved`). Reservation and settlement happen in SQL functions (see the migration
 * `0007_usage_budgets`), so concurrent calls on any replica never pass a hard limit.
 */
export const budgetWindows = pgTable(
  'budget_windows',
  {
    budgetId: text('budget_id')
      .notNull()
      .references(() => budgets.id, { onDelete: 'cascade' }),
    periodStart: ts('period_start').notNull(),
    spentNanos: nanos('spent_nanos').notNull().default(0),
    reservedNanos: nanos('reserved_nanos').notNull().default(0),
    /** Alert fractions already sent this period. */
    alerted: jsonb('alerted').$type<number[]>().notNull().default([]),
    /** Whether `budget.exceeded` was sent this period. */
    exceededSent: boolean('exceeded_sent').notNull().default(false),
  },
  (t) => [primaryKey({ columns: [t.budgetId, t.periodStart] })],
);

/**
 * A reservation not yet settled: the worst-case cost of a call in flight. A process that dies
 * mid-call leaves its reservations here; a sweep releases them once they are older than any call.
 */
export const budgetReservations = pgTable(
  'budget_reservations',
  {
    id: text('id').notNull(),
    budgetId: text('budget_id')
      .notNull()
      .references(() => budgets.id, { onDelete: 'cascade' }),
    periodStart: ts('period_start').notNull(),
    amountNanos: nanos('amount_nanos').notNull(),
    createdAt: ts('created_at').notNull().defaultNow(),
  },
  (t) => [
    primaryKey({ columns: [t.id, t.budgetId] }),
    index('budget_reservations_created_idx').on(t.createdAt),
  ],
);
