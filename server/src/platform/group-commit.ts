export interface GroupCommitOptions<T, R> {
  /**
   * Does one batch (one transaction, one round trip): answers each item's result in the batch's order,
   * or an Error for an item that failed on its own. Throwing fails every item of the batch.
   */
  run(batch: T[]): Promise<Array<R | Error>>;
  /** Items per batch at most. */
  maxItems: number;
  /** A batch stops growing once its items' sizes add up to this (it always holds at least one). */
  maxSize?: number;
  /** The size an item counts for (its bytes, say); needed with `maxSize`. */
  sizeOf?(item: T): number;
  /** Batches under way at once; items that come meanwhile wait and go together in the next. */
  concurrency: number;
}

/** An item taken back before its batch began ({@link GroupCommit.withdraw}). */
export class Withdrawn extends Error {
  override name = 'Withdrawn';
}

interface Waiting<T, R> {
  item: T;
  resolve(result: R): void;
  reject(err: unknown): void;
}

/**
 * Group commit: callers `add` one item each and wait for its own result, but items that arrive
 * together go in one batch. A batch starts as soon as a slot is free (after the current turn of the
 * event loop, so the requests of one turn travel together); while every slot is busy, arriving items
 * wait and the next batch takes them all. A quiet server thus answers after one round trip, and a busy
 * one makes a few large writes instead of many small ones. Unlike write-behind, a caller is answered
 * only once its item is done (committed), never before.
 */
export function createGroupCommit<T, R>(opts: GroupCommitOptions<T, R>) {
  let queue: Array<Waiting<T, R>> = [];
  let running = 0;
  let scheduled = false;

  async function runBatch(batch: Array<Waiting<T, R>>): Promise<void> {
    let results: Array<R | Error>;
    try {
      results = await opts.run(batch.map((w) => w.item));
      if (results.length !== batch.length) throw new Error('group commit: one result per item expected');
    } catch (err) {
      for (const w of batch) w.reject(err);
      return;
    }
    for (const [i, w] of batch.entries()) {
      const result = results[i]!;
      if (result instanceof Error) w.reject(result);
      else w.resolve(result);
    }
  }

  /** The waiting items that fit in one batch, oldest first. */
  function take(): Array<Waiting<T, R>> {
    let size = 0;
    let n = 0;
    const { maxSize = Number.POSITIVE_INFINITY, sizeOf } = opts;
    while (n < queue.length && n < opts.maxItems) {
      if (sizeOf) size += sizeOf(queue[n]!.item);
      if (n > 0 && size > maxSize) break;
      n++;
    }
    const batch = queue.slice(0, n);
    queue = queue.slice(n);
    return batch;
  }

  function start(): void {
    scheduled = false;
    while (running < opts.concurrency && queue.length > 0) {
      running++;
      void runBatch(take()).finally(() => {
        running--;
        schedule();
      });
    }
  }

  function schedule(): void {
    if (scheduled || running >= opts.concurrency || queue.length === 0) return;
    scheduled = true;
    setImmediate(start);
  }

  return {
    /** Queues `item` for the next batch; settles with its own result once its batch is done. */
    add(item: T): Promise<R> {
      return new Promise<R>((resolve, reject) => {
        queue.push({ item, resolve, reject });
        schedule();
      });
    },
    /**
     * Takes `item` back if its batch has not begun (its promise rejects with {@link Withdrawn}), so the
     * caller can send it with something else; false when it is under way or done.
     */
    withdraw(item: T): boolean {
      const at = queue.findIndex((w) => w.item === item);
      if (at < 0) return false;
      const [taken] = queue.splice(at, 1);
      taken!.reject(new Withdrawn());
      return true;
    },
    /** Items waiting and batches under way (for tests and metrics). */
    counts: () => ({ waiting: queue.length, running }),
  };
}

export type GroupCommit<T, R> = ReturnType<typeof createGroupCommit<T, R>>;
