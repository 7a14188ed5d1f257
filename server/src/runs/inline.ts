import type { FastifyBaseLogger } from 'fastify';
import type { PgBoss } from 'pg-boss';
import type { Bus } from '../platform/bus.ts';
import type { Db, Tx } from '../platform/db/index.ts';
import { createWriteBehind } from '../platform/write-behind.ts';
import { publishRunEvents, type RunEvent } from './events.ts';
import type { PendingApproval } from './executor.ts';
import { enqueueRun } from './service.ts';
import * as store from './store.ts';
import type { RunStatus } from './tables.ts';

/**
 * A turn that a request executed itself instead of handing it to the queue (the OpenAI surface's
 * completions): everything the run's record needs once it has ended or must wait.
 */
export interface InlineRun {
  id: string;
  orgId: string;
  agentId: string;
  input: string;
  metadata: Record<string, unknown>;
  source: 'chat' | 'openai';
  createdBy: string;
  createdAt: Date;
  /** When the turn began executing. */
  startedAt: Date;
  /** What the agent loop said, in order, each stamped when it happened. */
  events: Array<{ type: string; data: Record<string, unknown>; at: Date }>;
  /** The model calls the turn made, for usage. */
  calls: unknown[];
}

/** How an inline turn ended. */
export type InlineEnding =
  | { status: 'succeeded'; output: string; usage: Record<string, unknown> }
  | { status: 'failed'; error: { code: string; message: string } }
  | { status: 'cancelled' };

/** What an inline turn needs next from the queue: a person's decision, or another attempt. */
export type InlineHandOver =
  | { kind: 'paused'; state: string; approval: PendingApproval }
  | { kind: 'retry'; message: string };

export interface InlineRunsDeps {
  db: Db;
  bus: Bus;
  queue: PgBoss;
  log: FastifyBaseLogger;
  settings: { retryLimit: number };
  /** Keeps the turns' model calls as usage rows, in the caller's transaction. */
  recordUsage(tx: Tx, runs: InlineRun[]): Promise<void>;
  createApprovalItem(tx: Tx, run: store.RunRecord, approval: PendingApproval): Promise<string>;
  onFinished(run: store.RunRecord): Promise<void>;
  /** How long an ended run's record may wait to be written with others. */
  flushMs?: number;
}

/** How long a failed inline attempt waits before the queue tries again, in seconds. */
const RETRY_AFTER_S = 1;

const TERMINAL_EVENT: Record<InlineEnding['status'], string> = {
  succeeded: 'run.completed',
  failed: 'run.failed',
  cancelled: 'run.cancelled',
};

function terminalData(ending: InlineEnding): Record<string, unknown> {
  if (ending.status === 'succeeded')
    return { status: ending.status, output: ending.output, usage: ending.usage };
  if (ending.status === 'failed') return { status: ending.status, ...ending.error };
  return { status: ending.status };
}

/**
 * The run's log as a worker would have written it: queued, started (attempt 1), the turn's own
 * events, then `last`. Sequence numbers from 1 without gaps.
 */
function logOf(run: InlineRun, last: { type: string; data: Record<string, unknown>; at: Date }): RunEvent[] {
  const entries = [
    { type: 'run.queued', data: { status: 'queued', agentId: run.agentId }, at: run.createdAt },
    { type: 'run.started', data: { status: 'running', attempt: 1 }, at: run.startedAt },
    ...run.events,
    last,
  ];
  return entries.map((e, i) => ({
    runId: run.id,
    orgId: run.orgId,
    seq: i + 1,
    type: e.type,
    data: e.data,
    at: e.at.toISOString(),
  }));
}

