import type { ExecutionEvent, LoggedEvent } from '../execution/events.ts';
import { storedForm } from '../execution/log-format.ts';
import { runTopic } from '../execution/records.ts';
import type { Bus } from '../platform/bus.ts';
import type { Db } from '../platform/db/index.ts';
import { inTransaction, type Work } from '../platform/db/work.ts';
import { insertRunEvent, nextSeq } from './store.ts';

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

/** How long consecutive text deltas are gathered into one stored event. */
const DELTA_WINDOW_MS = 25;

/**
 * The event writer of one executing run. Events are stored in order, one at a time; consecutive
 * `message.delta` events arriving within a short window are merged into one, so a long streamed reply
 * costs a few writes rather than one per token. The first delta of a burst is written at once, which
 * keeps time-to-first-token low.
 */
export function createRunEventWriter(db: Db, bus: Bus, run: { id: string; orgId: string }) {
  let chain: Promise<unknown> = Promise.resolve();
  let pending: { text: string; agentId: string } | undefined;
  let timer: NodeJS.Timeout | undefined;
  let lastDeltaWrite = 0;

  const write = (event: ExecutionEvent) => {
    const next = chain.then(() => inTransaction(db, (work) => appendRunEvent(work, bus, run, event)));
    chain = next.catch(() => {});
    return next;
  };

  const flushDeltas = () => {
    clearTimeout(timer);
    timer = undefined;
    if (!pending) return chain;
    const { text, agentId } = pending;
    pending = undefined;
    lastDeltaWrite = Date.now();
    return write({ type: 'message.delta', text, agentId });
  };

  return {
    /** Queues an event; deltas may be merged, everything else is written in order after them. */
    append(event: ExecutionEvent): void {
      if (event.type === 'message.delta') {
        if (pending && event.agentId !== pending.agentId) void flushDeltas();
        pending = { text: (pending?.text ?? '') + event.text, agentId: event.agentId };
        if (Date.now() - lastDeltaWrite >= DELTA_WINDOW_MS) void flushDeltas();
        else timer ??= setTimeout(() => void flushDeltas(), DELTA_WINDOW_MS);
        return;
      }
      void flushDeltas();
      void write(event);
    },
    /** Waits until everything appended so far is stored and published. */
    async drain(): Promise<void> {
      await flushDeltas();
      await chain;
    },
  };
}
