import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startOperatorServer } from './kit/operator.ts';
import {
  type BillingEventView,
  deliver,
  type FakeStripe,
  startFakeStripe,
  stripeEvent,
  WEBHOOK_SECRET,
  waitForEvent,
} from './kit/stripe.ts';
import { type TestServer, uniqueSuffix } from './kit/test-server.ts';
import { call, registerOwner, type Session } from './kit/users.ts';
import { openAuthed, subscribe } from './kit/ws-client.ts';

/**
 * Billing through Stripe, with the official SDK pointed at a local fake (STRIPE_API_BASE): Checkout and
 * the portal, and webhooks signed with the SDK's own test helper — verified on the raw body, stored
 * once, processed in Stripe's order per customer, mapped to orgs by the stored customer id.
 */

let stripe: FakeStripe;
let server: TestServer;
let operator: Session;
let a: Session;
let b: Session;
const pro = `pro-${uniqueSuffix()}`;
const team = `team-${uniqueSuffix()}`;
const proPrice = `price_pro_${uniqueSuffix()}`;
const teamPrice = `price_team_${uniqueSuffix()}`;
let customerA: string;
let customerB: string;
let subscriptionA: string;

const now = () => Math.floor(Date.now() / 1000);

async function subscription(who: Session) {
  return (
    await call<{
      planId: string | null;
      status: string;
      cancelAtPeriodEnd: boolean;
      pendingPlanId: string | null;
      currentPeriodEnd: string | null;
    }>(server, 'GET', '/api/v1/billing/subscription', { token: who.accessToken })
  ).body;
}

async function stored(id: string): Promise<BillingEventView | undefined> {
  const res = await call<{ items: BillingEventView[] }>(server, 'GET', '/api/v1/billing/events?limit=200', {
    token: operator.accessToken,
  });
  return res.body.items.find((e) => e.id === id);
}

async function notices(who: Session): Promise<Array<{ title: string; payload: Record<string, unknown> }>> {
  const res = await call<{ items: Array<{ title: string; payload: Record<string, unknown> }> }>(
    server,
    'GET',
    '/api/v1/inbox?kind=notice&limit=100',
    { token: who.accessToken },
  );
  return res.body.items;
}

/** Subscribes through Checkout and completes it by webhook; answers the customer id. */
async function checkout(who: Session, planId: string, price: string) {
  const res = await call<{ checkoutUrl: string }>(server, 'POST', '/api/v1/billing/subscription', {
    token: who.accessToken,
    body: { planId },
  });
  expect(res.status).toBe(200);
  expect(res.body.checkoutUrl).toMatch(/^https:\/\/checkout\.stripe\.test\/c\/pay\/cs_test_/);
  const session = stripe.calls.filter((c) => c.path === '/v1/checkout/sessions').at(-1)!;
  const customer = session.body.customer!;
  const sub = stripe.addSubscription(customer, price);
  const completed = stripeEvent('checkout.session.completed', {
    id: 'cs_done',
    object: 'checkout.session',
    customer,
    subscription: sub,
    payment_status: 'paid',
    metadata: { orgId: who.orgId, planId },
  });
  expect((await deliver(server, completed)).status).toBe(200);
  expect(await waitForEvent(server, operator, completed.id)).toMatchObject({
    status: 'processed',
    orgId: who.orgId,
  });
  return { customer, sub };
}

beforeAll(async () => {
  stripe = await startFakeStripe();
  ({ server, admin: operator } = await startOperatorServer({
    env: {
      STRIPE_SECRET_KEY: 'sk_test_switchboard',
      STRIPE_WEBHOOK_SECRET: WEBHOOK_SECRET,
      STRIPE_API_BASE: stripe.url,
    },
  }));
  a = await registerOwner(server, 'billing-a');
  b = await registerOwner(server, 'billing-b');
  for (const [id, price, budget] of [
    [pro, proPrice, 20],
    [team, teamPrice, 100],
  ] as const) {
    const res = await call(server, 'PUT', `/api/v1/admin/billing/plans/${id}`, {
      token: operator.accessToken,
      body: { name: id, priceUsdMonthly: 20, stripePriceId: price, limits: { monthlyBudgetUsd: budget } },
    });
    expect(res.status).toBe(200);
  }
});
afterAll(async () => {
  await server?.close();
  await stripe?.close();
});

