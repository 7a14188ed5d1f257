import { sql } from 'drizzle-orm';
import { fromDrizzle, type PgBoss } from 'pg-boss';
import type { Principal } from '../platform/auth.ts';
import type { Bus } from '../platform/bus.ts';
import { isUniqueViolation } from '../platform/db/errors.ts';
import type { Db, Tx } from '../platform/db/index.ts';
import { AppError, Errors } from '../platform/errors.ts';
import { newId } from '../platform/ids.ts';
import { decodeCursor, toPage } from '../platform/pagination.ts';
import { inRunTransaction, type RunEvent, runControlTopic } from './events.ts';
import type { ApprovalDecision } from './executor.ts';
import * as store from './store.ts';
import type { RunStatus } from './tables.ts';

export const RUNS_QUEUE = 'runs';
export const TERMINAL: RunStatus[] = ['succeeded', 'failed', 'cancelled'];

/** What a job on the runs queue carries. */
export interface RunJob {
  runId: string;
  resume?: ApprovalDecision;
}

export interface RunsDeps {
  db: Db;
  bus: Bus;
  queue: PgBoss;
  /** Resolves an agent of the org, or undefined; runs only need to know it exists. */
  findAgent(orgId: string, agentId: string): Promise<{ id: string } | undefined>;
  /** Whether a conversation of the org exists; a run may only continue its own org's conversations. */
  conversationExists(orgId: string, conversationId: string): Promise<boolean>;
  /** Waits for a run this process executed inline and has not written yet (see inline.ts). */
  settle?(runId: string): Promise<void>;
}

export const presentRun = (r: store.RunRecord) => ({
  id: r.id,
  agentId: r.agentId,
  conversationId: r.conversationId,
  status: r.status,
  input: r.input,
  metadata: r.metadata,
  output: r.output,
  error: r.error,
  usage: r.usage,
  source: r.source,
  attempts: r.attempts,
  lastSeq: r.lastSeq,
  createdBy: r.createdBy,
  createdAt: r.createdAt.toISOString(),
  startedAt: r.startedAt?.toISOString() ?? null,
  finishedAt: r.finishedAt?.toISOString() ?? null,
  updatedAt: r.updatedAt.toISOString(),
});

export const presentRunEvent = (e: store.RunEventRecord | RunEvent) => ({
  seq: e.seq,
  type: e.type,
  data: e.data,
  at: 'at' in e ? e.at : e.createdAt.toISOString(),
});

/**
 * Sends a run job in the caller's transaction, so the run and its job exist together or not at all.
 * `options` override the queue's retry budget or delay the first attempt.
 */
export async function enqueueRun(
  queue: PgBoss,
  tx: Tx,
  job: RunJob,
  options: { retryLimit?: number; startAfter?: number } = {},
): Promise<void> {
  await queue.send(RUNS_QUEUE, job as unknown as object, { ...options, db: fromDrizzle(tx as never, sql) });
}

/** Submitting, reading and cancelling runs. Execution lives in worker.ts. */
export function createRunsService(deps: RunsDeps) {
  const { db, bus, queue } = deps;

  async function getRecord(p: Principal, id: string) {
    await deps.settle?.(id);
    const run = await store.findRun(db, p.orgId, id);
    if (!run) throw Errors.notFound('run', id);
    return run;
  }

  return {
    async submit(
      p: Principal,
      input: {
        agentId: string;
        input: string;
        conversationId?: string | undefined;
        metadata?: Record<string, unknown> | undefined;
      },
      opts: { idempotencyKey?: string | undefined; source?: 'api' | 'chat' | 'openai' } = {},
    ) {
      if (opts.idempotencyKey) {
        const existing = await store.findRunByIdempotencyKey(db, p.orgId, opts.idempotencyKey);
        if (existing) return { run: existing, replayed: true };
      }
      if (!(await deps.findAgent(p.orgId, input.agentId))) throw Errors.notFound('agent', input.agentId);
      if (input.conversationId && !(await deps.conversationExists(p.orgId, input.conversationId))) {
        throw Errors.notFound('conversation', input.conversationId);
      }
      try {
        const run = await inRunTransaction(db, bus, async (tx, emit) => {
          const created = await store.insertRun(tx, {
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
          await emit(created, 'run.queued', { status: 'queued', agentId: created.agentId });
          await enqueueRun(queue, tx, { runId: created.id });
          return { ...created, lastSeq: 1 };
        });
        await bus.publish({
          topic: `org:${p.orgId}`,
          type: 'run.queued',
          orgId: p.orgId,
          data: { runId: run.id },
        });
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

    /** The run a caller already started with this Idempotency-Key, if any. */
    findByIdempotencyKey: (p: Principal, key: string) => store.findRunByIdempotencyKey(db, p.orgId, key),

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

    async events(p: Principal, id: string, afterSeq: number, limit?: number) {
      await getRecord(p, id);
      return store.listRunEvents(db, p.orgId, id, afterSeq, limit);
    },

    /**
     * Cancels a run. One that is not executing is cancelled here; an executing one is told through the
     * bus, and its worker stops the model call and records the cancellation.
     */
    async cancel(p: Principal, id: string) {
      const run = await getRecord(p, id);
      if (TERMINAL.includes(run.status)) {
        throw new AppError(
          409,
          'run_finished',
          `run ${id} already ${run.status}; there is nothing to cancel`,
        );
      }
      const now = new Date();
      const cancelled = await inRunTransaction(db, bus, async (tx, emit) => {
        const idle = await store.transitionRun(tx, id, ['queued', 'waiting_approval'], 'cancelled', {
          cancelRequestedAt: now,
          finishedAt: now,
          pausedState: null,
        });
        if (idle) {
          await emit(idle, 'run.cancelled', { status: 'cancelled', by: p.id });
          return idle;
        }
        return store.updateRun(tx, id, { cancelRequestedAt: now });
      });
      if (cancelled.status !== 'cancelled') {
        await bus.publish({ topic: runControlTopic(id), type: 'cancel', orgId: p.orgId, data: { by: p.id } });
      } else {
        await bus.publish({
          topic: `org:${p.orgId}`,
          type: 'run.cancelled',
          orgId: p.orgId,
          data: { runId: id },
        });
      }
      return cancelled;
    },
  };
}

/**
 * Puts a paused run back on the queue with the approval decision, inside the caller's (the inbox's)
 * transaction. False when the run is no longer waiting (cancelled, or already decided).
 */
export async function resumeRun(
  tx: Tx,
  emit: (
    run: { id: string; orgId: string },
    type: string,
    data: Record<string, unknown>,
  ) => Promise<RunEvent>,
  queue: PgBoss,
  orgId: string,
  runId: string,
  decision: ApprovalDecision,
): Promise<boolean> {
  const run = await store.findRun(tx, orgId, runId);
  if (!run) return false;
  const queued = await store.transitionRun(tx, runId, ['waiting_approval'], 'queued');
  if (!queued) return false;
  await emit(queued, 'approval.decided', {
    approved: decision.approved,
    reason: decision.reason ?? null,
    by: decision.decidedBy,
  });
  await enqueueRun(queue, tx, { runId, resume: decision });
  return true;
}

export type RunsService = ReturnType<typeof createRunsService>;
