import type { Work } from '../platform/db/work.ts';
import { customerOf, isLive } from './rules.ts';
import type { BillingEffects } from './service.ts';
import * as store from './store.ts';
import type { SubscriptionStatus } from './tables.ts';

type Obj = Record<string, unknown>;

const str = (v: unknown): string | undefined => (typeof v === 'string' && v ? v : undefined);
const num = (v: unknown): number | undefined => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);
const obj = (v: unknown): Obj => (v && typeof v === 'object' ? (v as Obj) : {});
const idOf = (v: unknown): string | undefined => str(v) ?? str(obj(v).id);
const metadataOrg = (o: Obj): string | undefined => str(obj(o.metadata).orgId) ?? str(o.client_reference_id);
const toDate = (seconds: number | undefined) => (seconds === undefined ? null : new Date(seconds * 1000));

const SUBSCRIPTION_STATUSES: SubscriptionStatus[] = [
  'incomplete',
  'incomplete_expired',
  'trialing',
  'active',
  'past_due',
  'unpaid',
  'canceled',
  'paused',
];

export interface Applied {
  outcome: string;
  orgId?: string | undefined;
}

/**
 * Which org an event is about. The customer id Switchboard stored when it created the customer for an
 * org wins over `metadata.orgId`: Switchboard bound that id itself, from the signed-in owner's org, while
 * metadata is free text that anyone with access to the Stripe account can write on any object (and
 * that Stripe copies between objects). A signed event proves it came from Stripe, not that its metadata
 * names the right org. Metadata only binds a customer Switchboard has never seen to an org that has no
 * customer yet.
 */
async function orgOf(
  work: Work,
  o: Obj,
): Promise<{ orgId: string; row: store.SubscriptionRow | undefined; note?: string } | { ignored: string }> {
  const customerId = customerOf(o);
  const claimed = metadataOrg(o);
  if (customerId) {
    const owner = await store.findByCustomer(work.tx, customerId);
    if (owner) {
      const note =
        claimed && claimed !== owner.orgId
          ? `; metadata.orgId ${claimed} ignored: customer ${customerId} belongs to ${owner.orgId}`
          : undefined;
      return { orgId: owner.orgId, row: await store.lockSubscription(work.tx, owner.orgId), note };
    }
  }
  if (!claimed) return { ignored: 'ignored: no stored customer and no metadata.orgId' };
  const row = await store.lockSubscription(work.tx, claimed);
  if (!row) return { ignored: `ignored: org ${claimed} never started a subscription` };
  if (customerId && row.stripeCustomerId && row.stripeCustomerId !== customerId)
    return { ignored: `ignored: org ${claimed} has another customer than ${customerId}` };
  if (customerId && !row.stripeCustomerId)
    return {
      orgId: claimed,
      row: await store.updateSubscription(work.tx, claimed, { stripeCustomerId: customerId }),
    };
  return { orgId: claimed, row };
}

