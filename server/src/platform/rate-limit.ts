import type { FastifyBaseLogger, FastifyReply } from 'fastify';
import type { Redis } from 'ioredis';
import { Errors } from './errors.ts';

export type Bucket = 'ip' | 'user' | 'org';
export type Limits = Record<Bucket, number>;

const WINDOW_MS = 60_000;

interface Hit {
  count: number;
  resetMs: number;
}

/** Counts hits in fixed one-minute windows; `hit` returns the count so far and ms until the window ends. */
interface Counter {
  hit(key: string): Promise<Hit>;
}

function memoryCounter(): Counter & { sweep(): void } {
  const windows = new Map<string, { count: number; resetAt: number }>();
  return {
    async hit(key) {
      const now = Date.now();
      let w = windows.get(key);
      if (!w || w.resetAt <= now) {
        w = { count: 0, resetAt: now + WINDOW_MS };
        windows.set(key, w);
      }
      w.count++;
      return { count: w.count, resetMs: w.resetAt - now };
    },
    sweep() {
      const now = Date.now();
      for (const [k, w] of windows) if (w.resetAt <= now) windows.delete(k);
    },
  };
}

// INCR and set the expiry atomically, so replicas sharing Redis share one window.
const HIT_SCRIPT = `
local n = redis.call('INCR', KEYS[1])
if n == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end
return {n, redis.call('PTTL', KEYS[1])}`;

function redisCounter(redis: Redis, prefix: string): Counter {
  return {
    async hit(key) {
      const [count, ttl] = (await redis.eval(HIT_SCRIPT, 1, `${prefix}rl:${key}`, WINDOW_MS)) as [
        number,
        number,
      ];
      return { count, resetMs: ttl > 0 ? ttl : WINDOW_MS };
    },
  };
}

const lowest = new WeakMap<FastifyReply, number>();

/**
 * Per-IP, per-user and per-org request limits with RateLimit-* headers and a 429 envelope.
 * Counters live in Redis when configured (shared by replicas), in memory otherwise.
 */
export function createRateLimiter(opts: {
  limits: Limits;
  redis?: Redis;
  prefix: string;
  log: FastifyBaseLogger;
}) {
  const memory = memoryCounter();
  const counter = opts.redis ? redisCounter(opts.redis, opts.prefix) : memory;
  const sweeper = setInterval(() => memory.sweep(), WINDOW_MS);
  sweeper.unref();

  return {
    /** Counts one request against a bucket; sets headers for the tightest bucket; throws 429 when over. */
    async consume(reply: FastifyReply, bucket: Bucket, id: string): Promise<void> {
      const limit = opts.limits[bucket];
      let hit: Hit;
      try {
        hit = await counter.hit(`${bucket}:${id}`);
      } catch (err) {
        // A Redis outage must not take the API down with it; readiness reports it instead.
        opts.log.warn({ err }, 'rate limit counter unavailable; allowing request');
        return;
      }
      const remaining = Math.max(0, limit - hit.count);
      const resetSeconds = Math.ceil(hit.resetMs / 1000);
      const tightest = lowest.get(reply);
      if (tightest === undefined || remaining <= tightest) {
        lowest.set(reply, remaining);
        reply.header('ratelimit-limit', limit);
        reply.header('ratelimit-remaining', remaining);
        reply.header('ratelimit-reset', resetSeconds);
      }
      if (hit.count > limit) {
        throw Errors.tooManyRequests(
          `too many requests for this ${bucket}; try again in ${resetSeconds} s`,
          resetSeconds,
        );
      }
    },
    stop(): void {
      clearInterval(sweeper);
    },
  };
}

export type RateLimiter = ReturnType<typeof createRateLimiter>;
