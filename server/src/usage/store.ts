import { and, desc, eq, gte, sql } from 'drizzle-orm';
import { bulkInsert } from '../platform/db/bulk.ts';
import type { Tx } from '../platform/db/index.ts';
import { type UsageOutcome, usageEvents } from './tables.ts';

export interface UsageEventRow {
  id: string;
  orgId: string;
  agentId: string;
  runId: string | null;
  conversationId: string | null;
  model: string;
  provider: string;
  inputTokens: number;
  outputTokens: number;
  latencyMs: number;
  outcome: UsageOutcome;
  errorCode: string | null;
  createdAt?: Date;
}

export async function insertUsageEvents(tx: Tx, rows: UsageEventRow[]): Promise<void> {
  await bulkInsert(tx, usageEvents, rows);
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
