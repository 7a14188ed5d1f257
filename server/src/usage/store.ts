import { and, desc, eq, gte, like, lt, lte, type SQL, sql } from 'drizzle-orm';
import { bulkInsert } from '../platform/db/bulk.ts';
import type { Tx } from '../platform/db/index.ts';
import { type UsageOutcome, usageEvents, usageRollups } from './tables.ts';

export interface UsageEventRow {
  id: string;
  orgId: string;
  agentId: string;
  runId: string | null;
  conversationId: string | null;
  createdBy: string | null;
  model: string;
  provider: string;
  inputTokens: number;
  cachedInputTokens: number;
  outputTokens: number;
  costNanos: number;
  latencyMs: number;
  outcome: UsageOutcome;
  errorCode: string | null;
  errorMessage: string | null;
  createdAt: Date;
}

const HOUR_MS = 3_600_000;

/**
 * Keeps model calls, and adds them to the hourly rollups in the same write. Rollup rows are upserted
 * in key order, so two writers never wait on each other in a circle.
 */
export async function insertUsageEvents(tx: Tx, rows: UsageEventRow[]): Promise<void> {
  if (rows.length === 0) return;
  await bulkInsert(tx, usageEvents, rows);
  const sums = new Map<string, typeof usageRollups.$inferInsert>();
  for (const r of rows) {
    const hour = new Date(Math.floor(r.createdAt.getTime() / HOUR_MS) * HOUR_MS);
    const createdBy = r.createdBy ?? '';
    const key = [r.orgId, hour.toISOString(), r.model, r.agentId, createdBy].join('\u0000');
    const sum = sums.get(key) ?? {
      orgId: r.orgId,
      hour,
      model: r.model,
      agentId: r.agentId,
      createdBy,
      ...NO_USAGE,
    };
    sum.calls! += 1;
    sum.errors! += r.outcome === 'error' ? 1 : 0;
    sum.inputTokens! += r.inputTokens;
    sum.cachedInputTokens! += r.cachedInputTokens;
    sum.outputTokens! += r.outputTokens;
    sum.costNanos! += r.costNanos;
    sums.set(key, sum);
  }
  const sorted = [...sums.entries()].sort(([a], [b]) => (a < b ? -1 : 1)).map(([, v]) => v);
  const add = (column: string) => sql.raw(`"usage_rollups"."${column}" + excluded."${column}"`);
  await tx
    .insert(usageRollups)
    .values(sorted)
    .onConflictDoUpdate({
      target: [
        usageRollups.orgId,
        usageRollups.hour,
        usageRollups.model,
        usageRollups.agentId,
        usageRollups.createdBy,
      ],
      set: {
        calls: add('calls'),
        errors: add('errors'),
        inputTokens: add('input_tokens'),
        cachedInputTokens: add('cached_input_tokens'),
        outputTokens: add('output_tokens'),
        costNanos: add('cost_nanos'),
      },
    });
}

/** How rollups are grouped for a summary: by model, agent, or the user or API key that ran the calls. */
export type UsageGroup = 'model' | 'agent' | 'user' | 'apiKey';

export interface UsageSums {
  calls: number;
  errors: number;
  inputTokens: number;
  cachedInputTokens: number;
  outputTokens: number;
  costNanos: number;
}

/** Nothing yet: an hour, a bucket or a period without calls. */
export const NO_USAGE: Readonly<UsageSums> = {
  calls: 0,
  errors: 0,
  inputTokens: 0,
  cachedInputTokens: 0,
  outputTokens: 0,
  costNanos: 0,
};

const sums = {
  calls: sql<string>`coalesce(sum(${usageRollups.calls}), 0)`,
  errors: sql<string>`coalesce(sum(${usageRollups.errors}), 0)`,
  inputTokens: sql<string>`coalesce(sum(${usageRollups.inputTokens}), 0)`,
  cachedInputTokens: sql<string>`coalesce(sum(${usageRollups.cachedInputTokens}), 0)`,
  outputTokens: sql<string>`coalesce(sum(${usageRollups.outputTokens}), 0)`,
  costNanos: sql<string>`coalesce(sum(${usageRollups.costNanos}), 0)`,
};

