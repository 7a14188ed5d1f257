import { describe, expect, it } from 'vitest';
import { createGroupCommit } from './group-commit.ts';

/** A group commit whose batches are recorded and finish only when the test says so. */
function recorder(opts: { maxItems?: number; maxSize?: number; concurrency?: number } = {}) {
  const batches: number[][] = [];
  const finish: Array<() => void> = [];
  const group = createGroupCommit<number, string>({
    maxItems: opts.maxItems ?? 100,
    maxSize: opts.maxSize ?? 1_000,
    sizeOf: (n) => n,
    concurrency: opts.concurrency ?? 1,
    async run(batch) {
      batches.push(batch);
      await new Promise<void>((resolve) => finish.push(resolve));
      if (batch.includes(13)) throw new Error('unlucky batch');
      return batch.map((n) => (n % 2 === 0 ? `even ${n}` : new Error(`odd ${n}`)));
    },
  });
  /** Lets the next batch finish, once it has started. */
  async function release(): Promise<void> {
    while (finish.length === 0) await new Promise((r) => setImmediate(r));
    finish.shift()!();
  }
  return { group, batches, release };
}

const settle = <T>(p: Promise<T>) =>
  p.then(
    (value) => ({ value }),
    (err: Error) => ({ error: err.message }),
  );

describe('group commit', () => {
  it('puts what arrives together in one batch and answers each item its own result', async () => {
    const { group, batches, release } = recorder();
    const results = [2, 3, 4].map((n) => settle(group.add(n)));
    await release();
    expect(await Promise.all(results)).toEqual([
      { value: 'even 2' },
      { error: 'odd 3' },
      { value: 'even 4' },
    ]);
    expect(batches).toEqual([[2, 3, 4]]);
  });

  it('gathers what arrives while every slot is busy into the next batch', async () => {
    const { group, batches, release } = recorder({ concurrency: 1 });
    const first = group.add(2);
    await new Promise((r) => setImmediate(r));
    expect(batches).toEqual([[2]]);
    const later = [4, 6, 8].map((n) => group.add(n));
    expect(group.counts()).toEqual({ waiting: 3, running: 1 });
    await release();
    await first;
    await release();
    expect(await Promise.all(later)).toEqual(['even 4', 'even 6', 'even 8']);
    expect(batches).toEqual([[2], [4, 6, 8]]);
  });

  it('runs up to its concurrency of batches at once, each within its item and size limits', async () => {
    const { group, batches, release } = recorder({ concurrency: 2, maxItems: 2, maxSize: 10 });
    const all = [2, 4, 6, 8, 10].map((n) => group.add(n));
    await new Promise((r) => setImmediate(r));
    // [2, 4] (two items), then [6] (6 + 8 would pass the size of 10); [8] and [10] wait for a slot.
    expect(batches).toEqual([[2, 4], [6]]);
    for (let i = 0; i < 4; i++) await release();
    expect(await Promise.all(all)).toEqual(['even 2', 'even 4', 'even 6', 'even 8', 'even 10']);
    expect(batches).toEqual([[2, 4], [6], [8], [10]]);
  });

  it('fails every item of a batch that throws, and goes on with the next', async () => {
    const { group, release } = recorder({ concurrency: 1 });
    const doomed = [12, 13].map((n) => settle(group.add(n)));
    await release();
    expect(await Promise.all(doomed)).toEqual([{ error: 'unlucky batch' }, { error: 'unlucky batch' }]);
    const next = group.add(14);
    await release();
    expect(await next).toBe('even 14');
  });
});
