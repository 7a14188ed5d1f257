import type { FastifyBaseLogger } from 'fastify';
import type { PgBoss } from 'pg-boss';
import type { ExecutionEvent } from '../execution/events.ts';
import { storedForm } from '../execution/log-format.ts';
import {
  enqueueRun,
  type InlineHandOver,
  type InlineRun,
  type PendingApproval,
  type RunEnding,
  type RunStatus,
} from '../execution/records.ts';
import type { Bus } from '../platform/bus.ts';
import type { Db } from '../platform/db/index.ts';
import { inTransaction, type Work } from '../platform/db/work.ts';
import { createWriteBehind } from '../platform/write-behind.ts';
import { endingEvent, endingPatch } from './endings.ts';
import { publishRunEvents, type RunLogEvent } from './events.ts';
import type { RunObservers } from './observers.ts';
import * as store from './store.ts';

export interface InlineRecordsDeps {
  db: Db;
  bus: Bus;
  queue: PgBoss;
  log: FastifyBaseLogger;
  settings: { retryLimit: number };
  /** Keeps the runs' model calls as usage rows, in the unit of work that writes the runs. */
  recordUsage(work: Work, runs: InlineRun[]): Promise<void>;
  openApproval(work: Work, run: { id: string; orgId: string }, approval: PendingApproval): Promise<string>;
  onFinished(run: store.RunRecord): Promise<void>;
  observers: RunObservers;
  /** How long an ended run's record may wait to be written with others. */
  flushMs?: number;
}

/** How long a failed inline attempt waits before the queue tries again, in seconds. */
const RETRY_AFTER_S = 1;

/**
 * The run's log as a queued run would have written it: queued, started (attempt 1), the turn's own
 * events, then `last`. Sequence numbers from 1 without gaps.
 */
function logOf(run: InlineRun, last: { event: ExecutionEvent; at: Date }): RunLogEvent[] {
  const entries = [
    {
      event: { type: 'run.queued', runId: run.id, conversationId: null, agentId: run.agentId } as const,
      at: run.createdAt,
    },
    {
      event: {
        type: 'run.started',
        agentId: run.agentId,
        model: run.model,
        attempt: 1,
        resumed: false,
        cause: 'start',
      } as const,
      at: run.startedAt,
    },
    ...run.events,
    last,
  ];
  return entries.map((e, i) => ({
    runId: run.id,
    orgId: run.orgId,
    seq: i + 1,
    at: e.at.toISOString(),
    event: e.event,
  }));
}

function rowOf(
  run: InlineRun,
  status: RunStatus,
  log: RunLogEvent[],
  patch: Partial<store.RunInsert>,
): store.RunInsert {
  return {
    id: run.id,
    orgId: run.orgId,
    agentId: run.agentId,
    conversationId: null,
    status,
    input: run.input,
    metadata: run.metadata,
    source: run.source,
    createdBy: run.createdBy,
    attempts: 1,
    lastSeq: log.length,
    createdAt: run.createdAt,
    startedAt: run.startedAt,
    updatedAt: new Date(),
    ...patch,
  };
}

const eventRows = (log: RunLogEvent[]) =>
  log.map((e) => ({
    runId: e.runId,
    orgId: e.orgId,
    seq: e.seq,
    ...storedForm(e.event),
    createdAt: new Date(e.at),
  }));

interface Ended {
  run: InlineRun;
  row: store.RunInsert;
  log: RunLogEvent[];
}

/**
 * Records of runs that executed in their request. An ended run is written behind the answer, with
 * others in one transaction ({@link InlineRecordsDeps.flushMs}); its events are published and its
 * webhook sent once that commits. A run that must wait (an approval) or try again is written at once
 * and handed to the queue, so from then on it is an ordinary durable run.
 */
