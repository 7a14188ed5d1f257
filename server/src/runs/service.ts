import type { FastifyBaseLogger } from 'fastify';
import type { PgBoss } from 'pg-boss';
import type { LoggedEvent } from '../execution/events.ts';
import {
  type ApprovalDecision,
  enqueueRun,
  enqueueRuns,
  type Reservation,
  type RunJob,
  type RunStatus,
  runControlTopic,
  type TimedEvent,
} from '../execution/records.ts';
import type { Principal } from '../platform/auth.ts';
import type { Bus } from '../platform/bus.ts';
import { isUniqueViolation } from '../platform/db/errors.ts';
import type { FeedPosition } from '../platform/db/feed.ts';
import { createGroupCommit } from '../platform/db/group-commit.ts';
import type { Db } from '../platform/db/index.ts';
import { inTransaction, type Work } from '../platform/db/work.ts';
import { newId } from '../platform/ids.ts';
import { decodeCursor, toPage } from '../platform/pagination.ts';
import { RunErrors } from './errors.ts';
import { appendRunEvent, insertRunEvents } from './events.ts';
import type { RunObservers } from './observers.ts';
import { presentRun } from './present.ts';
import type { RunRecord } from './store.ts';
import * as store from './store.ts';
import { followRun, readRunLog } from './stream.ts';

export const TERMINAL: RunStatus[] = ['succeeded', 'failed', 'cancelled'];

export interface RunsDeps {
  db: Db;
  bus: Bus;
  queue: PgBoss;
  log: FastifyBaseLogger;
  /** Batches of submissions written at once (see group-commit.ts). */
  writers: number;
  /** An agent of the org (its model names old log entries), or undefined; the agents domain answers. */
  findAgent(orgId: string, agentId: string): Promise<{ id: string; model: string } | undefined>;
  /** Whether a conversation of the org exists; a run may only continue its own org's conversations. */
  conversationExists(orgId: string, conversationId: string): Promise<boolean>;
  /** Waits for a run this process executed in a request and has not written yet (records-inline.ts). */
  settle?(runId: string): Promise<void>;
  /** This process's run loop, when it executes runs: it starts a run submitted here itself. */
  here?: RunsHere;
  observers: RunObservers;
}

/**
 * The run loop of this process as submissions see it: a slot kept for a new run, which is then
 * claimed in its submission; else whether it will start the run itself once a slot is free (and how
 * long the run's job is held back meanwhile), then the start; otherwise a wake-up, so it claims the
 * job now rather than at its next look.
 */
export interface RunsHere {
  reserve(runId: string): Reservation | undefined;
  holdFor(): number | undefined;
  start(run: RunRecord, job: RunJob, jobId: string): void;
  wake(): void;
}

/** A run being submitted: who, what, and the slot of this process kept for it, if any. */
interface Submission {
  id: string;
  p: Principal;
  input: SubmitInput;
  opts: SubmitOptions;
  /** The model of its agent, named on `run.started` when it is claimed in its submission. */
  model: string;
  reservation?: Reservation | undefined;
}

/** Puts a run's job on the queue in `work`, held back when this process starts the run itself. */
async function enqueue(deps: RunsDeps, work: Work, run: RunRecord, job: RunJob): Promise<void> {
  const hold = deps.here?.holdFor();
  const jobId = await enqueueRun(deps.queue, work, job, hold ? { startAfter: hold } : {});
  work.afterCommit(() => (hold ? deps.here?.start(run, job, jobId) : deps.here?.wake()));
}

/** How a run is submitted: its idempotency key and surface, and what joins its unit of work. */
export interface SubmitOptions {
  idempotencyKey?: string | undefined;
  source?: 'api' | 'chat' | 'openai';
  /**
   * Runs in the submission's transaction once the run is stored, so another domain's record of the run
   * (a task worked by it) commits with it or not at all; throwing rolls the submission back.
   */
  within?(work: Work, run: store.RunRecord): Promise<void>;
}

export interface SubmitInput {
  agentId: string;
  input: string;
  conversationId?: string | undefined;
  metadata?: Record<string, unknown> | undefined;
}

