import type { components } from '@switchboard/client';
import { ApiError } from '../api/errors.ts';

type TokenPair = components['schemas']['TokenPair'];

/**
 * What a signed-in tab holds, in memory only: the access token, when it expires, and who it belongs to.
 * The refresh token is an HttpOnly cookie the browser keeps and no script can read; a reload gets a new
 * access token by spending it (`restore`).
 */
export interface Session {
  accessToken: string;
  /** Epoch milliseconds when the access token expires. */
  expiresAt: number;
  /** Epoch milliseconds when a tab should refresh it: a minute early, or at three quarters of a short life. */
  refreshAt: number;
  user: TokenPair['user'];
  org: TokenPair['org'];
}

/** Who was signed in, without any token: what an offline reload shows its saved data as. */
export interface Profile {
  user: TokenPair['user'];
  org: TokenPair['org'];
}

/**
 * - `restoring`: a reload is spending the cookie; nobody is known yet.
 * - `signed_in`: a session in memory.
 * - `offline`: the server could not be reached to restore it; the last profile's saved data shows.
 * - `signed_out`: no session (or the cookie was refused).
 */
export type SessionStatus = 'restoring' | 'signed_in' | 'offline' | 'signed_out';

export interface SessionState {
  status: SessionStatus;
  session: Session | undefined;
  /** The session's user and org, or while offline the last ones this browser saw. */
  profile: Profile | undefined;
}

/** Messages tabs send each other; tokens never travel on the channel, only a nudge. */
export type SessionMessage = { type: 'signed_in' } | { type: 'signed_out'; reason: SignOutReason };
export type SignOutReason = 'user' | 'expired' | 'other_tab';

export interface SessionChannel {
  post(message: SessionMessage): void;
  listen(handler: (message: SessionMessage) => void): () => void;
}

export interface SessionDeps {
  /** Remembers the last profile (never a token) so an offline reload can say whose saved data it shows. */
  storage: Pick<Storage, 'getItem' | 'setItem' | 'removeItem'>;
  channel: SessionChannel;
  /** Runs `fn` while holding a lock shared by every tab of the origin (navigator.locks). */
  lock: <T>(name: string, fn: () => Promise<T>) => Promise<T>;
  /**
   * Spends the refresh cookie: POST /auth/refresh with no body. Rejects with ApiError 401 (or 403) when
   * the session is over, with status 0 when the server could not be reached.
   */
  refresh: () => Promise<TokenPair>;
  /** Ends the session on the server and clears the cookie (best effort); the token may be missing. */
  logout?: (accessToken: string | undefined) => Promise<void>;
  /** Calls `listener` when the browser comes back online; answers a function that stops it. */
  onOnline?: (listener: () => void) => () => void;
  now?: () => number;
  setTimer?: (fn: () => void, ms: number) => unknown;
  clearTimer?: (timer: unknown) => void;
}

export const PROFILE_KEY = 'switchboard.profile';
const LOCK_NAME = 'switchboard.refresh';
/** Refresh this long before the access token expires (short-lived tokens: at three quarters of their life). */
const EARLY_MS = 60_000;
/** While offline, try to restore the session again after this long, doubling up to a minute. */
const OFFLINE_RETRY_MS = 5_000;
const OFFLINE_RETRY_MAX_MS = 60_000;

export function refreshTime(now: number, expiresInSeconds: number): number {
  const life = expiresInSeconds * 1000;
  return now + Math.max(life - EARLY_MS, life * 0.75);
}

function parseProfile(raw: string | null): Profile | undefined {
  if (!raw) return undefined;
  try {
    const value = JSON.parse(raw) as Partial<Profile>;
    if (!value.user?.id || !value.org?.id) return undefined;
    return { user: value.user, org: value.org };
  } catch {
    return undefined;
  }
}

const isOver = (err: unknown) => err instanceof ApiError && (err.status === 401 || err.status === 403);

