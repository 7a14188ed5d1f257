import type { Redis } from 'ioredis';

/**
 * A Redis connection that reconnects on its own and never crashes the process on a dropped socket.
 * The client is loaded on first use: a server without Redis (embedded, or one replica) never loads it.
 */
export async function createRedis(url: string, name: string): Promise<Redis> {
  const { Redis } = await import('ioredis');
  const redis = new Redis(url, {
    connectionName: `switchboard-${name}`,
    maxRetriesPerRequest: 2,
    enableOfflineQueue: true,
    lazyConnect: false,
  });
  redis.on('error', () => {}); // surfaced by readiness and by the failing command itself
  return redis;
}
