import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { createWriteBehind } from './write-behind.ts';

const log = pino({ level: 'silent' });

describe('the write-behind queue', () => {
  it('writes items in batches and reports each committed batch', async () => {
    const writes: number[][] = [];
    const done: number[][] = [];
    const queue = createWriteBehind<number>({
      name: 'test',
      log,
      batchSize: 2,
      flushMs: 10_000,
      write: async (batch) => {
        writes.push(batch);
      },
      written: (batch) => done.push(batch),
    });
    for (const n of [1, 2, 3]) queue.add(n);
    await queue.flush();
    expect(writes).toEqual([[1, 2], [3]]);
    expect(done).toEqual([[1, 2], [3]]);
    expect(queue.counts()).toEqual({ queued: 0, written: 3, dropped: 0 });
  });

  it('writes a failed batch one by one, so one bad item loses only itself', async () => {
    const kept: number[] = [];
    const queue = createWriteBehind<number>({
      name: 'test',
      log,
      flushMs: 10_000,
      write: async () => {
        throw new Error('one row violates a constraint');
      },
      writeOne: async (n) => {
        if (n === 2) throw new Error('bad row');
        kept.push(n);
      },
    });
    for (const n of [1, 2, 3]) queue.add(n);
    await queue.flush();
    expect(kept).toEqual([1, 3]);
    expect(queue.counts()).toEqual({ queued: 0, written: 2, dropped: 1 });
  });

  it('writes on its own after flushMs', async () => {
    const writes: number[][] = [];
    const queue = createWriteBehind<number>({
      name: 'test',
      log,
      flushMs: 5,
      write: async (batch) => {
        writes.push(batch);
      },
    });
    queue.add(7);
    for (let i = 0; i < 100 && !writes.length; i++) await new Promise((r) => setTimeout(r, 5));
    expect(writes).toEqual([[7]]);
  });
});
