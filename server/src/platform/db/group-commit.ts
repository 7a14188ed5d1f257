import type { FastifyBaseLogger } from 'fastify';
import { createGroupCommit as createBatcher } from '../group-commit.ts';
import type { Db } from './index.ts';
import type { Work } from './work.ts';

export { Withdrawn } from '../group-commit.ts';

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

/**
 * Writes that their callers wait for, made several at a time (group commit, see ../group-commit.ts):
 * one transaction is under way at a time (or `concurrency`), and whatever is added meanwhile goes into
 * the next one, together. A caller's promise settles once the transaction holding its item has
 * committed and the after-commit work of the batch has run (started in the order it was added, and
 * awaited together), as with its own transaction, but a busy process pays one commit (and, written
 * with many-row statements, a few round trips) for many. A batch that fails is written again item by
 * item, so one bad item fails only its own caller. After-commit work that fails is logged: what it
 * follows is committed and stays so.
 */
export function createGroupCommit<T, R>(opts: GroupCommitOptions<T, R>) {
  async function transaction(items: T[]): Promise<R[]> {
    const after: Array<() => unknown> = [];
    const results = await opts.db.transaction((tx) =>
      opts.write({ tx, afterCommit: (fn) => void after.push(fn) }, items),
    );
    const failed = (err: unknown) => opts.log.error({ err }, `${opts.name}: after-commit work failed`);
    // Started in the order added, then awaited together: what they publish leaves in that order (the
    // bus takes a publish when it is called) and a batch's publishes travel together to Redis.
    await Promise.all(
      after.map((fn) => {
        try {
          return Promise.resolve(fn()).catch(failed);
        } catch (err) {
          failed(err);
          return undefined;
        }
      }),
    );
    return results;
  }

  const asError = (err: unknown) => (err instanceof Error ? err : new Error(String(err)));

  return createBatcher<T, R>({
    maxItems: opts.maxBatch ?? 256,
    concurrency: opts.concurrency ?? 1,
    async run(items) {
      try {
        return await transaction(items);
      } catch (err) {
        if (items.length === 1) return [asError(err)];
        // Which item failed is not known: each goes alone, and only the bad one fails.
        opts.log.info(
          { err, items: items.length },
          `${opts.name}: a batch failed; writing its items one by one`,
        );
        const results: Array<R | Error> = [];
        for (const item of items) results.push(await transaction([item]).then((r) => r[0]!, asError));
        return results;
      }
    },
  });
}

export type GroupCommit<T, R> = ReturnType<typeof createGroupCommit<T, R>>;
