import { sql } from 'drizzle-orm';
import type { Tx } from '../platform/db/index.ts';
import * as store from './store.ts';

/** The plan an org without a live subscription gets, when the operator defines it. */
export const DEFAULT_PLAN_ID = 'default';

/** Whether the subscription's plan is in force. */
export const isLive = (s: store.SubscriptionRow | undefined): s is store.SubscriptionRow =>
  !!s && !!s.planId && store.LIVE_STATUSES.includes(s.status);

/** The plan whose limits apply to the org: its live subscription's, else the operator's `default`, else none. */
export async function effectivePlan(tx: Tx, orgId: string): Promise<store.PlanRow | undefined> {
  const sub = await store.findSubscription(tx, orgId);
  if (isLive(sub)) {
    const plan = await store.findPlan(tx, sub.planId!);
    if (plan) return plan;
  }
  return store.findPlan(tx, DEFAULT_PLAN_ID);
}

/** Takes the per-key lock events of one customer are processed under (one processor at a time). */
export async function lockKey(tx: Tx, key: string): Promise<void> {
  await tx.execute(sql`select pg_advisory_xact_lock(7114, hashtext(${key}))`);
}

/** The Stripe customer an object belongs to (a customer object is its own). */
export function customerOf(obj: Record<string, unknown>): string | undefined {
  if (obj.object === 'customer' && typeof obj.id === 'string') return obj.id;
  const c = obj.customer;
  if (typeof c === 'string') return c;
  if (c && typeof c === 'object' && typeof (c as { id?: unknown }).id === 'string')
    return (c as { id: string }).id;
  return undefined;
}
