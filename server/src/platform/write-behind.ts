import type { FastifyBaseLogger } from 'fastify';

export interface WriteBehindOptions<T> {
  /** Names the queue in log lines (`audit`, `runs`). */
  name: string;
  log: FastifyBaseLogger;
  /** Writes one batch; all of it or nothing (one transaction). */
  write(batch: T[]): Promise<void>;
  /**
   * Writes one item alone, after its batch failed, so one bad item cannot sink the others. Without
   * it a failed batch is lost.
   */
  writeOne?(item: T): Promise<void>;
  /** Called with each batch once it is committed. */
  written?(batch: T[]): void;
  /** Items wait at most this long before they are written. */
  flushMs?: number;
  /** Items per write. */
  batchSize?: number;
  /** Past this many waiting items (the database is down or slow), new ones are dropped and counted. */
  maxQueued?: number;
}

/**
 * A queue that writes off the request path: `add` only queues; a timer (or a full batch) writes.
 * Many small writes become one transaction per batch, which is what lets a busy endpoint keep its
 * records without paying a commit per request. Never throws to the caller; failures are logged.
 */
export function createWriteBehind<T>(opts: WriteBehindOptions<T>) {
  const flushMs = opts.flushMs ?? 200;
  const batchSize = opts.batchSize ?? 200;
  const maxQueued = opts.maxQueued ?? 10_000;
  let queue: T[] = [];
  let timer: NodeJS.Timeout | undefined;
  let writing: Promise<void> = Promise.resolve();
  let dropped = 0;
  let written = 0;
  let stopped = false;

  async function writeBatch(batch: T[]): Promise<void> {
    try {
      await opts.write(batch);
      written += batch.length;
      opts.written?.(batch);
      return;
    } catch (err) {
      if (!opts.writeOne) {
        dropped += batch.length;
        opts.log.error({ err, rows: batch.length }, `${opts.name}: batch write failed; these rows are lost`);
        return;
      }
      opts.log.warn({ err, rows: batch.length }, `${opts.name}: batch write failed; writing one by one`);
    }
    for (const item of batch) {
      try {
        await opts.writeOne(item);
        written++;
        opts.written?.([item]);
      } catch (err) {
        dropped++;
        opts.log.error({ err }, `${opts.name}: a row could not be written and is lost`);
      }
    }
  }

  async function writeAll(): Promise<void> {
    while (queue.length) {
      const batch = queue.slice(0, batchSize);
      queue = queue.slice(batchSize);
      await writeBatch(batch);
    }
  }

  function flush(): Promise<void> {
    clearTimeout(timer);
    timer = undefined;
    writing = writing.then(writeAll);
    return writing;
  }

  function schedule(): void {
    if (queue.length >= batchSize) void flush();
    else if (!timer) {
      timer = setTimeout(() => void flush(), flushMs);
      timer.unref();
    }
  }

  return {
    /** Queues one item; never throws and never waits. */
    add(item: T): void {
      if (stopped) return;
      if (queue.length >= maxQueued) {
        if (dropped++ % 1000 === 0) opts.log.error({ dropped }, `${opts.name}: queue full; dropping rows`);
        return;
      }
      queue.push(item);
      schedule();
    },
    /** Writes everything queued so far. */
    flush,
    /** Writes what is queued, then refuses new items. */
    async stop(): Promise<void> {
      stopped = true;
      await flush();
    },
    counts: () => ({ queued: queue.length, written, dropped }),
  };
}

export type WriteBehind<T> = ReturnType<typeof createWriteBehind<T>>;
