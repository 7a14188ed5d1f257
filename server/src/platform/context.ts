import type { Redis } from 'ioredis';
import pino from 'pino';
import { type Bus, createBus } from './bus.ts';
import type { Config } from './config.ts';
import { type Database, openDatabase } from './db/index.ts';
import { createMetrics, type Metrics } from './metrics.ts';
import { createQueue, type Queue } from './queue.ts';
import { createRedis } from './redis.ts';

/** A named dependency `/health/ready` probes; it throws when the dependency does not answer. */
export type ReadinessCheck = () => Promise<void>;

/**
 * Everything a running server shares: configuration, storage and infrastructure clients.
 * Built once at start (or once per test server) and handed to every domain.
 */
export interface AppContext {
  config: Config;
  database: Database;
  metrics: Metrics;
  /** Present when REDIS_URL is set: shared rate limits and cross-replica fan-out. */
  redis: Redis | undefined;
  /** Domain events: in-process, and across replicas through Redis when configured. */
  bus: Bus;
  /** The durable job engine (pg-boss), started and installed. */
  queue: Queue;
  readiness: Map<string, ReadinessCheck>;
  /** Closes what the context opened, last opened first. */
  close(): Promise<void>;
}

export interface ContextOptions {
  /** Use this database instead of opening one from the config (tests). */
  database?: Database;
  /** Skip migrations (the database is already migrated). */
  skipMigrations?: boolean;
}

export async function createContext(config: Config, options: ContextOptions = {}): Promise<AppContext> {
  const database =
    options.database ??
    (await openDatabase(
      config.databaseUrl
        ? { kind: 'postgres', url: config.databaseUrl }
        : { kind: 'pglite', dataDir: config.dataDir },
    ));
  if (!options.skipMigrations) await database.migrate();
  const readiness = new Map<string, ReadinessCheck>([['database', () => database.ping()]]);
  const closers: Array<() => Promise<void>> = [() => database.close()];
  const redis = config.redisUrl ? await createRedis(config.redisUrl, 'main') : undefined;
  if (redis) {
    readiness.set('redis', async () => {
      await redis.ping();
    });
    closers.push(async () => {
      await redis.quit();
    });
  }
  // Pub/sub needs a connection of its own: a subscribed Redis connection cannot publish.
  const subscriber = config.redisUrl ? await createRedis(config.redisUrl, 'bus') : undefined;
  const bus = createBus({
    prefix: config.redisPrefix,
    log: pino({ level: config.logLevel }),
    ...(redis ? { redisPublisher: redis } : {}),
    ...(subscriber ? { redisSubscriber: subscriber } : {}),
  });
  closers.push(() => bus.close());
  const log = pino({ level: config.logLevel });
  const queue = createQueue(database, config, log);
  try {
    await queue.start();
  } catch (err) {
    for (const close of closers.reverse()) await close().catch(() => {});
    throw err;
  }
  // Stopped first on close (closers run in reverse): let running jobs finish before the database goes.
  closers.push(() => queue.stop({ graceful: true, timeout: config.shutdownTimeoutMs }));
  readiness.set('queue', async () => {
    if (!(await queue.isInstalled())) throw new Error('the job queue schema is not installed');
  });
  return {
    config,
    database,
    redis,
    bus,
    queue,
    metrics: createMetrics(),
    readiness,
    async close() {
      for (const close of closers.reverse()) await close().catch(() => {});
    },
  };
}
