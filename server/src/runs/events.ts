import type { FastifyBaseLogger } from 'fastify';
import type { ExecutionEvent, LoggedEvent } from '../execution/events.ts';
import { storedForm } from '../execution/log-format.ts';
import { runTopic, type TimedEvent } from '../execution/records.ts';
import type { Bus } from '../platform/bus.ts';
import { Withdrawn } from '../platform/db/group-commit.ts';
import type { Work } from '../platform/db/work.ts';
import { insertRunEvent, insertRunEvents as insertRunEventRows, nextSeq } from './store.ts';

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
  const lastSeq = await nextSeq(work.tx, run.id);
  const [logged] = await insertRunEvents(work, bus, [{ run, events: [{ event, at: new Date() }], lastSeq }]);
  return logged!;
}

/** A run's new log entries: `events`, numbered up to `lastSeq` (already reserved on the run's row). */
export interface RunLogEntries {
  run: { id: string; orgId: string };
  events: TimedEvent[];
  lastSeq: number;
}

/**
 * Stores the new log entries of one run or several inside the caller's unit of work, in one
 * statement; they are published once it commits.
 */
export async function insertRunEvents(
  work: Work,
  bus: Bus,
  entries: RunLogEntries[],
): Promise<RunLogEvent[]> {
  const logged = entries.flatMap(({ run, events, lastSeq }) =>
    events.map((e, i) => ({
      runId: run.id,
      orgId: run.orgId,
      seq: lastSeq - events.length + 1 + i,
      at: e.at,
      event: e.event,
    })),
  );
  if (logged.length === 0) return [];
  const rows = logged.map((e) => ({
    runId: e.runId,
    orgId: e.orgId,
    seq: e.seq,
    ...storedForm(e.event),
    createdAt: e.at,
  }));
  if (rows.length === 1) await insertRunEvent(work.tx, rows[0]!);
  else await insertRunEventRows(work.tx, rows);
  const published = logged.map((e) => ({ ...e, at: e.at.toISOString() }));
  work.afterCommit(() => publishRunEvents(bus, published));
  return published;
}

/**
 * A batch of a run's events on its way to storage (with other runs' batches: see records.ts): `done`
 * answers false when the run's claim moved on (nothing was stored); `withdraw` takes the batch back
 * while its write has not begun (false once it has).
 */
export interface RunLogWrite {
  done: Promise<boolean>;
  withdraw(): boolean;
}

/** How long consecutive text deltas are gathered into one stored event. */
const DELTA_WINDOW_MS = 25;

/**
 * The event writer of one executing run (attempt `run.attempts`). One write is under way at a time;
 * whatever is appended meanwhile goes in the next (`write` stores a batch, with other runs' batches:
 * see records.ts), and consecutive `message.delta` events of one agent are merged, so a long streamed
 * reply costs a few writes rather than one per token. After a write, text deltas wait out a short
 * window before the next one; any other event, and the first delta of a burst, is written at the next
 * turn of the event loop. What is still unwritten when the segment ends is handed to its end (`rest`),
 * which writes it in its own transaction. A write that finds the run's claim moved on (it answers
 * false) stops the writer and tells `onLost`.
 */
export function createRunEventWriter(
  run: { id: string },
  write: (batch: TimedEvent[]) => RunLogWrite,
  log: FastifyBaseLogger,
  onLost?: () => void,
) {
  let pending: TimedEvent[] = [];
  let inFlight: { batch: TimedEvent[]; write: RunLogWrite; done: Promise<void> } | undefined;
  let timer: NodeJS.Timeout | undefined;
  let lastWrite = 0;
  let lost = false;
  let ended = false;

  const flush = () => {
    clearTimeout(timer);
    timer = undefined;
    if (inFlight || pending.length === 0 || lost || ended) return;
    const batch = pending;
    pending = [];
    lastWrite = Date.now();
    const started = write(batch);
    const done = started.done
      .then((kept) => {
        if (kept) return;
        lost = true;
        onLost?.();
      })
      .catch((err: unknown) => {
        if (!(err instanceof Withdrawn)) log.error({ err, runId: run.id }, 'run log: a write failed');
      })
      .finally(() => {
        inFlight = undefined;
        schedule();
      });
    inFlight = { batch, write: started, done };
  };

  function schedule(): void {
    if (inFlight || timer || pending.length === 0 || lost || ended) return;
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
      while (inFlight || (pending.length && !lost)) {
        if (inFlight) await inFlight.done;
        else flush();
      }
    },
    /**
     * Hands over what is not written yet, the write that has not begun included (taken back from the
     * queue of writes: the segment's end writes it at no extra cost), after the one under way.
     */
    async rest(): Promise<TimedEvent[]> {
      ended = true;
      clearTimeout(timer);
      timer = undefined;
      let left = pending;
      if (inFlight?.write.withdraw()) left = [...inFlight.batch, ...left];
      while (inFlight) await inFlight.done;
      pending = [];
      return left;
    },
  };
}
