import type { FastifyBaseLogger } from 'fastify';
import pLimit from 'p-limit';
import type { Job, JobResult, PgBoss } from 'pg-boss';
import type { Bus } from '../platform/bus.ts';
import type { ModelCallUsage } from './events.ts';
import {
  ClaimLost,
  type ExecutionRun,
  type Reservation,
  RUNS_DEAD_QUEUE,
  RUNS_QUEUE,
  type RunJob,
  type RunRecords,
  type RunStatus,
  runControlTopic,
  type StartCause,
  type TimedEvent,
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
  settings: {
    concurrency: number;
    timeoutSeconds: number;
    retryLimit: number;
    inProcessStart: boolean;
    leaseSeconds: number;
  };
  /**
   * True when this process alone uses the database (embedded PGlite): a job still marked active at
   * start belonged to a process that died, and is retried at once instead of after its heartbeat lapses.
   */
  soleProcess: boolean;
}

const TERMINAL: ReadonlySet<RunStatus> = new Set(['succeeded', 'failed', 'cancelled']);
/** Runs waiting here for a slot, per slot, beyond which a submission goes to the queue instead. */
const BACKLOG_PER_SLOT = 4;
/** How long the queue waits before it tries a run again after an in-process attempt failed. */
const RETRY_DELAY_S = 1;
/** Jobs one fetch of the fallback path claims at most. */
const FETCH_BATCH = 4;

class Cancelled extends Error {
  override name = 'Cancelled';
}
class TimedOut extends Error {
  override name = 'TimedOut';
}

/** One attempt to execute: a fetched job, or a run started here that holds its job back. */
interface Attempt {
  run: ExecutionRun;
  job: RunJob;
  /** The job's own retries so far (0 for a run started here). */
  retryCount: number;
  /** Aborted when the queue says this process no longer holds the job. */
  claimLost?: AbortSignal;
  /** Set for a run started here: its held job, settled with its end, and since when it waits here. */
  held?: { jobId: string; since: number };
  /** Set for a run claimed in its submission (a slot was reserved for it): nothing is left to claim. */
  claimed?: ExecutionRun;
  /** The run's cancel requests, listened to since before anyone else could see the run. */
  cancels?: CancelWatch;
}

/** Cancel requests for one run, as they come on the bus. */
interface CancelWatch {
  requested: boolean;
  /** Told of a request from the moment the run's turn can be stopped. */
  onCancel?: (() => void) | undefined;
  stop(): void;
}

/** A run executing in this process. */
interface Executing {
  done: Promise<void>;
  /** Its held job, while one is held back by renewals (a fetched job is kept alive by the queue). */
  heldJob?: string | undefined;
  renewedAt: number;
}

/**
 * The loop for queued runs: executes runs submitted here at once, within `concurrency`, and claims
 * jobs from the queue for the rest (other replicas' runs, retries, the runs of a process that died);
 * pauses for approval, retries transient failures (the queue's back-off), stops on cancel or timeout.
 * Everything it records goes through the run records; it never touches their tables.
 */
