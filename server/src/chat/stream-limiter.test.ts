import { describe, expect, it } from 'vitest';
import { AppError } from '../platform/errors.ts';
import { createStreamLimiter } from './stream-limiter.ts';

const alice = { id: 'usr_alice', orgId: 'org_a' };
const bob = { id: 'usr_bob', orgId: 'org_a' };
const carol = { id: 'usr_carol', orgId: 'org_c' };

function refusal(fn: () => unknown): AppError {
  try {
    fn();
  } catch (err) {
    if (err instanceof AppError) return err;
    throw err;
  }
  throw new Error('expected a refusal');
}

describe('createStreamLimiter', () => {
  it('refuses a user past their limit with 429 too_many_streams, and frees the slot on release', () => {
    const limiter = createStreamLimiter({ perUser: 2, perOrg: 10 });
    const first = limiter.acquire(alice);
    limiter.acquire(alice);
    const err = refusal(() => limiter.acquire(alice));
    expect({ status: err.status, code: err.code, message: err.message, details: err.details }).toEqual({
      status: 429,
      code: 'too_many_streams',
      message:
        'you already have 2 chat streams open, the most one user or API key may have at once; close one and try again',
      details: { scope: 'user', limit: 2 },
    });
    // Another user of the same org is not held back by alice's streams.
    limiter.acquire(bob);
    first();
    expect(limiter.active(alice)).toEqual({ user: 1, org: 2 });
    limiter.acquire(alice);
    expect(limiter.active(alice)).toEqual({ user: 2, org: 3 });
  });

  it('refuses an org past its limit whoever asks, and leaves other orgs alone', () => {
    const limiter = createStreamLimiter({ perUser: 5, perOrg: 3 });
    limiter.acquire(alice);
    limiter.acquire(alice);
    const bobs = limiter.acquire(bob);
    const err = refusal(() => limiter.acquire(bob));
    expect({ status: err.status, code: err.code, message: err.message, details: err.details }).toEqual({
      status: 429,
      code: 'too_many_streams',
      message:
        'your organisation already has 3 chat streams open, the most it may have at once; try again when one has finished',
      details: { scope: 'org', limit: 3 },
    });
    // A refused acquire takes nothing.
    expect(limiter.active(bob)).toEqual({ user: 1, org: 3 });
    limiter.acquire(carol);
    bobs();
    limiter.acquire(bob);
    expect(limiter.active(bob)).toEqual({ user: 1, org: 3 });
  });

  it('ignores a second release of the same stream', () => {
    const limiter = createStreamLimiter({ perUser: 1, perOrg: 2 });
    const release = limiter.acquire(alice);
    const other = limiter.acquire(bob);
    release();
    release();
    expect(limiter.active(bob)).toEqual({ user: 1, org: 1 });
    other();
    expect(limiter.active(alice)).toEqual({ user: 0, org: 0 });
    limiter.acquire(alice);
    expect(() => limiter.acquire(alice)).toThrow(AppError);
  });
});
