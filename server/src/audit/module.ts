import type { FastifyBaseLogger } from 'fastify';
import type { Db } from '../platform/db/index.ts';
import { createAuditRecorder } from './recorder.ts';
import { createAuditService } from './service.ts';

const PURGE_EVERY_MS = 60 * 60_000;
/** The first purge waits a little so it does not compete with start-up. */
const FIRST_PURGE_MS = 60_000;

/**
 * The audit domain: the batching recorder behind the request hook, the reading service, and the
 * retention purge (every hour; `retentionDays` 0 keeps everything).
 */
export function createAudit(db: Db, settings: { retentionDays: number }, log: FastifyBaseLogger) {
  const recorder = createAuditRecorder({ db, log });
  const service = createAuditService(db);
  const timers: NodeJS.Timeout[] = [];

  async function purge(now?: Date): Promise<number> {
    if (settings.retentionDays === 0) return 0;
    try {
      const n = await service.purge(settings.retentionDays, now);
      if (n) log.info({ rows: n, retentionDays: settings.retentionDays }, 'audit: purged old rows');
      return n;
    } catch (err) {
      log.error({ err }, 'audit: purge failed');
      return 0;
    }
  }

  return {
    recorder,
    service,
    purge,
    start(): void {
      if (settings.retentionDays === 0) return;
      const first = setTimeout(() => void purge(), FIRST_PURGE_MS);
      const every = setInterval(() => void purge(), PURGE_EVERY_MS);
      first.unref();
      every.unref();
      timers.push(first, every);
    },
    async stop(): Promise<void> {
      for (const t of timers) clearTimeout(t);
      await recorder.stop();
    },
  };
}

export type Audit = ReturnType<typeof createAudit>;
