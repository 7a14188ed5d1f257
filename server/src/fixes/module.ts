import type { FastifyBaseLogger } from 'fastify';
import type { AppContext } from '../platform/context.ts';
import type { RunObserver } from '../runs/observers.ts';
import type { ToolRegistry } from '../tools/registry.ts';
import { createFixJobs } from './jobs.ts';
import { fixRunObserver } from './outcomes.ts';
import { createFixesService, FIXES_QUEUE, type FixesDeps, type FixJob } from './service.ts';
import { repoToolSource } from './tools.ts';

/**
 * Wires fixes: the service behind the routes, the `repo.*` tools (in the registry, so API servers and
 * workers alike run them), the run observer that moves a fix with its run, and the queue worker that
 * applies and verifies approved fixes.
 */
export function createFixesModule(
  ctx: AppContext,
  log: FastifyBaseLogger,
  ports: Pick<FixesDeps, 'issues' | 'inbox' | 'agents' | 'runs'> & {
    tools: ToolRegistry;
    observeRuns(observer: RunObserver): void;
  },
) {
  const settings = ctx.config.fixes;
  const { db } = ctx.database;
  const service = createFixesService({
    db,
    bus: ctx.bus,
    queue: ctx.queue,
    log,
    settings,
    issues: ports.issues,
    inbox: ports.inbox,
    agents: ports.agents,
    runs: ports.runs,
  });
  ports.tools.addSource(repoToolSource({ db, settings }));
  ports.observeRuns(fixRunObserver(ctx.bus, ports.inbox));
  const jobs = createFixJobs({ db, bus: ctx.bus, log, settings });
  return {
    service,
    /** Starts applying approved fixes in this process. */
    async start(): Promise<void> {
      await ctx.queue.createQueue(FIXES_QUEUE, { notify: true, retryLimit: 3, retryDelay: 5 });
      await ctx.queue.work<FixJob>(
        FIXES_QUEUE,
        { localConcurrency: 2, batchSize: 1, pollingIntervalSeconds: 2, notifyPollingIntervalSeconds: 2 },
        async ([job]) => {
          if (job) await jobs.run(job.data);
        },
      );
    },
  };
}

export type FixesModule = ReturnType<typeof createFixesModule>;