/** Sums come back as numeric strings (they can pass the int range); numbers here. */
const numbersOf = (r: Record<keyof UsageSums, string | number>): UsageSums => ({
  calls: Number(r.calls),
  errors: Number(r.errors),
  inputTokens: Number(r.inputTokens),
  cachedInputTokens: Number(r.cachedInputTokens),
  outputTokens: Number(r.outputTokens),
  costNanos: Number(r.costNanos),
});

function rollupFilter(
  orgId: string,
  range: { from: Date; to: Date },
  filter: { agentId?: string | undefined; model?: string | undefined } = {},
): SQL {
  const where = [
    eq(usageRollups.orgId, orgId),
    gte(usageRollups.hour, range.from),
    lt(usageRollups.hour, range.to),
  ];
  if (filter.agentId) where.push(eq(usageRollups.agentId, filter.agentId));
  if (filter.model) where.push(eq(usageRollups.model, filter.model));
  return and(...where)!;
}

const GROUP_COLUMN = {
  model: usageRollups.model,
  agent: usageRollups.agentId,
  user: usageRollups.createdBy,
  apiKey: usageRollups.createdBy,
} as const;

/** Totals over the hours in `range`, and the same per group, costliest first. */
export async function summarise(
  tx: Tx,
  orgId: string,
  range: { from: Date; to: Date },
  groupBy: UsageGroup,
): Promise<{ totals: UsageSums; groups: Array<UsageSums & { key: string }> }> {
  const where = rollupFilter(orgId, range);
  const [totals] = await tx.select(sums).from(usageRollups).where(where);
  const column = GROUP_COLUMN[groupBy];
  // Users' and API keys' calls are told apart by their ids' prefixes.
  const only =
    groupBy === 'user' ? like(column, 'usr\\_%') : groupBy === 'apiKey' ? like(column, 'key\\_%') : undefined;
  const groups = await tx
    .select({ key: column, ...sums })
    .from(usageRollups)
    .where(only ? and(where, only) : where)
    .groupBy(column)
    .orderBy(desc(sums.costNanos), desc(sums.calls));
  return {
    totals: numbersOf(totals ?? NO_USAGE),
    groups: groups.map((g) => ({ key: g.key, ...numbersOf(g) })),
  };
}

/**
 * What calls cost from `from` on, for one budget's scope: the org, an agent, or a user's or API key's
 * calls (a new budget starts with what its period already spent).
 */
export async function costSince(
  tx: Tx,
  orgId: string,
  scope: { scope: 'org' | 'agent' | 'user' | 'apiKey'; scopeId: string | null },
  from: Date,
): Promise<number> {
  const where = [eq(usageRollups.orgId, orgId), gte(usageRollups.hour, from)];
  if (scope.scope === 'agent' && scope.scopeId) where.push(eq(usageRollups.agentId, scope.scopeId));
  if ((scope.scope === 'user' || scope.scope === 'apiKey') && scope.scopeId)
    where.push(eq(usageRollups.createdBy, scope.scopeId));
  const [row] = await tx
    .select({ cost: sums.costNanos })
    .from(usageRollups)
    .where(and(...where));
  return Number(row?.cost ?? 0);
}

/** Sums per hour or day (UTC) over `range`; buckets without calls are left out (the service fills them). */
export async function timeline(
  tx: Tx,
  orgId: string,
  range: { from: Date; to: Date },
  bucket: 'hour' | 'day',
  filter: { agentId?: string | undefined; model?: string | undefined },
): Promise<Array<UsageSums & { start: Date }>> {
  // The unit inline (it is one of two words): with a parameter, the select's and the group's
  // expressions would differ to PostgreSQL.
  const unit = sql.raw(bucket === 'hour' ? "'hour'" : "'day'");
  const start = sql<Date>`date_trunc(${unit}, ${usageRollups.hour} at time zone 'UTC') at time zone 'UTC'`;
  const rows = await tx
    .select({ start, ...sums })
    .from(usageRollups)
    .where(rollupFilter(orgId, range, filter))
    .groupBy(start)
    .orderBy(start);
  return rows.map((r) => ({ start: new Date(r.start), ...numbersOf(r) }));
}