describe('webhook signatures', () => {
  it('accept a valid signature and refuse tampered, stale, wrong-secret and missing ones, storing nothing', async () => {
    const valid = stripeEvent('customer.created', { id: 'cus_unknown', object: 'customer' });
    expect(await deliver(server, valid)).toEqual({ status: 200, body: { received: true, duplicate: false } });
    for (const [label, opts] of [
      ['tampered', { tamper: true }],
      ['stale', { timestamp: now() - 6 * 60 }],
      ['wrong secret', { secret: 'whsec_someone_else' }],
      ['missing', { header: '' }],
    ] as const) {
      const event = stripeEvent('invoice.paid', { id: `in_${label}`, object: 'invoice', customer: 'cus_x' });
      const res = await deliver(server, event, opts);
      expect({
        label,
        status: res.status,
        code: (res.body as { error: { code: string } }).error.code,
      }).toEqual({
        label,
        status: 400,
        code: 'invalid_signature',
      });
      expect(await stored(event.id)).toBeUndefined();
    }
    expect(await waitForEvent(server, operator, valid.id)).toMatchObject({
      status: 'processed',
      outcome: expect.stringMatching(/^ignored/),
    });
  });
});

describe('subscribing through Stripe', () => {
  it('starts at Checkout only, and one Stripe price sells one plan', async () => {
    const patch = await call(server, 'PATCH', '/api/v1/billing/subscription', {
      token: b.accessToken,
      body: { planId: pro },
    });
    expect(patch.status).toBe(409);
    expect((patch.body as { error: { code: string } }).error.code).toBe('checkout_required');
    const twin = await call(server, 'PUT', `/api/v1/admin/billing/plans/twin-${uniqueSuffix()}`, {
      token: operator.accessToken,
      body: { name: 'twin', priceUsdMonthly: 1, stripePriceId: proPrice, limits: {} },
    });
    expect(twin.status).toBe(409);
    expect((twin.body as { error: { code: string } }).error.code).toBe('stripe_price_taken');
  });

  it('creates the customer and a Checkout session carrying metadata.orgId through the SDK', async () => {
    ({ customer: customerA, sub: subscriptionA } = await checkout(a, pro, proPrice));
    const customer = stripe.calls.find(
      (c) => c.path === '/v1/customers' && c.body['metadata[orgId]'] === a.orgId,
    );
    expect(customer?.authorization).toBe('Bearer sk_test_switchboard');
    const session = stripe.calls.find(
      (c) => c.path === '/v1/checkout/sessions' && c.body.customer === customerA,
    )!;
    expect(session.body).toMatchObject({
      mode: 'subscription',
      'line_items[0][price]': proPrice,
      'metadata[orgId]': a.orgId,
      'subscription_data[metadata][orgId]': a.orgId,
    });
    expect(await subscription(a)).toMatchObject({ planId: pro, status: 'active' });
    const budgets = await call<{ items: Array<{ source: string; limitUsd: number }> }>(
      server,
      'GET',
      '/api/v1/usage/budgets',
      {
        token: a.accessToken,
      },
    );
    expect(budgets.body.items.filter((x) => x.source === 'plan').map((x) => x.limitUsd)).toEqual([20]);
    const again = await call(server, 'POST', '/api/v1/billing/subscription', {
      token: a.accessToken,
      body: { planId: team },
    });
    expect(again.status).toBe(409);
  });

  it('opens the customer portal, changes the plan through Stripe and cancels at period end', async () => {
    const portal = await call<{ url: string }>(server, 'POST', '/api/v1/billing/portal', {
      token: a.accessToken,
    });
    expect(portal.body.url).toMatch(/^https:\/\/billing\.stripe\.test\//);
    expect(stripe.calls.at(-1)).toMatchObject({
      path: '/v1/billing_portal/sessions',
      body: { customer: customerA },
    });

    const changed = await call<{ planId: string; pendingPlanId: string }>(
      server,
      'PATCH',
      '/api/v1/billing/subscription',
      {
        token: a.accessToken,
        body: { planId: team },
      },
    );
    expect(changed.body).toMatchObject({ planId: pro, pendingPlanId: team });
    const update = stripe.calls
      .filter((c) => c.path === `/v1/subscriptions/${subscriptionA}` && c.method === 'POST')
      .at(-1)!;
    expect(update.body).toMatchObject({ 'items[0][price]': teamPrice, 'metadata[orgId]': a.orgId });

    const cancelled = await call<{ cancelAtPeriodEnd: boolean }>(
      server,
      'DELETE',
      '/api/v1/billing/subscription',
      {
        token: a.accessToken,
      },
    );
    expect(cancelled.body.cancelAtPeriodEnd).toBe(true);
    expect(stripe.calls.at(-1)?.body.cancel_at_period_end).toBe('true');
  });
});

describe('processing', () => {
  const subscriptionObject = (price: string, extra: Record<string, unknown>) => ({
    id: subscriptionA,
    object: 'subscription',
    customer: customerA,
    status: 'active',
    cancel_at_period_end: false,
    metadata: { orgId: a.orgId },
    items: { data: [{ id: 'si_1', price: { id: price }, current_period_end: now() + 30 * 86400 }] },
    ...extra,
  });

  it('applies subscription updates by Stripe’s clock: an older one arriving late changes nothing', async () => {
    const t = now() + 100;
    const newer = stripeEvent(
      'customer.subscription.updated',
      subscriptionObject(teamPrice, { cancel_at_period_end: true }),
      t + 20,
    );
    const older = stripeEvent(
      'customer.subscription.updated',
      subscriptionObject(proPrice, { status: 'past_due' }),
      t + 10,
    );
    await deliver(server, newer);
    expect(await waitForEvent(server, operator, newer.id)).toMatchObject({ status: 'processed' });
    await deliver(server, older);
    expect((await waitForEvent(server, operator, older.id)).outcome).toMatch(/^stale/);
    expect(await subscription(a)).toMatchObject({
      planId: team,
      status: 'active',
      cancelAtPeriodEnd: true,
      pendingPlanId: null,
    });
    const budgets = await call<{ items: Array<{ source: string; limitUsd: number }> }>(
      server,
      'GET',
      '/api/v1/usage/budgets',
      {
        token: a.accessToken,
      },
    );
    expect(budgets.body.items.filter((x) => x.source === 'plan').map((x) => x.limitUsd)).toEqual([100]);
  });

  it('stores a redelivery once: 200, and no second effect', async () => {
    const failed = stripeEvent('invoice.payment_failed', {
      id: `in_${uniqueSuffix()}`,
      object: 'invoice',
      customer: customerA,
      amount_due: 2000,
      amount_paid: 0,
      currency: 'usd',
    });
    expect((await deliver(server, failed)).body).toEqual({ received: true, duplicate: false });
    expect((await deliver(server, failed)).body).toEqual({ received: true, duplicate: true });
    expect(await waitForEvent(server, operator, failed.id)).toMatchObject({
      status: 'processed',
      attempts: 1,
    });
    const mine = (await notices(a)).filter((n) => n.payload.invoiceId === failed.data.object.id);
    expect(mine).toHaveLength(1);
    expect(mine[0]!.title).toBe('A payment failed');
    const invoices = await call<{ items: Array<{ id: string; status: string; amountDueUsd: number }> }>(
      server,
      'GET',
      '/api/v1/billing/invoices',
      { token: a.accessToken },
    );
    expect(invoices.body.items).toContainEqual(
      expect.objectContaining({ id: failed.data.object.id, status: 'payment_failed', amountDueUsd: 20 }),
    );
  });

  it('replays over HTTP and by the function the CLI runs, without doing anything twice', async () => {
    const failed = stripeEvent('invoice.payment_failed', {
      id: `in_${uniqueSuffix()}`,
      object: 'invoice',
      customer: customerA,
      amount_due: 500,
      currency: 'usd',
    });
    const since = new Date();
    await deliver(server, failed);
    await waitForEvent(server, operator, failed.id);
    const replayed = await call<BillingEventView>(
      server,
      'POST',
      `/api/v1/billing/events/${failed.id}/replay`,
      {
        token: a.accessToken,
      },
    );
    expect(replayed.status).toBe(200);
    expect(replayed.body).toMatchObject({
      status: 'processed',
      attempts: 2,
      outcome: expect.stringMatching(/already/),
    });
    const cli = await server.domains.billing.billing.replaySince(since);
    expect(cli.events).toBeGreaterThanOrEqual(1);
    expect(await stored(failed.id)).toMatchObject({ status: 'processed', attempts: 3 });
    expect((await notices(a)).filter((n) => n.payload.invoiceId === failed.data.object.id)).toHaveLength(1);
  });

  it('lets one of two workers racing for an event process it', async () => {
    const failed = stripeEvent('invoice.payment_failed', {
      id: `in_${uniqueSuffix()}`,
      object: 'invoice',
      customer: customerA,
      amount_due: 100,
      currency: 'usd',
    });
    await deliver(server, failed);
    // The queue's worker is racing these two as well.
    const { processor } = server.domains.billing.billing;
    await Promise.all([processor.drain(`cus:${customerA}`), processor.drain(`cus:${customerA}`)]);
    expect(await waitForEvent(server, operator, failed.id)).toMatchObject({
      status: 'processed',
      attempts: 1,
    });
    expect((await notices(a)).filter((n) => n.payload.invoiceId === failed.data.object.id)).toHaveLength(1);
  });
});

describe('tenancy', () => {
  it('maps by the stored customer: forged metadata naming org B never touches B', async () => {
    ({ customer: customerB } = await checkout(b, pro, proPrice));
    const before = await subscription(b);
    const forged = stripeEvent('invoice.payment_failed', {
      id: `in_${uniqueSuffix()}`,
      object: 'invoice',
      customer: customerA,
      amount_due: 999,
      currency: 'usd',
      metadata: { orgId: b.orgId },
    });
    await deliver(server, forged);
    const seen = await waitForEvent(server, operator, forged.id);
    expect(seen).toMatchObject({ status: 'processed', orgId: a.orgId });
    expect(seen.outcome).toContain(`metadata.orgId ${b.orgId} ignored`);
    expect((await notices(b)).some((n) => n.payload.invoiceId === forged.data.object.id)).toBe(false);
    expect((await notices(a)).some((n) => n.payload.invoiceId === forged.data.object.id)).toBe(true);

    // A customer Switchboard never stored, claiming org B (which has its own customer), binds nothing.
    const stranger = stripeEvent('customer.subscription.updated', {
      id: 'sub_stranger',
      object: 'subscription',
      customer: 'cus_stranger',
      status: 'canceled',
      metadata: { orgId: b.orgId },
      items: { data: [{ id: 'si_x', price: { id: teamPrice } }] },
    });
    await deliver(server, stranger);
    expect((await waitForEvent(server, operator, stranger.id)).outcome).toMatch(
      /^ignored: org .* has another customer/,
    );
    expect(await subscription(b)).toEqual(before);
    expect(customerB).not.toBe(customerA);
  });

  it('streams billing events on the `billing` channel to the org they belong to only', async () => {
    const [sa, sb] = await Promise.all([
      openAuthed(server, a.accessToken),
      openAuthed(server, b.accessToken),
    ]);
    try {
      expect(await subscribe(sa, 'billing')).toMatchObject({ type: 'subscribed' });
      expect(await subscribe(sb, 'billing')).toMatchObject({ type: 'subscribed' });
      const ofA = stripeEvent('invoice.payment_failed', {
        id: `in_${uniqueSuffix()}`,
        object: 'invoice',
        customer: customerA,
        amount_due: 300,
        currency: 'usd',
      });
      const ofB = stripeEvent('invoice.paid', {
        id: `in_${uniqueSuffix()}`,
        object: 'invoice',
        customer: customerB,
        amount_due: 300,
        amount_paid: 300,
        currency: 'usd',
      });
      await deliver(server, ofA);
      const seen = await sa.next((m) => m.type === 'event' && m.event === 'invoice.payment_failed');
      expect(seen).toMatchObject({
        channel: 'billing',
        data: { invoiceId: ofA.data.object.id, amountDueUsd: 3 },
      });
      await deliver(server, ofB);
      await sb.next((m) => m.type === 'event' && m.event === 'invoice.paid');
      expect(JSON.stringify(sb.messages)).not.toContain(ofA.data.object.id);
    } finally {
      await Promise.all([sa.close(), sb.close()]);
    }
  });

  it("shows owners their org's events only; operator admins see all and filter", async () => {
    const ofB = await call<{ items: BillingEventView[] }>(server, 'GET', '/api/v1/billing/events?limit=200', {
      token: b.accessToken,
    });
    expect(ofB.body.items.length).toBeGreaterThan(0);
    expect(new Set(ofB.body.items.map((e) => e.orgId))).toEqual(new Set([b.orgId]));
    const failed = await call<{ items: BillingEventView[] }>(
      server,
      'GET',
      '/api/v1/billing/events?type=invoice.payment_failed&status=processed&limit=200',
      { token: operator.accessToken },
    );
    expect(failed.body.items.length).toBeGreaterThanOrEqual(4);
    expect(new Set(failed.body.items.map((e) => e.type))).toEqual(new Set(['invoice.payment_failed']));
    const future = await call<{ items: BillingEventView[] }>(
      server,
      'GET',
      `/api/v1/billing/events?since=${encodeURIComponent(new Date(Date.now() + 3_600_000).toISOString())}`,
      { token: operator.accessToken },
    );
    expect(future.body.items).toEqual([]);
    const paged = await call<{ items: BillingEventView[]; nextCursor: string | null }>(
      server,
      'GET',
      '/api/v1/billing/events?limit=2',
      { token: operator.accessToken },
    );
    const next = await call<{ items: BillingEventView[] }>(
      server,
      'GET',
      `/api/v1/billing/events?limit=2&cursor=${paged.body.nextCursor}`,
      { token: operator.accessToken },
    );
    expect(next.body.items.map((e) => e.id)).not.toContain(paged.body.items[0]!.id);
    expect(next.body.items).toHaveLength(2);
    const ofA = failed.body.items.find((e) => e.orgId === a.orgId)!;
    const replay = await call(server, 'POST', `/api/v1/billing/events/${ofA.id}/replay`, {
      token: b.accessToken,
    });
    expect(replay.status).toBe(404);
  });
});
