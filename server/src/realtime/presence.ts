import type { FastifyBaseLogger } from 'fastify';
import type { Redis } from 'ioredis';

/** What this replica has connected right now. */
export interface LocalPresence {
  sockets: number;
  /** orgId -> ids of the users with at least one socket. */
  usersByOrg: Map<string, ReadonlySet<string>>;
}

export interface PresenceTotals {
  sockets: number;
  replicas: number;
}

/**
 * Who is connected across replicas. Each replica publishes its own snapshot on a timer; readers union
 * the fresh snapshots of the others with their own live state, so figures are at most one interval old.
 * Without Redis there is one replica and the live state is the whole truth.
 */
export interface Presence {
  readonly replicaId: string;
  publish(local: LocalPresence): Promise<void>;
  connectedUsers(orgId: string, local: LocalPresence): Promise<number>;
  totals(local: LocalPresence): Promise<PresenceTotals>;
  close(): Promise<void>;
}

export function localPresence(replicaId: string): Presence {
  return {
    replicaId,
    async publish() {},
    async connectedUsers(orgId, local) {
      return local.usersByOrg.get(orgId)?.size ?? 0;
    },
    async totals(local) {
      return { sockets: local.sockets, replicas: 1 };
    },
    async close() {},
  };
}

interface Snapshot {
  at: number;
  users?: string[];
  sockets?: number;
}

export function redisPresence(opts: {
  redis: Redis;
  prefix: string;
  replicaId: string;
  /** How often `publish` runs; a snapshot older than three of these is a dead replica's. */
  intervalMs: number;
  log: FastifyBaseLogger;
}): Presence {
  const { redis, replicaId } = opts;
  const ttlMs = opts.intervalMs * 3;
  const orgKey = (orgId: string) => `${opts.prefix}presence:org:${orgId}`;
  const replicasKey = `${opts.prefix}presence:replicas`;
  let published = new Set<string>();
  let warned = false;

  const warnOnce = (err: unknown) => {
    if (!warned) opts.log.warn({ err }, 'realtime presence: Redis unavailable; counting this replica only');
    warned = true;
  };

  /** The fresh snapshots of the other replicas in one hash. */
  async function others(key: string): Promise<Snapshot[]> {
    const all = await redis.hgetall(key);
    const oldest = Date.now() - ttlMs;
    const out: Snapshot[] = [];
    for (const [field, value] of Object.entries(all)) {
      if (field === replicaId) continue;
      try {
        const snap = JSON.parse(value) as Snapshot;
        if (snap.at >= oldest) out.push(snap);
      } catch {
        // a malformed entry counts as absent
      }
    }
    return out;
  }

  return {
    replicaId,
    async publish(local) {
      const now = Date.now();
      const pipeline = redis.pipeline();
      for (const [orgId, users] of local.usersByOrg) {
        pipeline.hset(orgKey(orgId), replicaId, JSON.stringify({ at: now, users: [...users] }));
        pipeline.pexpire(orgKey(orgId), ttlMs);
      }
      for (const orgId of published)
        if (!local.usersByOrg.has(orgId)) pipeline.hdel(orgKey(orgId), replicaId);
      pipeline.hset(replicasKey, replicaId, JSON.stringify({ at: now, sockets: local.sockets }));
      pipeline.pexpire(replicasKey, ttlMs);
      try {
        await pipeline.exec();
        published = new Set(local.usersByOrg.keys());
        warned = false;
      } catch (err) {
        warnOnce(err);
      }
    },
    async connectedUsers(orgId, local) {
      const users = new Set(local.usersByOrg.get(orgId));
      try {
        for (const snap of await others(orgKey(orgId))) for (const u of snap.users ?? []) users.add(u);
      } catch (err) {
        warnOnce(err);
      }
      return users.size;
    },
    async totals(local) {
      try {
        const rest = await others(replicasKey);
        return {
          sockets: local.sockets + rest.reduce((n, s) => n + (s.sockets ?? 0), 0),
          replicas: rest.length + 1,
        };
      } catch (err) {
        warnOnce(err);
        return { sockets: local.sockets, replicas: 1 };
      }
    },
    async close() {
      const pipeline = redis.pipeline();
      for (const orgId of published) pipeline.hdel(orgKey(orgId), replicaId);
      pipeline.hdel(replicasKey, replicaId);
      await pipeline.exec().catch(() => {});
    },
  };
}
