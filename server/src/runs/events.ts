import type { Bus } from '../platform/bus.ts';
import type { Db, Tx } from '../platform/db/index.ts';
import { insertRunEvent, nextSeq } from './store.ts';

export interface RunEvent {
  runId: string;
  orgId: string;
  seq: number;
  type: string;
  data: Record<string, unknown>;
  at: string;
}

export const runTopic = (runId: string) => `run:${runId}`;
/** Control messages to whichever worker runs a run (cancel), across replicas. */
export const runControlTopic = (runId: string) => `run-control:${runId}`;

/** Appends one event to a run's log inside the caller's transaction; publish it after commit. */
export async function appendRunEvent(
  tx: Tx,
  run: { id: string; orgId: string },
  type: string,
  data: Record<string, unknown>,
): Promise<RunEvent> {
  const seq = await nextSeq(tx, run.id);
  const at = new Date();
  await insertRunEvent(tx, { runId: run.id, orgId: run.orgId, seq, type, data, createdAt: at });
  return { runId: run.id, orgId: run.orgId, seq, type, data, at: at.toISOString() };
}

export async function publishRunEvents(bus: Bus, events: RunEvent[]): Promise<void> {
  // Published together (in order), so the bus sends them as one message.
  await Promise.all(
    events.map((e) =>
      bus.publish({
        topic: runTopic(e.runId),
        type: e.type,
        orgId: e.orgId,
        seq: e.seq,
        data: e.data,
        at: e.at,
      }),
    ),
  );
}

/**
 * Runs `fn` in a transaction that may append run events, and publishes those events only after the
 * transaction commits (the outbox rule): subscribers never see a change that was rolled back.
 */
export async function inRunTransaction<T>(
  db: Db,
  bus: Bus,
  fn: (
    tx: Tx,
    emit: (
      run: { id: string; orgId: string },
      type: string,
      data: Record<string, unknown>,
    ) => Promise<RunEvent>,
  ) => Promise<T>,
): Promise<T> {
  const events: RunEvent[] = [];
  const result = await db.transaction((tx) =>
    fn(tx, async (run, type, data) => {
      const event = await appendRunEvent(tx, run, type, data);
      events.push(event);
      return event;
    }),
  );
  await publishRunEvents(bus, events);
  return result;
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
  let pendingText = '';
  let pendingAgent: unknown;
  let timer: NodeJS.Timeout | undefined;
  let lastDeltaWrite = 0;

  const write = (type: string, data: Record<string, unknown>) => {
    const next = chain.then(() => inRunTransaction(db, bus, (_tx, emit) => emit(run, type, data)));
    chain = next.catch(() => {});
    return next;
  };

  const flushDeltas = () => {
    clearTimeout(timer);
    timer = undefined;
    if (!pendingText) return chain;
    const text = pendingText;
    pendingText = '';
    lastDeltaWrite = Date.now();
    return write('message.delta', { text, ...(pendingAgent ? { agentId: pendingAgent } : {}) });
  };

  return {
    /** Queues an event; deltas may be merged, everything else is written in order after them. */
    append(type: string, data: Record<string, unknown>): Promise<unknown> {
      if (type === 'message.delta' && typeof data.text === 'string') {
        if (pendingText && data.agentId !== pendingAgent) void flushDeltas();
        pendingText += data.text;
        pendingAgent = data.agentId;
        if (Date.now() - lastDeltaWrite >= DELTA_WINDOW_MS) return flushDeltas();
        timer ??= setTimeout(() => void flushDeltas(), DELTA_WINDOW_MS);
        return chain;
      }
      void flushDeltas();
      return write(type, data);
    },
    /** Waits until everything appended so far is stored and published. */
    async drain(): Promise<void> {
      await flushDeltas();
      await chain;
    },
  };
}

export type RunEventWriter = ReturnType<typeof createRunEventWriter>;
