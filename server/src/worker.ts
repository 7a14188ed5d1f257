import pino from 'pino';
import { createCoreDomains } from './domains.ts';
import type { Config } from './platform/config.ts';
import { createContext } from './platform/context.ts';
import { loggerOptions } from './platform/logger.ts';

/**
 * A worker-only process (`switchboard worker`): executes runs and delivers webhooks from the shared
 * queue, with no HTTP. API replicas then run with WORKERS_IN_PROCESS=false. Events reach clients of any
 * replica through the database log and, with REDIS_URL, the bus.
 */
export async function startWorker(config: Config): Promise<{ stop(): Promise<void> }> {
  const log = pino(loggerOptions(config) as pino.LoggerOptions);
  const ctx = await createContext(config);
  const domains = createCoreDomains(ctx, log);
  try {
    await domains.startWorkers();
  } catch (err) {
    await ctx.close();
    throw err;
  }
  log.info(
    { concurrency: config.runs.concurrency, database: ctx.database.kind },
    'Switchboard worker is running',
  );
  let stopping: Promise<void> | undefined;
  return {
    stop() {
      stopping ??= (async () => {
        await domains.close();
        await ctx.close();
      })();
      return stopping;
    },
  };
}
