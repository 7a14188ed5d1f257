import type { FastifyBaseLogger } from 'fastify';
import type { Job, PgBoss } from 'pg-boss';
import type { Bus } from '../platform/bus.ts';
import {
  type ExecutionRun,
  RUNS_DEAD_QUEUE,
  RUNS_QUEUE,
  type RunJob,
  type RunRecords,
  type RunStatus,
  runControlTopic,
  type StartCause,
} from './records.ts';
import { type QueuedTurn, RunFailure, TransientError } from './turn.ts';

export interface QueuedLoopDeps {
  queue: PgBoss;
  bus: Bus;
  records: RunRecords;
  turn: QueuedTurn;
  /** The model of an agent, named on `run.started` ('unknown' when the agent is gone). */
  modelOf(orgId: string, agentId: string): Promise<string>;
  log: FastifyBaseLogger;
  settings: { concurrency: number; timeoutSeconds: number; retryLimit: number };
  /**
   * True when this process alone uses the database (embedded PGlite): a job still marked active at
   * start belonged to a process that died, and is retried at once instead of after its heartbeat lapses.
   */
  soleProcess: boolean;
}

const TERMINAL: ReadonlySet<RunStatus> = new Set(['succeeded', 'failed', 'cancelled']);

class Cancelled extends Error {
  override name = 'Cancelled';
}
class TimedOut extends Error {
  override name = 'TimedOut';
}

/**
 * The loop for queued runs: claims jobs, executes their turn, pauses for approval, retries transient
 * failures (the queue's back-off), stops on cancel or timeout. Everything it records goes through
 * the run records; it never touches their tables.
 */
