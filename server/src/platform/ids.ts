import { randomBytes } from 'node:crypto';

const POOL_BYTES = 4096;
let pool = Buffer.alloc(0);
let used = 0;

/**
 * `n` cryptographically random bytes, from a pool filled 4 KiB at a time (as crypto.randomUUID
 * does): each call to randomBytes costs ~10 µs of binding overhead, and a request takes several ids.
 * Each byte is handed out once; a refill allocates a new pool, so handed-out bytes never change.
 */
function randomPooled(n: number): Buffer {
  if (n > POOL_BYTES / 8) return randomBytes(n);
  if (used + n > pool.length) {
    pool = randomBytes(POOL_BYTES);
    used = 0;
  }
  used += n;
  return pool.subarray(used - n, used);
}

const ALPHABET = '0123456789abcdefghjkmnpqrstvwxyz'; // Crockford base32, lower case

function encodeTime(ms: number): string {
  let out = '';
  let n = ms;
  for (let i = 0; i < 10; i++) {
    out = ALPHABET[n % 32] + out;
    n = Math.floor(n / 32);
  }
  return out;
}

/**
 * A prefixed, time-sortable id (`agt_01hx...`): 10 characters of millisecond time then 16 random.
 * Sorting by id sorts by creation, which keyset pagination relies on.
 */
export function newId(prefix: string): string {
  const bytes = randomPooled(16);
  let rand = '';
  for (const b of bytes) rand += ALPHABET[b % 32];
  return `${prefix}_${encodeTime(Date.now())}${rand}`;
}

/**
 * The smallest id `newId(prefix)` can mint at `at` or later: a bound that turns "made since" into a
 * range on an index ordered by id.
 */
export function idFloorAt(prefix: string, at: Date): string {
  return `${prefix}_${encodeTime(at.getTime())}`;
}

/** A URL-safe random secret of `bytes` bytes of entropy. */
export function randomToken(bytes = 32): string {
  return randomPooled(bytes).toString('base64url');
}
