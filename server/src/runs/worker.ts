import type { FastifyBaseLogger } from 'fastify';
import type { Job, PgBoss } from 'pg-boss';
import type { Bus } from '../platform/bus.ts';
import type { Db, Tx } from '../platform/db/index.ts';
import { createRunEventWriter, inRunTransaction, runControlTopic } from './events.ts';
import { type PendingApproval, RunFailure, TransientError, type TurnExecutor } from './executor.ts';
import { RUNS_QUEUE, type RunJob, TERMINAL } from './service.ts';
import * as store from './store.ts';

/** Jobs whose retries ran out while no handler could settle them (every attempt's worker died). */
export const RUNS_DEAD_QUEUE = 'runs_dead';

export interface RunWorkerDeps {
  db: Db;
  bus: Bus;
  queue: PgBoss;
  executor: TurnExecutor;
  log: FastifyBaseLogger;
  settings: { concurrency: number; timeoutSeconds: number; retryLimit: number };
  /**
   * True when this process alone uses the database (embedded PGlite): a job still marked active at
   * start belonged to a process that died, and is retried at once instead of after its heartbeat lapses.
   */
  soleProcess: boolean;
  /** Creates the inbox item people answer; returns its id. Runs in the pause's transaction. */
  createApprovalItem(tx: Tx, run: store.RunRecord, approval: PendingApproval): Promise<string>;
  /** Called once a run has ended (webhooks). */
  onFinished(run: store.RunRecord): Promise<void>;
}

class Cancelled extends Error {
  override name = 'Cancelled';
}
class TimedOut extends Error {
  override name = 'TimedOut';
}

