import { and, asc, desc, eq, gte, inArray, isNull, lt, lte, or, sql } from 'drizzle-orm';
import { orgs } from '../identity/tables.ts';
import type { Tx } from '../platform/db/index.ts';
import {
  billingEvents,
  billingInvoices,
  billingPlans,
  billingSubscriptions,
  type EventStatus,
  type SubscriptionStatus,
} from './tables.ts';

export type PlanRow = typeof billingPlans.$inferSelect;
export type SubscriptionRow = typeof billingSubscriptions.$inferSelect;
export type EventRow = typeof billingEvents.$inferSelect;
export type InvoiceRow = typeof billingInvoices.$inferSelect;

/** Statuses in which the subscription's plan is in force (past_due: Stripe still retries the payment). */
export const LIVE_STATUSES: SubscriptionStatus[] = ['active', 'trialing', 'past_due'];

// ---- plans ---------------------------------------------------------------------------------------

export const listPlans = (tx: Tx) =>
  tx.select().from(billingPlans).orderBy(asc(billingPlans.priceUsdMonthly));

export async function findPlan(tx: Tx, id: string): Promise<PlanRow | undefined> {
  const [row] = await tx.select().from(billingPlans).where(eq(billingPlans.id, id));
  return row;
}

export async function findPlanByPrice(tx: Tx, priceId: string): Promise<PlanRow | undefined> {
  const [row] = await tx.select().from(billingPlans).where(eq(billingPlans.stripePriceId, priceId));
  return row;
}

export async function upsertPlan(tx: Tx, row: typeof billingPlans.$inferInsert): Promise<PlanRow> {
  const { id: _id, ...set } = row;
  const [saved] = await tx
    .insert(billingPlans)
    .values(row)
    .onConflictDoUpdate({ target: billingPlans.id, set: { ...set, updatedAt: new Date() } })
    .returning();
  return saved!;
}

export async function deletePlan(tx: Tx, id: string): Promise<boolean> {
  const rows = await tx
    .delete(billingPlans)
    .where(eq(billingPlans.id, id))
    .returning({ id: billingPlans.id });
  return rows.length > 0;
}

/** Orgs whose subscription names the plan (in force or waiting for Checkout). */
export async function countPlanUsers(tx: Tx, planId: string): Promise<number> {
  const [row] = await tx
    .select({ n: sql<number>`count(*)::int` })
    .from(billingSubscriptions)
    .where(
      and(
        or(eq(billingSubscriptions.planId, planId), eq(billingSubscriptions.pendingPlanId, planId)),
        inArray(billingSubscriptions.status, [...LIVE_STATUSES, 'incomplete']),
      ),
    );
  return Number(row?.n ?? 0);
}

/** Orgs whose live subscription is on the plan. */
export async function orgsOnPlan(tx: Tx, planId: string): Promise<string[]> {
  const rows = await tx
    .select({ orgId: billingSubscriptions.orgId })
    .from(billingSubscriptions)
    .where(and(eq(billingSubscriptions.planId, planId), inArray(billingSubscriptions.status, LIVE_STATUSES)));
  return rows.map((r) => r.orgId);
}

/** Every org without a live subscription (the `default` plan's orgs). */
export async function orgsWithoutLiveSubscription(tx: Tx): Promise<string[]> {
  const rows = await tx
    .select({ id: orgs.id })
    .from(orgs)
    .leftJoin(
      billingSubscriptions,
      and(eq(billingSubscriptions.orgId, orgs.id), inArray(billingSubscriptions.status, LIVE_STATUSES)),
    )
    .where(isNull(billingSubscriptions.orgId));
  return rows.map((r) => r.id);
}

// ---- subscriptions -------------------------------------------------------------------------------

export async function findSubscription(tx: Tx, orgId: string): Promise<SubscriptionRow | undefined> {
  const [row] = await tx.select().from(billingSubscriptions).where(eq(billingSubscriptions.orgId, orgId));
  return row;
}

export async function findByCustomer(tx: Tx, customerId: string): Promise<SubscriptionRow | undefined> {
  const [row] = await tx
    .select()
    .from(billingSubscriptions)
    .where(eq(billingSubscriptions.stripeCustomerId, customerId));
  return row;
}

/** The org's row, locked for the rest of the transaction (created empty when missing). */
export async function lockSubscription(tx: Tx, orgId: string): Promise<SubscriptionRow | undefined> {
  const [row] = await tx
    .select()
    .from(billingSubscriptions)
    .where(eq(billingSubscriptions.orgId, orgId))
    .for('update');
  return row;
}

export async function upsertSubscription(
  tx: Tx,
  row: typeof billingSubscriptions.$inferInsert,
): Promise<SubscriptionRow> {
  const { orgId: _org, ...set } = row;
  const [saved] = await tx
    .insert(billingSubscriptions)
    .values(row)
    .onConflictDoUpdate({ target: billingSubscriptions.orgId, set: { ...set, updatedAt: new Date() } })
    .returning();
  return saved!;
}

