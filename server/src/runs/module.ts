import type { FastifyBaseLogger } from 'fastify';
import type { AppContext } from '../platform/context.ts';
import { createRunObservers, type RunObserver } from './observers.ts';
import { createRunRecords, type OpenApproval, type RunRecordsDeps } from './records.ts';
import { createInlineRecords, type InlineRecordsDeps } from './records-inline.ts';
import { createRunsService, type RunsDeps, type RunsHere } from './service.ts';

/** Transactions of one kind of run write (submissions, log entries, endings) under way at once on PostgreSQL. */
const WRITERS_ON_POOL = 3;

/**
 * Wires runs: the service (submit, read, follow, cancel, resume), the records the execution loops
 * write through, and who is told when a run ends. What runs need of other domains comes in as
 * functions: agents and conversations to check a submission, the inbox to open an approval request,
 * usage to keep the model calls of runs written behind their answers.
 */
export function createRunsModule(
  ctx: AppContext,
  log: FastifyBaseLogger,
  ports: {
    findAgent: RunsDeps['findAgent'];
    conversationExists: RunsDeps['conversationExists'];
    openApproval: OpenApproval;
    recordUsage: InlineRecordsDeps['recordUsage'];
    recordRunUsage: RunRecordsDeps['recordRunUsage'];
    /** Told once a run has ended (the org's webhook). */
    finished(run: { id: string; orgId: string }): Promise<void>;
  },
) {
  const { db } = ctx.database;
  const { bus, queue, config } = ctx;
  const onFinished = ports.finished;
  const observers = createRunObservers();
  // Batches of run writes under way at once: PGlite has one connection; a pool overlaps a few.
  const writers = ctx.database.kind === 'pglite' ? 1 : WRITERS_ON_POOL;
  const common = {
    db,
    bus,
    queue,
    log,
    writers,
    settings: config.runs,
    openApproval: ports.openApproval,
    onFinished,
    observers,
  };
  const inline = createInlineRecords({ ...common, recordUsage: ports.recordUsage });
  let here: RunsHere | undefined;
  return {
    service: createRunsService({
      db,
      bus,
      queue,
      findAgent: ports.findAgent,
      conversationExists: ports.conversationExists,
      settle: (runId) => inline.settle(runId),
      log,
      writers,
      here: {
        holdFor: () => here?.holdFor(),
        start: (run, job, jobId) => here?.start(run, job, jobId),
        reserve: (runId) => here?.reserve(runId),
        wake: () => here?.wake(),
      },
      observers,
    }),
    records: createRunRecords({
      ...common,
      recordUsage: ports.recordUsage,
      recordRunUsage: ports.recordRunUsage,
      inline,
    }),
    /** Other domains follow their runs here (tasks, fixes): told in the run's own unit of work. */
    observe: (observer: RunObserver) => observers.add(observer),
    /** This process's run loop, which starts runs submitted or resumed here (when it executes runs). */
    runHere(loop: RunsHere): void {
      here = loop;
    },
    /** Writes the records of inline runs still waiting (shutdown). */
    stop: () => inline.stop(),
  };
}

export type RunsModule = ReturnType<typeof createRunsModule>;
