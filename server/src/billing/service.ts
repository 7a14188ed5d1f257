import type { FastifyBaseLogger } from 'fastify';
import { auditChange, recordAudit } from '../audit/service.ts';
import type { Principal } from '../platform/auth.ts';
import type { Bus } from '../platform/bus.ts';
import { isUniqueViolation } from '../platform/db/errors.ts';
import type { Db, Tx } from '../platform/db/index.ts';
import { inTransaction, type Work } from '../platform/db/work.ts';
import { AppError } from '../platform/errors.ts';
import type { RequestMeta } from '../platform/http.ts';
import { BillingErrors } from './errors.ts';
import type { StripeGateway } from './gateway.ts';
import { applyEvent } from './processor.ts';
import { customerOf, DEFAULT_PLAN_ID, effectivePlan, isLive, lockKey } from './rules.ts';
import * as store from './store.ts';
import type { EventStatus, PlanLimits, SubscriptionStatus } from './tables.ts';

/** What billing asks of other domains. */
export interface BillingPorts {
  /** Sets (or with undefined removes) the org's hard monthly budget that comes from its plan (usage). */
  setPlanBudget(orgId: string, limitUsd: number | undefined, setBy: string): Promise<void>;
  /** The org whose admins run the platform (identity). */
  operatorOrg(): Promise<string | undefined>;
  /** What the org uses of each limit: members, agents, and this month's spending in USD. */
  usage(orgId: string): Promise<{ seats: number; agents: number; monthSpentUsd: number }>;
  /** An inbox notice for the org's people with the audience permission (workspace). */
  notice(
    notice: {
      orgId: string;
      title: string;
      body: string;
      audience: string;
      payload: Record<string, unknown>;
    },
    work?: Work,
  ): Promise<unknown>;
  /** The org's outbound webhook (webhooks). */
  webhook(orgId: string, type: string, data: unknown): Promise<void>;
  orgName(orgId: string): Promise<string | undefined>;
}

export interface PlanInput {
  name: string;
  priceUsdMonthly: number;
  stripePriceId?: string | null | undefined;
  limits: { [K in keyof PlanLimits]?: number | null | undefined };
}

export const BILLING_QUEUE = 'billing-events';

export function presentPlan(p: store.PlanRow) {
  return {
    id: p.id,
    name: p.name,
    priceUsdMonthly: p.priceUsdMonthly,
    stripePriceId: p.stripePriceId,
    limits: {
      monthlyBudgetUsd: p.limits.monthlyBudgetUsd ?? null,
      seats: p.limits.seats ?? null,
      agents: p.limits.agents ?? null,
    },
    createdAt: p.createdAt.toISOString(),
    updatedAt: p.updatedAt.toISOString(),
  };
}

function presentEvent(e: store.EventRow) {
  return {
    id: e.id,
    type: e.type,
    status: e.status,
    outcome: e.outcome,
    error: e.error,
    orgId: e.orgId,
    customerId: e.customerId,
    attempts: e.attempts,
    createdAt: new Date(e.stripeCreated * 1000).toISOString(),
    receivedAt: e.receivedAt.toISOString(),
    processedAt: e.processedAt?.toISOString() ?? null,
    payload: e.payload,
  };
}

function presentInvoice(i: store.InvoiceRow) {
  return {
    id: i.id,
    status: i.status,
    amountDueUsd: i.amountDueUsd,
    amountPaidUsd: i.amountPaidUsd,
    currency: i.currency,
    hostedInvoiceUrl: i.hostedInvoiceUrl,
    periodEnd: i.periodEnd?.toISOString() ?? null,
    createdAt: i.createdAt.toISOString(),
    updatedAt: i.updatedAt.toISOString(),
  };
}

/**
 * Billing: the operator's plans and their limits, each org's subscription (through Stripe Checkout when
 * Stripe is configured, else started at once), and Stripe's webhook events — stored once by id, then
 * processed by a queue worker in Stripe's order per customer.
 */