/**
 * The signed-in session of one tab, kept in step with every other tab of the origin.
 *
 * Every tab holds its own access token in memory and they share the refresh cookie. Refresh tokens are
 * single-use and the server revokes the whole family when one is spent twice, so every refresh (a
 * reload's included) happens under a cross-tab lock: the cookie a tab sends is always the one the tab
 * before it was given back.
 */
export class SessionManager {
  private state: SessionState;
  private readonly listeners = new Set<(state: SessionState, reason?: SignOutReason) => void>();
  private inflight: Promise<string | undefined> | undefined;
  private restoring: Promise<void> | undefined;
  private timer: unknown;
  private offlineAttempt = 0;
  private readonly stopListening: () => void;
  private readonly stopOnline: () => void;
  private readonly now: () => number;
  private readonly deps: SessionDeps;

  constructor(deps: SessionDeps) {
    this.deps = deps;
    this.now = deps.now ?? Date.now;
    // Whose saved data may show while the cookie is spent: the last profile, until the server answers.
    this.state = {
      status: 'restoring',
      session: undefined,
      profile: parseProfile(deps.storage.getItem(PROFILE_KEY)),
    };
    this.stopListening = deps.channel.listen((message) => {
      if (message.type === 'signed_out') this.end('other_tab');
      // Another tab signed in (maybe as someone else): take the session its cookie now holds.
      else void this.restore();
    });
    this.stopOnline =
      deps.onOnline?.(() => {
        if (this.state.status === 'offline') void this.restore();
      }) ?? (() => {});
  }

  snapshot(): SessionState {
    return this.state;
  }

  current(): Session | undefined {
    return this.state.session;
  }

  accessToken(): string | undefined {
    return this.state.session?.accessToken;
  }

