import type { FastifyBaseLogger } from 'fastify';
import type { Authenticator } from '../platform/auth.ts';
import type { AppContext } from '../platform/context.ts';
import { newId } from '../platform/ids.ts';
import { createHub } from './hub.ts';
import { localPresence, redisPresence } from './presence.ts';

/**
 * Wires the realtime hub to the bus, the authenticator and (when configured) Redis for presence.
 * Domains plug in through `hub.channels.register(...)` and `hub.stats.register(...)`.
 */
export function createRealtime(ctx: AppContext, authenticate: Authenticator, log: FastifyBaseLogger) {
  const { config } = ctx;
  const replicaId = newId('rep');
  const presence = ctx.redis
    ? redisPresence({
        redis: ctx.redis,
        prefix: config.redisPrefix,
        replicaId,
        intervalMs: config.realtime.dashboardIntervalMs,
        log,
      })
    : localPresence(replicaId);
  const hub = createHub({
    bus: ctx.bus,
    authenticate,
    settings: config.realtime,
    presence,
    metrics: ctx.metrics,
    log,
  });
  return Object.assign(hub, { replicaId });
}

export type Realtime = ReturnType<typeof createRealtime>;
