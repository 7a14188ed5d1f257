import type { FastifyBaseLogger } from 'fastify';
import type { PgBoss } from 'pg-boss';
import type { ModelCallUsage } from '../execution/events.ts';
import {
  type ExecutionRun,
  type PendingApproval,
  queueDb,
  RUNS_QUEUE,
  type RunEnding,
  type RunRecords,
  type SegmentTail,
  type TimedEvent,
} from '../execution/records.ts';
import type { Bus } from '../platform/bus.ts';
import type { Db } from '../platform/db/index.ts';
import { inTransaction, type Work } from '../platform/db/work.ts';
import { endingEvent, endingPatch } from './endings.ts';
import { createRunEventWriter, insertRunEvents } from './events.ts';
import type { RunObservers } from './observers.ts';
import type { InlineRecords, InlineRecordsDeps } from './records-inline.ts';
import * as store from './store.ts';

/**
 * Opens the request a person answers for a paused run, in the pause's unit of work, and answers its
 * id. The workspace's inbox provides it; runs never touch the inbox's tables.
 */
export type OpenApproval = (
  work: Work,
  run: { id: string; orgId: string },
  approval: PendingApproval,
) => Promise<string>;

export interface RunRecordsDeps {
  db: Db;
  bus: Bus;
  queue: PgBoss;
  log: FastifyBaseLogger;
  settings: { retryLimit: number };
  openApproval: OpenApproval;
  /** Keeps inline runs' model calls as usage, in the unit of work that writes them. */
  recordUsage: InlineRecordsDeps['recordUsage'];
  /** Keeps an executed run's model calls as usage, in the unit of work that ends its segment. */
  recordRunUsage(work: Work, run: store.RunRecord, calls: ModelCallUsage[]): Promise<void>;
  /** Told once a run has ended (webhooks). */
  onFinished(run: store.RunRecord): Promise<void>;
  /** Where runs executed in their request are written (records-inline.ts). */
  inline: InlineRecords;
  observers: RunObservers;
}

/** A held job was fetched by a worker before the in-process claim: the claim is rolled back. */
class LostToWorker extends Error {}

