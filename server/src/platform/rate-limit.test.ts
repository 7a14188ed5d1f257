import { randomBytes } from 'node:crypto';
import type { FastifyBaseLogger, FastifyReply } from 'fastify';
import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { AppError } from './errors.ts';
import { createRateLimiter } from './rate-limit.ts';

const log = { warn() {} } as unknown as FastifyBaseLogger;
const limits = { ip: 100, user: 2, org: 3, mail: 2 };

/** A reply that only keeps its headers. */
function reply() {
  const headers: Record<string, unknown> = {};
  const fake = { header: (name: string, value: unknown) => (headers[name] = value) };
  return { reply: fake as unknown as FastifyReply, headers };
}

async function consume(limiter: ReturnType<typeof createRateLimiter>, user: string, org: string) {
  const r = reply();
  try {
    await limiter.consume(r.reply, [
      ['user', user],
      ['org', org],
    ]);
    return { status: 200, headers: r.headers };
  } catch (err) {
    if (!(err instanceof AppError)) throw err;
    return { status: err.status, message: err.message, headers: r.headers };
  }
}

function behaves(make: () => ReturnType<typeof createRateLimiter>) {
  it('refuses the first bucket over its limit and charges none after it', async () => {
    const limiter = make();
    const [u1, u2, org] = ['u1', 'u2', 'o1'].map((id) => `${id}-${randomBytes(3).toString('hex')}`);
    expect((await consume(limiter, u1!, org!)).headers).toMatchObject({
      'ratelimit-limit': 2,
      'ratelimit-remaining': 1,
    });
    expect((await consume(limiter, u1!, org!)).status).toBe(200);
    const refused = await consume(limiter, u1!, org!);
    expect(refused).toMatchObject({ status: 429, message: expect.stringContaining('this user') });
    expect(refused.headers['ratelimit-remaining']).toBe(0);
    // The refused request was not charged to the org: another user still has one left there.
    const other = await consume(limiter, u2!, org!);
    expect(other).toMatchObject({ status: 200, headers: { 'ratelimit-limit': 3, 'ratelimit-remaining': 0 } });
    expect(await consume(limiter, u2!, org!)).toMatchObject({
      status: 429,
      message: expect.stringContaining('this org'),
    });
    limiter.stop();
  });

  it('takes many hits at once and admits the first ones within the limit', async () => {
    const limiter = make();
    const key = `errors:p-${randomBytes(3).toString('hex')}`;
    expect(await limiter.take(key, 5, 3)).toMatchObject({ allowed: 3 });
    const partly = await limiter.take(key, 5, 3);
    expect(partly.allowed).toBe(2);
    expect(partly.retryAfterSeconds).toBeGreaterThan(0);
    expect(await limiter.take(key, 5)).toMatchObject({ allowed: 0 });
    limiter.stop();
  });

  it('counts mails to one address per hour, not per minute', async () => {
    const limiter = make();
    const address = `a-${randomBytes(3).toString('hex')}`;
    const send = async () => {
      const r = reply();
      try {
        await limiter.consume(r.reply, [['mail', address]]);
        return { status: 200, headers: r.headers };
      } catch (err) {
        if (!(err instanceof AppError)) throw err;
        return { status: err.status, message: err.message, headers: r.headers };
      }
    };
    expect((await send()).status).toBe(200);
    expect((await send()).status).toBe(200);
    const refused = await send();
    expect(refused).toMatchObject({
      status: 429,
      message: expect.stringContaining('too many mails to this address'),
    });
    expect(refused.headers['ratelimit-reset']).toBeGreaterThan(60);
    expect(refused.headers['ratelimit-reset']).toBeLessThanOrEqual(3600);
    limiter.stop();
  });
}

describe('rate limiter, counted in memory', () => {
  behaves(() => createRateLimiter({ limits, prefix: 'test:', log }));
});

const redisUrl = process.env.TEST_REDIS_URL;
describe.skipIf(!redisUrl)('rate limiter, counted in Redis', () => {
  const redis = redisUrl ? new Redis(redisUrl) : undefined;
  const prefix = `sbtest:${randomBytes(4).toString('hex')}:`;
  afterAll(async () => {
    const keys = await redis!.keys(`${prefix}*`);
    if (keys.length) await redis!.del(...keys);
    redis!.disconnect();
  });
  behaves(() => createRateLimiter({ limits, redis: redis!, prefix, log }));

  it('loads its script again when Redis has forgotten it (a restart, SCRIPT FLUSH)', async () => {
    const limiter = createRateLimiter({ limits, redis: redis!, prefix, log });
    const [user, org] = ['u', 'o'].map((id) => `${id}-${randomBytes(3).toString('hex')}`);
    expect((await consume(limiter, user!, org!)).status).toBe(200);
    await redis!.script('FLUSH');
    expect(await consume(limiter, user!, org!)).toMatchObject({
      status: 200,
      headers: { 'ratelimit-remaining': 0 },
    });
    expect((await consume(limiter, user!, org!)).status).toBe(429);
    limiter.stop();
  });
});
