import type { FastifyBaseLogger } from 'fastify';
import type { AppContext } from '../platform/context.ts';
import { createWebhooks } from './service.ts';

/** Wires the org's outbound webhook; its deliveries run on the queue with the other workers. */
export function createWebhooksModule(
  ctx: AppContext,
  log: FastifyBaseLogger,
  ports: { runOf(orgId: string, runId: string): Promise<unknown | undefined> },
) {
  return createWebhooks({
    db: ctx.database.db,
    bus: ctx.bus,
    queue: ctx.queue,
    secret: ctx.config.secret,
    log,
    runOf: ports.runOf,
  });
}
