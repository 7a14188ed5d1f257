import type { Bus, BusEvent } from '../platform/bus.ts';
import type { Db } from '../platform/db/index.ts';
import { type RunEvent, runTopic } from './events.ts';
import { presentRunEvent, TERMINAL } from './service.ts';
import { findRun, listRunEvents } from './store.ts';

export type PresentedRunEvent = ReturnType<typeof presentRunEvent>;

const TERMINAL_EVENTS = new Set(['run.completed', 'run.failed', 'run.cancelled']);
/** A safety net: if a publish was lost (a crash between commit and publish), the log still arrives. */
const POLL_MS = 2_000;

export const isTerminalEvent = (type: string) => TERMINAL_EVENTS.has(type);

/**
 * Follows a run's log from `afterSeq`: replays what is stored, then delivers live events from the bus,
 * in order, each exactly once. A gap in live sequence numbers is filled from the database, so a
 * subscriber never misses or repeats an event across reconnects. Resolves when the run ends (after its
 * terminal event) or `signal` aborts.
 */
export async function followRun(
  deps: { db: Db; bus: Bus },
  run: { id: string; orgId: string },
  afterSeq: number,
  deliver: (event: PresentedRunEvent) => void,
  signal: AbortSignal,
): Promise<void> {
  let last = afterSeq;
  let done = false;
  let wake: (() => void) | undefined;
  const live: BusEvent[] = [];
  const unsubscribe = deps.bus.subscribe(runTopic(run.id), (event) => {
    live.push(event);
    wake?.();
  });
  const onAbort = () => wake?.();
  signal.addEventListener('abort', onAbort);

  const send = (e: PresentedRunEvent) => {
    if (e.seq <= last) return;
    last = e.seq;
    deliver(e);
    if (isTerminalEvent(e.type)) done = true;
  };
  const catchUp = async () => {
    for (;;) {
      const rows = await listRunEvents(deps.db, run.orgId, run.id, last, 500);
      for (const row of rows) send(presentRunEvent(row));
      if (rows.length < 500 || done) break;
    }
    // A subscriber that resumes after the terminal event has nothing more to wait for.
    const current = await findRun(deps.db, run.orgId, run.id);
    if (!current || (TERMINAL.includes(current.status) && last >= current.lastSeq)) done = true;
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
      send({ seq, type: event.type, data: event.data as RunEvent['data'], at: event.at });
    }
  } finally {
    unsubscribe();
    signal.removeEventListener('abort', onAbort);
  }
}
