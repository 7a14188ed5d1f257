import type { components } from '@switchboard/client';
import { ApiError } from '../api/errors.ts';

type TokenPair = components['schemas']['TokenPair'];

/** What a signed-in tab keeps: the token pair, when the access token expires, and who it belongs to. */
export interface Session {
  accessToken: string;
  refreshToken: string;
  /** Epoch milliseconds when the access token expires. */
  expiresAt: number;
  /** Epoch milliseconds when a tab should refresh it: a minute early, or at three quarters of a short life. */
  refreshAt: number;
  user: TokenPair['user'];
  org: TokenPair['org'];
}

/** Messages tabs send each other; tokens never travel on the channel, only a nudge to re-read storage. */
export type SessionMessage = { type: 'changed' } | { type: 'signed_out'; reason: SignOutReason };
export type SignOutReason = 'user' | 'expired' | 'other_tab';

export interface SessionChannel {
  post(message: SessionMessage): void;
  listen(handler: (message: SessionMessage) => void): () => void;
}

export interface SessionDeps {
  storage: Pick<Storage, 'getItem' | 'setItem' | 'removeItem'>;
  channel: SessionChannel;
  /** Runs `fn` while holding a lock shared by every tab of the origin (navigator.locks). */
  lock: <T>(name: string, fn: () => Promise<T>) => Promise<T>;
  /** Spends a refresh token: POST /auth/refresh. Rejects with ApiError 401 when it is no longer valid. */
  refresh: (refreshToken: string) => Promise<TokenPair>;
  /** Ends the session on the server (best effort). */
  logout?: (session: Session) => Promise<void>;
  now?: () => number;
  setTimer?: (fn: () => void, ms: number) => unknown;
  clearTimer?: (timer: unknown) => void;
}

export const STORAGE_KEY = 'switchboard.session';
const LOCK_NAME = 'switchboard.refresh';
/** Refresh this long before the access token expires (short-lived tokens: at three quarters of their life). */
const EARLY_MS = 60_000;

export function refreshTime(now: number, expiresInSeconds: number): number {
  const life = expiresInSeconds * 1000;
  return now + Math.max(life - EARLY_MS, life * 0.75);
}

function parse(raw: string | null): Session | undefined {
  if (!raw) return undefined;
  try {
    const value = JSON.parse(raw) as Partial<Session>;
    if (typeof value.accessToken !== 'string' || typeof value.refreshToken !== 'string') return undefined;
    if (typeof value.expiresAt !== 'number' || typeof value.refreshAt !== 'number') return undefined;
    if (!value.user || !value.org) return undefined;
    return value as Session;
  } catch {
    return undefined;
  }
}

/**
 * The signed-in session of one tab, kept in step with every other tab of the origin.
 *
 * Refresh tokens are single-use and the server revokes the whole family when one is spent twice, so a
 * refresh happens under a cross-tab lock, and whoever takes the lock first re-reads storage: when
 * another tab has already refreshed, its new pair is adopted instead of spending the old token again.
 */
export class SessionManager {
  private session: Session | undefined;
  private readonly listeners = new Set<(session: Session | undefined, reason?: SignOutReason) => void>();
  private inflight: Promise<string | undefined> | undefined;
  private timer: unknown;
  private readonly stopListening: () => void;
  private readonly now: () => number;
  private readonly deps: SessionDeps;

  constructor(deps: SessionDeps) {
    this.deps = deps;
    this.now = deps.now ?? Date.now;
    this.session = parse(deps.storage.getItem(STORAGE_KEY));
    this.stopListening = deps.channel.listen((message) => {
      if (message.type === 'signed_out') this.apply(undefined, 'other_tab');
      else this.apply(parse(deps.storage.getItem(STORAGE_KEY)));
    });
    this.schedule();
  }

  current(): Session | undefined {
    return this.session;
  }

  accessToken(): string | undefined {
    return this.session?.accessToken;
  }

