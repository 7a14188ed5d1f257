import type { components } from '@switchboard/client';
import { describe, expect, it, vi } from 'vitest';
import { ApiError } from '../api/errors.ts';
import {
  PROFILE_KEY,
  type SessionChannel,
  type SessionDeps,
  SessionManager,
  type SessionMessage,
} from './session.ts';

type TokenPair = components['schemas']['TokenPair'];

/**
 * One origin: shared storage, a broadcast channel between tabs, one lock (like navigator.locks) and a
 * cookie jar holding the refresh cookie, rotated by the fake server like the real one (a cookie spent
 * twice is refused).
 */
function origin() {
  const store = new Map<string, string>();
  const tabs = new Set<(m: SessionMessage) => void>();
  let lockQueue: Promise<unknown> = Promise.resolve();
  let counter = 0;
  const jar: { cookie: string | undefined } = { cookie: undefined };
  const spent = new Set<string>();
  const refresh = vi.fn(async (): Promise<TokenPair> => {
    const sent = jar.cookie;
    await new Promise((r) => setTimeout(r, 5));
    if (!sent) throw new ApiError(401, 'invalid_refresh_token', 'no refresh token', 'req_1');
    if (spent.has(sent)) throw new ApiError(401, 'refresh_token_reused', 'reused', 'req_1');
    spent.add(sent);
    counter++;
    jar.cookie = `cookie-${counter}`;
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
  /** A sign-in: the server sets the cookie and answers the pair without the refresh token. */
  function signIn(t: SessionManager) {
    jar.cookie = 'cookie-0';
    t.signIn(pair(0));
  }
  return { tab, refresh, store, spent, jar, signIn };
}

function pair(n: number, user = 'usr_1'): TokenPair {
  return {
    accessToken: `access-${n}`,
    expiresIn: 900,
    tokenType: 'Bearer',
    user: {
      id: user,
      email: 'a@b.c',
      name: 'Ada',
      emailVerified: true,
      createdAt: '2026-01-01T00:00:00Z',
    },
    org: { id: 'org_1', name: 'Acme', createdAt: '2026-01-01T00:00:00Z' },
  };
}

const settle = () => new Promise((r) => setTimeout(r, 30));

describe('SessionManager', () => {
  it('keeps no token in storage: only the profile, for an offline reload', () => {
    const o = origin();
    const a = o.tab();
    o.signIn(a);
    expect(a.accessToken()).toBe('access-0');
    const stored = [...o.store.values()].join('');
    expect(stored).not.toContain('access-0');
    expect(stored).not.toContain('cookie-0');
    expect(JSON.parse(o.store.get(PROFILE_KEY)!)).toMatchObject({
      user: { id: 'usr_1' },
      org: { id: 'org_1' },
    });
  });

  it('restores a session after a reload by spending the cookie', async () => {
    const o = origin();
    o.signIn(o.tab());
    const reloaded = o.tab();
    expect(reloaded.snapshot().status).toBe('restoring');
    await reloaded.restore();
    expect(reloaded.snapshot().status).toBe('signed_in');
    expect(reloaded.accessToken()).toBe('access-1');
  });

  it('is signed out after a reload in a browser never signed in, without asking the server', async () => {
    const o = origin();
    const t = o.tab();
    await t.restore();
    expect(t.snapshot()).toEqual({ status: 'signed_out', session: undefined, profile: undefined });
    expect(o.refresh).not.toHaveBeenCalled();
  });

  it('is signed out when the cookie is gone (expired) though a profile was left', async () => {
    const o = origin();
    o.signIn(o.tab());
    o.jar.cookie = undefined;
    const t = o.tab();
    await t.restore();
    expect(t.snapshot().status).toBe('signed_out');
    expect(o.store.has(PROFILE_KEY)).toBe(false);
  });

  it('refreshes once for many concurrent callers in one tab', async () => {
    const o = origin();
    const a = o.tab();
    o.signIn(a);
    const tokens = await Promise.all([a.refresh('access-0'), a.refresh('access-0'), a.refresh('access-0')]);
    expect(tokens).toEqual(['access-1', 'access-1', 'access-1']);
    expect(o.refresh).toHaveBeenCalledTimes(1);
  });

  it('never spends one cookie from two tabs: refreshes take turns, each with the cookie the last one left', async () => {
    const o = origin();
    const a = o.tab();
    const b = o.tab();
    o.signIn(a);
    await b.restore();
    const [ta, tb] = await Promise.all([a.refresh(a.accessToken()), b.refresh(b.accessToken())]);
    expect(new Set([ta, tb]).size).toBe(2);
    expect(a.current()).toBeDefined();
    expect(b.current()).toBeDefined();
    expect(o.refresh).toHaveBeenCalledTimes(3);
  });

  it('a sign-in in one tab signs the other tabs in through the cookie', async () => {
    const o = origin();
    const a = o.tab();
    const b = o.tab();
    await b.restore();
    expect(b.snapshot().status).toBe('signed_out');
    o.signIn(a);
    await settle();
    expect(b.snapshot().status).toBe('signed_in');
    expect(b.current()?.user.id).toBe('usr_1');
  });

  it('signs out every tab when the cookie is refused', async () => {
    const o = origin();
    const a = o.tab();
    const b = o.tab();
    o.signIn(a);
    await b.restore();
    o.spent.add(o.jar.cookie!);
    const reasons: unknown[] = [];
    b.subscribe((s, reason) => reasons.push([s.status, reason]));
    expect(await a.refresh(a.accessToken())).toBeUndefined();
    expect(a.current()).toBeUndefined();
    expect(b.current()).toBeUndefined();
    expect(reasons).toEqual([['signed_out', 'other_tab']]);
    expect(o.store.has(PROFILE_KEY)).toBe(false);
  });

  it('keeps the session when a refresh fails for another reason (offline)', async () => {
    const o = origin();
    const a = o.tab({
      refresh: async () => {
        throw new ApiError(0, 'network_error', 'offline');
      },
    });
    o.signIn(a);
    await expect(a.refresh('access-0')).rejects.toThrow('offline');
    expect(a.accessToken()).toBe('access-0');
  });

  it('a reload without the server is offline with the last profile, and signs in once it answers', async () => {
    const o = origin();
    o.signIn(o.tab());
    let reachable = false;
    let online: (() => void) | undefined;
    const retries: number[] = [];
    const t = o.tab({
      refresh: async () => {
        if (!reachable) throw new ApiError(0, 'network_error', 'Failed to fetch');
        return o.refresh();
      },
      onOnline: (listener) => {
        online = listener;
        return () => {};
      },
      setTimer: (_fn, ms) => retries.push(ms),
    });
    await t.restore();
    expect(t.snapshot()).toMatchObject({
      status: 'offline',
      session: undefined,
      profile: { user: { id: 'usr_1' } },
    });
    expect(retries).toEqual([5_000]);
    reachable = true;
    online?.();
    await settle();
    expect(t.snapshot().status).toBe('signed_in');
  });

  it('sign-out in one tab signs out all and tells the server once, with the access token', async () => {
    const o = origin();
    const logout = vi.fn(async (_token: string | undefined) => {});
    const a = o.tab({ logout });
    const b = o.tab({ logout });
    o.signIn(a);
    await a.signOut();
    expect(a.current()).toBeUndefined();
    expect(b.snapshot().status).toBe('signed_out');
    expect(logout).toHaveBeenCalledTimes(1);
    expect(logout).toHaveBeenCalledWith('access-0');
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
