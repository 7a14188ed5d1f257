import { createHash } from 'node:crypto';
import type { FastifyBaseLogger, FastifyReply } from 'fastify';
import type { Redis } from 'ioredis';
import { Errors } from './errors.ts';

/** `ip`, `user` and `org` count per minute; `mail` counts mails to one address or account per hour. */
export type Bucket = 'ip' | 'user' | 'org' | 'mail';
export type Limits = Record<Bucket, number>;

const WINDOW_MS = 60_000;
const WINDOWS: Record<Bucket, number> = {
  ip: WINDOW_MS,
  user: WINDOW_MS,
  org: WINDOW_MS,
  mail: 60 * WINDOW_MS,
};

interface Hit {
  count: number;
  resetMs: number;
}

/** One bucket to count a request against; `cost` hits at once (1 when absent). */
interface Charge {
  key: string;
  limit: number;
  windowMs: number;
  /** Hits counted at once (1 when absent). */
  cost?: number;
}

/**
 * Counts hits in fixed one-minute windows. `hit` counts the charges in order and stops after the
 * first one over its limit, so a request refused for one bucket is not charged to the ones after it
 * (a user over their own limit does not use up their organisation's). It returns a count so far and
 * the ms until the window ends for each charge it counted.
 */
interface Counter {
  hit(charges: Charge[]): Promise<Hit[]>;
}

function memoryCounter(): Counter & { sweep(): void } {
  const windows = new Map<string, { count: number; resetAt: number }>();
  return {
    async hit(charges) {
      const now = Date.now();
      const hits: Hit[] = [];
      for (const { key, limit, windowMs, cost = 1 } of charges) {
        let w = windows.get(key);
        if (!w || w.resetAt <= now) {
          w = { count: 0, resetAt: now + windowMs };
          windows.set(key, w);
        }
        w.count += cost;
        hits.push({ count: w.count, resetMs: w.resetAt - now });
        if (w.count > limit) break;
      }
      return hits;
    },
    sweep() {
      const now = Date.now();
      for (const [k, w] of windows) if (w.resetAt <= now) windows.delete(k);
    },
  };
}

// Every bucket of a request in one round trip: INCRBY each key by its cost with its expiry set
// atomically (so replicas sharing Redis share one window), stopping after the first over its limit.
// ARGV: each key's limit, window and cost, in turn. The keys are those of one request; a Redis
// Cluster would need them in one hash slot.
const HIT_SCRIPT = `
local out = {}
for i, key in ipairs(KEYS) do
  local cost = tonumber(ARGV[3 * i])
  local n = redis.call('INCRBY', key, cost)
  if n == cost then redis.call('PEXPIRE', key, ARGV[3 * i - 1]) end
  out[#out + 1] = n
  out[#out + 1] = redis.call('PTTL', key)
  if n > tonumber(ARGV[3 * i - 2]) then break end
end
return out`;

const HIT_SCRIPT_SHA = createHash('sha1').update(HIT_SCRIPT).digest('hex');

function redisCounter(redis: Redis, prefix: string): Counter {
  // The script by its hash (Redis keeps it once loaded), and in full when this Redis has not seen it.
  async function runScript(keys: string[], args: Array<string | number>): Promise<number[]> {
    try {
      return (await redis.evalsha(HIT_SCRIPT_SHA, keys.length, ...keys, ...args)) as number[];
    } catch (err) {
      if (!(err instanceof Error) || !err.message.startsWith('NOSCRIPT')) throw err;
      return (await redis.eval(HIT_SCRIPT, keys.length, ...keys, ...args)) as number[];
    }
  }
  return {
    async hit(charges) {
      const keys = charges.map((c) => `${prefix}rl:${c.key}`);
      const flat = await runScript(
        keys,
        charges.flatMap((c) => [c.limit, c.windowMs, c.cost ?? 1]),
      );
      const hits: Hit[] = [];
      for (let i = 0; i < flat.length; i += 2) {
        const ttl = flat[i + 1]!;
        hits.push({ count: flat[i]!, resetMs: ttl > 0 ? ttl : charges[i / 2]!.windowMs });
      }
      return hits;
    },
  };
}

function setHeaders(reply: FastifyReply, t: { limit: number; remaining: number; resetSeconds: number }) {
  reply.header('ratelimit-limit', t.limit);
  reply.header('ratelimit-remaining', t.remaining);
  reply.header('ratelimit-reset', t.resetSeconds);
}

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
    /**
     * Counts one request against its buckets, in order (see Counter); sets the RateLimit headers for
     * the tightest; throws 429 for the first bucket over its limit.
     */
    async consume(reply: FastifyReply, buckets: Array<[Bucket, string]>): Promise<void> {
      const charges = buckets.map(([bucket, id]) => ({
        key: `${bucket}:${id}`,
        limit: opts.limits[bucket],
        windowMs: WINDOWS[bucket],
      }));
      let hits: Hit[];
      try {
        hits = await counter.hit(charges);
      } catch (err) {
        // A Redis outage must not take the API down with it; readiness reports it instead.
        opts.log.warn({ err }, 'rate limit counter unavailable; allowing request');
        return;
      }
      let tightest: { limit: number; remaining: number; resetSeconds: number } | undefined;
      for (const [i, hit] of hits.entries()) {
        const limit = charges[i]!.limit;
        const remaining = Math.max(0, limit - hit.count);
        const resetSeconds = Math.ceil(hit.resetMs / 1000);
        if (!tightest || remaining <= tightest.remaining) tightest = { limit, remaining, resetSeconds };
        if (hit.count > limit) {
          setHeaders(reply, tightest);
          throw Errors.tooManyRequests(
            buckets[i]![0] === 'mail'
              ? `too many mails to this address; try again in ${resetSeconds} s`
              : `too many requests for this ${buckets[i]![0]}; try again in ${resetSeconds} s`,
            resetSeconds,
          );
        }
      }
      if (tightest) setHeaders(reply, tightest);
    },
    /**
     * Counts `count` hits at once against a window of its own (a project's ingest, say) with the
     * caller's limit, in the same counters as requests (shared through Redis): one round trip however
     * many. Answers how many of them are within the limit (the first ones) and, when some are not, the
     * seconds until the window ends; with Redis down all are allowed, as requests are.
     */
    async take(
      key: string,
      limit: number,
      count = 1,
    ): Promise<{ allowed: number; retryAfterSeconds: number }> {
      let hit: Hit | undefined;
      try {
        [hit] = await counter.hit([{ key, limit, windowMs: WINDOW_MS, cost: count }]);
      } catch (err) {
        opts.log.warn({ err }, 'rate limit counter unavailable; allowing request');
        return { allowed: count, retryAfterSeconds: 0 };
      }
      if (!hit) return { allowed: count, retryAfterSeconds: 0 };
      const allowed = Math.max(0, Math.min(count, limit - (hit.count - count)));
      return { allowed, retryAfterSeconds: Math.max(1, Math.ceil(hit.resetMs / 1000)) };
    },
    stop(): void {
      clearInterval(sweeper);
    },
  };
}

export type RateLimiter = ReturnType<typeof createRateLimiter>;
