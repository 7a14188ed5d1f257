import { Redis } from 'ioredis';

/** A Redis connection that reconnects on its own and never crashes the process on a dropped socket. */
export function createRedis(url: string, name: string): Redis {
  const redis = new Redis(url, {
    connectionName: `switchboard-${name}`,
    maxRetriesPerRequest: 2,
    enableOfflineQueue: true,
    lazyConnect: false,
  });
  redis.on('error', () => {}); // surfaced by readiness and by the failing command itself
  return redis;
}
