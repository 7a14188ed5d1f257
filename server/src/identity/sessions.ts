import type { Bus } from '../platform/bus.ts';
import type { Db, Tx } from '../platform/db/index.ts';
import { IdentityErrors } from './errors.ts';
import * as store from './store.ts';
import { revokeAllRefreshTokensOfUser } from './token-store.ts';

/** The bus topic every replica hears revocations (and membership changes) on. */
const TOPIC = 'cache:sessions';
/** An entry is read again after this long even without a message (a message lost while Redis was away). */
const TTL_MS = 30_000;
const MAX_ENTRIES = 50_000;

/**
 * Who lost what: `userIds` in `orgId` (every org when null), or `principalIds` (API keys) whose sockets
 * close. `revoked` is false for changes that refuse no token (a member added): caches drop, sockets stay.
 */
export interface Revocation {
  orgId: string | null;
  userIds: string[];
  principalIds: string[];
  revoked: boolean;
}

interface Entry {
  /** False when the user is no longer a member of the org (or no longer exists). */
  member: boolean;
  /** Access tokens issued before this (epoch ms) are refused; null when nothing was ever revoked. */
  validAfterMs: number | null;
  expires: number;
}

/**
 * Instant revocation without a query per request. Every access token names its user, org and issue time
 * (`iat`, to the millisecond); the user's and the membership's "tokens issued before" marks are read once
 * and kept here. Whoever sets a mark (removing a member, changing a role, a new password) calls
 * `revoked()` after the change commits: the entries drop on this replica at once and on every other
 * replica through the bus, and each replica's sockets of those people close with 4401.
 */
export function createSessionGuard(db: Db, bus: Bus) {
  const byUser = new Map<string, Map<string, Entry>>();
  const loading = new Map<string, Promise<Entry>>();
  let size = 0;
  let reads = 0;
  // Bumped by every change; a read that started before one is answered but not kept.
  let generation = 0;
  const listeners = new Set<(r: Revocation) => void>();

  function drop(r: Pick<Revocation, 'orgId' | 'userIds'>): void {
    generation++;
    for (const userId of r.userIds) {
      const orgs = byUser.get(userId);
      if (!orgs) continue;
      if (r.orgId === null) {
        size -= orgs.size;
        byUser.delete(userId);
      } else if (orgs.delete(r.orgId)) size--;
    }
  }

  const unsubscribe = bus.subscribe(TOPIC, (event) => {
    const r = event.data as Revocation;
    drop(r);
    if (r.revoked) for (const l of listeners) l(r);
  });

  async function read(userId: string, orgId: string): Promise<Entry> {
    const started = generation;
    reads++;
    const marks = await store.findSessionMarks(db, userId, orgId);
    const times = marks ? [marks.user, marks.member].filter((d) => d !== null).map((d) => d.getTime()) : [];
    const entry: Entry = {
      member: marks !== undefined,
      validAfterMs: times.length ? Math.max(...times) : null,
      expires: Date.now() + TTL_MS,
    };
    if (started !== generation) return entry;
    if (size >= MAX_ENTRIES) {
      byUser.clear();
      size = 0;
    }
    let orgs = byUser.get(userId);
    if (!orgs) {
      orgs = new Map();
      byUser.set(userId, orgs);
    }
    if (!orgs.has(orgId)) size++;
    orgs.set(orgId, entry);
    return entry;
  }

  function entryOf(userId: string, orgId: string): Promise<Entry> | Entry {
    const entry = byUser.get(userId)?.get(orgId);
    if (entry && entry.expires > Date.now()) return entry;
    const key = `${userId}\n${orgId}`;
    let pending = loading.get(key);
    if (!pending) {
      pending = read(userId, orgId).finally(() => loading.delete(key));
      loading.set(key, pending);
    }
    return pending;
  }

  return {
    /**
     * Refuses (401) an access token issued before its user's or membership's mark, or whose membership
     * has ended. `issuedAtMs` comes from the verified token.
     */
    async assertCurrent(userId: string, orgId: string, issuedAtMs: number): Promise<void> {
      const entry = await entryOf(userId, orgId);
      if (!entry.member) throw IdentityErrors.membershipEnded();
      if (entry.validAfterMs !== null && issuedAtMs < entry.validAfterMs)
        throw IdentityErrors.sessionRevoked();
    },

    /** Sets the user's mark (every org): their access tokens issued until now are refused. */
    async markUser(tx: Tx, userId: string): Promise<Revocation> {
      await store.markUserSessions(tx, userId, new Date());
      return { orgId: null, userIds: [userId], principalIds: [], revoked: true };
    },

    /**
     * Ends every session of a user in every org (a password changed or reset): refresh tokens revoked,
     * access tokens refused. Call inside the change's transaction; pass the answer to `revoked` once it
     * has committed, which closes their sockets on every replica.
     */
    async endUserSessions(tx: Tx, userId: string): Promise<Revocation> {
      await revokeAllRefreshTokensOfUser(tx, userId);
      return this.markUser(tx, userId);
    },

    /** Sets the mark of one membership, or of every membership holding a role. */
    async markMembers(tx: Tx, orgId: string, which: { memberId: string } | { roleId: string }) {
      const userIds = await store.markMemberSessions(tx, orgId, which, new Date());
      return { orgId, userIds, principalIds: [], revoked: true } satisfies Revocation;
    },

    /** Announces a committed change to every replica (this one included). */
    async revoked(r: Revocation): Promise<void> {
      if (r.userIds.length === 0 && r.principalIds.length === 0) return;
      drop(r);
      await bus.publish({ topic: TOPIC, type: 'revoked', orgId: r.orgId ?? '*', data: r });
    },

    /** Told of every revocation on any replica (the realtime hub closes the sockets it names). */
    onRevoked(listener: (r: Revocation) => void): () => void {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },

    close: unsubscribe,
    size: () => size,
    /** How many times marks were read from the database (the rest were answered from memory). */
    reads: () => reads,
  };
}

export type SessionGuard = ReturnType<typeof createSessionGuard>;