  subscribe(listener: (session: Session | undefined, reason?: SignOutReason) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Keeps a fresh pair from sign-in or registration, and tells the other tabs. */
  signIn(pair: TokenPair): void {
    const session = this.fromPair(pair);
    this.deps.storage.setItem(STORAGE_KEY, JSON.stringify(session));
    this.apply(session);
    this.deps.channel.post({ type: 'changed' });
  }

  /** Ends the session here and in every other tab; the server is told when the user asked. */
  async signOut(reason: SignOutReason = 'user'): Promise<void> {
    const session = this.session;
    this.deps.storage.removeItem(STORAGE_KEY);
    this.apply(undefined, reason);
    this.deps.channel.post({ type: 'signed_out', reason });
    if (session && reason === 'user') await this.deps.logout?.(session).catch(() => {});
  }

  /**
   * A fresh access token after `failedToken` was refused (or is about to expire): one refresh at a time
   * in this tab, one at a time across tabs. Undefined when the session is over.
   */
  refresh(failedToken?: string): Promise<string | undefined> {
    this.inflight ??= this.deps
      .lock(LOCK_NAME, () => this.refreshLocked(failedToken ?? this.session?.accessToken))
      .finally(() => {
        this.inflight = undefined;
      });
    return this.inflight;
  }

  dispose(): void {
    this.stopListening();
    if (this.timer !== undefined) (this.deps.clearTimer ?? clearTimeout)(this.timer as number);
  }

  private async refreshLocked(failedToken: string | undefined): Promise<string | undefined> {
    const stored = parse(this.deps.storage.getItem(STORAGE_KEY));
    if (!stored) {
      this.apply(undefined, 'other_tab');
      return undefined;
    }
    // Another tab refreshed while this one waited for the lock: use its pair.
    if (stored.accessToken !== failedToken && stored.refreshAt > this.now()) {
      this.apply(stored);
      return stored.accessToken;
    }
    let pair: TokenPair;
    try {
      pair = await this.deps.refresh(stored.refreshToken);
    } catch (err) {
      if (err instanceof ApiError && (err.status === 401 || err.status === 403)) {
        await this.signOut('expired');
        return undefined;
      }
      throw err;
    }
    const session = this.fromPair(pair);
    this.deps.storage.setItem(STORAGE_KEY, JSON.stringify(session));
    this.apply(session);
    this.deps.channel.post({ type: 'changed' });
    return session.accessToken;
  }

  private fromPair(pair: TokenPair): Session {
    return {
      accessToken: pair.accessToken,
      refreshToken: pair.refreshToken,
      expiresAt: this.now() + pair.expiresIn * 1000,
      refreshAt: refreshTime(this.now(), pair.expiresIn),
      user: pair.user,
      org: pair.org,
    };
  }

  private apply(session: Session | undefined, reason?: SignOutReason): void {
    const before = this.session;
    this.session = session;
    this.schedule();
    if (before?.accessToken === session?.accessToken) return;
    for (const listener of this.listeners) listener(session, session ? undefined : reason);
  }

  /** Refreshes shortly before expiry, so requests rarely meet a 401 at all. */
  private schedule(): void {
    if (this.timer !== undefined) (this.deps.clearTimer ?? clearTimeout)(this.timer as number);
    this.timer = undefined;
    const session = this.session;
    if (!session) return;
    const wait = Math.max(session.refreshAt - this.now(), 1_000);
    this.timer = (this.deps.setTimer ?? setTimeout)(() => {
      void this.refresh(session.accessToken).catch(() => {});
    }, wait);
  }
}

/** The browser's pieces: localStorage, a BroadcastChannel and navigator.locks (an in-tab queue without). */
export function browserSessionDeps(): Pick<SessionDeps, 'storage' | 'channel' | 'lock'> {
  const bc = typeof BroadcastChannel === 'function' ? new BroadcastChannel('switchboard.session') : undefined;
  let queue: Promise<unknown> = Promise.resolve();
  return {
    storage: window.localStorage,
    channel: {
      post: (message) => bc?.postMessage(message),
      listen(handler) {
        const onMessage = (e: MessageEvent<SessionMessage>) => handler(e.data);
        // Without BroadcastChannel the storage event still tells other tabs.
        const onStorage = (e: StorageEvent) => {
          if (e.key !== STORAGE_KEY) return;
          handler(e.newValue ? { type: 'changed' } : { type: 'signed_out', reason: 'other_tab' });
        };
        bc?.addEventListener('message', onMessage);
        if (!bc) window.addEventListener('storage', onStorage);
        return () => {
          bc?.removeEventListener('message', onMessage);
          window.removeEventListener('storage', onStorage);
        };
      },
    },
    lock: (name, fn) => {
      if (navigator.locks)
        return navigator.locks.request(name, fn) as Promise<Awaited<ReturnType<typeof fn>>>;
      const run = queue.then(fn, fn);
      queue = run.catch(() => {});
      return run;
    },
  };
}
