import type { FastifyBaseLogger } from 'fastify';
import type { Bus } from '../platform/bus.ts';
import type { Db } from '../platform/db/index.ts';
import { type Arrival, type Grouped, groupPending } from './grouper.ts';

/** Raw events grouped in one transaction. */
const BATCH = 500;
/**
 * How often an idle grouper looks for raw events anyway: events stored by another replica (whose
 * grouper may be busy or gone) or left by a grouper that crashed mid-batch (its claim ended with its
 * transaction). Events stored by this process wake it (it then gathers for GATHER_MS at most).
 */
const POLL_MS = 1_000;
/**
 * How long a woken grouper waits for more events before its pass, unless a full batch is waiting
 * sooner. A pass has a fixed cost (on PostgreSQL, measured: 0.35 ms of server CPU per event in passes
 * of 20, 0.15 in passes of 500), so gathering keeps a steady stream at a few passes a second, and a
 * burst is grouped in full batches. Kept short: the grouper woken by its own process's events should
 * take them before another process's poll does (which would announce their issues on its own bus,
 * the only one without Redis); 250 ms was tried and lost that race often enough to fail a test that
 * shares its database with other servers.
 */
const GATHER_MS = 50;

/** How often at most a process that groups nothing announces stored events on the bus. */
const ANNOUNCE_MS = 50;

/** The bus topic on which a process that groups nothing tells the groupers elsewhere of stored events. */
const STORED_TOPIC = 'errors:raw-events';

/**
 * The loop that groups raw events into issues: woken in-process when this replica stores events, over
 * the bus when an API replica without workers (WORKERS_IN_PROCESS=false) does, and polling as a
 * fallback. Safe with any number of loops across replicas: each pass claims its batch with FOR UPDATE
 * SKIP LOCKED.
 */
export function createGroupingWorker(opts: {
  db: Db;
  bus: Bus;
  log: FastifyBaseLogger;
  /** Told after each pass that grouped something (the bench measures lag with it). */
  onGrouped?: (grouped: Grouped) => void;
  /**
   * Told, after the pass committed, which issues saw which releases (the fixes domain checks whether
   * an applied fix stopped holding). Awaited, so a stop waits for it; a failure is logged, not retried.
   */
  arrived?: ((arrivals: Arrival[]) => Promise<void>) | undefined;
}) {
  let running = false;
  let loop: Promise<void> | undefined;
  let wakeUp: (() => void) | undefined;
  let pending = false;
  // Events this process stored since the current pass began (other processes' are not counted).
  let waiting = 0;
  let unsubscribe: (() => void) | undefined;
  // The last announcement on the bus, and whether one more is due at the end of its interval.
  let announcedAt = 0;
  let announceTimer: NodeJS.Timeout | undefined;

  function announce(): void {
    announcedAt = Date.now();
    void opts.bus
      .publish({ topic: STORED_TOPIC, type: 'errors.raw_events_stored', orgId: '', data: {} })
      .catch((err: unknown) => opts.log.warn({ err }, 'errors: could not announce stored events'));
  }

  function wake(count: number): void {
    waiting += count;
    pending = true;
    wakeUp?.();
  }

  const sleep = () =>
    new Promise<void>((resolve) => {
      if (!running || (pending && waiting >= BATCH)) return resolve();
      let gathering = pending;
      let timer = setTimeout(done, gathering ? GATHER_MS : POLL_MS);
      timer.unref();
      function done() {
        clearTimeout(timer);
        wakeUp = undefined;
        resolve();
      }
      // Woken: gather until a full batch waits or GATHER_MS has passed, then group (a stop ends the
      // wait at once).
      wakeUp = () => {
        if (!running || waiting >= BATCH) return done();
        if (gathering) return;
        gathering = true;
        clearTimeout(timer);
        timer = setTimeout(done, GATHER_MS);
        timer.unref();
      };
    });

  async function run(): Promise<void> {
    while (running) {
      pending = false;
      waiting = 0;
      let grouped: Grouped = { count: 0, receivedAt: [], arrivals: [] };
      try {
        grouped = await groupPending(opts.db, opts.bus, opts.log, BATCH);
        if (grouped.count > 0) opts.onGrouped?.(grouped);
      } catch (err) {
        opts.log.error({ err }, 'errors: grouping failed; trying again shortly');
      }
      if (grouped.arrivals.length > 0 && opts.arrived) {
        try {
          await opts.arrived(grouped.arrivals);
        } catch (err) {
          opts.log.error({ err }, 'errors: telling of grouped events failed (fix regressions unchecked)');
        }
      }
      // A full batch means more are likely waiting: go on at once.
      if (grouped.count < BATCH) await sleep();
    }
  }

  return {
    start(): void {
      if (running) return;
      running = true;
      unsubscribe = opts.bus.subscribe(STORED_TOPIC, () => wake(0));
      loop = run();
    },
    /**
     * `count` events were stored here: group them soon instead of at the next poll. Where this process runs no
     * grouper, the groupers of other processes are told over the bus, at most once per ANNOUNCE_MS (a
     * burst is one message, and the last events of it are announced too).
     */
    stored(count: number): void {
      if (running) {
        wake(count);
        return;
      }
      if (announceTimer) return;
      const wait = announcedAt + ANNOUNCE_MS - Date.now();
      if (wait <= 0) {
        announce();
        return;
      }
      announceTimer = setTimeout(() => {
        announceTimer = undefined;
        announce();
      }, wait);
      announceTimer.unref();
    },
    async stop(): Promise<void> {
      clearTimeout(announceTimer);
      announceTimer = undefined;
      unsubscribe?.();
      unsubscribe = undefined;
      running = false;
      wakeUp?.();
      await loop;
    },
  };
}

export type GroupingWorker = ReturnType<typeof createGroupingWorker>;
