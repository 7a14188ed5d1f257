import { type ExecutionEvent, isTerminal, type LoggedEvent } from '../execution/events.ts';
import { createLogReader, type LogOwner } from '../execution/log-format.ts';
import { runTopic } from '../execution/records.ts';
import type { Bus, BusEvent } from '../platform/bus.ts';
import type { Db } from '../platform/db/index.ts';
import { findRun, listRunEvents } from './store.ts';

/** A safety net: if a publish was lost (a crash between commit and publish), the log still arrives. */
const POLL_MS = 2_000;
const TERMINAL_STATUSES = new Set(['succeeded', 'failed', 'cancelled']);

/** The stored log of a run after `afterSeq`, read as today's events (old entries upgraded). */
export async function readRunLog(
  db: Db,
  run: LogOwner & { orgId: string },
  afterSeq: number,
  limit?: number,
): Promise<LoggedEvent[]> {
  const reader = createLogReader(run);
  const rows = await listRunEvents(db, run.orgId, run.id, afterSeq, limit);
  return rows.flatMap((row) => reader.read({ ...row, at: row.createdAt }) ?? []);
}

/**
 * Follows a run's log from `afterSeq`: replays what is stored, then delivers live events from the bus,
 * in order, each exactly once. A gap in live sequence numbers is filled from the database, so a
 * subscriber never misses or repeats an event across reconnects. Resolves when the run ends (after its
 * terminal event) or `signal` aborts.
 */
export async function followRun(
  deps: { db: Db; bus: Bus },
  run: LogOwner & { orgId: string },
  afterSeq: number,
  deliver: (event: LoggedEvent) => void,
  signal: AbortSignal,
): Promise<void> {
  let last = afterSeq;
  let done = false;
  let wake: (() => void) | undefined;
  const live: BusEvent[] = [];
  const reader = createLogReader(run);
  const unsubscribe = deps.bus.subscribe(runTopic(run.id), (event) => {
    live.push(event);
    wake?.();
  });
  const onAbort = () => wake?.();
  signal.addEventListener('abort', onAbort);

  const send = (e: LoggedEvent) => {
    if (e.seq <= last) return;
    last = e.seq;
    deliver(e);
    if (isTerminal(e.event)) done = true;
  };
  const catchUp = async () => {
    for (;;) {
      const rows = await listRunEvents(deps.db, run.orgId, run.id, last, 500);
      for (const row of rows) {
        const read = reader.read({ ...row, at: row.createdAt });
        if (read) send(read);
        else last = Math.max(last, row.seq);
      }
      if (rows.length < 500 || done) break;
    }
    // A subscriber that resumes after the terminal event has nothing more to wait for.
    const current = await findRun(deps.db, run.orgId, run.id);
    if (!current || (TERMINAL_STATUSES.has(current.status) && last >= current.lastSeq)) done = true;
  };

  try {
    await catchUp();
    while (!done && !signal.aborted) {
      if (live.length === 0) {
        await new Promise<void>((resolve) => {
          wake = resolve;
          setTimeout(resolve, POLL_MS).unref();
        });
        wake = undefined;
        if (live.length === 0) {
          await catchUp(); // quiet: make sure nothing was missed
          continue;
        }
      }
      const event = live.shift()!;
      const seq = event.seq ?? 0;
      if (seq <= last) continue;
      if (seq > last + 1) await catchUp(); // a gap: fetch what was not delivered live
      send({ seq, at: event.at, event: event.data as ExecutionEvent });
    }
  } finally {
    unsubscribe();
    signal.removeEventListener('abort', onAbort);
  }
}
