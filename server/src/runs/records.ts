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
import { createGroupCommit } from '../platform/db/group-commit.ts';
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
  /** Batches of one kind of write (endings, log entries) under way at once (see group-commit.ts). */
  writers: number;
  openApproval: OpenApproval;
  /** Keeps inline runs' model calls as usage, in the unit of work that writes them. */
  recordUsage: InlineRecordsDeps['recordUsage'];
  /** Keeps executed runs' model calls as usage, in the unit of work that ends their segments. */
  recordRunUsage(
    work: Work,
    segments: Array<{ run: store.RunRecord; calls: ModelCallUsage[] }>,
  ): Promise<void>;
  /** Told once a run has ended (webhooks). */
  onFinished(run: store.RunRecord): Promise<void>;
  /** Where runs executed in their request are written (records-inline.ts). */
  inline: InlineRecords;
  observers: RunObservers;
}

/** A run's end as its executor reports it, stamped when it ended. */
interface Ending {
  run: ExecutionRun;
  ending: RunEnding;
  tail: SegmentTail;
  at: Date;
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
    await insertRunEvents(work, bus, [
      { run: row, events: [...events, await last(row)], lastSeq: row.lastSeq },
    ]);
    if (tail.calls?.length) await deps.recordRunUsage(work, [{ run: row, calls: tail.calls }]);
    return row;
  }

  /** Completes held jobs (runs started in-process) in the unit of work that ends their runs. */
  async function completeJobs(work: Work, jobIds: string[]) {
    if (jobIds.length === 0) return;
    await deps.queue.complete(RUNS_QUEUE, jobIds, null, { includeQueued: true, db: queueDb(work) });
  }

  /**
   * Ends runs (from `from`, each in its attempt) in the caller's unit of work, with their segments'
   * last events, the ending event, their model calls and held jobs, in a few statements for all of
   * them; answers each run as it ended, or undefined for one moved first (cancelled, claimed again).
   */
  async function endRuns(work: Work, ends: Ending[], from: store.RunRecord['status'][]) {
    const rows = await store.endRuns(
      work.tx,
      from,
      ends.map(({ run, ending, tail, at }) => ({
        runId: run.id,
        attempt: run.attempts,
        status: ending.status,
        ...endingPatch(ending),
        finishedAt: at,
        seqs: (tail.events?.length ?? 0) + 1,
      })),
    );
    const byId = new Map(rows.map((row) => [row.id, row]));
    const ended = ends.flatMap((end) => {
      const row = byId.get(end.run.id);
      return row ? [{ ...end, row }] : [];
    });
    await insertRunEvents(
      work,
      bus,
      ended.map(({ row, ending, tail, at }) => ({
        run: row,
        events: [...(tail.events ?? []), { event: endingEvent(ending), at }],
        lastSeq: row.lastSeq,
      })),
    );
    const used = ended.filter((e) => e.tail.calls?.length);
    if (used.length)
      await deps.recordRunUsage(
        work,
        used.map((e) => ({ run: e.row, calls: e.tail.calls! })),
      );
    await completeJobs(
      work,
      ended.flatMap((e) => (e.tail.jobId ? [e.tail.jobId] : [])),
    );
    for (const { row, ending } of ended) {
      await deps.observers.ended(work, row);
      notifyOrg(work, row, `run.${ending.status === 'succeeded' ? 'completed' : ending.status}`, row.status);
      work.afterCommit(() =>
        deps
          .onFinished(row)
          .catch((err: unknown) => deps.log.error({ err, runId: row.id }, 'run finish hook failed')),
      );
    }
    return ends.map((end) => byId.get(end.run.id));
  }

  // The ends of executed runs, written together with those of other runs ending meanwhile.
  const endings = createGroupCommit<Ending, store.RunRecord | undefined>({
    name: 'run endings',
    db,
    log: deps.log,
    concurrency: deps.writers,
    write: (work, ends) => endRuns(work, ends, ['running']),
  });

  // Runs' log entries written during their turns, together with other runs' written meanwhile.
  const appends = createGroupCommit<{ run: ExecutionRun; events: TimedEvent[] }, boolean>({
    name: 'run logs',
    db,
    log: deps.log,
    concurrency: deps.writers,
    async write(work, batches) {
      const seqs = await store.reserveSeqs(
        work.tx,
        batches.map(({ run, events }) => ({ runId: run.id, n: events.length, attempt: run.attempts })),
      );
      const kept = batches.filter(({ run }) => seqs.has(run.id));
      await insertRunEvents(
        work,
        bus,
        kept.map(({ run, events }) => ({ run, events, lastSeq: seqs.get(run.id)! })),
      );
      return batches.map(({ run }) => seqs.has(run.id));
    },
  });

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
        await insertRunEvents(work, bus, [{ run: row, events: [{ event, at }], lastSeq: row.lastSeq }]);
        await deps.observers.started(work, row);
        return row;
      }).catch((err: unknown) => {
        if (err instanceof LostToWorker) return undefined;
        throw err;
      });
    },

    log: (run, onLost) =>
      createRunEventWriter(
        run,
        (events) => {
          const batch = { run, events };
          return { done: appends.add(batch), withdraw: () => appends.withdraw(batch) };
        },
        deps.log,
        onLost,
      ),

    async step<T>(runId: string, stepId: string, fn: () => Promise<T>): Promise<T> {
      const done = await store.findStep(db, runId, stepId);
      if (done) return done.result as T;
      const result = await fn();
      await store.insertStep(db, runId, stepId, result ?? null);
      return result;
    },

    async finish(run, ending, tail = {}) {
      await endings.add({ run, ending, tail, at: new Date() });
    },

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
        await completeJobs(work, tail.jobId ? [tail.jobId] : []);
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
      const ending = { run, ending: { status: 'failed', error } as const, tail: {}, at: new Date() };
      await inTransaction(db, (work) => endRuns(work, [ending], ['queued', 'running']));
    },

    inlineEnded: inline.ended,
    handOver: inline.handOver,
    canRetry: () => deps.settings.retryLimit > 0,
  };
}
