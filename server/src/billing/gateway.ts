import type Stripe from 'stripe';

/** Where Stripe is, and with which keys; `undefined` keys mean "not configured". */
export interface StripeSettings {
  secretKey: string | undefined;
  webhookSecret: string | undefined;
  apiBase: string | undefined;
}

/** Stripe verifies signatures within five minutes of their timestamp; so does Switchboard. */
export const SIGNATURE_TOLERANCE_SECONDS = 300;

/** The fields of a Stripe event processing reads; the rest of the payload is kept as it came. */
export interface StripeEvent {
  id: string;
  type: string;
  created: number;
  data: { object: Record<string, unknown> };
}

/** The SDK's options for another API address (a local fake in tests). */
function addressOf(apiBase: string | undefined): {
  host?: string;
  port?: number;
  protocol?: 'http' | 'https';
} {
  if (!apiBase) return {};
  const url = new URL(apiBase);
  const protocol = url.protocol === 'http:' ? 'http' : 'https';
  return {
    host: url.hostname,
    port: url.port ? Number(url.port) : protocol === 'http' ? 80 : 443,
    protocol,
  };
}

type StripeSdk = typeof import('stripe').default;
let sdk: Promise<StripeSdk> | undefined;
/** The SDK is loaded on first use: most servers never talk to Stripe, and it is a large module. */
const loadSdk = () => {
  sdk ??= import('stripe').then((m) => m.default);
  return sdk;
};

/**
 * Every call Switchboard makes to Stripe, through the official SDK: customers, Checkout, the customer
 * portal, plan changes and cancellation, and the verification of webhook signatures.
 */
export function createStripeGateway(settings: StripeSettings) {
  const { secretKey } = settings;
  let client: Promise<Stripe> | undefined;
  // Verifying needs no key; the SDK's webhook helpers hang off any instance.
  let verifier: Promise<Stripe> | undefined;

  function need(): Promise<Stripe> {
    if (!secretKey) throw new Error('Stripe is not configured');
    client ??= loadSdk().then(
      (Sdk) =>
        new Sdk(secretKey, {
          ...addressOf(settings.apiBase),
          maxNetworkRetries: 2,
          timeout: 20_000,
          telemetry: false,
          appInfo: { name: 'Switchboard' },
        }),
    );
    return client;
  }

  return {
    /** Whether subscribing goes through Stripe Checkout (else plans start at once). */
    enabled: !!secretKey,
    /** Whether incoming webhooks can be verified. */
    verifying: !!settings.webhookSecret,

    async createCustomer(orgId: string, name: string): Promise<string> {
      const customer = await (await need()).customers.create({ name, metadata: { orgId } });
      return customer.id;
    },

    async checkout(input: {
      customerId: string;
      priceId: string;
      orgId: string;
      planId: string;
      successUrl: string;
      cancelUrl: string;
    }): Promise<{ id: string; url: string }> {
      const metadata = { orgId: input.orgId, planId: input.planId };
      const session = await (await need()).checkout.sessions.create({
        mode: 'subscription',
        customer: input.customerId,
        client_reference_id: input.orgId,
        line_items: [{ price: input.priceId, quantity: 1 }],
        metadata,
        subscription_data: { metadata },
        success_url: input.successUrl,
        cancel_url: input.cancelUrl,
      });
      if (!session.url) throw new Error('Stripe answered a Checkout session without a URL');
      return { id: session.id, url: session.url };
    },

    async portal(customerId: string, returnUrl: string): Promise<string> {
      const session = await (await need()).billingPortal.sessions.create({
        customer: customerId,
        return_url: returnUrl,
      });
      return session.url;
    },

    /** Moves the subscription's one item to the plan's price (Stripe prorates). */
    async changePrice(subscriptionId: string, priceId: string, orgId: string, planId: string): Promise<void> {
      const stripe = await need();
      const sub = await stripe.subscriptions.retrieve(subscriptionId);
      const item = sub.items.data[0];
      if (!item) throw new Error(`Stripe subscription ${subscriptionId} has no item`);
      await stripe.subscriptions.update(subscriptionId, {
        items: [{ id: item.id, price: priceId }],
        cancel_at_period_end: false,
        metadata: { orgId, planId },
      });
    },

    async cancelAtPeriodEnd(subscriptionId: string): Promise<void> {
      await (await need()).subscriptions.update(subscriptionId, { cancel_at_period_end: true });
    },

    /** The event, when `signature` signs exactly these bytes with the webhook secret, recently; else throws. */
    async verify(raw: Buffer | string, signature: string): Promise<StripeEvent> {
      if (!settings.webhookSecret) throw new Error('STRIPE_WEBHOOK_SECRET is not set');
      verifier ??= secretKey ? need() : loadSdk().then((Sdk) => new Sdk('sk_unused', { telemetry: false }));
      return (await verifier).webhooks.constructEvent(
        raw,
        signature,
        settings.webhookSecret,
        SIGNATURE_TOLERANCE_SECONDS,
      ) as unknown as StripeEvent;
    },
  };
}

export type StripeGateway = ReturnType<typeof createStripeGateway>;