export function createInlineRecords(deps: InlineRecordsDeps) {
  const { db, bus, log } = deps;

  async function writeEnded(work: Work, batch: Ended[]): Promise<void> {
    await store.insertRuns(
      work.tx,
      batch.map((e) => e.row),
    );
    await store.insertRunEvents(
      work.tx,
      batch.flatMap((e) => eventRows(e.log)),
    );
    await deps.recordUsage(
      work,
      batch.map((e) => e.run),
    );
    for (const e of batch) await deps.observers.ended(work, e.row as store.RunRecord);
  }

  async function announce(e: Ended): Promise<void> {
    await publishRunEvents(bus, e.log);
    const status = e.row.status;
    await bus.publish({
      topic: `org:${e.run.orgId}`,
      type: `run.${status === 'succeeded' ? 'completed' : status}`,
      orgId: e.run.orgId,
      data: { runId: e.run.id, status },
    });
    await deps.onFinished(e.row as store.RunRecord);
  }

  // Ended runs queued but not yet written: a read of one of them waits for the write.
  const unwritten = new Set<string>();
  const ended = createWriteBehind<Ended>({
    name: 'inline runs',
    log,
    write: (batch) => inTransaction(db, (work) => writeEnded(work, batch)),
    writeOne: (item) => inTransaction(db, (work) => writeEnded(work, [item])),
    written: (batch) => {
      for (const e of batch) {
        unwritten.delete(e.run.id);
        void announce(e).catch((err: unknown) =>
          log.error({ err, runId: e.run.id }, 'run finish hook failed'),
        );
      }
    },
    flushMs: deps.flushMs ?? 50,
    batchSize: 100,
  });

  return {
    /** Keeps an ended run; returns at once (the write happens behind). */
    ended(run: InlineRun, ending: RunEnding): void {
      const finishedAt = new Date();
      const events = logOf(run, { event: endingEvent(ending), at: finishedAt });
      const patch = { ...endingPatch(ending), finishedAt, updatedAt: finishedAt };
      unwritten.add(run.id);
      ended.add({ run, row: rowOf(run, ending.status, events, patch), log: events });
    },

    /**
     * Waits until an ended run of this process is stored, so reading it right after its answer (with
     * the `x-run-id` the client got) finds it. Other processes' runs appear within the flush delay.
     */
    async settle(runId: string): Promise<void> {
      if (!unwritten.has(runId)) return;
      await ended.flush();
      unwritten.delete(runId); // written now, or lost with a failed write (logged)
    },

    /**
     * Writes the run now, in one transaction, as waiting for approval (with its inbox item) or queued
     * for another attempt (with its job). Returns the stored run to follow like any other.
     */
    async handOver(run: InlineRun, next: InlineHandOver): Promise<store.RunRecord> {
      const now = new Date();
      let events: RunLogEvent[] = [];
      const stored = await inTransaction(db, async (work) => {
        let row: store.RunRecord;
        if (next.kind === 'paused') {
          // queued, started, the turn's events, approval.required
          const lastSeq = run.events.length + 3;
          row = await store.insertRun(
            work.tx,
            rowOf(run, 'waiting_approval', [], { pausedState: next.state, lastSeq }),
          );
          const inboxItemId = await deps.openApproval(work, row, next.approval);
          await deps.observers.paused(work, row, { ...next.approval, inboxItemId });
          const { toolName, ...rest } = next.approval;
          events = logOf(run, {
            event: { type: 'approval.required', name: toolName, ...rest, inboxItemId },
            at: now,
          });
        } else {
          const message = `attempt 1 failed (${next.message}); the turn starts again`;
          events = logOf(run, { event: { type: 'error', code: 'retrying', message }, at: now });
          row = await store.insertRun(work.tx, rowOf(run, 'queued', events, {}));
          // The first attempt was this one; the queue has the rest of the retry budget.
          await enqueueRun(
            deps.queue,
            work,
            { runId: run.id },
            { retryLimit: Math.max(0, deps.settings.retryLimit - 1), startAfter: RETRY_AFTER_S },
          );
        }
        await store.insertRunEvents(work.tx, eventRows(events));
        await deps.recordUsage(work, [run]);
        return row;
      });
      await publishRunEvents(bus, events);
      const type = next.kind === 'paused' ? 'approval.required' : 'run.queued';
      await bus.publish({ topic: `org:${run.orgId}`, type, orgId: run.orgId, data: { runId: run.id } });
      return stored;
    },

    /** Writes every ended run still waiting (shutdown). */
    flush: () => ended.flush(),
    stop: () => ended.stop(),
    counts: () => ended.counts(),
  };
}

export type InlineRecords = ReturnType<typeof createInlineRecords>;
