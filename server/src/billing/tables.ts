import {
  bigint,
  bigserial,
  boolean,
  doublePrecision,
  index,
  integer,
  jsonb,
  pgTable,
  text,
} from 'drizzle-orm/pg-core';
import { orgs } from '../identity/tables.ts';
import { ts } from '../platform/db/columns.ts';

/** What a plan allows; a limit left out is no limit. */
export interface PlanLimits {
  monthlyBudgetUsd?: number | undefined;
  seats?: number | undefined;
  agents?: number | undefined;
}

/** The operator's plans (`default`: what an org without a live subscription gets, when defined). */
export const billingPlans = pgTable('billing_plans', {
  id: text('id').primaryKey(),
  name: text('name').notNull(),
  priceUsdMonthly: doublePrecision('price_usd_monthly').notNull(),
  stripePriceId: text('stripe_price_id').unique(),
  limits: jsonb('limits').$type<PlanLimits>().notNull().default({}),
  createdAt: ts('created_at').notNull().defaultNow(),
  updatedAt: ts('updated_at').notNull().defaultNow(),
});

export type SubscriptionStatus =
  | 'incomplete'
  | 'incomplete_expired'
  | 'trialing'
  | 'active'
  | 'past_due'
  | 'unpaid'
  | 'canceled'
  | 'paused';
export type Gateway = 'manual' | 'stripe';

/**
 * An org's subscription, one per org. `stripe_customer_id` is bound once, when Switchboard creates the
 * customer for the org, and is what maps Stripe's events to the org.
 */
export const billingSubscriptions = pgTable('billing_subscriptions', {
  orgId: text('org_id')
    .primaryKey()
    .references(() => orgs.id, { onDelete: 'cascade' }),
  gateway: text('gateway').$type<Gateway>().notNull(),
  /** The plan in force; null before a first Checkout completes. */
  planId: text('plan_id'),
  /** The plan a Checkout was opened for, until Stripe says it is paid. */
  pendingPlanId: text('pending_plan_id'),
  status: text('status').$type<SubscriptionStatus>().notNull(),
  stripeCustomerId: text('stripe_customer_id').unique(),
  stripeSubscriptionId: text('stripe_subscription_id').unique(),
  currentPeriodEnd: ts('current_period_end'),
  cancelAtPeriodEnd: boolean('cancel_at_period_end').notNull().default(false),
  /** Stripe's `created` of the newest subscription event applied: an older one arriving late changes nothing. */
  stateAt: bigint('state_at', { mode: 'number' }),
  createdAt: ts('created_at').notNull().defaultNow(),
  updatedAt: ts('updated_at').notNull().defaultNow(),
});

export type EventStatus = 'received' | 'processed' | 'failed';

/** Every Stripe webhook event, once by its id, with what processing it did. */
export const billingEvents = pgTable(
  'billing_events',
  {
    id: text('id').primaryKey(),
    /** Arrival order; events of one customer are processed by Stripe's `created`, then this. */
    seq: bigserial('seq', { mode: 'number' }).notNull(),
    type: text('type').notNull(),
    /** What processing keys its order on: the customer, else the event itself. */
    orderKey: text('order_key').notNull(),
    customerId: text('customer_id'),
    orgId: text('org_id').references(() => orgs.id, { onDelete: 'set null' }),
    status: text('status').$type<EventStatus>().notNull().default('received'),
    /** What processing did (`applied`, `stale`, `ignored: …`), or null before it ran. */
    outcome: text('outcome'),
    error: text('error'),
    attempts: integer('attempts').notNull().default(0),
    stripeCreated: bigint('stripe_created', { mode: 'number' }).notNull(),
    payload: jsonb('payload').$type<Record<string, unknown>>().notNull(),
    receivedAt: ts('received_at').notNull().defaultNow(),
    processedAt: ts('processed_at'),
  },
  (t) => [
    index('billing_events_pending_idx').on(t.orderKey, t.stripeCreated, t.seq),
    index('billing_events_org_idx').on(t.orgId, t.receivedAt),
    index('billing_events_received_idx').on(t.receivedAt),
  ],
);

/** Invoices as Stripe's webhooks told of them. */
export const billingInvoices = pgTable(
  'billing_invoices',
  {
    id: text('id').primaryKey(),
    orgId: text('org_id')
      .notNull()
      .references(() => orgs.id, { onDelete: 'cascade' }),
    status: text('status').$type<'paid' | 'payment_failed'>().notNull(),
    amountDueUsd: doublePrecision('amount_due_usd').notNull(),
    amountPaidUsd: doublePrecision('amount_paid_usd').notNull(),
    currency: text('currency').notNull(),
    hostedInvoiceUrl: text('hosted_invoice_url'),
    periodEnd: ts('period_end'),
    /** Stripe's `created` of the event that set the status; an older one arriving late changes nothing. */
    stateAt: bigint('state_at', { mode: 'number' }).notNull(),
    createdAt: ts('created_at').notNull().defaultNow(),
    updatedAt: ts('updated_at').notNull().defaultNow(),
  },
  (t) => [index('billing_invoices_org_idx').on(t.orgId, t.createdAt)],
);
