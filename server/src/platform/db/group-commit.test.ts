import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { createGroupCommit, Withdrawn } from './group-commit.ts';
import type { Db } from './index.ts';

const log = pino({ level: 'silent' });

/** A database whose transactions are the callback alone: what a batch writes is recorded by the test. */
function fakeDb(): Db {
  return { transaction: (fn: (tx: unknown) => Promise<unknown>) => fn({}) } as unknown as Db;
}

/** A group commit of numbers on {@link fakeDb}, recording each batch it writes. */
function recording(
  write: (items: number[]) => Promise<number[]> = async (items) => items,
  options: { concurrency?: number; maxBatch?: number } = {},
) {
  const batches: number[][] = [];
  const commits = createGroupCommit<number, number>({
    name: 'test',
    db: fakeDb(),
    log,
    ...options,
    write(_work, items) {
      batches.push(items);
      return write(items);
    },
  });
  return { commits, batches };
}

/** Resolves once the event loop has turned (the group commit starts a batch on the next turn). */
const turn = () => new Promise<void>((resolve) => setImmediate(resolve));

describe('group commit in transactions', () => {
  it('writes what is added together in one batch, and what comes meanwhile in the next', async () => {
    let release: () => void = () => {};
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    let written = 0;
    const { commits, batches } = recording(async (items) => {
      if (++written === 1) await gate;
      return items.map((n) => n * 10);
    });
    const first = [1, 2, 3].map((n) => commits.add(n));
    await turn();
    // The first batch is under way: these wait for it, then go together.
    const second = [4, 5].map((n) => commits.add(n));
    await turn();
    expect(batches).toEqual([[1, 2, 3]]);
    release();
    expect(await Promise.all([...first, ...second])).toEqual([10, 20, 30, 40, 50]);
    expect(batches).toEqual([
      [1, 2, 3],
      [4, 5],
    ]);
  });

  it('writes a failed batch again item by item, so only the bad item fails', async () => {
    const { commits, batches } = recording(async (items) => {
      if (items.includes(2)) throw new Error('two is not allowed');
      return items;
    });
    const results = await Promise.allSettled([1, 2, 3].map((n) => commits.add(n)));
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect((results[1] as PromiseRejectedResult).reason).toMatchObject({ message: 'two is not allowed' });
    expect(batches).toEqual([[1, 2, 3], [1], [2], [3]]);
  });

  it('runs after-commit work before its callers hear back, and a failure there fails nobody', async () => {
    const order: string[] = [];
    const commits = createGroupCommit<string, string>({
      name: 'test',
      db: fakeDb(),
      log,
      async write(work, items) {
        for (const item of items) {
          work.afterCommit(() => {
            order.push(`after ${item}`);
            if (item === 'a') throw new Error('a publish failed');
          });
        }
        return items;
      },
    });
    const answers = await Promise.all(
      ['a', 'b'].map((item) => commits.add(item).then((r) => order.push(`answered ${r}`))),
    );
    expect(answers).toHaveLength(2);
    expect(order).toEqual(['after a', 'after b', 'answered a', 'answered b']);
  });

  it('takes back an item whose batch has not begun', async () => {
    const { commits, batches } = recording();
    const kept = commits.add(1);
    const taken = commits.add(2);
    expect(commits.withdraw(2)).toBe(true);
    await expect(taken).rejects.toBeInstanceOf(Withdrawn);
    expect(await kept).toBe(1);
    expect(commits.withdraw(1)).toBe(false);
    expect(batches).toEqual([[1]]);
  });

  it('writes up to `concurrency` batches at once', async () => {
    let running = 0;
    let most = 0;
    const { commits } = recording(
      async (items) => {
        running++;
        most = Math.max(most, running);
        await turn();
        running--;
        return items;
      },
      { concurrency: 2, maxBatch: 1 },
    );
    await Promise.all([1, 2, 3, 4].map((n) => commits.add(n)));
    expect(most).toBe(2);
  });
});