  subscribe(listener: (state: SessionState, reason?: SignOutReason) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /**
   * Gets a session from the refresh cookie (a reload, or another tab signed in). Signed out when the
   * cookie is missing or refused; offline, with the last profile, when the server cannot be reached.
   * The cookie is HttpOnly, so the profile a sign-in leaves says whether there may be one to spend.
   */
  restore(): Promise<void> {
    // Never signed in here (or signed out since): no cookie to spend, and no refused request to log.
    if (this.state.status !== 'signed_in' && !parseProfile(this.deps.storage.getItem(PROFILE_KEY))) {
      this.end(undefined);
      return Promise.resolve();
    }
    this.restoring ??= this.deps
      .lock(LOCK_NAME, async () => {
        try {
          this.adopt(await this.deps.refresh());
          this.offlineAttempt = 0;
        } catch (err) {
          if (isOver(err) || !(err instanceof ApiError)) {
            this.end(undefined);
            return;
          }
          const profile = parseProfile(this.deps.storage.getItem(PROFILE_KEY));
          if (!profile) {
            this.end(undefined);
            return;
          }
          this.set({ status: 'offline', session: undefined, profile });
          this.scheduleRetry();
        }
      })
      .finally(() => {
        this.restoring = undefined;
      });
    return this.restoring;
  }

  /** Keeps a fresh pair from sign-in or registration, and tells the other tabs. */
  signIn(pair: TokenPair): void {
    this.adopt(pair);
    this.deps.channel.post({ type: 'signed_in' });
  }

  /** Ends the session here and in every other tab; the server is told (and clears the cookie) when the user asked. */
  async signOut(reason: SignOutReason = 'user'): Promise<void> {
    const token = this.state.session?.accessToken;
    this.end(reason);
    this.deps.channel.post({ type: 'signed_out', reason });
    if (reason === 'user') await this.deps.logout?.(token).catch(() => {});
  }

  /**
   * A fresh access token after `failedToken` was refused (or is about to expire): one refresh at a time
   * in this tab, one at a time across tabs. Undefined when the session is over.
   */
  refresh(failedToken?: string): Promise<string | undefined> {
    const current = this.state.session;
    // This tab already replaced the refused token.
    if (current && failedToken && current.accessToken !== failedToken && current.refreshAt > this.now()) {
      return Promise.resolve(current.accessToken);
    }
    this.inflight ??= this.deps
      .lock(LOCK_NAME, () => this.refreshLocked())
      .finally(() => {
        this.inflight = undefined;
      });
    return this.inflight;
  }

  dispose(): void {
    this.stopListening();
    this.stopOnline();
    this.clearTimer();
  }

  private async refreshLocked(): Promise<string | undefined> {
    if (this.state.status === 'signed_out') return undefined;
    let pair: TokenPair;
    try {
      pair = await this.deps.refresh();
    } catch (err) {
      if (isOver(err)) {
        await this.signOut('expired');
        return undefined;
      }
      throw err;
    }
    return this.adopt(pair).accessToken;
  }

  private adopt(pair: TokenPair): Session {
    const session: Session = {
      accessToken: pair.accessToken,
      expiresAt: this.now() + pair.expiresIn * 1000,
      refreshAt: refreshTime(this.now(), pair.expiresIn),
      user: pair.user,
      org: pair.org,
    };
    const profile = { user: pair.user, org: pair.org };
    this.deps.storage.setItem(PROFILE_KEY, JSON.stringify(profile));
    this.set({ status: 'signed_in', session, profile });
    return session;
  }

  private end(reason: SignOutReason | undefined): void {
    this.deps.storage.removeItem(PROFILE_KEY);
    this.set({ status: 'signed_out', session: undefined, profile: undefined }, reason);
  }

  private set(next: SessionState, reason?: SignOutReason): void {
    const before = this.state;
    this.state = next;
    this.schedule();
    if (
      before.status === next.status &&
      before.session?.accessToken === next.session?.accessToken &&
      before.profile?.user.id === next.profile?.user.id
    )
      return;
    for (const listener of this.listeners) listener(next, next.session ? undefined : reason);
  }

  private clearTimer(): void {
    if (this.timer !== undefined) (this.deps.clearTimer ?? clearTimeout)(this.timer as number);
    this.timer = undefined;
  }

  /** Refreshes shortly before expiry, so requests rarely meet a 401 at all. */
  private schedule(): void {
    this.clearTimer();
    const session = this.state.session;
    if (!session) return;
    const wait = Math.max(session.refreshAt - this.now(), 1_000);
    this.timer = (this.deps.setTimer ?? setTimeout)(() => {
      void this.refresh(session.accessToken).catch(() => {});
    }, wait);
  }

  private scheduleRetry(): void {
    this.clearTimer();
    const wait = Math.min(OFFLINE_RETRY_MS * 2 ** this.offlineAttempt, OFFLINE_RETRY_MAX_MS);
    this.offlineAttempt++;
    this.timer = (this.deps.setTimer ?? setTimeout)(() => void this.restore(), wait);
  }
}

/** The browser's pieces: localStorage (profile only), a BroadcastChannel and navigator.locks. */
export function browserSessionDeps(): Pick<SessionDeps, 'storage' | 'channel' | 'lock' | 'onOnline'> {
  const bc = typeof BroadcastChannel === 'function' ? new BroadcastChannel('switchboard.session') : undefined;
  let queue: Promise<unknown> = Promise.resolve();
  return {
    storage: window.localStorage,
    channel: {
      post: (message) => bc?.postMessage(message),
      listen(handler) {
        const onMessage = (e: MessageEvent<SessionMessage>) => handler(e.data);
        // Without BroadcastChannel the profile's storage event still tells other tabs.
        const onStorage = (e: StorageEvent) => {
          if (e.key !== PROFILE_KEY || e.newValue === e.oldValue) return;
          handler(e.newValue ? { type: 'signed_in' } : { type: 'signed_out', reason: 'other_tab' });
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
    onOnline: (listener) => {
      window.addEventListener('online', listener);
      return () => window.removeEventListener('online', listener);
    },
  };
}