/** The org's failed model calls in `range`, newest first, `limit` of them before the id `before`. */
export async function listErrors(
  tx: Tx,
  orgId: string,
  range: { from: Date; to: Date },
  page: { limit: number; before?: string | undefined },
) {
  const where = [
    eq(usageEvents.orgId, orgId),
    eq(usageEvents.outcome, 'error'),
    gte(usageEvents.createdAt, range.from),
    lte(usageEvents.createdAt, range.to),
  ];
  if (page.before) where.push(lt(usageEvents.id, page.before));
  return tx
    .select({
      id: usageEvents.id,
      createdAt: usageEvents.createdAt,
      model: usageEvents.model,
      agentId: usageEvents.agentId,
      runId: usageEvents.runId,
      errorCode: usageEvents.errorCode,
      errorMessage: usageEvents.errorMessage,
    })
    .from(usageEvents)
    .where(and(...where))
    .orderBy(desc(usageEvents.id))
    .limit(page.limit);
}

/** Counts, latency percentiles (of successful calls) and tokens of one agent's calls since `since`. */
export interface AgentCallStats {
  requests: number;
  succeeded: number;
  errors: number;
  cancelled: number;
  p50: number | null;
  p95: number | null;
  inputTokens: number;
  outputTokens: number;
}

const ok = sql`${usageEvents.outcome} = 'ok'`;

export async function agentCallStats(
  tx: Tx,
  orgId: string,
  agentId: string,
  since: Date,
): Promise<AgentCallStats> {
  const [row] = await tx
    .select({
      requests: sql<number>`count(*)::int`,
      succeeded: sql<number>`(count(*) filter (where ${ok}))::int`,
      errors: sql<number>`(count(*) filter (where ${usageEvents.outcome} = 'error'))::int`,
      cancelled: sql<number>`(count(*) filter (where ${usageEvents.outcome} = 'cancelled'))::int`,
      p50: sql<
        number | null
      >`percentile_cont(0.5) within group (order by ${usageEvents.latencyMs}) filter (where ${ok})`,
      p95: sql<
        number | null
      >`percentile_cont(0.95) within group (order by ${usageEvents.latencyMs}) filter (where ${ok})`,
      // float8: sums can pass the int range, and drivers return bigint as a string.
      inputTokens: sql<number>`coalesce(sum(${usageEvents.inputTokens}), 0)::float8`,
      outputTokens: sql<number>`coalesce(sum(${usageEvents.outputTokens}), 0)::float8`,
    })
    .from(usageEvents)
    .where(
      and(eq(usageEvents.orgId, orgId), eq(usageEvents.agentId, agentId), gte(usageEvents.createdAt, since)),
    );
  return {
    requests: Number(row?.requests ?? 0),
    succeeded: Number(row?.succeeded ?? 0),
    errors: Number(row?.errors ?? 0),
    cancelled: Number(row?.cancelled ?? 0),
    p50: row?.p50 == null ? null : Number(row.p50),
    p95: row?.p95 == null ? null : Number(row.p95),
    inputTokens: Number(row?.inputTokens ?? 0),
    outputTokens: Number(row?.outputTokens ?? 0),
  };
}

/** When the agent last called its model, at any time. */
export async function lastAgentCall(tx: Tx, orgId: string, agentId: string): Promise<Date | undefined> {
  const [row] = await tx
    .select({ createdAt: usageEvents.createdAt })
    .from(usageEvents)
    .where(and(eq(usageEvents.orgId, orgId), eq(usageEvents.agentId, agentId)))
    .orderBy(desc(usageEvents.createdAt))
    .limit(1);
  return row?.createdAt;
}

/** The agent's latest failed call since `since`. */
export async function lastAgentError(
  tx: Tx,
  orgId: string,
  agentId: string,
  since: Date,
): Promise<{ errorCode: string | null; createdAt: Date } | undefined> {
  const [row] = await tx
    .select({ errorCode: usageEvents.errorCode, createdAt: usageEvents.createdAt })
    .from(usageEvents)
    .where(
      and(
        eq(usageEvents.orgId, orgId),
        eq(usageEvents.agentId, agentId),
        eq(usageEvents.outcome, 'error'),
        gte(usageEvents.createdAt, since),
      ),
    )
    .orderBy(desc(usageEvents.createdAt))
    .limit(1);
  return row;
}