/** Executes queued runs: claims, streams events, pauses for approval, retries transient failures. */
export function createRunWorker(deps: RunWorkerDeps) {
  const { db, bus, queue, log, settings } = deps;
  const shutdown = new AbortController();
  let workerId: string | undefined;

  async function step<T>(runId: string, stepId: string, fn: () => Promise<T>): Promise<T> {
    const done = await store.findStep(db, runId, stepId);
    if (done) return done.result as T;
    const result = await fn();
    await store.insertStep(db, runId, stepId, result ?? null);
    return result;
  }

  async function finish(
    run: store.RunRecord,
    to: 'succeeded' | 'failed' | 'cancelled',
    patch: Partial<store.RunRecord>,
    type: string,
    data: Record<string, unknown>,
  ) {
    const ended = await inRunTransaction(db, bus, async (tx, emit) => {
      const row = await store.transitionRun(tx, run.id, ['running'], to, {
        ...patch,
        finishedAt: new Date(),
        pausedState: null,
      });
      if (row) await emit(row, type, { status: to, ...data });
      return row;
    });
    if (!ended) return;
    await bus.publish({
      topic: `org:${run.orgId}`,
      type,
      orgId: run.orgId,
      data: { runId: run.id, status: to },
    });
    await deps
      .onFinished(ended)
      .catch((err: unknown) => log.error({ err, runId: run.id }, 'run finish hook failed'));
  }

  /** A run whose every attempt died with its worker: it ends as failed, never stuck in `running`. */
  async function giveUp(job: Job<RunJob>): Promise<void> {
    const run = await store.findRunById(db, job.data.runId);
    if (!run || TERMINAL.includes(run.status) || run.status === 'waiting_approval') return;
    const error = {
      code: 'worker_lost',
      message: `the process running this run stopped ${run.attempts} time(s); it was not retried again`,
    };
    const failed = await inRunTransaction(db, bus, async (tx, emit) => {
      const row = await store.transitionRun(tx, run.id, ['queued', 'running'], 'failed', {
        error,
        finishedAt: new Date(),
      });
      if (row) await emit(row, 'run.failed', { status: 'failed', ...error });
      return row;
    });
    if (failed) await deps.onFinished(failed).catch(() => {});
  }

  async function retryOrphans(): Promise<void> {
    const jobs = await queue.findJobs<RunJob>(RUNS_QUEUE, { limit: 10_000 });
    const orphans = jobs.filter((j) => j.state === 'active').map((j) => j.id);
    if (orphans.length) {
      log.warn({ count: orphans.length }, 'runs: retrying jobs left active by a process that stopped');
      // Failing them counts an attempt and schedules the retry (after its back-off).
      await queue.fail(RUNS_QUEUE, orphans, { reason: 'the process running it stopped' });
    }
  }

  async function handle(job: Job<RunJob>): Promise<void> {
    const { runId, resume } = job.data;
    const run = await store.findRunById(db, runId);
    if (!run || TERMINAL.includes(run.status)) return;
    if (run.status === 'waiting_approval') return; // a stale job: the run waits for a person
    if (run.status === 'queued' && run.pausedState && !resume) return;

    const recovering = run.status === 'running';
    const claimed = await inRunTransaction(db, bus, async (tx, emit) => {
      const row = await store.transitionRun(tx, runId, ['queued', 'running'], 'running', {
        attempts: run.attempts + 1,
        startedAt: run.startedAt ?? new Date(),
      });
      if (!row) return undefined;
      await emit(row, recovering ? 'run.recovered' : resume ? 'run.resumed' : 'run.started', {
        status: 'running',
        attempt: row.attempts,
      });
      return row;
    });
    if (!claimed) return;
    if (claimed.cancelRequestedAt) {
      await finish(claimed, 'cancelled', {}, 'run.cancelled', {});
      return;
    }

    const controller = new AbortController();
    const timeout = setTimeout(() => controller.abort(new TimedOut()), settings.timeoutSeconds * 1000);
    const onAbort = (reason: unknown) => () => controller.abort(reason);
    job.signal.addEventListener('abort', onAbort(new TransientError('the job claim was lost')), {
      once: true,
    });
    shutdown.signal.addEventListener('abort', onAbort(new TransientError('the worker is shutting down')), {
      once: true,
    });
    const unsubscribe = bus.subscribe(runControlTopic(runId), (event) => {
      if (event.type === 'cancel') controller.abort(new Cancelled());
    });
    const writer = createRunEventWriter(db, bus, claimed);
    try {
      const outcome = await deps.executor({
        run: claimed,
        resume,
        signal: controller.signal,
        emit: (type, data) => void writer.append(type, data),
        step: (stepId, fn) => step(runId, stepId, fn),
      });
      await writer.drain();
      if (outcome.kind === 'completed') {
        await finish(
          claimed,
          'succeeded',
          { output: outcome.output, usage: outcome.usage },
          'run.completed',
          {
            output: outcome.output,
            usage: outcome.usage,
          },
        );
        return;
      }
      await inRunTransaction(db, bus, async (tx, emit) => {
        const paused = await store.transitionRun(tx, runId, ['running'], 'waiting_approval', {
          pausedState: outcome.state,
        });
        if (!paused) return;
        const inboxItemId = await deps.createApprovalItem(tx, paused, outcome.approval);
        const { toolName, ...rest } = outcome.approval;
        await emit(paused, 'approval.required', { name: toolName, ...rest, inboxItemId });
      });
      await bus.publish({
        topic: `org:${claimed.orgId}`,
        type: 'approval.required',
        orgId: claimed.orgId,
        data: { runId },
      });
    } catch (err) {
      await writer.drain();
      const reason: unknown = controller.signal.aborted ? controller.signal.reason : err;
      if (reason instanceof Cancelled) {
        await finish(claimed, 'cancelled', {}, 'run.cancelled', {});
      } else if (reason instanceof TimedOut) {
        const error = {
          code: 'run_timeout',
          message: `the run took longer than ${settings.timeoutSeconds} s`,
        };
        await finish(claimed, 'failed', { error }, 'run.failed', error);
      } else if (reason instanceof TransientError && job.retryCount < settings.retryLimit) {
        await inRunTransaction(db, bus, (_tx, emit) =>
          emit(claimed, 'run.retrying', { attempt: claimed.attempts, message: reason.message }),
        );
        throw reason; // pg-boss retries with back-off
      } else {
        const error =
          reason instanceof RunFailure
            ? { code: reason.code, message: reason.message }
            : { code: 'internal_error', message: 'the run failed unexpectedly' };
        if (!(reason instanceof RunFailure)) log.error({ err: reason, runId }, 'run failed unexpectedly');
        await finish(claimed, 'failed', { error }, 'run.failed', error);
      }
    } finally {
      clearTimeout(timeout);
      unsubscribe();
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
        if (job) await giveUp(job);
      });
    },
    /** Wakes this process's worker now (a run submitted here starts without waiting for NOTIFY). */
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

export type RunWorker = ReturnType<typeof createRunWorker>;
