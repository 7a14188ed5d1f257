import { AppError, Errors } from '../platform/errors.ts';

/** The errors of billing, one code each with one status. */
export const BillingErrors = {
  planNotFound: (id: string) => Errors.notFound('plan', id),
  eventNotFound: (id: string) => Errors.notFound('billing event', id),
  noSubscription: () => Errors.notFound('subscription'),
  /** A plan limit would be passed: the limit, what the plan allows and what is in use. */
  planLimit: (limit: 'seats' | 'agents', allowed: number, used: number, planId: string) =>
    new AppError(
      402,
      'plan_limit',
      `the ${planId} plan allows ${allowed} ${limit === 'seats' ? 'seat' : 'agent'}${allowed === 1 ? '' : 's'} and ${used} ${used === 1 ? 'is' : 'are'} in use; change the plan for more`,
      { limit, allowed, used, planId },
    ),
  planInUse: (id: string, orgs: number) =>
    new AppError(409, 'plan_in_use', `plan ${id} is the plan of ${orgs} organisation(s); move them first`, {
      planId: id,
      orgs,
    }),
  notPurchasable: (id: string) =>
    new AppError(
      409,
      'plan_not_purchasable',
      `plan ${id} has no stripePriceId, so it cannot be bought through Stripe; the operator sets one`,
      { planId: id },
    ),
  alreadySubscribed: (planId: string | null) =>
    new AppError(
      409,
      'already_subscribed',
      'the organisation already has a subscription through Stripe; change its plan with PATCH /billing/subscription',
      { planId },
    ),
  checkoutRequired: () =>
    new AppError(
      409,
      'checkout_required',
      'this server takes payments through Stripe: subscribe with POST /billing/subscription, which opens Checkout',
    ),
  priceTaken: (priceId: string) =>
    new AppError(409, 'stripe_price_taken', `another plan already sells Stripe price ${priceId}`, {
      stripePriceId: priceId,
    }),
  stripeNotConfigured: () =>
    new AppError(
      409,
      'stripe_not_configured',
      'this server takes no payments (STRIPE_SECRET_KEY is not set), so there is no customer portal',
    ),
  noCustomer: () =>
    new AppError(409, 'no_stripe_customer', 'the organisation has not subscribed through Stripe yet'),
  webhookNotConfigured: () =>
    Errors.unavailable('this server verifies no Stripe webhooks (STRIPE_WEBHOOK_SECRET is not set)'),
  badSignature: (reason: string) =>
    new AppError(400, 'invalid_signature', `the Stripe-Signature does not verify: ${reason}`),
  badEvent: (reason: string) => Errors.badRequest(`not a Stripe event: ${reason}`),
  stripeFailed: (message: string) =>
    new AppError(502, 'payment_provider_error', `Stripe refused the request: ${message.slice(0, 300)}`),
};
