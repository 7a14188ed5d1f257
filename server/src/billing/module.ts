import type { FastifyBaseLogger } from 'fastify';
import type { AppContext } from '../platform/context.ts';
import { createStripeGateway } from './gateway.ts';
import { BILLING_QUEUE, type BillingPorts, createBilling } from './service.ts';

/**
 * Wires billing: the Stripe gateway from config, the service, and the queue worker that processes
 * stored webhook events (jobs carry an order key; the per-key advisory lock makes one processor at a
 * time work through a customer's events, however many workers and replicas there are).
 */
export function createBillingModule(ctx: AppContext, log: FastifyBaseLogger, ports: BillingPorts) {
  const gateway = createStripeGateway(ctx.config.stripe);
  const billing = createBilling({
    db: ctx.database.db,
    bus: ctx.bus,
    queue: ctx.queue,
    gateway,
    publicUrl: ctx.config.publicUrl,
    log,
    ports,
  });
  return {
    billing,
    gateway,
    async start(): Promise<void> {
      // `stately` with the order key as singletonKey: per customer at most one job waits and one runs, so
      // a burst of a customer's events is one drain, not one job each.
      await ctx.queue.createQueue(BILLING_QUEUE, {
        policy: 'stately',
        notify: true,
        retryLimit: 5,
        retryDelay: 2,
        retryBackoff: true,
      });
      await ctx.queue.work<{ orderKey: string }>(
        BILLING_QUEUE,
        { localConcurrency: 4, batchSize: 1, pollingIntervalSeconds: 2, notifyPollingIntervalSeconds: 2 },
        async ([job]) => {
          if (job) await billing.processor.drain(job.data.orderKey);
        },
      );
      await billing.resume();
    },
  };
}

export type BillingModule = ReturnType<typeof createBillingModule>;