/** The durable record of runs as the execution loops write it (execution/records.ts). */
export function createRunRecords(deps: RunRecordsDeps): RunRecords {
  const { db, bus, inline } = deps;

  /** Tells the org's subscribers (dashboard, lists) that a run changed state. */
  const notifyOrg = (work: Work, run: { id: string; orgId: string }, type: string, status: string) =>
    work.afterCommit(() =>
      bus.publish({ topic: `org:${run.orgId}`, type, orgId: run.orgId, data: { runId: run.id, status } }),
    );

  /**
   * Writes a segment's end in the caller's unit of work: `to` (from `from`, in the run's attempt) with
   * the segment's last events and then `last`, and its model calls. Undefined when the run was moved
   * first (cancelled, or claimed by another attempt).
   */
  async function endSegment(
    work: Work,
    run: ExecutionRun,
    from: store.RunRecord['status'][],
    to: store.RunRecord['status'],
    patch: Partial<store.RunInsert>,
    tail: SegmentTail,
    last: (row: store.RunRecord) => Promise<TimedEvent>,
  ) {
    const events = tail.events ?? [];
    const row = await store.transitionRun(work.tx, run.id, from, to, patch, {
      attempt: run.attempts,
      seqs: events.length + 1,
    });
    if (!row) return undefined;
    await insertRunEvents(work, bus, row, [...events, await last(row)], row.lastSeq);
    if (tail.calls?.length) await deps.recordRunUsage(work, row, tail.calls);
    return row;
  }

  /** Completes a held job (a run started in-process) in the unit of work that ends the run. */
  async function completeJob(work: Work, jobId: string | undefined) {
    if (jobId) await deps.queue.complete(RUNS_QUEUE, jobId, null, { includeQueued: true, db: queueDb(work) });
  }

  async function finish(
    run: ExecutionRun,
    ending: RunEnding,
    from: store.RunRecord['status'][],
    tail: SegmentTail = {},
  ) {
    const ended = await inTransaction(db, async (work) => {
      const now = new Date();
      const row = await endSegment(
        work,
        run,
        from,
        ending.status,
        { ...endingPatch(ending), finishedAt: now, pausedState: null },
        tail,
        async () => ({ event: endingEvent(ending), at: now }),
      );
      if (!row) return undefined;
      await completeJob(work, tail.jobId);
      await deps.observers.ended(work, row);
      notifyOrg(work, row, `run.${ending.status === 'succeeded' ? 'completed' : ending.status}`, row.status);
      return row;
    });
    if (ended) {
      await deps
        .onFinished(ended)
        .catch((err: unknown) => deps.log.error({ err, runId: run.id }, 'run finish hook failed'));
    }
  }

  return {
    load: (runId) => store.findRunById(db, runId),

    async claim(run, cause, model, held) {
      // A resumed segment continues with the agent whose tool call was decided (after a hand-off, not
      // the one the run started with).
      const speaking = run.pausedState ? await store.lastApprovalAgent(db, run.id) : undefined;
      return inTransaction(db, async (work) => {
        const at = new Date();
        const row = await store.transitionRun(
          work.tx,
          run.id,
          held ? ['queued'] : ['queued', 'running'],
          'running',
          { attempts: run.attempts + 1, startedAt: run.startedAt ?? at },
          // In the attempt it was loaded in: of two loops claiming one run, one wins.
          { attempt: run.attempts, seqs: 1 },
        );
        if (!row) return undefined;
        if (held?.renewSeconds) {
          const { updated } = await deps.queue.update(RUNS_QUEUE, undefined, {
            id: held.jobId,
            startAfter: held.renewSeconds,
            db: queueDb(work),
          });
          // A worker fetched the job first: the run is its to execute; nothing of this claim is kept.
          if (!updated) throw new LostToWorker();
        }
        const event = {
          type: 'run.started',
          agentId: speaking ?? row.agentId,
          model,
          attempt: row.attempts,
          resumed: cause !== 'start',
          cause,
        } as const;
        await insertRunEvents(work, bus, row, [{ event, at }], row.lastSeq);
        return row;
      }).catch((err: unknown) => {
        if (err instanceof LostToWorker) return undefined;
        throw err;
      });
    },

    log: (run, onLost) => createRunEventWriter(db, bus, run, deps.log, onLost),

    async step<T>(runId: string, stepId: string, fn: () => Promise<T>): Promise<T> {
      const done = await store.findStep(db, runId, stepId);
      if (done) return done.result as T;
      const result = await fn();
      await store.insertStep(db, runId, stepId, result ?? null);
      return result;
    },

    finish: (run, ending, tail) => finish(run, ending, ['running'], tail),

    async pause(run, state, approval, tail = {}) {
      await inTransaction(db, async (work) => {
        let inboxItemId = '';
        const paused = await endSegment(
          work,
          run,
          ['running'],
          'waiting_approval',
          { pausedState: state },
          tail,
          async (row) => {
            inboxItemId = await deps.openApproval(work, row, approval);
            const { toolName, ...rest } = approval;
            return {
              event: { type: 'approval.required', name: toolName, ...rest, inboxItemId },
              at: new Date(),
            };
          },
        );
        if (!paused) return;
        await completeJob(work, tail.jobId);
        await deps.observers.paused(work, paused, { ...approval, inboxItemId });
        work.afterCommit(() =>
          bus.publish({
            topic: `org:${run.orgId}`,
            type: 'approval.required',
            orgId: run.orgId,
            data: { runId: run.id },
          }),
        );
      });
    },

    async retrying(run, message, tail = {}, retry) {
      await inTransaction(db, async (work) => {
        await endSegment(work, run, ['running'], 'running', {}, tail, async () => ({
          event: {
            type: 'error',
            code: 'retrying',
            message: `attempt ${run.attempts} failed (${message}); the turn starts again`,
          },
          at: new Date(),
        }));
        if (tail.jobId && retry) {
          await deps.queue.update(RUNS_QUEUE, retry.job as unknown as object, {
            id: tail.jobId,
            startAfter: retry.delaySeconds,
            db: queueDb(work),
          });
        }
      });
    },

    async renew(jobId, seconds) {
      const { updated } = await deps.queue.update(RUNS_QUEUE, undefined, { id: jobId, startAfter: seconds });
      return updated > 0;
    },

    async giveUp(runId) {
      const run = await store.findRunById(db, runId);
      if (!run || run.status === 'waiting_approval' || !['queued', 'running'].includes(run.status)) return;
      const error = {
        code: 'worker_lost',
        message: `the process running this run stopped ${run.attempts} time(s); it was not retried again`,
      };
      await finish(run, { status: 'failed', error }, ['queued', 'running']);
    },

    inlineEnded: inline.ended,
    handOver: inline.handOver,
    canRetry: () => deps.settings.retryLimit > 0,
  };
}
