import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import Stripe from 'stripe';
import type { TestServer } from './test-server.ts';
import { call, type Session } from './users.ts';

/** One request the fake Stripe API received: method, path and the form body as flat `a[b][0]` keys. */
export interface StripeCall {
  method: string;
  path: string;
  body: Record<string, string>;
  authorization: string | undefined;
}

const id = (prefix: string) => `${prefix}_${randomBytes(8).toString('hex')}`;

async function bodyOf(req: IncomingMessage): Promise<Record<string, string>> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Object.fromEntries(new URLSearchParams(Buffer.concat(chunks).toString('utf8')));
}

/**
 * A local stand-in for the parts of Stripe's API Switchboard calls (customers, Checkout sessions, portal
 * sessions, subscriptions), in Stripe's shapes; the real SDK is pointed at it through STRIPE_API_BASE.
 */
export async function startFakeStripe() {
  const calls: StripeCall[] = [];
  const subscriptions = new Map<string, { id: string; customer: string; price: string; itemId: string }>();
  const server: Server = createServer((req, res) => {
    void (async () => {
      const body = await bodyOf(req);
      const path = (req.url ?? '/').split('?')[0]!;
      calls.push({ method: req.method ?? 'GET', path, body, authorization: req.headers.authorization });
      const send = (status: number, json: unknown) => {
        res.writeHead(status, { 'content-type': 'application/json', 'request-id': id('req') });
        res.end(JSON.stringify(json));
      };
      const meta = (prefix: string) =>
        Object.fromEntries(
          Object.entries(body)
            .filter(([k]) => k.startsWith(`${prefix}[`))
            .map(([k, v]) => [k.slice(prefix.length + 1, -1), v]),
        );
      if (req.method === 'POST' && path === '/v1/customers')
        return send(200, { id: id('cus'), object: 'customer', name: body.name, metadata: meta('metadata') });
      if (req.method === 'POST' && path === '/v1/checkout/sessions') {
        const sid = id('cs_test');
        return send(200, {
          id: sid,
          object: 'checkout.session',
          mode: body.mode,
          customer: body.customer,
          metadata: meta('metadata'),
          url: `https://checkout.stripe.test/c/pay/${sid}`,
        });
      }
      if (req.method === 'POST' && path === '/v1/billing_portal/sessions')
        return send(200, {
          id: id('bps'),
          object: 'billing_portal.session',
          customer: body.customer,
          return_url: body.return_url,
          url: `https://billing.stripe.test/p/session/${id('ps')}`,
        });
      const sub = /^\/v1\/subscriptions\/([\w-]+)$/.exec(path);
      if (sub) {
        const known = subscriptions.get(sub[1]!);
        if (!known)
          return send(404, {
            error: { type: 'invalid_request_error', message: `No such subscription: '${sub[1]}'` },
          });
        if (req.method === 'POST' && body['items[0][price]']) known.price = body['items[0][price]'];
        return send(200, {
          id: known.id,
          object: 'subscription',
          customer: known.customer,
          status: 'active',
          cancel_at_period_end: body.cancel_at_period_end === 'true',
          items: {
            object: 'list',
            data: [{ id: known.itemId, object: 'subscription_item', price: { id: known.price } }],
          },
        });
      }
      send(404, {
        error: { type: 'invalid_request_error', message: `fake Stripe: no route ${req.method} ${path}` },
      });
    })();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (!address || typeof address === 'string') throw new Error('fake Stripe has no address');
  return {
    url: `http://127.0.0.1:${address.port}`,
    calls,
    /** Makes a subscription the fake knows (as Checkout would), for plan changes. */
    addSubscription(customer: string, price: string): string {
      const subId = id('sub');
      subscriptions.set(subId, { id: subId, customer, price, itemId: id('si') });
      return subId;
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

export type FakeStripe = Awaited<ReturnType<typeof startFakeStripe>>;

export const WEBHOOK_SECRET = 'whsec_test_0123456789abcdef';

const sdk = new Stripe('sk_test_kit', { telemetry: false });

/** A Stripe event around `object`, as Stripe sends it. */
export function stripeEvent(
  type: string,
  object: Record<string, unknown>,
  created = Math.floor(Date.now() / 1000),
) {
  return {
    id: id('evt'),
    object: 'event',
    api_version: '2025-01-01',
    created,
    type,
    livemode: false,
    pending_webhooks: 1,
    request: { id: null, idempotency_key: null },
    data: { object },
  };
}

/** Posts an event to the server signed with the SDK's own test helper (or a given header). */
export async function deliver(
  server: TestServer,
  event: object,
  opts: { secret?: string; timestamp?: number; tamper?: boolean; header?: string } = {},
) {
  const payload = JSON.stringify(event);
  const header =
    opts.header ??
    sdk.webhooks.generateTestHeaderString({
      payload,
      secret: opts.secret ?? WEBHOOK_SECRET,
      ...(opts.timestamp !== undefined ? { timestamp: opts.timestamp } : {}),
    });
  const body = opts.tamper ? payload.replace('"livemode":false', '"livemode":true ') : payload;
  const res = await fetch(`${server.url}/api/v1/billing/webhooks/stripe`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'stripe-signature': header },
    body,
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

export interface BillingEventView {
  id: string;
  type: string;
  status: 'received' | 'processed' | 'failed';
  outcome: string | null;
  error: string | null;
  orgId: string | null;
  attempts: number;
}

/** Waits until the event has been processed (or failed), as `who` sees it. */
export async function waitForEvent(
  server: TestServer,
  who: Session,
  eventId: string,
): Promise<BillingEventView> {
  for (let i = 0; i < 400; i++) {
    const res = await call<{ items: BillingEventView[] }>(server, 'GET', '/api/v1/billing/events?limit=200', {
      token: who.accessToken,
    });
    const event = res.body.items?.find((e) => e.id === eventId);
    if (event && event.status !== 'received') return event;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`billing event ${eventId} was not processed`);
}
