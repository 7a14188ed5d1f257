import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { principalOf } from '../platform/auth.ts';
import { errorEnvelopeSchema } from '../platform/errors.ts';
import { errorResponses, idParams, requestMeta } from '../platform/http.ts';
import { pageOf } from '../platform/pagination.ts';
import {
  billingEventSchema,
  eventsQuery,
  invoiceSchema,
  planParams,
  planSchema,
  putPlanBody,
  subscribeBody,
  subscribeResult,
  subscriptionSchema,
} from './schema.ts';
import type { Billing } from './service.ts';

const withPayment = { ...errorResponses, 402: errorEnvelopeSchema, 502: errorEnvelopeSchema };

/** Plans, the org's subscription, invoices, Stripe's webhook and the event store. */
export function billingRoutes(billing: Billing) {
  return async (root: FastifyInstance) => {
    const app = root.withTypeProvider<ZodTypeProvider>();
    const tags = ['billing'];
    const read = { auth: { permission: 'billing:read' } };
    const manage = { auth: { permission: 'billing:manage' } };
    const operator = { auth: { permission: 'admin' } };

    app.get(
      '/billing/plans',
      {
        config: read,
        schema: {
          operationId: 'listPlans',
          tags,
          summary: "The operator's plans",
          response: {
            200: z.object({
              items: z.array(planSchema),
              editable: z.boolean().meta({ description: 'Whether you may change plans (an operator admin)' }),
            }),
            ...errorResponses,
          },
        },
      },
      async (request) => billing.plans(principalOf(request)),
    );

    app.put(
      '/admin/billing/plans/:id',
      {
        config: operator,
        schema: {
          operationId: 'putPlan',
          tags,
          summary: 'Create or change a plan (operator admins); its limits apply to its orgs at once',
          params: planParams,
          body: putPlanBody,
          response: { 200: planSchema, ...errorResponses },
        },
      },
      async (request) => billing.putPlan(principalOf(request), request.params.id, request.body),
    );

    app.delete(
      '/admin/billing/plans/:id',
      {
        config: operator,
        schema: {
          operationId: 'deletePlan',
          tags,
          summary: 'Delete a plan no org is on (operator admins)',
          params: planParams,
          response: { 204: z.null(), ...errorResponses },
        },
      },
      async (request, reply) => {
        await billing.deletePlan(principalOf(request), request.params.id);
        return reply.status(204).send(null);
      },
    );

    app.get(
      '/billing/subscription',
      {
        config: read,
        schema: {
          operationId: 'getSubscription',
          tags,
          summary: "The org's subscription, the plan in force and what it uses of the plan's limits",
          response: { 200: subscriptionSchema, ...errorResponses },
        },
      },
      async (request) => billing.subscription(principalOf(request)),
    );

    app.post(
      '/billing/subscription',
      {
        config: manage,
        schema: {
          operationId: 'subscribe',
          tags,
          summary: 'Subscribe to a plan: a Stripe Checkout URL, or (without Stripe) the plan at once',
          body: subscribeBody,
          response: { 200: subscribeResult, ...withPayment },
        },
      },
      async (request) => billing.subscribe(principalOf(request), request.body.planId, requestMeta(request)),
    );

    app.patch(
      '/billing/subscription',
      {
        config: manage,
        schema: {
          operationId: 'changePlan',
          tags,
          summary: 'Change the plan (through Stripe, in force when Stripe confirms; else at once)',
          body: subscribeBody,
          response: { 200: subscriptionSchema, ...withPayment },
        },
      },
      async (request) => billing.change(principalOf(request), request.body.planId, requestMeta(request)),
    );

    app.delete(
      '/billing/subscription',
      {
        config: manage,
        schema: {
          operationId: 'cancelSubscription',
          tags,
          summary: 'Cancel at the end of the period (a plan started without Stripe ends now)',
          response: { 200: subscriptionSchema, ...withPayment },
        },
      },
      async (request) => billing.cancel(principalOf(request), requestMeta(request)),
    );

    app.post(
      '/billing/portal',
      {
        config: manage,
        schema: {
          operationId: 'openBillingPortal',
          tags,
          summary: "A Stripe customer portal session for the org's cards, invoices and cancellation",
          response: { 200: z.object({ url: z.string() }), ...withPayment },
        },
      },
      async (request) => billing.portal(principalOf(request)),
    );

    app.get(
      '/billing/invoices',
      {
        config: read,
        schema: {
          operationId: 'listInvoices',
          tags,
          summary: "The org's invoices as Stripe's webhooks reported them, newest first",
          response: { 200: z.object({ items: z.array(invoiceSchema) }), ...errorResponses },
        },
      },
      async (request) => billing.invoices(principalOf(request)),
    );

    app.get(
      '/billing/events',
      {
        config: manage,
        schema: {
          operationId: 'listBillingEvents',
          tags,
          summary: "Stripe events with what processing did: the org's own, or every one for operator admins",
          querystring: eventsQuery,
          response: { 200: pageOf(billingEventSchema), ...errorResponses },
        },
      },
      async (request) => billing.events(principalOf(request), request.query),
    );

    app.post(
      '/billing/events/:id/replay',
      {
        config: manage,
        schema: {
          operationId: 'replayBillingEvent',
          tags,
          summary: 'Process a stored event again (idempotent: what it already did is not done twice)',
          params: idParams,
          response: { 200: billingEventSchema, ...errorResponses },
        },
      },
      async (request) => billing.replay(principalOf(request), request.params.id),
    );

    // Stripe signs the exact bytes it sent, so this route alone keeps the body raw.
    await app.register(async (scope) => {
      scope.removeContentTypeParser('application/json');
      scope.addContentTypeParser('application/json', { parseAs: 'buffer' }, (_request, body, done) =>
        done(null, body),
      );
      scope.withTypeProvider<ZodTypeProvider>().post(
        '/billing/webhooks/stripe',
        {
          config: { auth: 'public', audit: false },
          schema: {
            operationId: 'receiveStripeWebhook',
            tags,
            summary:
              "Stripe's webhook: verified by Stripe-Signature, stored once by event id, processed in order",
            response: {
              200: z.object({ received: z.literal(true), duplicate: z.boolean() }),
              400: errorEnvelopeSchema,
              503: errorEnvelopeSchema,
            },
          },
        },
        async (request) => {
          const raw = Buffer.isBuffer(request.body) ? request.body : Buffer.from('');
          const signature = request.headers['stripe-signature'];
          const result = await billing.receive(raw, typeof signature === 'string' ? signature : undefined);
          return { received: true as const, ...result };
        },
      );
    });
  };
}
