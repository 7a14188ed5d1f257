import type { FastifyBaseLogger } from 'fastify';
import { fromPglite, PgBoss } from 'pg-boss';
import type { Config } from './config.ts';
import type { Database } from './db/index.ts';

export type Queue = PgBoss;

/**
 * The durable job engine: pg-boss on the same PostgreSQL (or the embedded PGlite through pg-boss's
 * adapter). LISTEN/NOTIFY wakes workers the moment a job is sent, so work starts in milliseconds;
 * polling stays on as the floor.
 */
export function createQueue(database: Database, config: Config, log: FastifyBaseLogger): PgBoss {
  const common = {
    useListenNotify: true,
    // Dead workers are noticed by missed heartbeats; the supervisor pass decides how fast.
    superviseIntervalSeconds: 10,
    monitorIntervalSeconds: 30,
    maintenanceIntervalSeconds: 120,
  };
  const boss = database.pglite
    ? new PgBoss({
        ...common,
        db: fromPglite(database.pglite),
        backend: 'pglite',
        schema: config.queueSchema,
      })
    : new PgBoss({ ...common, connectionString: config.databaseUrl!, max: 4, schema: config.queueSchema });
  boss.on('error', (err: unknown) => log.error({ err }, 'queue error'));
  boss.on('warning', (warning: unknown) => log.warn({ warning }, 'queue warning'));
  return boss;
}
