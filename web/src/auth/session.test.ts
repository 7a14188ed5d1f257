import type { components } from '@switchboard/client';
import { describe, expect, it, vi } from 'vitest';
import { ApiError } from '../api/errors.ts';
import {
  type SessionChannel,
  type SessionDeps,
  SessionManager,
  type SessionMessage,
  STORAGE_KEY,
} from './session.ts';

type TokenPair = components['schemas']['TokenPair'];

/** One origin: shared storage, a broadcast channel between tabs, and one lock (like navigator.locks). */
function origin() {
  const store = new Map<string, string>();
  const tabs = new Set<(m: SessionMessage) => void>();
  let lockQueue: Promise<unknown> = Promise.resolve();
  let counter = 0;
  const spent = new Set<string>();
  const refresh = vi.fn(async (refreshToken: string): Promise<TokenPair> => {
    await new Promise((r) => setTimeout(r, 5));
    if (spent.has(refreshToken)) throw new ApiError(401, 'refresh_token_reused', 'reused', 'req_1');
    spent.add(refreshToken);
    counter++;
    return pair(counter);
  });

  function tab(overrides: Partial<SessionDeps> = {}) {
    let own: ((m: SessionMessage) => void) | undefined;
    const channel: SessionChannel = {
      post: (m) => {
        for (const t of tabs) if (t !== own) t(m);
      },
      listen: (handler) => {
        own = handler;
        tabs.add(handler);
        return () => tabs.delete(handler);
      },
    };
    return new SessionManager({
      storage: {
        getItem: (k) => store.get(k) ?? null,
        setItem: (k, v) => void store.set(k, v),
        removeItem: (k) => void store.delete(k),
      },
      channel,
      lock: (_name, fn) => {
        const run = lockQueue.then(fn, fn);
        lockQueue = run.catch(() => {});
        return run;
      },
      refresh,
      setTimer: () => 0,
      clearTimer: () => {},
      ...overrides,
    });
  }
  return { tab, refresh, store, spent };
}

function pair(n: number): TokenPair {
  return {
    accessToken: `access-${n}`,
    refreshToken: `refresh-${n}`,
    expiresIn: 900,
    tokenType: 'Bearer',
    user: {
      id: 'usr_1',
      email: 'a@b.c',
      name: 'Ada',
      emailVerified: true,
      createdAt: '2026-01-01T00:00:00Z',
    },
    org: { id: 'org_1', name: 'Acme', createdAt: '2026-01-01T00:00:00Z' },
  };
}

describe('SessionManager', () => {
  it('keeps the session in storage and tells the other tabs about a sign-in', () => {
    const o = origin();
    const a = o.tab();
    const b = o.tab();
    a.signIn(pair(0));
    expect(JSON.parse(o.store.get(STORAGE_KEY)!).refreshToken).toBe('refresh-0');
    expect(b.accessToken()).toBe('access-0');
  });

  it('refreshes once for many concurrent callers in one tab', async () => {
    const o = origin();
    const a = o.tab();
    a.signIn(pair(0));
    const tokens = await Promise.all([a.refresh('access-0'), a.refresh('access-0'), a.refresh('access-0')]);
    expect(tokens).toEqual(['access-1', 'access-1', 'access-1']);
    expect(o.refresh).toHaveBeenCalledTimes(1);
  });

  it('never spends one refresh token from two tabs: the second adopts the first one’s pair', async () => {
    const o = origin();
    const a = o.tab();
    const b = o.tab();
    a.signIn(pair(0));
    const [ta, tb] = await Promise.all([a.refresh('access-0'), b.refresh('access-0')]);
    expect(ta).toBe('access-1');
    expect(tb).toBe('access-1');
    expect(o.refresh).toHaveBeenCalledTimes(1);
    expect(o.refresh).toHaveBeenCalledWith('refresh-0');
  });

  it('signs out every tab when the refresh token is refused', async () => {
    const o = origin();
    const a = o.tab();
    const b = o.tab();
    a.signIn(pair(0));
    o.spent.add('refresh-0');
    const reasons: unknown[] = [];
    b.subscribe((s, reason) => reasons.push([s, reason]));
    expect(await a.refresh('access-0')).toBeUndefined();
    expect(a.current()).toBeUndefined();
    expect(b.current()).toBeUndefined();
    expect(reasons).toEqual([[undefined, 'other_tab']]);
    expect(o.store.has(STORAGE_KEY)).toBe(false);
  });

  it('keeps the session when the refresh fails for another reason (offline)', async () => {
    const o = origin();
    const a = o.tab({
      refresh: async () => {
        throw new ApiError(0, 'network_error', 'offline');
      },
    });
    a.signIn(pair(0));
    await expect(a.refresh('access-0')).rejects.toThrow('offline');
    expect(a.accessToken()).toBe('access-0');
  });

  it('sign-out in one tab signs out all and tells the server once', async () => {
    const o = origin();
    const logout = vi.fn(async () => {});
    const a = o.tab({ logout });
    const b = o.tab({ logout });
    a.signIn(pair(0));
    await a.signOut();
    expect(a.current()).toBeUndefined();
    expect(b.current()).toBeUndefined();
    expect(logout).toHaveBeenCalledTimes(1);
  });

  it('schedules a refresh a minute before the access token expires, or at 3/4 of a short life', () => {
    const o = origin();
    const timers: number[] = [];
    const a = o.tab({ now: () => 0, setTimer: (_fn, ms) => timers.push(ms) });
    a.signIn(pair(0));
    expect(timers.at(-1)).toBe(900_000 - 60_000);
    a.signIn({ ...pair(1), expiresIn: 30 });
    expect(timers.at(-1)).toBe(22_500);
  });
});
