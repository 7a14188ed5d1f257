import type { FastifyBaseLogger } from 'fastify';
import type { AppContext } from '../platform/context.ts';
import { createApprovalItem, createInboxService } from '../workspace/inbox-service.ts';
import type { TurnExecutor } from './executor.ts';
import { createInlineRuns, type InlineRunsDeps } from './inline.ts';
import { createRunsService, type RunsDeps } from './service.ts';
import { createWebhooks } from './webhooks.ts';
import { createRunWorker } from './worker.ts';

/** Wires runs, their worker, webhooks and the inbox that approvals go through. */
export function createRunsDomain(
  ctx: AppContext,
  log: FastifyBaseLogger,
  agents: {
    findAgent: RunsDeps['findAgent'];
    conversationExists: RunsDeps['conversationExists'];
    executor: TurnExecutor;
    recordUsage: InlineRunsDeps['recordUsage'];
  },
) {
  const { db } = ctx.database;
  const { bus, queue, config } = ctx;
  const webhooks = createWebhooks({ db, bus, queue, secret: config.secret, log });
  const worker = createRunWorker({
    db,
    bus,
    queue,
    log,
    executor: agents.executor,
    settings: config.runs,
    soleProcess: ctx.database.kind === 'pglite',
    createApprovalItem,
    onFinished: (run) => webhooks.runFinished(run),
  });
  const inline = createInlineRuns({
    db,
    bus,
    queue,
    log,
    settings: config.runs,
    recordUsage: agents.recordUsage,
    createApprovalItem,
    onFinished: (run) => webhooks.runFinished(run),
  });
  return {
    runs: createRunsService({
      db,
      bus,
      queue,
      findAgent: agents.findAgent,
      conversationExists: agents.conversationExists,
      settle: (runId) => inline.settle(runId),
    }),
    inbox: createInboxService({ db, bus, queue }),
    webhooks,
    worker,
    /** Records of runs executed in their request (see inline.ts). */
    inline,
    /** Starts executing runs and delivering webhooks in this process. */
    async startWorkers(): Promise<void> {
      await worker.start();
      await webhooks.start();
    },
    async stopWorkers(): Promise<void> {
      await worker.stop(config.shutdownTimeoutMs / 2);
      await inline.stop();
    },
  };
}

export type RunsDomain = ReturnType<typeof createRunsDomain>;