export function createQueuedLoop(deps: QueuedLoopDeps) {
  const { queue, bus, records, log, settings } = deps;
  const shutdown = new AbortController();
  const slots = pLimit(settings.concurrency);
  const executing = new Map<string, Executing>();
  let workerId: string | undefined;
  let reserved = 0;
  let started = false;
  let stopping = false;
  let renewer: NodeJS.Timeout | undefined;

  async function retryOrphans(): Promise<void> {
    const jobs = await queue.findJobs<RunJob>(RUNS_QUEUE, { limit: 10_000 });
    const orphans = jobs.filter((j) => j.state === 'active').map((j) => j.id);
    if (orphans.length) {
      log.warn({ count: orphans.length }, 'runs: retrying jobs left active by a process that stopped');
      // Failing them counts an attempt and schedules the retry (after its back-off).
      await queue.fail(RUNS_QUEUE, orphans, { reason: 'the process running it stopped' });
    }
    // Jobs held back for runs a stopped process had started itself: nobody renews them any more.
    const now = Date.now();
    const held = jobs.filter((j) => j.state === 'created' && j.startAfter.getTime() > now);
    for (const job of held) await queue.update(RUNS_QUEUE, undefined, { id: job.id, startAfter: 0 });
  }

  /** Whether a job should execute its run now, and why it starts. */
  function causeOf(run: ExecutionRun, job: RunJob): StartCause | undefined {
    if (TERMINAL.has(run.status) || run.status === 'waiting_approval') return undefined; // a stale job
    if (run.status === 'queued' && run.pausedState && !job.resume) return undefined;
    if (run.status === 'running') return 'recovery';
    return job.resume ? 'approval' : 'start';
  }

  function watchCancels(runId: string): CancelWatch {
    const watch: CancelWatch = { requested: false, stop: () => {} };
    watch.stop = bus.subscribe(runControlTopic(runId), (event) => {
      if (event.type !== 'cancel') return;
      watch.requested = true;
      watch.onCancel?.();
    });
    return watch;
  }

  /** The run claimed for this attempt: already (in its submission), or now; undefined when it is not ours. */
  async function claimFor(attempt: Attempt): Promise<ExecutionRun | undefined> {
    const { held } = attempt;
    if (attempt.claimed) return attempt.claimed;
    // Stopping: the job needs nobody's lease to be picked up (here at the next start, or elsewhere).
    if (held && stopping) return void (await records.renew(held.jobId, 0).catch(() => false));
    const cause = causeOf(attempt.run, attempt.job);
    if (!cause || (held && cause === 'recovery')) return undefined;
    const model = await deps.modelOf(attempt.run.orgId, attempt.run.agentId);
    // A run that waited long for its slot has its job held back again with its claim.
    const lease = settings.leaseSeconds;
    const renewSeconds = held && Date.now() - held.since >= (lease * 1000) / 3 ? lease : undefined;
    return records.claim(attempt.run, cause, model, held && { jobId: held.jobId, renewSeconds });
  }

  /** Claims the run and executes one attempt of it, recording how it went. */
  async function execute(attempt: Attempt): Promise<void> {
    const { job, held } = attempt;
    const { runId, resume } = job;
    const claimed = await claimFor(attempt);
    if (!claimed) return attempt.cancels?.stop();
    const tail = (events: TimedEvent[] = [], calls: ModelCallUsage[] = []) => ({
      events,
      calls,
      ...(held ? { jobId: held.jobId } : {}),
    });
    const cancels = attempt.cancels ?? watchCancels(runId);
    if (claimed.cancelRequestedAt || cancels.requested) {
      cancels.stop();
      await records.finish(claimed, { status: 'cancelled' }, tail());
      return;
    }

    const controller = new AbortController();
    const timeout = setTimeout(() => controller.abort(new TimedOut()), settings.timeoutSeconds * 1000);
    // The reasons are made when they happen (an error made up front keeps its stack for every run).
    const onClaimLost = () => controller.abort(new TransientError('the job claim was lost'));
    const onShutdown = () => controller.abort(new TransientError('the worker is shutting down'));
    attempt.claimLost?.addEventListener('abort', onClaimLost, { once: true });
    // The shutdown signal lives as long as the worker: its listener must go when the run does, or every
    // run's controller, log writer and turn stay reachable from it.
    shutdown.signal.addEventListener('abort', onShutdown, { once: true });
    cancels.onCancel = () => controller.abort(new Cancelled());
    // Another attempt claimed the run (this one's lease lapsed): it is theirs; stop without a word.
    const writer = records.log(claimed, () => controller.abort(new ClaimLost('the run was claimed again')));
    const calls: ModelCallUsage[] = [];
    try {
      const outcome = await deps.turn({
        run: claimed,
        resume,
        signal: controller.signal,
        emit: (event) => writer.append(event),
        step: (stepId, fn) => records.step(runId, stepId, fn),
        keepCalls: (made) => void calls.push(...made),
      });
      const events = await writer.rest();
      if (outcome.kind === 'completed') {
        const { output, agentId, usage } = outcome;
        await records.finish(claimed, { status: 'succeeded', output, agentId, usage }, tail(events, calls));
      } else {
        await records.pause(claimed, outcome.state, outcome.approval, tail(events, calls));
      }
    } catch (err) {
      const events = await writer.rest();
      const reason: unknown = controller.signal.aborted ? controller.signal.reason : err;
      const retries = attempt.retryCount + (job.spent ?? 0);
      if (reason instanceof ClaimLost) {
        log.warn({ runId }, 'run: another attempt claimed it; this one stops');
      } else if (reason instanceof Cancelled) {
        await records.finish(claimed, { status: 'cancelled' }, tail(events, calls));
      } else if (reason instanceof TimedOut) {
        const error = {
          code: 'run_timeout',
          message: `the run took longer than ${settings.timeoutSeconds} s`,
        };
        await records.finish(claimed, { status: 'failed', error }, tail(events, calls));
      } else if (reason instanceof TransientError && retries < settings.retryLimit) {
        // A fetched job is retried by the queue when this throws; a held one is rescheduled here.
        const retry = held
          ? { job: { ...job, spent: (job.spent ?? 0) + 1 }, delaySeconds: RETRY_DELAY_S }
          : undefined;
        await records.retrying(claimed, reason.message, tail(events, calls), retry);
        if (!held) throw reason; // the queue retries with back-off
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
        await records.finish(claimed, { status: 'failed', error }, tail(events, calls));
      }
    } finally {
      clearTimeout(timeout);
      cancels.stop();
      attempt.claimLost?.removeEventListener('abort', onClaimLost);
      shutdown.signal.removeEventListener('abort', onShutdown);
    }
  }

  /**
   * Executes an attempt in a slot; this process knows it executes the run from now on (a run waiting
   * for its slot included, so a held job is renewed and a fetched one waits for it).
   */
  function track(attempt: Attempt, heldJob?: string): Promise<void> {
    const entry: Executing = { done: Promise.resolve(), heldJob, renewedAt: Date.now() };
    executing.set(attempt.run.id, entry);
    entry.done = slots(async () => {
      try {
        await execute(attempt);
      } finally {
        if (executing.get(attempt.run.id) === entry) executing.delete(attempt.run.id);
      }
    });
    return entry.done;
  }

  /** A job fetched from the queue. */
  async function handle(job: Job<RunJob>): Promise<void> {
    const here = executing.get(job.data.runId);
    if (here) {
      // The run's held job came due while this process executes it (a renewal came late): this
      // process keeps it, and the job now lives as long as the execution does.
      here.heldJob = undefined;
      await here.done;
      const run = await records.load(job.data.runId);
      // Left running or queued (this process stopped it): the queue tries again.
      if (run && (run.status === 'running' || run.status === 'queued')) {
        throw new TransientError('the run was left unfinished by the attempt that held it');
      }
      return;
    }
    const run = await records.load(job.data.runId);
    if (!run) return;
    await track({ run, job: job.data, retryCount: job.retryCount, claimLost: job.signal });
  }

  /** Holds back the jobs of runs executing here that have run for a third of their lease. */
  async function renewLeases(): Promise<void> {
    const now = Date.now();
    const due = [...executing.values()].filter(
      (e) => e.heldJob && now - e.renewedAt >= (settings.leaseSeconds * 1000) / 3,
    );
    for (const entry of due) {
      const jobId = entry.heldJob!;
      entry.renewedAt = now;
      const renewed = await records.renew(jobId, settings.leaseSeconds).catch(() => false);
      // No longer waiting: a worker fetched it. The run's claim decides who goes on (see execute).
      if (!renewed && entry.heldJob === jobId) entry.heldJob = undefined;
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
          localConcurrency: Math.max(1, Math.ceil(settings.concurrency / FETCH_BATCH)),
          batchSize: Math.min(FETCH_BATCH, settings.concurrency),
          pollingIntervalSeconds: 2,
          // A retry's notice comes when it is scheduled, not when its back-off ends: look again soon.
          notifyPollingIntervalSeconds: 2,
          perJobResults: true,
        },
        // Each job of a batch settles on its own: one failing (a retry) does not fail the others.
        async (jobs): Promise<JobResult[]> => {
          const settled = await Promise.allSettled(jobs.map((job) => handle(job)));
          return settled.map((s, i) => ({
            id: jobs[i]!.id,
            status: s.status === 'fulfilled' ? 'completed' : 'failed',
            ...(s.status === 'rejected' ? { output: { message: String((s.reason as Error)?.message) } } : {}),
          }));
        },
      );
      await queue.work<RunJob>(RUNS_DEAD_QUEUE, { batchSize: 1 }, async ([job]) => {
        if (job) await records.giveUp(job.data.runId);
      });
      renewer = setInterval(
        () => void renewLeases().catch((err: unknown) => log.warn({ err }, 'runs: renewing leases failed')),
        (settings.leaseSeconds * 1000) / 6,
      );
      renewer.unref();
      started = true;
    },

    /**
     * The delay the job of a run submitted here should be held back by, when this process will start
     * the run itself; undefined when it will not (workers elsewhere, turned off, or too many waiting).
     */
    holdFor(): number | undefined {
      if (!started || stopping || !settings.inProcessStart) return undefined;
      if (slots.pendingCount >= settings.concurrency * BACKLOG_PER_SLOT) return undefined;
      return settings.leaseSeconds;
    },

    /**
     * Starts a run submitted or resumed here, whose job `jobId` was held back ({@link holdFor}), as
     * soon as a slot is free. A run that waited long has its job held back again with its claim.
     */
    startHere(run: ExecutionRun, job: RunJob, jobId: string): void {
      const attempt = { run, job, retryCount: 0, held: { jobId, since: Date.now() } };
      track(attempt, jobId).catch((err: unknown) =>
        log.error({ err, runId: run.id }, 'run: starting it here failed'),
      );
    },

    /**
     * Keeps a slot for the run `runId` about to be submitted here, when one is free now: the run is
     * then claimed in its submission's transaction and starts as soon as that commits, its job held
     * back as the fallback. Its cancel requests are listened to from now, before anyone can see it.
     * Undefined when this process will not start it at once (the submission queues it as usual).
     */
    reserve(runId: string): Reservation | undefined {
      if (!started || stopping || !settings.inProcessStart) return undefined;
      if (slots.activeCount + slots.pendingCount + reserved >= settings.concurrency) return undefined;
      reserved++;
      const cancels = watchCancels(runId);
      let settled = false;
      const settle = () => {
        if (settled) return false;
        settled = true;
        reserved--;
        return true;
      };
      return {
        holdSeconds: settings.leaseSeconds,
        start(run, job, jobId) {
          if (!settle()) return;
          const attempt = {
            run,
            job,
            retryCount: 0,
            held: { jobId, since: Date.now() },
            claimed: run,
            cancels,
          };
          track(attempt, jobId).catch((err: unknown) =>
            log.error({ err, runId }, 'run: starting it here failed'),
          );
        },
        release() {
          if (settle()) cancels.stop();
        },
      };
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
      stopping = true;
      clearInterval(renewer);
      const timer = setTimeout(() => shutdown.abort(), graceMs);
      try {
        await queue.offWork(RUNS_QUEUE, { wait: true }).catch(() => {});
        await Promise.all([...executing.values()].map((e) => e.done));
      } finally {
        clearTimeout(timer);
        shutdown.abort();
      }
    },
  };
}

export type QueuedLoop = ReturnType<typeof createQueuedLoop>;
