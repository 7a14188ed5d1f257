import type { Server } from 'node:http';
import type { FastifyBaseLogger } from 'fastify';
import type { AppContext } from '../platform/context.ts';
import type { Realtime } from '../realtime/module.ts';
import { closeSweepingIdle, createRestartControl } from './restart.ts';
import { createAdminService } from './service.ts';

/**
 * Wires the control room. A restart drains `app` (closing its HTTP server and sockets) and exits; only
 * the process owner (the CLI's `serve`) can exit, so it sets that, and a drain that closes storage too,
 * through `restart.configure`. Until then `POST /admin/restart` answers 503.
 */
export function createAdmin(
  ctx: AppContext,
  realtime: Realtime,
  log: FastifyBaseLogger,
  app: { server: Server; close(): Promise<void> },
) {
  const restart = createRestartControl({
    hooks: {
      drain: () => closeSweepingIdle(app.server, () => app.close()),
      exit: undefined,
    },
    timeoutMs: ctx.config.shutdownTimeoutMs,
    log,
  });
  const service = createAdminService({ ctx, realtime, restart, log });
  return { restart, service, stop: () => service.stop() };
}

export type Admin = ReturnType<typeof createAdmin>;
