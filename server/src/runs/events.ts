import type { FastifyBaseLogger } from 'fastify';
import type { ExecutionEvent, LoggedEvent } from '../execution/events.ts';
import { storedForm } from '../execution/log-format.ts';
import { ClaimLost, runTopic, type TimedEvent } from '../execution/records.ts';
import type { Bus } from '../platform/bus.ts';
import type { Db } from '../platform/db/index.ts';
import { inTransaction, type Work } from '../platform/db/work.ts';
import { insertRunEvent, insertRunEvents as insertRunEventRows, nextSeq, reserveSeqs } from './store.ts';

/** An event of a run's log with the run it belongs to, as it goes out on the bus. */
export interface RunLogEvent extends LoggedEvent {
  runId: string;
  orgId: string;
}

/** Publishes log events (in order, one bus message for the lot) on their runs' topics. */
export async function publishRunEvents(bus: Bus, events: RunLogEvent[]): Promise<void> {
  await Promise.all(
    events.map((e) =>
      bus.publish({
        topic: runTopic(e.runId),
        type: e.event.type,
        orgId: e.orgId,
        seq: e.seq,
        data: e.event,
        at: e.at,
      }),
    ),
  );
}

/**
 * Appends one event to a run's log inside the caller's unit of work; it is published once that
 * commits (the outbox rule: subscribers never see a change that was rolled back).
 */
export async function appendRunEvent(
  work: Work,
  bus: Bus,
  run: { id: string; orgId: string },
  event: ExecutionEvent,
): Promise<RunLogEvent> {
  const seq = await nextSeq(work.tx, run.id);
  const at = new Date();
  const { type, data } = storedForm(event);
  await insertRunEvent(work.tx, { runId: run.id, orgId: run.orgId, seq, type, data, createdAt: at });
  const logged = { runId: run.id, orgId: run.orgId, seq, at: at.toISOString(), event };
  work.afterCommit(() => publishRunEvents(bus, [logged]));
  return logged;
}

/**
 * Stores `events` as the log entries ending at `lastSeq` (already reserved on the run's row) inside
 * the caller's unit of work, in one statement; they are published once it commits.
 */
export async function insertRunEvents(
  work: Work,
  bus: Bus,
  run: { id: string; orgId: string },
  events: TimedEvent[],
  lastSeq: number,
): Promise<RunLogEvent[]> {
  if (events.length === 0) return [];
  const first = lastSeq - events.length + 1;
  const logged = events.map((e, i) => ({
    runId: run.id,
    orgId: run.orgId,
    seq: first + i,
    at: e.at.toISOString(),
    event: e.event,
  }));
  const rows = events.map((e, i) => ({
    runId: run.id,
    orgId: run.orgId,
    seq: first + i,
    ...storedForm(e.event),
    createdAt: e.at,
  }));
  if (rows.length === 1) await insertRunEvent(work.tx, rows[0]!);
  else await insertRunEventRows(work.tx, rows);
  work.afterCommit(() => publishRunEvents(bus, logged));
  return logged;
}

/** How long consecutive text deltas are gathered into one stored event. */
const DELTA_WINDOW_MS = 25;

/**
 * The event writer of one executing run (attempt `run.attempts`). One write is under way at a time;
 * whatever is appended meanwhile goes in the next, as one transaction (group commit), and consecutive
 * `message.delta` events of one agent are merged, so a long streamed reply costs a few writes rather
 * than one per token. After a write, text deltas wait out a short window before the next one; any
 * other event, and the first delta of a burst, is written at the next turn of the event loop. What is
 * still unwritten when the segment ends is handed to its end (`rest`), which writes it in its own
 * transaction. A write that finds the run's claim moved on (another attempt) stops the writer and
 * tells `onLost`.
 */
export function createRunEventWriter(
  db: Db,
  bus: Bus,
  run: { id: string; orgId: string; attempts: number },
  log: FastifyBaseLogger,
  onLost?: () => void,
) {
  let pending: TimedEvent[] = [];
  let writing: Promise<void> | undefined;
  let timer: NodeJS.Timeout | undefined;
  let lastWrite = 0;
  let lost = false;

  const write = async (batch: TimedEvent[]) => {
    await inTransaction(db, async (work) => {
      const lastSeq = await reserveSeqs(work.tx, run.id, batch.length, run.attempts);
      if (lastSeq === undefined) throw new ClaimLost(`run ${run.id} is no longer in attempt ${run.attempts}`);
      await insertRunEvents(work, bus, run, batch, lastSeq);
    });
  };

  const flush = () => {
    clearTimeout(timer);
    timer = undefined;
    if (writing || pending.length === 0 || lost) return;
    const batch = pending;
    pending = [];
    lastWrite = Date.now();
    writing = write(batch)
      .catch((err: unknown) => {
        if (err instanceof ClaimLost) {
          lost = true;
          onLost?.();
        } else log.error({ err, runId: run.id }, 'run log: a write failed');
      })
      .finally(() => {
        writing = undefined;
        schedule();
      });
  };

  function schedule(): void {
    if (writing || timer || pending.length === 0 || lost) return;
    const deltasOnly = pending.every((e) => e.event.type === 'message.delta');
    const wait = deltasOnly ? Math.max(0, DELTA_WINDOW_MS - (Date.now() - lastWrite)) : 0;
    timer = setTimeout(flush, wait);
  }

  return {
    /** Queues an event; deltas may be merged, everything is written in order. */
    append(event: ExecutionEvent): void {
      const last = pending.at(-1);
      if (
        event.type === 'message.delta' &&
        last?.event.type === 'message.delta' &&
        last.event.agentId === event.agentId
      ) {
        last.event = { ...last.event, text: last.event.text + event.text };
        return;
      }
      pending.push({ event, at: new Date() });
      schedule();
    },
    /** Waits until everything appended so far is stored and published. */
    async drain(): Promise<void> {
      while (writing || (pending.length && !lost)) {
        if (writing) await writing;
        else flush();
      }
    },
    /** Waits for the write under way and hands over what is not written yet. */
    async rest(): Promise<TimedEvent[]> {
      clearTimeout(timer);
      timer = undefined;
      while (writing) await writing;
      const left = pending;
      pending = [];
      return left;
    },
  };
}
