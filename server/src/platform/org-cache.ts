import type { Bus } from './bus.ts';

export interface OrgCacheOptions<V> {
  /** Names the cache; replicas tell each other about changes on the bus topic `cache:<name>`. */
  name: string;
  bus: Bus;
  /** Which org a value belongs to, so a change in that org drops it. */
  orgIdOf(value: V, key: string): string;
  /** An entry is read again after this long even if no change was announced (a missed message). */
  ttlMs?: number;
  maxEntries?: number;
  /** Told of every change to an org's data, made here or on another replica. */
  onChange?(orgId: string): void;
}

/**
 * A read-through cache for what hot paths read on every call and rarely changes: an API key's
 * principal, an agent, an org's model provider. Whoever changes such data calls `invalidate(orgId)`
 * after the change commits; that org's entries are dropped here at once and, through the bus, on
 * every replica. A load that raced with a change is not kept, so a stale value cannot outlive the
 * change that replaced it.
 */
export function createOrgCache<V>(opts: OrgCacheOptions<V>) {
  const ttlMs = opts.ttlMs ?? 10_000;
  const maxEntries = opts.maxEntries ?? 10_000;
  const topic = `cache:${opts.name}`;
  const entries = new Map<string, { value: V; orgId: string; expires: number }>();
  const loading = new Map<string, Promise<V | undefined>>();
  // Bumped by every change; a load that started before one does not store its value.
  let generation = 0;

  function drop(orgId: string): void {
    generation++;
    for (const [key, entry] of entries) if (entry.orgId === orgId) entries.delete(key);
    opts.onChange?.(orgId);
  }
  const unsubscribe = opts.bus.subscribe(topic, (event) => drop(event.orgId));

  async function load(key: string, read: (key: string) => Promise<V | undefined>): Promise<V | undefined> {
    const started = generation;
    const value = await read(key);
    if (value !== undefined && started === generation) {
      if (entries.size >= maxEntries) entries.delete(entries.keys().next().value!);
      entries.set(key, { value, orgId: opts.orgIdOf(value, key), expires: Date.now() + ttlMs });
    }
    return value;
  }

  return {
    /** The cached value of `key`, or `read()`'s (kept unless undefined). Concurrent misses share one read. */
    async get(key: string, read: (key: string) => Promise<V | undefined>): Promise<V | undefined> {
      const entry = entries.get(key);
      if (entry && entry.expires > Date.now()) return entry.value;
      let pending = loading.get(key);
      if (!pending) {
        pending = load(key, read).finally(() => loading.delete(key));
        loading.set(key, pending);
      }
      return pending;
    },
    /** Call after a change to the org's data has committed. */
    async invalidate(orgId: string): Promise<void> {
      drop(orgId);
      await opts.bus.publish({ topic, type: 'invalidate', orgId, data: {} });
    },
    /** Waits for a change (a transaction) to commit, then invalidates the org; returns its result. */
    async changing<T>(orgId: string, work: Promise<T>): Promise<T> {
      const result = await work;
      await this.invalidate(orgId);
      return result;
    },
    close: unsubscribe,
    size: () => entries.size,
  };
}

export type OrgCache<V> = ReturnType<typeof createOrgCache<V>>;
