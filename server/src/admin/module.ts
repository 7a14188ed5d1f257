import type { FastifyBaseLogger } from 'fastify';
import type { AppContext } from '../platform/context.ts';
import type { Realtime } from '../realtime/module.ts';
import { createNoticeBoard, registerNoticeChannel } from './notice.ts';
import { createRestartControl } from './restart.ts';
import { type AdminDeps, createAdminService } from './service.ts';

/**
 * Wires the control room. A restart drains the server and exits; only the process owner (the CLI's
 * `serve`) can exit, and only the HTTP app knows how to drain, so both are set later through
 * `restart.configure`. Until the exit is set, `POST /admin/restart` answers 503.
 */
export function createAdminModule(
  ctx: AppContext,
  realtime: Realtime,
  log: FastifyBaseLogger,
  sources: Pick<AdminDeps, 'directory' | 'runs' | 'agents'>,
) {
  const restart = createRestartControl({
    hooks: { drain: async () => {}, exit: undefined },
    timeoutMs: ctx.config.shutdownTimeoutMs,
    log,
  });
  const service = createAdminService({ ctx, realtime, restart, log, ...sources });
  const notice = createNoticeBoard({
    db: ctx.database.db,
    bus: ctx.bus,
    assertOperator: (p) => service.assertOperator(p),
  });
  registerNoticeChannel(realtime.channels);
  return { restart, service, notice, stop: () => service.stop() };
}

export type AdminModule = ReturnType<typeof createAdminModule>;
