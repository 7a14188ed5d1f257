import type { FastifyBaseLogger } from 'fastify';
import type { Db } from './index.ts';
import type { Work } from './work.ts';

export interface GroupCommitOptions<T, R> {
  /** Names the writes in log lines (`run submissions`). */
  name: string;
  db: Db;
  log: FastifyBaseLogger;
  /**
   * Writes a batch in one unit of work and answers one result per item, in order. It must not catch a
   * failed statement and go on (the transaction is aborted by then): let it throw, and the batch is
   * written again item by item.
   */
  write(work: Work, items: T[]): Promise<R[]>;
  /** Items per transaction at most. */
  maxBatch?: number;
  /**
   * Transactions under way at once (1 by default). More than one overlaps the round trips of one batch
   * with another's on a database with a pool of connections; PGlite has one connection anyway.
   */
  concurrency?: number;
}

/** An item taken back before its batch was written ({@link GroupCommit.withdraw}). */
export class Withdrawn extends Error {
  override name = 'Withdrawn';
}

interface Waiting<T, R> {
  item: T;
  resolve(result: R): void;
  reject(err: unknown): void;
}

/**
 * Writes that their callers wait for, made several at a time (group commit): one transaction is under
 * way at a time (or `concurrency`), and whatever is added meanwhile goes into the next one, together. A caller's promise
 * settles once the transaction holding its item has committed and the after-commit work of the batch
 * has run (started in the order it was added, and awaited together), as with its own transaction, but
 * a busy process pays one commit (and, written with many-row statements, a few round trips) for many. A batch that fails is written again item by
 * item, so one bad item fails only its own caller. After-commit work that fails is logged: what it
 * follows is committed and stays so.
 */
export function createGroupCommit<T, R>(opts: GroupCommitOptions<T, R>) {
  const maxBatch = opts.maxBatch ?? 256;
  const concurrency = opts.concurrency ?? 1;
  let waiting: Array<Waiting<T, R>> = [];
  let writers = 0;

  async function transaction(items: T[]): Promise<{ results: R[]; after: Array<() => unknown> }> {
    const after: Array<() => unknown> = [];
    const results = await opts.db.transaction((tx) =>
      opts.write({ tx, afterCommit: (fn) => void after.push(fn) }, items),
    );
    return { results, after };
  }

  async function settle(batch: Array<Waiting<T, R>>, results: R[], after: Array<() => unknown>) {
    const failed = (err: unknown) => opts.log.error({ err }, `${opts.name}: after-commit work failed`);
    // Started in the order added, then awaited together: what they publish leaves in that order (the
    // bus takes a publish when it is called) and a batch's publishes travel together to Redis.
    const running = after.map((fn) => {
      try {
        return Promise.resolve(fn()).catch(failed);
      } catch (err) {
        failed(err);
        return undefined;
      }
    });
    await Promise.all(running);
    for (const [i, w] of batch.entries()) w.resolve(results[i]!);
  }

  async function writeBatch(batch: Array<Waiting<T, R>>): Promise<void> {
    let written: Awaited<ReturnType<typeof transaction>>;
    try {
      written = await transaction(batch.map((w) => w.item));
    } catch (err) {
      if (batch.length === 1) return batch[0]!.reject(err);
      // Which item failed is not known: each goes alone, and only the bad one fails.
      opts.log.info(
        { err, items: batch.length },
        `${opts.name}: a batch failed; writing its items one by one`,
      );
      for (const w of batch) await writeBatch([w]);
      return;
    }
    await settle(batch, written.results, written.after);
  }

  async function pump(): Promise<void> {
    while (waiting.length > 0) {
      const batch = waiting.slice(0, maxBatch);
      waiting = waiting.slice(maxBatch);
      await writeBatch(batch);
    }
    writers--;
  }

  return {
    /** Writes `item` with whatever else is waiting; settles once it is committed (or failed alone). */
    add(item: T): Promise<R> {
      return new Promise<R>((resolve, reject) => {
        waiting.push({ item, resolve, reject });
        if (writers >= concurrency) return;
        writers++;
        // Items added in the same turn of the event loop (requests read together) go in one batch.
        setImmediate(() => void pump());
      });
    },
    /**
     * Takes `item` back if its batch has not begun (its promise rejects with {@link Withdrawn}), so the
     * caller can write it with something else; false when it is being written or was already.
     */
    withdraw(item: T): boolean {
      const at = waiting.findIndex((w) => w.item === item);
      if (at < 0) return false;
      const [taken] = waiting.splice(at, 1);
      taken!.reject(new Withdrawn());
      return true;
    },
  };
}

export type GroupCommit<T, R> = ReturnType<typeof createGroupCommit<T, R>>;
