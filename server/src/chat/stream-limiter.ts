import type { Principal } from '../platform/auth.ts';
import { ChatErrors } from './errors.ts';

export interface StreamLimits {
  /** Streams one user or API key may have open at once. */
  perUser: number;
  /** Streams one org may have open at once. */
  perOrg: number;
}

/** Releases a stream's slot; calling it again does nothing. */
export type ReleaseStream = () => void;

/**
 * Caps the chat streams (SSE, WebSocket intents) open at once per user and per org, so one caller
 * cannot hold every model connection. Counts live in this process: with several replicas each
 * enforces the caps on its own streams.
 */
export function createStreamLimiter(limits: StreamLimits) {
  const users = new Map<string, number>();
  const orgs = new Map<string, number>();

  const decrement = (counts: Map<string, number>, key: string) => {
    const left = (counts.get(key) ?? 0) - 1;
    if (left > 0) counts.set(key, left);
    else counts.delete(key);
  };

  return {
    /**
     * Takes a slot for a new stream, or throws 429 `too_many_streams`. Call the returned function
     * when the stream ends, however it ends.
     */
    acquire(principal: Pick<Principal, 'id' | 'orgId'>): ReleaseStream {
      const user = users.get(principal.id) ?? 0;
      if (user >= limits.perUser) {
        throw ChatErrors.tooManyStreams('user', user, limits.perUser);
      }
      const org = orgs.get(principal.orgId) ?? 0;
      if (org >= limits.perOrg) {
        throw ChatErrors.tooManyStreams('org', org, limits.perOrg);
      }
      users.set(principal.id, user + 1);
      orgs.set(principal.orgId, org + 1);
      let released = false;
      return () => {
        if (released) return;
        released = true;
        decrement(users, principal.id);
        decrement(orgs, principal.orgId);
      };
    },

    /** Streams open now for this caller and its org. */
    active(principal: Pick<Principal, 'id' | 'orgId'>): { user: number; org: number } {
      return { user: users.get(principal.id) ?? 0, org: orgs.get(principal.orgId) ?? 0 };
    },
  };
}

export type StreamLimiter = ReturnType<typeof createStreamLimiter>;