export function createQueuedLoop(deps: QueuedLoopDeps) {
  const { queue, bus, records, log, settings } = deps;
  const shutdown = new AbortController();
  let workerId: string | undefined;

  async function retryOrphans(): Promise<void> {
    const jobs = await queue.findJobs<RunJob>(RUNS_QUEUE, { limit: 10_000 });
    const orphans = jobs.filter((j) => j.state === 'active').map((j) => j.id);
    if (orphans.length) {
      log.warn({ count: orphans.length }, 'runs: retrying jobs left active by a process that stopped');
      // Failing them counts an attempt and schedules the retry (after its back-off).
      await queue.fail(RUNS_QUEUE, orphans, { reason: 'the process running it stopped' });
    }
  }

  /** Whether a job should execute its run now, and why it starts. */
  function causeOf(run: ExecutionRun, job: RunJob): StartCause | undefined {
    if (TERMINAL.has(run.status) || run.status === 'waiting_approval') return undefined; // a stale job
    if (run.status === 'queued' && run.pausedState && !job.resume) return undefined;
    if (run.status === 'running') return 'recovery';
    return job.resume ? 'approval' : 'start';
  }

  async function handle(job: Job<RunJob>): Promise<void> {
    const { runId, resume } = job.data;
    const run = await records.load(runId);
    if (!run) return;
    const cause = causeOf(run, job.data);
    if (!cause) return;
    const claimed = await records.claim(run, cause, await deps.modelOf(run.orgId, run.agentId));
    if (!claimed) return;
    if (claimed.cancelRequestedAt) {
      await records.finish(claimed, { status: 'cancelled' });
      return;
    }

    const controller = new AbortController();
    const timeout = setTimeout(() => controller.abort(new TimedOut()), settings.timeoutSeconds * 1000);
    // The reasons are made when they happen (an error made up front keeps its stack for every run).
    const onClaimLost = () => controller.abort(new TransientError('the job claim was lost'));
    const onShutdown = () => controller.abort(new TransientError('the worker is shutting down'));
    job.signal.addEventListener('abort', onClaimLost, { once: true });
    // The shutdown signal lives as long as the worker: its listener must go when the run does, or every
    // run's controller, log writer and turn stay reachable from it.
    shutdown.signal.addEventListener('abort', onShutdown, { once: true });
    const unsubscribe = bus.subscribe(runControlTopic(runId), (event) => {
      if (event.type === 'cancel') controller.abort(new Cancelled());
    });
    const writer = records.log(claimed);
    try {
      const outcome = await deps.turn({
        run: claimed,
        resume,
        signal: controller.signal,
        emit: (event) => writer.append(event),
        step: (stepId, fn) => records.step(runId, stepId, fn),
      });
      await writer.drain();
      if (outcome.kind === 'completed') {
        const { output, agentId, usage } = outcome;
        await records.finish(claimed, { status: 'succeeded', output, agentId, usage });
      } else {
        await records.pause(claimed, outcome.state, outcome.approval);
      }
    } catch (err) {
      await writer.drain();
      const reason: unknown = controller.signal.aborted ? controller.signal.reason : err;
      if (reason instanceof Cancelled) {
        await records.finish(claimed, { status: 'cancelled' });
      } else if (reason instanceof TimedOut) {
        const error = {
          code: 'run_timeout',
          message: `the run took longer than ${settings.timeoutSeconds} s`,
        };
        await records.finish(claimed, { status: 'failed', error });
      } else if (reason instanceof TransientError && job.retryCount < settings.retryLimit) {
        await records.retrying(claimed, reason.message);
        throw reason; // the queue retries with back-off
      } else {
        const error =
          reason instanceof RunFailure
            ? {
                code: reason.code,
                message: reason.message,
                ...(reason.details === undefined ? {} : { details: reason.details }),
              }
            : { code: 'internal_error', message: 'the run failed unexpectedly' };
        if (!(reason instanceof RunFailure)) log.error({ err: reason, runId }, 'run failed unexpectedly');
        await records.finish(claimed, { status: 'failed', error });
      }
    } finally {
      clearTimeout(timeout);
      unsubscribe();
      job.signal.removeEventListener('abort', onClaimLost);
      shutdown.signal.removeEventListener('abort', onShutdown);
    }
  }

  return {
    async start(): Promise<void> {
      await queue.createQueue(RUNS_DEAD_QUEUE, { retryLimit: 5, retryDelay: 5 });
      await queue.createQueue(RUNS_QUEUE, {
        deadLetter: RUNS_DEAD_QUEUE,
        notify: true,
        retryLimit: settings.retryLimit,
        retryDelay: 1,
        retryBackoff: true,
        retryDelayMax: 60,
        expireInSeconds: settings.timeoutSeconds + 60,
        heartbeatSeconds: 10,
      });
      // Before this process claims anything, so only a dead process's jobs are active.
      if (deps.soleProcess) await retryOrphans();
      workerId = await queue.work<RunJob>(
        RUNS_QUEUE,
        {
          localConcurrency: settings.concurrency,
          batchSize: 1,
          pollingIntervalSeconds: 2,
          // A retry's notice comes when it is scheduled, not when its back-off ends: look again soon.
          notifyPollingIntervalSeconds: 2,
        },
        async ([job]) => {
          if (job) await handle(job);
        },
      );
      await queue.work<RunJob>(RUNS_DEAD_QUEUE, { batchSize: 1 }, async ([job]) => {
        if (job) await records.giveUp(job.data.runId);
      });
    },
    /** Wakes this process's loop now (a run submitted here starts without waiting for NOTIFY). */
    wake(): void {
      if (workerId) queue.notifyWorker(workerId);
    },
    /**
     * Stops taking runs and gives the running ones `graceMs` to finish; then aborts them, and they go
     * back on the queue (a retry) for another worker or the next start.
     */
    async stop(graceMs: number): Promise<void> {
      const timer = setTimeout(() => shutdown.abort(), graceMs);
      try {
        await queue.offWork(RUNS_QUEUE, { wait: true }).catch(() => {});
      } finally {
        clearTimeout(timer);
        shutdown.abort();
      }
    },
  };
}

export type QueuedLoop = ReturnType<typeof createQueuedLoop>;