export function createBilling(deps: {
  db: Db;
  bus: Bus;
  queue: { send(name: string, data: object, options?: { singletonKey?: string }): Promise<unknown> };
  gateway: StripeGateway;
  publicUrl: string;
  log: FastifyBaseLogger;
  ports: BillingPorts;
}) {
  const { db, gateway, ports, log } = deps;

  async function isOperator(p: Principal): Promise<boolean> {
    return p.scopes.has('admin') && (await ports.operatorOrg()) === p.orgId;
  }

  async function assertOperator(p: Principal): Promise<void> {
    if (!(await isOperator(p)))
      throw new AppError(
        403,
        'not_operator',
        'plans belong to the organisation that operates this server; sign in to it as an admin',
      );
  }

  /** Writes the org's plan budget from the plan now in force (idempotent: it sets, never adds). */
  async function applyPlanBudget(orgId: string): Promise<void> {
    const plan = await effectivePlan(db, orgId);
    await ports.setPlanBudget(orgId, plan?.limits.monthlyBudgetUsd, 'billing');
  }

  async function announce(orgId: string, type: string, data: Record<string, unknown>): Promise<void> {
    await deps.bus.publish({ topic: `org:${orgId}`, type, orgId, data });
    await ports
      .webhook(orgId, type, data)
      .catch((err: unknown) => log.warn({ err }, 'billing: webhook failed'));
  }

  function subscriptionData(s: store.SubscriptionRow) {
    return {
      gateway: s.gateway,
      planId: s.planId,
      pendingPlanId: s.pendingPlanId,
      status: s.status,
      currentPeriodEnd: s.currentPeriodEnd?.toISOString() ?? null,
      cancelAtPeriodEnd: s.cancelAtPeriodEnd,
    };
  }

  async function present(orgId: string) {
    const sub = await store.findSubscription(db, orgId);
    const plan = await effectivePlan(db, orgId);
    const used = await ports.usage(orgId);
    const limit = (v: number | undefined) => v ?? null;
    return {
      gateway: sub?.gateway ?? null,
      checkout: gateway.enabled,
      planId: sub?.planId ?? null,
      pendingPlanId: sub?.pendingPlanId ?? null,
      status: (sub?.status ?? 'none') as SubscriptionStatus | 'none',
      currentPeriodEnd: sub?.currentPeriodEnd?.toISOString() ?? null,
      cancelAtPeriodEnd: sub?.cancelAtPeriodEnd ?? false,
      plan: plan ? presentPlan(plan) : null,
      usage: {
        seats: { used: used.seats, limit: limit(plan?.limits.seats) },
        agents: { used: used.agents, limit: limit(plan?.limits.agents) },
        monthlyBudgetUsd: { used: used.monthSpentUsd, limit: limit(plan?.limits.monthlyBudgetUsd) },
      },
    };
  }

  async function requirePlan(tx: Tx, id: string) {
    const plan = await store.findPlan(tx, id);
    if (!plan) throw BillingErrors.planNotFound(id);
    return plan;
  }

  async function stripeCall<T>(fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      if (err instanceof AppError) throw err;
      log.warn({ err }, 'billing: a Stripe call failed');
      throw BillingErrors.stripeFailed(err instanceof Error ? err.message : String(err));
    }
  }

  /** Puts the org on the plan at once (the manual gateway), with its limits. */
  async function startManually(p: Principal, planId: string, meta: RequestMeta) {
    const row = await inTransaction(db, async (work) => {
      await requirePlan(work.tx, planId);
      const before = await store.lockSubscription(work.tx, p.orgId);
      const saved = await store.upsertSubscription(work.tx, {
        orgId: p.orgId,
        gateway: 'manual',
        planId,
        pendingPlanId: null,
        status: 'active',
        currentPeriodEnd: null,
        cancelAtPeriodEnd: false,
      });
      await auditChange(
        work.tx,
        p,
        'billing.subscription_change',
        { type: 'subscription', id: p.orgId },
        meta,
        {
          from: isLive(before) ? before.planId : null,
          to: planId,
          status: 'active',
          gateway: 'manual',
        },
      );
      return saved;
    });
    await applyPlanBudget(p.orgId);
    await announce(p.orgId, 'subscription.updated', subscriptionData(row));
  }

  /** Re-applies a plan's budget to every org it is in force for. */
  async function reapply(planId: string): Promise<void> {
    const orgIds =
      planId === DEFAULT_PLAN_ID
        ? await store.orgsWithoutLiveSubscription(db)
        : await store.orgsOnPlan(db, planId);
    for (const orgId of orgIds) await applyPlanBudget(orgId);
  }

  const processor = {
    /**
     * Processes every waiting event of one order key (a customer), oldest first, one transaction each
     * under the key's advisory lock: a second worker given the same key waits, then finds nothing left.
     */
    async drain(orderKey: string): Promise<number> {
      let done = 0;
      for (;;) {
        const callbacks: Array<() => unknown> = [];
        let picked: store.EventRow | undefined;
        try {
          const more = await db.transaction(async (tx) => {
            await lockKey(tx, orderKey);
            picked = await store.nextPending(tx, orderKey);
            if (!picked) return false;
            const work: Work = { tx, afterCommit: (fn) => void callbacks.push(fn) };
            const result = await applyEvent(work, picked, effects);
            await store.finishEvent(tx, picked.id, {
              status: 'processed',
              outcome: result.outcome,
              error: null,
              orgId: result.orgId ?? null,
            });
            return true;
          });
          if (!more) return done;
        } catch (err) {
          if (!picked) throw err;
          const failed = picked;
          const message = err instanceof Error ? err.message : String(err);
          log.warn({ err, eventId: failed.id, type: failed.type }, 'billing: processing an event failed');
          await db.transaction(async (tx) => {
            await lockKey(tx, orderKey);
            if ((await store.findEvent(tx, failed.id))?.status === 'received')
              await store.finishEvent(tx, failed.id, {
                status: 'failed',
                outcome: null,
                error: message.slice(0, 1000),
              });
          });
          await announceEvent(failed.orgId, failed.id);
          done++;
          continue;
        }
        for (const fn of callbacks) {
          try {
            await fn();
          } catch (err) {
            log.warn({ err }, 'billing: an effect after processing failed');
          }
        }
        done++;
      }
    },
  };

  async function announceEvent(orgId: string | null, id: string) {
    if (orgId) await deps.bus.publish({ topic: `org:${orgId}`, type: 'billing.event', orgId, data: { id } });
  }

  /** What processing may do besides writing billing's tables (see processor.ts). */
  const effects = {
    applyPlanBudget,
    announce,
    notice: ports.notice,
    audit: (tx: Tx, orgId: string, action: string, details: Record<string, unknown>) =>
      recordAudit(tx, {
        action,
        orgId,
        actor: { kind: 'system', id: 'stripe' },
        resource: { type: 'subscription', id: orgId },
        outcome: 'success',
        meta: null,
        details,
      }),
    subscriptionData,
  };

  async function enqueue(keys: Iterable<string>): Promise<void> {
    for (const orderKey of new Set(keys))
      await deps.queue.send(BILLING_QUEUE, { orderKey }, { singletonKey: orderKey });
  }

  return {
    processor,
    isOperator,
    enqueue,

    // ---- plans ----
    async plans(p: Principal) {
      return { items: (await store.listPlans(db)).map(presentPlan), editable: await isOperator(p) };
    },

    async putPlan(p: Principal, id: string, input: PlanInput) {
      await assertOperator(p);
      const saved = await store
        .upsertPlan(db, {
          id,
          name: input.name,
          priceUsdMonthly: input.priceUsdMonthly,
          stripePriceId: input.stripePriceId ?? null,
          limits: Object.fromEntries(
            Object.entries(input.limits).filter(([, v]) => v !== undefined && v !== null),
          ),
        })
        .catch((err: unknown) => {
          if (isUniqueViolation(err)) throw BillingErrors.priceTaken(input.stripePriceId ?? '');
          throw err;
        });
      await reapply(id);
      return presentPlan(saved);
    },

    async deletePlan(p: Principal, id: string) {
      await assertOperator(p);
      const orgIds = id === DEFAULT_PLAN_ID ? await store.orgsWithoutLiveSubscription(db) : [];
      await db.transaction(async (tx) => {
        await requirePlan(tx, id);
        const users = await store.countPlanUsers(tx, id);
        if (users > 0) throw BillingErrors.planInUse(id, users);
        await store.deletePlan(tx, id);
      });
      for (const orgId of orgIds) await applyPlanBudget(orgId);
    },

    /** A new org gets the `default` plan's budget, when that plan has one. */
    orgCreated: (orgId: string) => applyPlanBudget(orgId),

    // ---- limits ----
    /**
     * Refuses with 402 plan_limit when one more seat or agent would pass the org's plan; `count` is what
     * is in use now, read by the owning domain in its transaction. The per-org advisory lock makes two
     * concurrent additions count one after the other.
     */
    async assertRoom(tx: Tx, orgId: string, limit: 'seats' | 'agents', count: () => Promise<number>) {
      const plan = await effectivePlan(tx, orgId);
      const allowed = plan?.limits[limit];
      if (!plan || allowed === undefined || allowed === null) return;
      await lockKey(tx, `limit:${limit}:${orgId}`);
      const used = await count();
      if (used >= allowed) throw BillingErrors.planLimit(limit, allowed, used, plan.id);
    },

    // ---- subscription ----
    subscription: (p: Principal) => present(p.orgId),

    async subscribe(p: Principal, planId: string, meta: RequestMeta) {
      if (!gateway.enabled) {
        await startManually(p, planId, meta);
        return { checkoutUrl: null, subscription: await present(p.orgId) };
      }
      const plan = await requirePlan(db, planId);
      if (!plan.stripePriceId) throw BillingErrors.notPurchasable(planId);
      let sub = await store.findSubscription(db, p.orgId);
      if (sub?.gateway === 'stripe' && isLive(sub) && sub.stripeSubscriptionId)
        throw BillingErrors.alreadySubscribed(sub.planId);
      let customerId = sub?.stripeCustomerId ?? undefined;
      if (!customerId) {
        const name = (await ports.orgName(p.orgId)) ?? p.orgId;
        customerId = await stripeCall(() => gateway.createCustomer(p.orgId, name));
      }
      sub = await store.upsertSubscription(db, {
        orgId: p.orgId,
        gateway: 'stripe',
        stripeCustomerId: customerId,
        planId: sub?.planId ?? null,
        status: sub && isLive(sub) ? sub.status : 'incomplete',
        pendingPlanId: planId,
      });
      const base = `${deps.publicUrl.replace(/\/$/, '')}/billing`;
      const session = await stripeCall(() =>
        gateway.checkout({
          customerId: customerId!,
          priceId: plan.stripePriceId!,
          orgId: p.orgId,
          planId,
          successUrl: `${base}?checkout=success`,
          cancelUrl: `${base}?checkout=cancelled`,
        }),
      );
      return { checkoutUrl: session.url, subscription: await present(p.orgId) };
    },

    async change(p: Principal, planId: string, meta: RequestMeta) {
      const sub = await store.findSubscription(db, p.orgId);
      if (!gateway.enabled) {
        await startManually(p, planId, meta);
        return present(p.orgId);
      }
      // With Stripe, only a paid subscription changes plan in place; anything else starts at Checkout.
      if (sub?.gateway !== 'stripe' || !isLive(sub) || !sub.stripeSubscriptionId)
        throw BillingErrors.checkoutRequired();
      const plan = await requirePlan(db, planId);
      if (!plan.stripePriceId) throw BillingErrors.notPurchasable(planId);
      await stripeCall(() =>
        gateway.changePrice(sub.stripeSubscriptionId!, plan.stripePriceId!, p.orgId, planId),
      );
      // Stripe's customer.subscription.updated brings the new plan into force.
      await store.updateSubscription(db, p.orgId, { pendingPlanId: planId });
      await db.transaction((tx) =>
        auditChange(tx, p, 'billing.subscription_change', { type: 'subscription', id: p.orgId }, meta, {
          from: sub.planId,
          to: planId,
          status: 'requested',
          gateway: 'stripe',
        }),
      );
      return present(p.orgId);
    },

    async cancel(p: Principal, meta: RequestMeta) {
      const sub = await store.findSubscription(db, p.orgId);
      if (!isLive(sub)) throw BillingErrors.noSubscription();
      if (sub.gateway === 'stripe' && sub.stripeSubscriptionId) {
        await stripeCall(() => gateway.cancelAtPeriodEnd(sub.stripeSubscriptionId!));
        const row = (await store.updateSubscription(db, p.orgId, { cancelAtPeriodEnd: true }))!;
        await db.transaction((tx) =>
          auditChange(tx, p, 'billing.subscription_change', { type: 'subscription', id: p.orgId }, meta, {
            from: sub.planId,
            to: sub.planId,
            status: 'cancel_at_period_end',
            gateway: 'stripe',
          }),
        );
        await announce(p.orgId, 'subscription.updated', subscriptionData(row));
        return present(p.orgId);
      }
      // A manual subscription has no period: it ends now, and the default plan (if any) applies.
      const row = await inTransaction(db, async (work) => {
        const saved = (await store.updateSubscription(work.tx, p.orgId, {
          status: 'canceled',
          cancelAtPeriodEnd: false,
          pendingPlanId: null,
        }))!;
        await auditChange(
          work.tx,
          p,
          'billing.subscription_change',
          { type: 'subscription', id: p.orgId },
          meta,
          {
            from: sub.planId,
            to: null,
            status: 'canceled',
            gateway: 'manual',
          },
        );
        return saved;
      });
      await applyPlanBudget(p.orgId);
      await announce(p.orgId, 'subscription.updated', subscriptionData(row));
      return present(p.orgId);
    },

    async portal(p: Principal) {
      if (!gateway.enabled) throw BillingErrors.stripeNotConfigured();
      const sub = await store.findSubscription(db, p.orgId);
      if (!sub?.stripeCustomerId) throw BillingErrors.noCustomer();
      const url = await stripeCall(() =>
        gateway.portal(sub.stripeCustomerId!, `${deps.publicUrl.replace(/\/$/, '')}/billing`),
      );
      return { url };
    },

    async invoices(p: Principal) {
      return { items: (await store.listInvoices(db, p.orgId, 100)).map(presentInvoice) };
    },

    // ---- webhooks and the event store ----
    /** Verifies the raw body, stores the event once and queues its processing; true when it was new. */
    async receive(raw: Buffer, signature: string | undefined): Promise<{ duplicate: boolean }> {
      if (!gateway.verifying) throw BillingErrors.webhookNotConfigured();
      if (!signature) throw BillingErrors.badSignature('the Stripe-Signature header is missing');
      let event: Awaited<ReturnType<StripeGateway['verify']>>;
      try {
        event = await gateway.verify(raw, signature);
      } catch (err) {
        throw BillingErrors.badSignature(
          err instanceof Error ? err.message.split('\n')[0]!.slice(0, 200) : 'invalid',
        );
      }
      if (typeof event.id !== 'string' || typeof event.type !== 'string' || typeof event.created !== 'number')
        throw BillingErrors.badEvent('id, type and created are required');
      const obj = (event.data?.object ?? {}) as Record<string, unknown>;
      const customerId = customerOf(obj);
      const orderKey = customerId ? `cus:${customerId}` : `evt:${event.id}`;
      const stored = await store.insertEvent(db, {
        id: event.id,
        type: event.type,
        orderKey,
        customerId: customerId ?? null,
        stripeCreated: event.created,
        payload: event as unknown as Record<string, unknown>,
      });
      if (stored) await enqueue([orderKey]);
      return { duplicate: !stored };
    },

    async events(
      p: Principal,
      q: {
        type?: string | undefined;
        status?: EventStatus | undefined;
        since?: string | undefined;
        until?: string | undefined;
        orgId?: string | undefined;
        limit: number;
        cursor?: string | undefined;
      },
    ) {
      const operator = await isOperator(p);
      const before = q.cursor ? Number(Buffer.from(q.cursor, 'base64url').toString('utf8')) : undefined;
      const rows = await store.listEvents(db, {
        orgId: operator ? q.orgId : p.orgId,
        type: q.type,
        status: q.status,
        since: q.since ? new Date(q.since) : undefined,
        until: q.until ? new Date(q.until) : undefined,
        beforeSeq: before !== undefined && Number.isFinite(before) ? before : undefined,
        limit: q.limit + 1,
      });
      const items = rows.slice(0, q.limit);
      const last = items.at(-1);
      return {
        items: items.map(presentEvent),
        nextCursor:
          rows.length > q.limit && last ? Buffer.from(String(last.seq)).toString('base64url') : null,
      };
    },

    async replay(p: Principal, id: string) {
      const row = await store.findEvent(db, id);
      if (!row || (!(await isOperator(p)) && row.orgId !== p.orgId)) throw BillingErrors.eventNotFound(id);
      await store.requeueEvents(db, { ids: [id] });
      await processor.drain(row.orderKey);
      return presentEvent((await store.findEvent(db, id))!);
    },

    /** Re-runs processing of every event received since then (the CLI); answers how many ran. */
    async replaySince(since: Date): Promise<{ events: number; failed: number }> {
      const rows = await store.requeueEvents(db, { since });
      for (const key of new Set(rows.map((r) => r.orderKey))) await processor.drain(key);
      const failed = rows.length
        ? (await store.listEvents(db, { since, status: 'failed', limit: 10_000 })).length
        : 0;
      return { events: rows.length, failed };
    },

    /** Queues every event left waiting (a process died between storing and queueing). */
    async resume(): Promise<void> {
      const rows = await store.listEvents(db, { status: 'received', limit: 10_000 });
      await enqueue(rows.map((r) => r.orderKey));
    },
  };
}

export type Billing = ReturnType<typeof createBilling>;
export type BillingEffects = {
  applyPlanBudget(orgId: string): Promise<void>;
  announce(orgId: string, type: string, data: Record<string, unknown>): Promise<void>;
  notice: BillingPorts['notice'];
  audit(tx: Tx, orgId: string, action: string, details: Record<string, unknown>): Promise<void>;
  subscriptionData(s: store.SubscriptionRow): Record<string, unknown>;
};
