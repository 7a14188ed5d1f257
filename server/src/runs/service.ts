import type { PgBoss } from 'pg-boss';
import type { LoggedEvent } from '../execution/events.ts';
import { type ApprovalDecision, enqueueRun, type RunStatus, runControlTopic } from '../execution/records.ts';
import type { Principal } from '../platform/auth.ts';
import type { Bus } from '../platform/bus.ts';
import { isUniqueViolation } from '../platform/db/errors.ts';
import type { FeedPosition } from '../platform/db/feed.ts';
import type { Db } from '../platform/db/index.ts';
import { inTransaction, type Work } from '../platform/db/work.ts';
import { newId } from '../platform/ids.ts';
import { decodeCursor, toPage } from '../platform/pagination.ts';
import { RunErrors } from './errors.ts';
import { appendRunEvent } from './events.ts';
import type { RunObservers } from './observers.ts';
import { presentRun } from './present.ts';
import * as store from './store.ts';
import { followRun, readRunLog } from './stream.ts';

export const TERMINAL: RunStatus[] = ['succeeded', 'failed', 'cancelled'];

export interface RunsDeps {
  db: Db;
  bus: Bus;
  queue: PgBoss;
  /** An agent of the org (its model names old log entries), or undefined; the agents domain answers. */
  findAgent(orgId: string, agentId: string): Promise<{ id: string; model: string } | undefined>;
  /** Whether a conversation of the org exists; a run may only continue its own org's conversations. */
  conversationExists(orgId: string, conversationId: string): Promise<boolean>;
  /** Waits for a run this process executed in a request and has not written yet (records-inline.ts). */
  settle?(runId: string): Promise<void>;
  /** Told after a run was submitted here, so this process's loop claims it at once. */
  submitted?(runId: string): void;
  observers: RunObservers;
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
  const { db, bus, queue } = deps;

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

  async function submitIn(work: Work, p: Principal, input: SubmitInput, opts: SubmitOptions) {
    const created = await store.insertRun(work.tx, {
      id: newId('run'),
      orgId: p.orgId,
      agentId: input.agentId,
      conversationId: input.conversationId ?? null,
      status: 'queued',
      input: input.input,
      metadata: input.metadata ?? {},
      idempotencyKey: opts.idempotencyKey ?? null,
      source: opts.source ?? 'api',
      createdBy: p.id,
    });
    const { id: runId, conversationId, agentId } = created;
    await appendRunEvent(work, bus, created, { type: 'run.queued', runId, conversationId, agentId });
    await enqueueRun(queue, work, { runId });
    work.afterCommit(() =>
      bus.publish({ topic: `org:${p.orgId}`, type: 'run.queued', orgId: p.orgId, data: { runId } }),
    );
    work.afterCommit(() => deps.submitted?.(runId));
    await opts.within?.(work, created);
    return { ...created, lastSeq: 1 };
  }

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
      if (!(await deps.findAgent(p.orgId, input.agentId))) throw RunErrors.agentNotFound(input.agentId);
      if (input.conversationId && !(await deps.conversationExists(p.orgId, input.conversationId))) {
        throw RunErrors.conversationNotFound(input.conversationId);
      }
      try {
        const run = await inTransaction(db, (work) => submitIn(work, p, input, opts));
        return { run, replayed: false };
      } catch (err) {
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
      await enqueueRun(queue, work, { runId, resume: decision });
      await deps.observers.resumed(work, queued);
      work.afterCommit(() => deps.submitted?.(runId));
      return true;
    },
  };
  return service;
}

export type RunsService = ReturnType<typeof createRunsService>;