/** Submitting, reading, following and cancelling runs. Execution lives in execution/. */
export function createRunsService(deps: RunsDeps) {
  const { db, bus } = deps;

  async function getRecord(p: Principal, id: string) {
    await deps.settle?.(id);
    const run = await store.findRun(db, p.orgId, id);
    if (!run) throw RunErrors.notFound(id);
    return run;
  }

  /** The run as the owner of its log: what old entries need filled in (its agent's model). */
  async function logOwner(run: {
    id: string;
    orgId: string;
    agentId: string;
    conversationId: string | null;
  }) {
    const agent = await deps.findAgent(run.orgId, run.agentId).catch(() => undefined);
    return { ...run, model: agent?.model };
  }

  /**
   * Stores submitted runs with their first log entries and their jobs, in a few statements for all of
   * them. A run with a slot kept here is stored claimed (running, attempt 1, `run.started` logged),
   * its job held back as the fallback, and starts once this commits; the others are queued.
   */
  async function submitMany(work: Work, subs: Submission[]): Promise<store.RunRecord[]> {
    const at = new Date();
    // Every column is set here (the type says so), so the rows are stored without reading them back.
    const runs = subs.map(
      ({ id, p, input, opts, reservation }): store.RunRecord => ({
        id,
        orgId: p.orgId,
        agentId: input.agentId,
        conversationId: input.conversationId ?? null,
        status: reservation ? 'running' : 'queued',
        input: input.input,
        metadata: input.metadata ?? {},
        output: null,
        error: null,
        usage: null,
        pausedState: null,
        idempotencyKey: opts.idempotencyKey ?? null,
        source: opts.source ?? 'api',
        createdBy: p.id,
        attempts: reservation ? 1 : 0,
        lastSeq: reservation ? 2 : 1,
        cancelRequestedAt: null,
        createdAt: at,
        startedAt: reservation ? at : null,
        finishedAt: null,
        updatedAt: at,
      }),
    );
    await store.insertRuns(work.tx, runs);
    await insertRunEvents(
      work,
      bus,
      runs.map((run, i) => {
        const { id: runId, conversationId, agentId } = run;
        const events: TimedEvent[] = [{ event: { type: 'run.queued', runId, conversationId, agentId }, at }];
        if (subs[i]!.reservation) {
          const event = {
            type: 'run.started',
            agentId,
            model: subs[i]!.model,
            attempt: 1,
            resumed: false,
          } as const;
          events.push({ event: { ...event, cause: 'start' }, at });
        }
        return { run, events, lastSeq: run.lastSeq };
      }),
    );
    for (const [i, sub] of subs.entries()) await sub.opts.within?.(work, runs[i]!);
    const holds = subs.map((sub) => sub.reservation?.holdSeconds ?? deps.here?.holdFor());
    const jobIds = await enqueueRuns(
      deps.queue,
      work,
      runs.map((run, i) => ({ job: { runId: run.id }, startAfter: holds[i] })),
    );
    for (const [i, run] of runs.entries()) {
      const { orgId } = run;
      work.afterCommit(() =>
        bus.publish({ topic: `org:${orgId}`, type: 'run.queued', orgId, data: { runId: run.id } }),
      );
      const job = { runId: run.id };
      const reservation = subs[i]!.reservation;
      work.afterCommit(() => {
        if (reservation) reservation.start(run, job, jobIds[i]!);
        else if (holds[i]) deps.here?.start(run, job, jobIds[i]!);
        else deps.here?.wake();
      });
    }
    return runs;
  }

  // Runs submitted at about the same time are stored together (one transaction, a few statements).
  const submissions = createGroupCommit<Submission, store.RunRecord>({
    name: 'run submissions',
    db,
    log: deps.log,
    concurrency: deps.writers,
    write: submitMany,
  });

  const service = {
    /**
     * Submits a run: checks its agent and conversation belong to the caller's org, stores it with its
     * first log entry and its job. A repeat with the same idempotency key answers the first run.
     */
    async submit(p: Principal, input: SubmitInput, opts: SubmitOptions = {}) {
      if (opts.idempotencyKey) {
        const existing = await store.findRunByIdempotencyKey(db, p.orgId, opts.idempotencyKey);
        if (existing) return { run: existing, replayed: true };
      }
      const agent = await deps.findAgent(p.orgId, input.agentId);
      if (!agent) throw RunErrors.agentNotFound(input.agentId);
      if (input.conversationId && !(await deps.conversationExists(p.orgId, input.conversationId))) {
        throw RunErrors.conversationNotFound(input.conversationId);
      }
      const id = newId('run');
      const reservation = deps.here?.reserve(id);
      try {
        const run = await submissions.add({ id, p, input, opts, model: agent.model, reservation });
        return { run, replayed: false };
      } catch (err) {
        reservation?.release();
        // Two submissions with one key racing: the loser answers with the winner's run.
        if (opts.idempotencyKey && isUniqueViolation(err)) {
          const existing = await store.findRunByIdempotencyKey(db, p.orgId, opts.idempotencyKey);
          if (existing) return { run: existing, replayed: true };
        }
        throw err;
      }
    },

    get: (p: Principal, id: string) => getRecord(p, id),

    /** A run of the org as the API shows it, or undefined (webhooks send it when the run ends). */
    async presented(orgId: string, id: string) {
      const run = await store.findRun(db, orgId, id);
      return run ? presentRun(run) : undefined;
    },

    /** The run a caller already started with this Idempotency-Key, if any. */
    findByIdempotencyKey: (p: Principal, key: string) => store.findRunByIdempotencyKey(db, p.orgId, key),

    /** Whether anyone in the org has run an agent yet (the getting-started list). */
    hasAnyRun: (orgId: string) => store.hasAnyRun(db, orgId),

    /** The org's runs now and in the last hour, for its dashboard. */
    async figures(orgId: string) {
      const [byStatus, hour] = await Promise.all([
        store.countRunsByStatus(db, orgId),
        store.countFinishedSince(db, orgId, new Date(Date.now() - 3_600_000)),
      ]);
      return {
        active: (byStatus.running ?? 0) + (byStatus.waiting_approval ?? 0),
        running: byStatus.running ?? 0,
        queued: byStatus.queued ?? 0,
        waitingApproval: byStatus.waiting_approval ?? 0,
        succeededLastHour: hour.succeeded ?? 0,
        failedLastHour: hour.failed ?? 0,
      };
    },

    /** The activity feed's view of runs: those that ended or wait, and those submitted through the API. */
    feed: {
      outcomes: (orgId: string, page: { limit: number; before?: FeedPosition | undefined }) =>
        store.listRunOutcomes(db, orgId, page),
      submissions: (orgId: string, page: { limit: number; before?: FeedPosition | undefined }) =>
        store.listRunSubmissions(db, orgId, page),
      /** The agent of each run (the feed names a run by its agent). */
      agentsOf: (orgId: string, ids: string[]) => store.agentsOfRuns(db, orgId, ids),
    },

    /** Whether a run of the org exists (channels authorise on it). */
    exists: async (orgId: string, id: string) => (await store.findRun(db, orgId, id)) !== undefined,

    async list(
      p: Principal,
      q: {
        status?: RunStatus | undefined;
        agentId?: string | undefined;
        conversationId?: string | undefined;
        since?: string | undefined;
        limit: number;
        cursor?: string | undefined;
      },
    ) {
      const rows = await store.listRuns(
        db,
        p.orgId,
        {
          status: q.status,
          agentId: q.agentId,
          conversationId: q.conversationId,
          since: q.since ? new Date(q.since) : undefined,
        },
        { limit: q.limit + 1, before: decodeCursor(q.cursor) },
      );
      return toPage(rows, q.limit);
    },

    /** The run's log after `afterSeq`. */
    async events(p: Principal, id: string, afterSeq: number, limit?: number): Promise<LoggedEvent[]> {
      const run = await getRecord(p, id);
      return readRunLog(db, await logOwner(run), afterSeq, limit);
    },

    /** The log of a run of `orgId` after `afterSeq`, for a channel that already authorised it. */
    async eventsOf(orgId: string, id: string, afterSeq: number): Promise<LoggedEvent[]> {
      const run = await store.findRun(db, orgId, id);
      return run ? readRunLog(db, await logOwner(run), afterSeq) : [];
    },

    /**
     * Follows a run's log from `afterSeq` (replay, then live) until it ends or `signal` aborts. The
     * run must be one the caller already read (`get`).
     */
    async follow(
      run: { id: string; orgId: string; agentId: string; conversationId: string | null },
      afterSeq: number,
      deliver: (event: LoggedEvent) => void,
      signal: AbortSignal,
      model?: string,
    ): Promise<void> {
      const owner = model ? { ...run, model } : await logOwner(run);
      await followRun({ db, bus }, owner, afterSeq, deliver, signal);
    },

    /**
     * Cancels a run. One that is not executing is cancelled here; an executing one is told through the
     * bus, and its loop stops the model call and records the cancellation.
     */
    async cancel(p: Principal, id: string) {
      const run = await getRecord(p, id);
      if (TERMINAL.includes(run.status)) throw RunErrors.finished(id, run.status);
      const now = new Date();
      const cancelled = await inTransaction(db, async (work) => {
        const idle = await store.transitionRun(work.tx, id, ['queued', 'waiting_approval'], 'cancelled', {
          cancelRequestedAt: now,
          finishedAt: now,
          pausedState: null,
        });
        if (!idle) return store.updateRun(work.tx, id, { cancelRequestedAt: now });
        await appendRunEvent(work, bus, idle, {
          type: 'run.failed',
          code: 'cancelled',
          message: 'the run was cancelled',
        });
        await deps.observers.ended(work, idle);
        work.afterCommit(() =>
          bus.publish({
            topic: `org:${p.orgId}`,
            type: 'run.cancelled',
            orgId: p.orgId,
            data: { runId: id },
          }),
        );
        return idle;
      });
      if (cancelled.status !== 'cancelled') {
        await bus.publish({ topic: runControlTopic(id), type: 'cancel', orgId: p.orgId, data: { by: p.id } });
      }
      return cancelled;
    },

    /**
     * Puts a paused run back on the queue with a person's decision, inside the caller's unit of work
     * (the inbox's). False when the run is no longer waiting (cancelled, or already decided).
     */
    async resume(work: Work, orgId: string, runId: string, decision: ApprovalDecision): Promise<boolean> {
      const run = await store.findRun(work.tx, orgId, runId);
      if (!run) return false;
      const queued = await store.transitionRun(work.tx, runId, ['waiting_approval'], 'queued');
      if (!queued) return false;
      await appendRunEvent(work, bus, queued, {
        type: 'approval.decided',
        approved: decision.approved,
        reason: decision.reason ?? null,
        by: decision.decidedBy,
      });
      await deps.observers.resumed(work, queued);
      await enqueue(deps, work, queued, { runId, resume: decision });
      return true;
    },
  };
  return service;
}

export type RunsService = ReturnType<typeof createRunsService>;
