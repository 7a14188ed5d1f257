import type { FastifyBaseLogger } from 'fastify';
import type { Principal } from '../platform/auth.ts';

export type StatValue = number | Record<string, unknown>;

/** One figure on the dashboard, computed per org: `activeRuns`, `inboxUnread`, `tokensToday`... */
export interface StatsSource {
  name: string;
  /** Only subscribers holding this permission see the figure. */
  permission?: string | undefined;
  compute(orgId: string): Promise<StatValue>;
}

/** Computed once per org and tick, then filtered per subscriber. `null` marks a source that failed. */
export type OrgStats = Map<string, { value: StatValue | null; permission: string | undefined }>;

/**
 * The dashboard's figures. Domains register a source; the hub computes every source for each org that
 * has a dashboard open, on each tick.
 */
export function createStatsRegistry(log: FastifyBaseLogger, timeoutMs: number) {
  const sources = new Map<string, StatsSource>();
  const failing = new Set<string>();

  async function computeOne(source: StatsSource, orgId: string): Promise<StatValue | null> {
    let timer: NodeJS.Timeout | undefined;
    try {
      const value = await Promise.race([
        source.compute(orgId),
        new Promise<never>((_, reject) => {
          timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
        }),
      ]);
      failing.delete(source.name);
      return value;
    } catch (err) {
      // Log a failing source once, not on every tick for every org.
      if (!failing.has(source.name)) log.warn({ err, source: source.name }, 'dashboard stats source failed');
      failing.add(source.name);
      return null;
    } finally {
      clearTimeout(timer);
    }
  }

  return {
    register(source: StatsSource): void {
      if (sources.has(source.name)) throw new Error(`realtime: stats source "${source.name}" already exists`);
      sources.set(source.name, source);
    },
    names(): string[] {
      return [...sources.keys()].sort();
    },
    /** Every source for one org, side by side; one slow or failing source does not hold up the others. */
    async compute(orgId: string): Promise<OrgStats> {
      const list = [...sources.values()];
      const values = await Promise.all(list.map((s) => computeOne(s, orgId)));
      return new Map(list.map((s, i) => [s.name, { value: values[i] ?? null, permission: s.permission }]));
    },
  };
}

export type StatsRegistry = ReturnType<typeof createStatsRegistry>;

/** What one subscriber sees: the figures its permissions allow. */
export function statsFor(stats: OrgStats, principal: Principal): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [name, { value, permission }] of stats) {
    if (!permission || principal.scopes.has(permission)) out[name] = value;
  }
  return out;
}
