import {
  and,
  asc,
  desc,
  eq,
  getTableColumns,
  gt,
  gte,
  inArray,
  lt,
  ne,
  or,
  type SQL,
  sql,
} from 'drizzle-orm';
import type { AnyPgColumn } from 'drizzle-orm/pg-core';
import type { RunStatus } from '../execution/records.ts';
import { bulkInsert } from '../platform/db/bulk.ts';
import { atKey, type FeedPosition, newestFirst, olderThan } from '../platform/db/feed.ts';
import type { Tx } from '../platform/db/index.ts';
import { runEvents, runSteps, runs } from './tables.ts';

export type RunRecord = typeof runs.$inferSelect;
export type RunEventRecord = typeof runEvents.$inferSelect;
export type RunInsert = typeof runs.$inferInsert;

export async function insertRun(tx: Tx, row: RunInsert): Promise<RunRecord> {
  const [created] = await tx.insert(runs).values(row).returning();
  return created!;
}

/** Many runs in one statement (submitted together, or executed in their requests and written together). */
export async function insertRuns(tx: Tx, rows: RunInsert[]): Promise<void> {
  await bulkInsert(tx, runs, rows);
}

export async function findRun(tx: Tx, orgId: string, id: string): Promise<RunRecord | undefined> {
  const [row] = await tx
    .select()
    .from(runs)
    .where(and(eq(runs.orgId, orgId), eq(runs.id, id)));
  return row;
}

/** For the worker, which starts from a job that names only the run. */
export async function findRunById(tx: Tx, id: string): Promise<RunRecord | undefined> {
  const [row] = await tx.select().from(runs).where(eq(runs.id, id));
  return row;
}

export async function findRunByIdempotencyKey(
  tx: Tx,
  orgId: string,
  key: string,
): Promise<RunRecord | undefined> {
  const [row] = await tx
    .select()
    .from(runs)
    .where(and(eq(runs.orgId, orgId), eq(runs.idempotencyKey, key)));
  return row;
}

export async function listRuns(
  tx: Tx,
  orgId: string,
  filter: {
    status?: RunStatus | undefined;
    agentId?: string | undefined;
    conversationId?: string | undefined;
    since?: Date | undefined;
  },
  page: { limit: number; before?: string | undefined },
): Promise<RunRecord[]> {
  const where = [eq(runs.orgId, orgId)];
  if (filter.status) where.push(eq(runs.status, filter.status));
  if (filter.agentId) where.push(eq(runs.agentId, filter.agentId));
  if (filter.conversationId) where.push(eq(runs.conversationId, filter.conversationId));
  if (filter.since) where.push(gte(runs.createdAt, filter.since));
  if (page.before) where.push(lt(runs.id, page.before));
  return tx
    .select()
    .from(runs)
    .where(and(...where))
    .orderBy(desc(runs.id))
    .limit(page.limit);
}

export async function updateRun(
  tx: Tx,
  id: string,
  patch: Partial<typeof runs.$inferInsert>,
): Promise<RunRecord> {
  const [row] = await tx
    .update(runs)
    .set({ ...patch, updatedAt: new Date() })
    .where(eq(runs.id, id))
    .returning();
  return row!;
}

/**
 * Moves a run to `to` only if it is still in one of `from` (and, with `attempt`, still in that attempt:
 * an executor whose claim moved on cannot end the run); undefined when someone else moved it first.
 * `seqs` log entries are reserved with it (`lastSeq` is the last of them).
 */
export async function transitionRun(
  tx: Tx,
  id: string,
  from: RunStatus[],
  to: RunStatus,
  patch: Partial<typeof runs.$inferInsert> = {},
  fence: { attempt?: number | undefined; seqs?: number } = {},
): Promise<RunRecord | undefined> {
  const where = [eq(runs.id, id), inArray(runs.status, from)];
  if (fence.attempt !== undefined) where.push(eq(runs.attempts, fence.attempt));
  const [row] = await tx
    .update(runs)
    .set({
      ...patch,
      ...(fence.seqs ? { lastSeq: sql`${runs.lastSeq} + ${fence.seqs}` } : {}),
      status: to,
      updatedAt: new Date(),
    })
    .where(and(...where))
    .returning();
  return row;
}

/** Takes the next sequence number of a run's log; the row lock orders concurrent appenders. */
export async function nextSeq(tx: Tx, runId: string): Promise<number> {
  const [row] = await tx
    .update(runs)
    .set({ lastSeq: sql`${runs.lastSeq} + 1` })
    .where(eq(runs.id, runId))
    .returning({ seq: runs.lastSeq });
  return row!.seq;
}

/** A value set per row in a many-row statement: the rows as one JSON parameter, read as a table `v`. */
function valuesOf(rows: object[], columns: string): SQL {
  return sql`jsonb_to_recordset(${JSON.stringify(rows)}::jsonb) as v(${sql.raw(columns)})`;
}

