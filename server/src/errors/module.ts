import type { FastifyBaseLogger } from 'fastify';
import type { AppContext } from '../platform/context.ts';
import { createRateLimiter } from '../platform/rate-limit.ts';
import type { ChannelRegistry } from '../realtime/channels.ts';
import type { Arrival, Grouped } from './grouper.ts';
import { createIngest } from './ingest.ts';
import { registerIssuesChannel } from './realtime.ts';
import { createSelfReporter } from './self-report.ts';
import { createErrorsService, type ErrorsDeps } from './service.ts';
import { createGroupingWorker } from './worker.ts';

/**
 * Wires error tracking: the ingest (its rate windows in the platform's limiter, shared through Redis),
 * the service behind the routes, the grouping worker (started where workers run; woken at once when
 * this process stored events), the server's own failure reports, and the `issues` channel.
 */
export function createErrorsModule(
  ctx: AppContext,
  log: FastifyBaseLogger,
  ports: Pick<ErrorsDeps, 'membersOf' | 'operatorOrg' | 'clock' | 'projectRemoved'> & {
    /** Issues that saw events from a release, after each grouping pass (fixes check regressions). */
    eventsArrived?: ((arrivals: Arrival[]) => Promise<void>) | undefined;
  },
) {
  const { config } = ctx;
  const limiter = createRateLimiter({
    limits: config.rateLimits,
    redis: ctx.redis,
    prefix: config.redisPrefix,
    log,
  });
  const groupedObservers = new Set<(grouped: Grouped) => void>();
  const worker = createGroupingWorker({
    db: ctx.database.db,
    bus: ctx.bus,
    log,
    onGrouped: (grouped) => {
      for (const observer of groupedObservers) observer(grouped);
    },
    arrived: ports.eventsArrived,
  });
  const ingest = createIngest({
    db: ctx.database.db,
    bus: ctx.bus,
    maxBytes: config.errors.maxEventBytes,
    defaultRate: config.errors.rateLimitPerMinute,
    limit: (key, perMinute, count) => limiter.take(key, perMinute, count),
    stored: (count) => worker.stored(count),
  });
  const service = createErrorsService({
    db: ctx.database.db,
    bus: ctx.bus,
    ingest,
    publicUrl: config.publicUrl,
    defaultRate: config.errors.rateLimitPerMinute,
    environment: config.env,
    membersOf: ports.membersOf,
    operatorOrg: ports.operatorOrg,
    clock: ports.clock,
    projectRemoved: ports.projectRemoved,
  });
  const selfReport = createSelfReporter({
    service,
    ingest,
    operatorOrg: ports.operatorOrg,
    environment: config.env,
    log,
  });
  return {
    service,
    ingest,
    worker,
    selfReport,
    /** Tells `observer` after each grouping pass in this process (the ingest bench measures lag with it). */
    observeGrouped(observer: (grouped: Grouped) => void): () => void {
      groupedObservers.add(observer);
      return () => groupedObservers.delete(observer);
    },
    registerRealtime: (channels: ChannelRegistry) => registerIssuesChannel(channels),
    start(): void {
      worker.start();
    },
    async stop(): Promise<void> {
      await worker.stop();
      ingest.close();
      limiter.stop();
    },
  };
}

export type ErrorsModule = ReturnType<typeof createErrorsModule>;
