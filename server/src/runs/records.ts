import type { FastifyBaseLogger } from 'fastify';
import type { PgBoss } from 'pg-boss';
import type {
  ExecutionRun,
  PendingApproval,
  RunEnding,
  RunRecords,
  StartCause,
} from '../execution/records.ts';
import type { Bus } from '../platform/bus.ts';
import type { Db } from '../platform/db/index.ts';
import { inTransaction, type Work } from '../platform/db/work.ts';
import { endingEvent, endingPatch } from './endings.ts';
import { appendRunEvent, createRunEventWriter } from './events.ts';
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
  /** Told once a run has ended (webhooks). */
  onFinished(run: store.RunRecord): Promise<void>;
  /** Where runs executed in their request are written (records-inline.ts). */
  inline: InlineRecords;
  observers: RunObservers;
}

/** The durable record of runs as the execution loops write it (execution/records.ts). */
export function createRunRecords(deps: RunRecordsDeps): RunRecords {
  const { db, bus, inline } = deps;

  /** Tells the org's subscribers (dashboard, lists) that a run changed state. */
  const notifyOrg = (work: Work, run: { id: string; orgId: string }, type: string, status: string) =>
    work.afterCommit(() =>
      bus.publish({ topic: `org:${run.orgId}`, type, orgId: run.orgId, data: { runId: run.id, status } }),
    );

  async function finish(run: ExecutionRun, ending: RunEnding, from: store.RunRecord['status'][]) {
    const ended = await inTransaction(db, async (work) => {
      const now = new Date();
      const row = await store.transitionRun(work.tx, run.id, from, ending.status, {
        ...endingPatch(ending),
        finishedAt: now,
        pausedState: null,
      });
      if (!row) return undefined;
      await appendRunEvent(work, bus, row, endingEvent(ending));
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

    async claim(run: ExecutionRun, cause: StartCause, model: string) {
      // A resumed segment continues with the agent whose tool call was decided (after a hand-off, not
      // the one the run started with).
      const speaking = run.pausedState ? await store.lastApprovalAgent(db, run.id) : undefined;
      return inTransaction(db, async (work) => {
        const row = await store.transitionRun(work.tx, run.id, ['queued', 'running'], 'running', {
          attempts: run.attempts + 1,
          startedAt: run.startedAt ?? new Date(),
        });
        if (!row) return undefined;
        await appendRunEvent(work, bus, row, {
          type: 'run.started',
          agentId: speaking ?? row.agentId,
          model,
          attempt: row.attempts,
          resumed: cause !== 'start',
          cause,
        });
        await deps.observers.started(work, row);
        return row;
      });
    },

    log: (run) => createRunEventWriter(db, bus, run),

    async step<T>(runId: string, stepId: string, fn: () => Promise<T>): Promise<T> {
      const done = await store.findStep(db, runId, stepId);
      if (done) return done.result as T;
      const result = await fn();
      await store.insertStep(db, runId, stepId, result ?? null);
      return result;
    },

    finish: (run, ending) => finish(run, ending, ['running']),

    async pause(run, state, approval) {
      await inTransaction(db, async (work) => {
        const paused = await store.transitionRun(work.tx, run.id, ['running'], 'waiting_approval', {
          pausedState: state,
        });
        if (!paused) return;
        const inboxItemId = await deps.openApproval(work, paused, approval);
        await deps.observers.paused(work, paused, { ...approval, inboxItemId });
        const { toolName, ...rest } = approval;
        await appendRunEvent(work, bus, paused, {
          type: 'approval.required',
          name: toolName,
          ...rest,
          inboxItemId,
        });
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

    async retrying(run, message) {
      await inTransaction(db, (work) =>
        appendRunEvent(work, bus, run, {
          type: 'error',
          code: 'retrying',
          message: `attempt ${run.attempts} failed (${message}); the turn starts again`,
        }),
      );
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