/**
 * Reserves `n` sequence numbers of the logs of running runs, each for the executor of its attempt
 * `attempt`, in one statement; answers the last of each by run, without the runs no longer running
 * in that attempt (their claim moved on).
 */
export async function reserveSeqs(
  tx: Tx,
  reservations: Array<{ runId: string; n: number; attempt: number }>,
): Promise<Map<string, number>> {
  const rows = await tx
    .update(runs)
    .set({ lastSeq: sql`${runs.lastSeq} + v.x_n` })
    .from(
      valuesOf(
        reservations.map((r) => ({ x_id: r.runId, x_n: r.n, x_attempt: r.attempt })),
        'x_id text, x_n int, x_attempt int',
      ),
    )
    .where(and(sql`${runs.id} = v.x_id`, eq(runs.status, 'running'), sql`${runs.attempts} = v.x_attempt`))
    .returning({ id: runs.id, seq: runs.lastSeq });
  return new Map(rows.map((r) => [r.id, r.seq]));
}

/** How one run ends, for {@link endRuns}: what it becomes and how many log entries it reserves. */
export interface RunEnd extends Pick<RunInsert, 'output' | 'error' | 'usage'> {
  runId: string;
  /** The attempt the executor that ends it claimed it in. */
  attempt: number;
  status: RunStatus;
  finishedAt: Date;
  seqs: number;
}

/**
 * Ends many runs in one statement, each only if it is still in one of `from` and in its attempt (an
 * executor whose claim moved on cannot end the run), reserving its `seqs` log entries; answers the
 * runs that moved, as stored. What an ending does not set (a cancelled run's output) stays as it is.
 */
export async function endRuns(tx: Tx, from: RunStatus[], ends: RunEnd[]): Promise<RunRecord[]> {
  if (ends.length === 0) return [];
  return tx
    .update(runs)
    .set({
      status: sql`v.x_status`,
      output: sql`coalesce(v.x_output, ${runs.output})`,
      error: sql`coalesce(v.x_error, ${runs.error})`,
      usage: sql`coalesce(v.x_usage, ${runs.usage})`,
      pausedState: null,
      finishedAt: sql`v.x_finished_at`,
      lastSeq: sql`${runs.lastSeq} + v.x_seqs`,
      updatedAt: new Date(),
    })
    .from(
      valuesOf(
        ends.map((e) => ({
          x_id: e.runId,
          x_attempt: e.attempt,
          x_status: e.status,
          x_output: e.output ?? null,
          x_error: e.error ?? null,
          x_usage: e.usage ?? null,
          x_finished_at: e.finishedAt.toISOString(),
          x_seqs: e.seqs,
        })),
        'x_id text, x_attempt int, x_status text, x_output text, x_error jsonb, x_usage jsonb, ' +
          'x_finished_at timestamptz, x_seqs int',
      ),
    )
    .where(and(sql`${runs.id} = v.x_id`, sql`${runs.attempts} = v.x_attempt`, inArray(runs.status, from)))
    .returning(getTableColumns(runs));
}

export async function insertRunEvent(tx: Tx, row: typeof runEvents.$inferInsert): Promise<void> {
  await tx.insert(runEvents).values(row);
}

export async function insertRunEvents(tx: Tx, rows: Array<typeof runEvents.$inferInsert>): Promise<void> {
  await bulkInsert(tx, runEvents, rows);
}

export async function listRunEvents(
  tx: Tx,
  orgId: string,
  runId: string,
  afterSeq: number,
  limit = 1000,
): Promise<RunEventRecord[]> {
  return tx
    .select()
    .from(runEvents)
    .where(and(eq(runEvents.orgId, orgId), eq(runEvents.runId, runId), gt(runEvents.seq, afterSeq)))
    .orderBy(asc(runEvents.seq))
    .limit(limit);
}

/** The agent whose tool call the run's latest approval request waits on. */
export async function lastApprovalAgent(tx: Tx, runId: string): Promise<string | undefined> {
  const [row] = await tx
    .select({ agentId: sql<string | null>`${runEvents.data}->>'agentId'` })
    .from(runEvents)
    .where(and(eq(runEvents.runId, runId), eq(runEvents.type, 'approval.required')))
    .orderBy(desc(runEvents.seq))
    .limit(1);
  return row?.agentId ?? undefined;
}

export async function findStep(
  tx: Tx,
  runId: string,
  stepId: string,
): Promise<{ result: unknown } | undefined> {
  const [row] = await tx
    .select({ result: runSteps.result })
    .from(runSteps)
    .where(and(eq(runSteps.runId, runId), eq(runSteps.stepId, stepId)));
  return row;
}

export async function insertStep(tx: Tx, runId: string, stepId: string, result: unknown): Promise<void> {
  await tx.insert(runSteps).values({ runId, stepId, result }).onConflictDoNothing();
}

