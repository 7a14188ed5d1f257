import type { FastifyBaseLogger } from 'fastify';
import type { Bus } from '../platform/bus.ts';
import type { Db } from '../platform/db/index.ts';
import { type Arrival, type Grouped, groupPending } from './grouper.ts';

/** Raw events grouped in one transaction. */
const BATCH = 500;
/**
 * How often an idle grouper looks for raw events anyway: events stored by another replica (whose
 * grouper may be busy or gone) or left by a grouper that crashed mid-batch (its claim ended with its
 * transaction). Events stored by this process wake it at once.
 */
const POLL_MS = 1_000;
/**
 * How long a woken grouper waits for more events before its pass. A pass has a fixed cost (measured on
 * PGlite: ~10 ms for one event, ~130 ms for 500), so one pass per stored event would halve what ingest
 * takes in; gathering for a moment keeps a busy stream at a few passes a second, well within the 2 s
 * an event may wait to be grouped.
 */
const GATHER_MS = 50;

/**
 * The loop that groups raw events into issues: woken in-process when this replica stores events, and
 * polling as a fallback. Safe with any number of loops across replicas: each pass claims its batch
 * with FOR UPDATE SKIP LOCKED.
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

  const sleep = () =>
    new Promise<void>((resolve) => {
      if (!running) return resolve();
      let timer = setTimeout(done, pending ? GATHER_MS : POLL_MS);
      timer.unref();
      function done() {
        clearTimeout(timer);
        wakeUp = undefined;
        resolve();
      }
      // Woken: gather for a moment, then group (a stop ends the wait at once).
      wakeUp = () => {
        clearTimeout(timer);
        wakeUp = done;
        if (!running) return done();
        timer = setTimeout(done, GATHER_MS);
        timer.unref();
      };
    });

  async function run(): Promise<void> {
    while (running) {
      pending = false;
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
      loop = run();
    },
    /** Events were stored here: group them now instead of at the next poll. */
    wake(): void {
      if (pending) return;
      pending = true;
      wakeUp?.();
    },
    async stop(): Promise<void> {
      running = false;
      wakeUp?.();
      wakeUp?.();
      await loop;
    },
  };
}

export type GroupingWorker = ReturnType<typeof createGroupingWorker>;