/** Applies one stored event; throws to record it as failed. */
export async function applyEvent(work: Work, event: store.EventRow, fx: BillingEffects): Promise<Applied> {
  const payload = event.payload as { data?: { object?: Obj } };
  const o = obj(payload.data?.object);
  const handled = [
    'checkout.session.completed',
    'customer.subscription.created',
    'customer.subscription.updated',
    'customer.subscription.deleted',
    'invoice.paid',
    'invoice.payment_failed',
  ];
  if (!handled.includes(event.type)) return { outcome: `ignored: ${event.type} is not handled` };
  const mapped = await orgOf(work, o);
  if ('ignored' in mapped) return { outcome: mapped.ignored };
  const { orgId, row, note = '' } = mapped;
  if (!row) return { outcome: `ignored: org ${orgId} has no subscription`, orgId };

  if (event.type === 'checkout.session.completed') {
    const paid = ['paid', 'no_payment_required'].includes(str(o.payment_status) ?? '');
    const planId = str(obj(o.metadata).planId) ?? row.pendingPlanId ?? row.planId;
    const newer = row.stateAt === null || event.stripeCreated >= row.stateAt;
    const patch = {
      stripeSubscriptionId: idOf(o.subscription) ?? row.stripeSubscriptionId,
      ...(paid && newer && planId && (await store.findPlan(work.tx, planId))
        ? { planId, pendingPlanId: null, status: 'active' as const, stateAt: event.stripeCreated }
        : {}),
    };
    const saved = (await store.updateSubscription(work.tx, orgId, patch))!;
    return changed(work, fx, orgId, row, saved, `checkout ${paid ? 'paid' : 'unpaid'}${note}`);
  }

  if (event.type.startsWith('customer.subscription.')) {
    if (row.stateAt !== null && event.stripeCreated < row.stateAt)
      return { outcome: `stale: a newer subscription state (${row.stateAt}) is applied${note}`, orgId };
    const item = obj(
      obj(o.items).data && Array.isArray(obj(o.items).data) ? (obj(o.items).data as unknown[])[0] : {},
    );
    const priceId = idOf(item.price);
    const byPrice = priceId ? await store.findPlanByPrice(work.tx, priceId) : undefined;
    const planId = byPrice?.id ?? str(obj(o.metadata).planId) ?? row.planId;
    const status =
      event.type === 'customer.subscription.deleted'
        ? 'canceled'
        : (SUBSCRIPTION_STATUSES.find((s) => s === o.status) ?? row.status);
    const saved = (await store.updateSubscription(work.tx, orgId, {
      gateway: 'stripe',
      stripeSubscriptionId: str(o.id) ?? row.stripeSubscriptionId,
      planId,
      pendingPlanId: row.pendingPlanId === planId ? null : row.pendingPlanId,
      status,
      currentPeriodEnd: toDate(num(o.current_period_end) ?? num(item.current_period_end)),
      cancelAtPeriodEnd: o.cancel_at_period_end === true,
      stateAt: event.stripeCreated,
    }))!;
    return changed(work, fx, orgId, row, saved, `subscription ${status}${note}`);
  }

  // invoice.paid / invoice.payment_failed
  const invoiceId = str(o.id);
  if (!invoiceId) throw new Error('the invoice has no id');
  const status = event.type === 'invoice.paid' ? 'paid' : 'payment_failed';
  const known = await store.findInvoice(work.tx, invoiceId);
  if (known && known.orgId !== orgId) throw new Error(`invoice ${invoiceId} belongs to another organisation`);
  if (known && event.stripeCreated < known.stateAt)
    return { outcome: `stale: a newer invoice state (${known.stateAt}) is applied${note}`, orgId };
  const cents = (v: unknown) => (num(v) ?? 0) / 100;
  const data = {
    invoiceId,
    status,
    amountDueUsd: cents(o.amount_due),
    amountPaidUsd: cents(o.amount_paid),
    currency: str(o.currency) ?? 'usd',
    hostedInvoiceUrl: str(o.hosted_invoice_url) ?? null,
  };
  await store.upsertInvoice(work.tx, {
    id: invoiceId,
    orgId,
    status,
    amountDueUsd: data.amountDueUsd,
    amountPaidUsd: data.amountPaidUsd,
    currency: data.currency,
    hostedInvoiceUrl: data.hostedInvoiceUrl,
    periodEnd: toDate(num(o.period_end)),
    stateAt: event.stripeCreated,
  });
  // A redelivered or replayed event finds the invoice already in this state: nobody is told twice.
  if (known?.status === status) return { outcome: `invoice already ${status}${note}`, orgId };
  if (status === 'payment_failed') {
    await fx.audit(work.tx, orgId, 'billing.payment_failed', { invoiceId, amountDueUsd: data.amountDueUsd });
    await fx.notice(
      {
        orgId,
        title: 'A payment failed',
        body: `Stripe could not collect ${data.amountDueUsd.toFixed(2)} ${data.currency.toUpperCase()} for invoice ${invoiceId}. Update the card in the billing portal to keep the plan.`,
        audience: 'billing:manage',
        payload: { kind: 'billing.payment_failed', ...data },
      },
      work,
    );
  }
  work.afterCommit(() => fx.announce(orgId, `invoice.${status}`, data));
  return { outcome: `invoice ${status}${note}`, orgId };
}

/** Records and announces a subscription change (only when something changed: replays are quiet). */
async function changed(
  work: Work,
  fx: BillingEffects,
  orgId: string,
  before: store.SubscriptionRow,
  after: store.SubscriptionRow,
  outcome: string,
): Promise<Applied> {
  const same =
    before.planId === after.planId &&
    before.status === after.status &&
    before.cancelAtPeriodEnd === after.cancelAtPeriodEnd &&
    before.currentPeriodEnd?.getTime() === after.currentPeriodEnd?.getTime() &&
    before.stripeSubscriptionId === after.stripeSubscriptionId;
  if (same) return { outcome: `${outcome}; unchanged`, orgId };
  if (before.planId !== after.planId || before.status !== after.status || isLive(before) !== isLive(after))
    await fx.audit(work.tx, orgId, 'billing.subscription_change', {
      from: isLive(before) ? before.planId : null,
      to: isLive(after) ? after.planId : null,
      status: after.status,
      gateway: 'stripe',
    });
  work.afterCommit(async () => {
    await fx.applyPlanBudget(orgId);
    await fx.announce(orgId, 'subscription.updated', fx.subscriptionData(after));
  });
  return { outcome, orgId };
}