/** Runs by status for one org (dashboard) or all (admin). */
export async function countRunsByStatus(tx: Tx, orgId?: string): Promise<Record<string, number>> {
  const rows = await tx
    .select({ status: runs.status, n: sql<number>`count(*)::int` })
    .from(runs)
    .where(orgId ? eq(runs.orgId, orgId) : undefined)
    .groupBy(runs.status);
  return Object.fromEntries(rows.map((r) => [r.status, r.n]));
}

/** Whether the org has any run at all (a chat turn counts: it is a run). */
export async function hasAnyRun(tx: Tx, orgId: string): Promise<boolean> {
  const rows = await tx.select({ id: runs.id }).from(runs).where(eq(runs.orgId, orgId)).limit(1);
  return rows.length > 0;
}

/** Finished runs by outcome since `since`, for one org. */
export async function countFinishedSince(
  tx: Tx,
  orgId: string,
  since: Date,
): Promise<Record<string, number>> {
  const rows = await tx
    .select({ status: runs.status, n: sql<number>`count(*)::int` })
    .from(runs)
    .where(and(eq(runs.orgId, orgId), gte(runs.finishedAt, since)))
    .groupBy(runs.status);
  return Object.fromEntries(rows.map((r) => [r.status, r.n]));
}

/** The agent of each of these runs of the org. */
export async function agentsOfRuns(tx: Tx, orgId: string, ids: string[]): Promise<Map<string, string>> {
  if (ids.length === 0) return new Map();
  const rows = await tx
    .select({ id: runs.id, agentId: runs.agentId })
    .from(runs)
    .where(and(eq(runs.orgId, orgId), inArray(runs.id, ids)));
  return new Map(rows.map((r) => [r.id, r.agentId]));
}

export interface RunFeedRow {
  /** The feed item's id: the run id and its state (`run_x.succeeded`), so each state is one item. */
  id: string;
  at: string;
  runId: string;
  state: 'submitted' | 'succeeded' | 'failed' | 'cancelled' | 'waiting_approval';
  source: 'api' | 'chat' | 'openai';
  agentId: string;
  createdBy: string;
  error: { code: string; message: string } | null;
}

/** The feed's view of runs: one item id and time per run, newest first. */
async function runRows(
  tx: Tx,
  q: {
    id: SQL<string>;
    at: SQL | AnyPgColumn;
    where: SQL[];
    before: FeedPosition | undefined;
    limit: number;
  },
) {
  const where = q.before ? [...q.where, olderThan(q.at, q.id, q.before)] : q.where;
  return tx
    .select({
      id: q.id,
      at: atKey(q.at),
      runId: runs.id,
      status: runs.status,
      source: runs.source,
      agentId: runs.agentId,
      createdBy: runs.createdBy,
      error: runs.error,
    })
    .from(runs)
    .where(and(...where))
    .orderBy(...newestFirst(q.at, q.id))
    .limit(q.limit);
}

/**
 * Runs that ended (at `finished_at`) or wait for a person (since their last transition), newest first.
 * A run is listed by its current state: once approved and finished it shows as finished. Completions
 * of the OpenAI surface are left out unless they wait for a person: a client calling it in a loop
 * would bury everything else.
 */
export async function listRunOutcomes(
  tx: Tx,
  orgId: string,
  page: { limit: number; before?: FeedPosition | undefined },
): Promise<RunFeedRow[]> {
  const at = sql`(case when ${runs.status} = 'waiting_approval' then ${runs.updatedAt} else coalesce(${runs.finishedAt}, ${runs.updatedAt}) end)`;
  const id = sql<string>`(${runs.id} || '.' || ${runs.status})`;
  const where = [
    eq(runs.orgId, orgId),
    inArray(runs.status, ['succeeded', 'failed', 'cancelled', 'waiting_approval']),
    or(ne(runs.source, 'openai'), eq(runs.status, 'waiting_approval'))!,
  ];
  const rows = await runRows(tx, { id, at, where, before: page.before, limit: page.limit });
  return rows.map(({ status, ...r }) => ({ ...r, state: status as RunFeedRow['state'] }));
}

/** Runs submitted through the API (chat turns are not "submitted"), newest first. */
export async function listRunSubmissions(
  tx: Tx,
  orgId: string,
  page: { limit: number; before?: FeedPosition | undefined },
): Promise<RunFeedRow[]> {
  const id = sql<string>`(${runs.id} || '.submitted')`;
  const where = [eq(runs.orgId, orgId), eq(runs.source, 'api')];
  const rows = await runRows(tx, { id, at: runs.createdAt, where, before: page.before, limit: page.limit });
  return rows.map(({ status: _status, ...r }) => ({ ...r, state: 'submitted' as const }));
}
