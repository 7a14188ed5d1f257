import { describe, expect, it } from 'vitest';
import { newId, randomToken } from './ids.ts';

describe('ids and tokens', () => {
  it('makes prefixed ids that never repeat across pool refills', () => {
    // 16 random bytes each: 2,000 ids draw ~8 pools' worth.
    const ids = Array.from({ length: 2_000 }, () => newId('run'));
    expect(new Set(ids).size).toBe(ids.length);
    for (const id of ids.slice(0, 5)) expect(id).toMatch(/^run_[0-9a-hjkmnp-tv-z]{26}$/);
  });

  it('makes URL-safe tokens of the asked entropy, distinct, pooled or not', () => {
    const small = Array.from({ length: 1_000 }, () => randomToken(12));
    expect(new Set(small).size).toBe(small.length);
    expect(small[0]).toMatch(/^[\w-]{16}$/);
    const large = randomToken(1024);
    expect(Buffer.from(large, 'base64url')).toHaveLength(1024);
    expect(randomToken()).toMatch(/^[\w-]{43}$/);
  });
});