function rowOf(
  run: InlineRun,
  status: RunStatus,
  log: RunEvent[],
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

const eventRows = (log: RunEvent[]) =>
  log.map((e) => ({
    runId: e.runId,
    orgId: e.orgId,
    seq: e.seq,
    type: e.type,
    data: e.data,
    createdAt: new Date(e.at),
  }));

interface Ended {
  run: InlineRun;
  row: store.RunInsert;
  log: RunEvent[];
}

/**
 * Records of runs that executed in their request. An ended run is written behind the answer, with
 * others in one transaction ({@link InlineRunsDeps.flushMs}); its events are published and its
 * webhook sent once that commits. A run that must wait (an approval) or try again is written at once
 * and handed to the queue, so from then on it is an ordinary durable run.
 */
export function createInlineRuns(deps: InlineRunsDeps) {
  const { db, bus, log } = deps;

  async function writeEnded(tx: Tx, batch: Ended[]): Promise<void> {
    await store.insertRuns(
      tx,
      batch.map((e) => e.row),
    );
    await store.insertRunEvents(
      tx,
      batch.flatMap((e) => eventRows(e.log)),
    );
    await deps.recordUsage(
      tx,
      batch.map((e) => e.run),
    );
  }

  async function announce(e: Ended): Promise<void> {
    await publishRunEvents(bus, e.log);
    const last = e.log.at(-1)!;
    await bus.publish({
      topic: `org:${e.run.orgId}`,
      type: last.type,
      orgId: e.run.orgId,
      data: { runId: e.run.id, status: e.row.status },
    });
    await deps.onFinished(e.row as store.RunRecord);
  }

  // Ended runs queued but not yet written: a read of one of them waits for the write.
  const unwritten = new Set<string>();
  const ended = createWriteBehind<Ended>({
    name: 'inline runs',
    log,
    write: (batch) => db.transaction((tx) => writeEnded(tx, batch)),
    writeOne: (item) => db.transaction((tx) => writeEnded(tx, [item])),
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
    ended(run: InlineRun, ending: InlineEnding): void {
      const finishedAt = new Date();
      const events = logOf(run, {
        type: TERMINAL_EVENT[ending.status],
        data: terminalData(ending),
        at: finishedAt,
      });
      const patch: Partial<store.RunInsert> = { finishedAt, updatedAt: finishedAt };
      if (ending.status === 'succeeded') Object.assign(patch, { output: ending.output, usage: ending.usage });
      if (ending.status === 'failed') patch.error = ending.error;
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
      let events: RunEvent[];
      const stored = await db.transaction(async (tx) => {
        let row: store.RunRecord;
        if (next.kind === 'paused') {
          // queued, started, the turn's events, approval.required
          const lastSeq = run.events.length + 3;
          row = await store.insertRun(
            tx,
            rowOf(run, 'waiting_approval', [], { pausedState: next.state, lastSeq }),
          );
          const inboxItemId = await deps.createApprovalItem(tx, row, next.approval);
          const { toolName, ...rest } = next.approval;
          events = logOf(run, {
            type: 'approval.required',
            data: { name: toolName, ...rest, inboxItemId },
            at: now,
          });
        } else {
          events = logOf(run, { type: 'run.retrying', data: { attempt: 1, message: next.message }, at: now });
          row = await store.insertRun(tx, rowOf(run, 'queued', events, {}));
          // The first attempt was this one; the queue has the rest of the retry budget.
          await enqueueRun(
            deps.queue,
            tx,
            { runId: run.id },
            {
              retryLimit: Math.max(0, deps.settings.retryLimit - 1),
              startAfter: RETRY_AFTER_S,
            },
          );
        }
        await store.insertRunEvents(tx, eventRows(events));
        await deps.recordUsage(tx, [run]);
        return row;
      });
      await publishRunEvents(bus, events!);
      const type = next.kind === 'paused' ? 'approval.required' : 'run.queued';
      await bus.publish({ topic: `org:${run.orgId}`, type, orgId: run.orgId, data: { runId: run.id } });
      return stored;
    },

    /** Whether a transient failure may be retried at all (a retry limit of 0 says no). */
    canRetry: () => deps.settings.retryLimit > 0,

    /** Writes every ended run still waiting (shutdown). */
    flush: () => ended.flush(),
    stop: () => ended.stop(),
    counts: () => ended.counts(),
  };
}

export type InlineRuns = ReturnType<typeof createInlineRuns>;
