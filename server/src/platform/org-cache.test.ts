import pino from 'pino';
import { describe, expect, it, vi } from 'vitest';
import { createBus } from './bus.ts';
import { createOrgCache } from './org-cache.ts';

const log = pino({ level: 'silent' });

/** Two replicas' caches on one bus (what Redis pub/sub gives replicas), counting their reads. */
function replicas(ttlMs = 60_000) {
  const bus = createBus({ prefix: 'test:', log });
  const make = () =>
    createOrgCache<{ orgId: string; v: number }>({ name: 'things', bus, orgIdOf: (x) => x.orgId, ttlMs });
  return { a: make(), b: make() };
}

describe('the org cache', () => {
  it('reads once, then answers from memory; concurrent misses share one read', async () => {
    const { a } = replicas();
    const read = vi.fn(async () => ({ orgId: 'org_1', v: 1 }));
    const [x, y] = await Promise.all([a.get('k', read), a.get('k', read)]);
    expect(x).toEqual({ orgId: 'org_1', v: 1 });
    expect(y).toBe(x);
    await a.get('k', read);
    expect(read).toHaveBeenCalledTimes(1);
  });

  it('does not keep "not found", so a thing created later is found', async () => {
    const { a } = replicas();
    let value: { orgId: string; v: number } | undefined;
    const read = vi.fn(async () => value);
    expect(await a.get('k', read)).toBeUndefined();
    value = { orgId: 'org_1', v: 1 };
    expect(await a.get('k', read)).toEqual(value);
  });

  it("drops only the changed org's entries, on every replica", async () => {
    const { a, b } = replicas();
    let version = 1;
    const read = (orgId: string) => async () => ({ orgId, v: version });
    await a.get('one', read('org_1'));
    await b.get('one', read('org_1'));
    await b.get('two', read('org_2'));
    version = 2;
    await a.invalidate('org_1');
    expect(await a.get('one', read('org_1'))).toEqual({ orgId: 'org_1', v: 2 });
    expect(await b.get('one', read('org_1'))).toEqual({ orgId: 'org_1', v: 2 });
    expect(await b.get('two', read('org_2'))).toEqual({ orgId: 'org_2', v: 1 });
  });

  it('does not keep a value read before a change that landed while it was being read', async () => {
    const { a } = replicas();
    let release!: () => void;
    const slow = async () => {
      await new Promise<void>((r) => {
        release = r;
      });
      return { orgId: 'org_1', v: 1 };
    };
    const stale = a.get('k', slow);
    await a.invalidate('org_1');
    release();
    expect(await stale).toEqual({ orgId: 'org_1', v: 1 });
    expect(await a.get('k', async () => ({ orgId: 'org_1', v: 2 }))).toEqual({ orgId: 'org_1', v: 2 });
  });

  it('reads again once an entry is older than its time to live', async () => {
    vi.useFakeTimers();
    try {
      const { a } = replicas(1_000);
      const read = vi.fn(async () => ({ orgId: 'org_1', v: 1 }));
      await a.get('k', read);
      vi.advanceTimersByTime(1_001);
      await a.get('k', read);
      expect(read).toHaveBeenCalledTimes(2);
    } finally {
      vi.useRealTimers();
    }
  });

  it('changing() invalidates only after the change has committed', async () => {
    const { a } = replicas();
    await a.get('k', async () => ({ orgId: 'org_1', v: 1 }));
    await expect(a.changing('org_1', Promise.reject(new Error('rolled back')))).rejects.toThrow(
      'rolled back',
    );
    expect(a.size()).toBe(1);
    await a.changing('org_1', Promise.resolve('done'));
    expect(a.size()).toBe(0);
  });
});
