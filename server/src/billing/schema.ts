import { z } from 'zod';
import { pageQuerySchema } from '../platform/pagination.ts';

const limit = (what: string) =>
  z.number().int().min(0).max(1_000_000).nullable().optional().meta({ description: what });

export const planLimitsSchema = z
  .object({
    monthlyBudgetUsd: z
      .number()
      .min(0)
      .max(10_000_000)
      .nullable()
      .optional()
      .meta({ description: "Becomes the org's hard monthly budget; left out: no budget from the plan" }),
    seats: limit('Members the org may have; left out: any number'),
    agents: limit('Agents the org may have; left out: any number'),
  })
  .meta({ id: 'PlanLimits' });

export const planSchema = z
  .object({
    id: z.string(),
    name: z.string(),
    priceUsdMonthly: z.number(),
    stripePriceId: z.string().nullable(),
    limits: z.object({
      monthlyBudgetUsd: z.number().nullable(),
      seats: z.number().int().nullable(),
      agents: z.number().int().nullable(),
    }),
    createdAt: z.string(),
    updatedAt: z.string(),
  })
  .meta({ id: 'Plan' });

export const planParams = z.object({
  id: z
    .string()
    .regex(/^[a-z0-9][a-z0-9_-]{0,62}$/, 'lowercase letters, digits, - and _')
    .meta({ description: 'The plan id; `default` is the plan of orgs without a live subscription' }),
});

export const putPlanBody = z.object({
  name: z.string().min(1).max(100),
  priceUsdMonthly: z.number().min(0).max(1_000_000),
  stripePriceId: z
    .string()
    .min(1)
    .max(200)
    .nullable()
    .optional()
    .meta({ description: 'The Stripe price Checkout sells this plan at; needed to buy it through Stripe' }),
  limits: planLimitsSchema.default({}),
});

const statusEnum = z.enum([
  'none',
  'incomplete',
  'incomplete_expired',
  'trialing',
  'active',
  'past_due',
  'unpaid',
  'canceled',
  'paused',
]);

const usageOf = z.object({ used: z.number(), limit: z.number().nullable() });

export const subscriptionSchema = z
  .object({
    gateway: z.enum(['manual', 'stripe']).nullable(),
    checkout: z
      .boolean()
      .meta({ description: 'Whether subscribing goes through Stripe Checkout on this server' }),
    planId: z.string().nullable().meta({ description: 'The subscribed plan' }),
    pendingPlanId: z.string().nullable().meta({ description: 'A plan asked for and waiting for Stripe' }),
    status: statusEnum,
    currentPeriodEnd: z.string().nullable(),
    cancelAtPeriodEnd: z.boolean(),
    plan: planSchema.nullable().meta({
      description: "The plan whose limits apply now: the live subscription's, else `default`, else none",
    }),
    usage: z.object({ seats: usageOf, agents: usageOf, monthlyBudgetUsd: usageOf }),
  })
  .meta({ id: 'Subscription' });

export const subscribeBody = z.object({ planId: z.string().min(1).max(63) });

export const subscribeResult = z
  .object({
    checkoutUrl: z.string().nullable().meta({
      description: 'With Stripe: where to send the person to pay; null when the plan started at once',
    }),
    subscription: subscriptionSchema,
  })
  .meta({ id: 'SubscribeResult' });

export const invoiceSchema = z
  .object({
    id: z.string(),
    status: z.enum(['paid', 'payment_failed']),
    amountDueUsd: z.number(),
    amountPaidUsd: z.number(),
    currency: z.string(),
    hostedInvoiceUrl: z.string().nullable(),
    periodEnd: z.string().nullable(),
    createdAt: z.string(),
    updatedAt: z.string(),
  })
  .meta({ id: 'Invoice' });

export const eventStatusEnum = z.enum(['received', 'processed', 'failed']);

export const billingEventSchema = z
  .object({
    id: z.string().meta({ description: "Stripe's event id" }),
    type: z.string(),
    status: eventStatusEnum,
    outcome: z.string().nullable().meta({ description: 'What processing did' }),
    error: z.string().nullable(),
    orgId: z.string().nullable(),
    customerId: z.string().nullable(),
    attempts: z.number().int(),
    createdAt: z.string().meta({ description: 'When Stripe made the event' }),
    receivedAt: z.string(),
    processedAt: z.string().nullable(),
    payload: z.record(z.string(), z.unknown()),
  })
  .meta({ id: 'BillingEvent' });

export const eventsQuery = pageQuerySchema.extend({
  type: z.string().max(100).optional(),
  status: eventStatusEnum.optional(),
  since: z.iso.datetime({ offset: true }).optional(),
  until: z.iso.datetime({ offset: true }).optional(),
  orgId: z.string().max(100).optional().meta({ description: "Operator admins only: one org's events" }),
});