export async function updateSubscription(
  tx: Tx,
  orgId: string,
  patch: Partial<typeof billingSubscriptions.$inferInsert>,
): Promise<SubscriptionRow | undefined> {
  const [row] = await tx
    .update(billingSubscriptions)
    .set({ ...patch, updatedAt: new Date() })
    .where(eq(billingSubscriptions.orgId, orgId))
    .returning();
  return row;
}

// ---- events --------------------------------------------------------------------------------------

/** Stores the event unless its id is known; true when this call stored it. */
export async function insertEvent(tx: Tx, row: typeof billingEvents.$inferInsert): Promise<boolean> {
  const rows = await tx
    .insert(billingEvents)
    .values(row)
    .onConflictDoNothing({ target: billingEvents.id })
    .returning({ id: billingEvents.id });
  return rows.length > 0;
}

/** The next event of this order key waiting to be processed, oldest by Stripe's clock, then arrival. */
export async function nextPending(tx: Tx, orderKey: string): Promise<EventRow | undefined> {
  const [row] = await tx
    .select()
    .from(billingEvents)
    .where(and(eq(billingEvents.orderKey, orderKey), eq(billingEvents.status, 'received')))
    .orderBy(asc(billingEvents.stripeCreated), asc(billingEvents.seq))
    .limit(1);
  return row;
}

export async function finishEvent(
  tx: Tx,
  id: string,
  result: { status: EventStatus; outcome: string | null; error: string | null; orgId?: string | null },
): Promise<void> {
  await tx
    .update(billingEvents)
    .set({
      status: result.status,
      outcome: result.outcome,
      error: result.error,
      ...(result.orgId !== undefined ? { orgId: result.orgId } : {}),
      attempts: sql`${billingEvents.attempts} + 1`,
      processedAt: new Date(),
    })
    .where(eq(billingEvents.id, id));
}

export async function findEvent(tx: Tx, id: string): Promise<EventRow | undefined> {
  const [row] = await tx.select().from(billingEvents).where(eq(billingEvents.id, id));
  return row;
}

export interface EventFilter {
  orgId?: string | undefined;
  type?: string | undefined;
  status?: EventStatus | undefined;
  since?: Date | undefined;
  until?: Date | undefined;
  /** Keyset: events that arrived before this sequence number. */
  beforeSeq?: number | undefined;
  limit: number;
}

export async function listEvents(tx: Tx, f: EventFilter): Promise<EventRow[]> {
  const where = [
    f.orgId !== undefined ? eq(billingEvents.orgId, f.orgId) : undefined,
    f.type ? eq(billingEvents.type, f.type) : undefined,
    f.status ? eq(billingEvents.status, f.status) : undefined,
    f.since ? gte(billingEvents.receivedAt, f.since) : undefined,
    f.until ? lte(billingEvents.receivedAt, f.until) : undefined,
    f.beforeSeq !== undefined ? lt(billingEvents.seq, f.beforeSeq) : undefined,
  ].filter((c) => c !== undefined);
  return tx
    .select()
    .from(billingEvents)
    .where(where.length ? and(...where) : undefined)
    .orderBy(desc(billingEvents.seq))
    .limit(f.limit);
}

/** Puts events back to be processed again; answers their order keys. */
export async function requeueEvents(
  tx: Tx,
  where: { ids?: string[]; since?: Date; orgId?: string },
): Promise<Array<{ id: string; orderKey: string }>> {
  const conditions = [
    where.ids ? inArray(billingEvents.id, where.ids) : undefined,
    where.since ? gte(billingEvents.receivedAt, where.since) : undefined,
    where.orgId ? eq(billingEvents.orgId, where.orgId) : undefined,
  ].filter((c) => c !== undefined);
  return tx
    .update(billingEvents)
    .set({ status: 'received', outcome: null, error: null })
    .where(conditions.length ? and(...conditions) : undefined)
    .returning({ id: billingEvents.id, orderKey: billingEvents.orderKey });
}

// ---- invoices ------------------------------------------------------------------------------------

export async function findInvoice(tx: Tx, id: string): Promise<InvoiceRow | undefined> {
  const [row] = await tx.select().from(billingInvoices).where(eq(billingInvoices.id, id));
  return row;
}

export async function upsertInvoice(tx: Tx, row: typeof billingInvoices.$inferInsert): Promise<void> {
  const { id: _id, orgId: _org, ...set } = row;
  await tx
    .insert(billingInvoices)
    .values(row)
    .onConflictDoUpdate({ target: billingInvoices.id, set: { ...set, updatedAt: new Date() } });
}

export async function listInvoices(tx: Tx, orgId: string, limit: number): Promise<InvoiceRow[]> {
  return tx
    .select()
    .from(billingInvoices)
    .where(eq(billingInvoices.orgId, orgId))
    .orderBy(desc(billingInvoices.createdAt))
    .limit(limit);
}
