import { and, desc, eq, inArray, ne, or, type SQL, sql } from 'drizzle-orm';
import type { AnyPgColumn } from 'drizzle-orm/pg-core';
import { agents } from '../agents/tables.ts';
import { auditLog } from '../audit/tables.ts';
import { apiKeys, memberships, roles, users } from '../identity/tables.ts';
import type { Tx } from '../platform/db/index.ts';
import { runs } from '../runs/tables.ts';
import { inboxItems } from './tables.ts';

/*
 * The activity feed is a read model: it only reads, and it reads other domains' tables (audit log, runs,
 * and names of agents, roles, keys and members) because one ordered, paged list across them cannot be
 * had from their services without fetching everything. Nothing here writes; every query filters by org.
 */

/**
 * A place in the feed: an item's time to the microsecond (`2025-01-02T03:04:05.123456Z`, exact, unlike
 * a JS Date) and its id, which breaks ties. Items are ordered by (at, id) descending, ids compared
 * byte-wise (`collate "C"`) so the order is the same in SQL and in JavaScript.
 */
export interface FeedPosition {
  at: string;
  id: string;
}

/** The instant as an exact UTC string with microseconds, sortable as text. */
const atKey = (at: SQL | AnyPgColumn) =>
  sql<string>`to_char(${at} at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')`;

/** Rows strictly after `before` in feed order (older, or as old with a smaller id). */
function olderThan(at: SQL | AnyPgColumn, id: SQL | AnyPgColumn, before: FeedPosition): SQL {
  return sql`(${at} < ${before.at}::timestamptz or (${at} = ${before.at}::timestamptz and (${id}) collate "C" < ${before.id}))`;
}

const newestFirst = (at: SQL | AnyPgColumn, id: SQL | AnyPgColumn) => [
  desc(at),
  desc(sql`(${id}) collate "C"`),
];

export interface AuditUpdateRow {
  id: string;
  at: string;
  action: string;
  actorType: 'user' | 'api_key' | 'system' | 'anonymous';
  actorId: string | null;
  resourceId: string | null;
  details: Record<string, unknown> | null;
}

/** The org's successful audit rows of these actions, newest first. */
export async function listAuditUpdates(
  tx: Tx,
  orgId: string,
  actions: string[],
  page: { limit: number; before?: FeedPosition | undefined },
): Promise<AuditUpdateRow[]> {
  const where = [
    eq(auditLog.orgId, orgId),
    eq(auditLog.outcome, 'success'),
    inArray(auditLog.action, actions),
  ];
  if (page.before) where.push(olderThan(auditLog.createdAt, auditLog.id, page.before));
  return tx
    .select({
      id: auditLog.id,
      at: atKey(auditLog.createdAt),
      action: auditLog.action,
      actorType: auditLog.actorType,
      actorId: auditLog.actorId,
      resourceId: auditLog.resourceId,
      details: auditLog.details,
    })
    .from(auditLog)
    .where(and(...where))
    .orderBy(...newestFirst(auditLog.createdAt, auditLog.id))
    .limit(page.limit);
}

export interface RunUpdateRow {
  /** The feed item's id: the run id and its state (`run_x.succeeded`), so each state is one item. */
  id: string;
  at: string;
  runId: string;
  state: 'submitted' | 'succeeded' | 'failed' | 'cancelled' | 'waiting_approval';
  source: 'api' | 'chat' | 'openai';
  agentId: string;
  agentName: string | null;
  createdBy: string;
  error: { code: string; message: string } | null;
}

/** The feed's view of runs: one item id and time per run, newest first, with the agent's name. */
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
      agentName: agents.name,
      createdBy: runs.createdBy,
      error: runs.error,
    })
    .from(runs)
    .leftJoin(agents, and(eq(agents.id, runs.agentId), eq(agents.orgId, runs.orgId)))
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
): Promise<RunUpdateRow[]> {
  const at = sql`(case when ${runs.status} = 'waiting_approval' then ${runs.updatedAt} else coalesce(${runs.finishedAt}, ${runs.updatedAt}) end)`;
  const id = sql<string>`(${runs.id} || '.' || ${runs.status})`;
  const where = [
    eq(runs.orgId, orgId),
    inArray(runs.status, ['succeeded', 'failed', 'cancelled', 'waiting_approval']),
    or(ne(runs.source, 'openai'), eq(runs.status, 'waiting_approval'))!,
  ];
  const rows = await runRows(tx, { id, at, where, before: page.before, limit: page.limit });
  return rows.map(({ status, ...r }) => ({ ...r, state: status as RunUpdateRow['state'] }));
}

/** Runs submitted through the API (chat turns are not "submitted"), newest first. */
export async function listRunSubmissions(
  tx: Tx,
  orgId: string,
  page: { limit: number; before?: FeedPosition | undefined },
): Promise<RunUpdateRow[]> {
  const id = sql<string>`(${runs.id} || '.submitted')`;
  const where = [eq(runs.orgId, orgId), eq(runs.source, 'api')];
  const rows = await runRows(tx, { id, at: runs.createdAt, where, before: page.before, limit: page.limit });
  return rows.map(({ status: _status, ...r }) => ({ ...r, state: 'submitted' as const }));
}

/** Ids to name, by what they are; `user` and `api_key` double as actors. */
export interface NameRefs {
  agent?: string[];
  role?: string[];
  api_key?: string[];
  member?: string[];
  user?: string[];
  inbox_item?: string[];
  run?: string[];
}

type NameRows = Promise<Array<{ id: string; name: string | null }>>;

/** How to find the names of one kind of id in one org. */
const NAME_LOOKUPS: { [T in keyof Required<NameRefs>]: (tx: Tx, orgId: string, ids: string[]) => NameRows } =
  {
    agent: (tx, orgId, ids) =>
      tx
        .select({ id: agents.id, name: agents.name })
        .from(agents)
        .where(and(eq(agents.orgId, orgId), inArray(agents.id, ids))),
    role: (tx, orgId, ids) =>
      tx
        .select({ id: roles.id, name: roles.name })
        .from(roles)
        .where(and(eq(roles.orgId, orgId), inArray(roles.id, ids))),
    api_key: (tx, orgId, ids) =>
      tx
        .select({ id: apiKeys.id, name: apiKeys.name })
        .from(apiKeys)
        .where(and(eq(apiKeys.orgId, orgId), inArray(apiKeys.id, ids))),
    member: (tx, orgId, ids) =>
      tx
        .select({ id: memberships.id, name: users.name })
        .from(memberships)
        .innerJoin(users, eq(users.id, memberships.userId))
        .where(and(eq(memberships.orgId, orgId), inArray(memberships.id, ids))),
    // Only people who are (still) members of this org are named.
    user: (tx, orgId, ids) =>
      tx
        .select({ id: users.id, name: users.name })
        .from(memberships)
        .innerJoin(users, eq(users.id, memberships.userId))
        .where(and(eq(memberships.orgId, orgId), inArray(users.id, ids))),
    inbox_item: (tx, orgId, ids) =>
      tx
        .select({ id: inboxItems.id, name: sql<string | null>`${inboxItems.payload}->>'toolName'` })
        .from(inboxItems)
        .where(and(eq(inboxItems.orgId, orgId), inArray(inboxItems.id, ids))),
    run: (tx, orgId, ids) =>
      tx
        .select({ id: runs.id, name: agents.name })
        .from(runs)
        .innerJoin(agents, and(eq(agents.id, runs.agentId), eq(agents.orgId, runs.orgId)))
        .where(and(eq(runs.orgId, orgId), inArray(runs.id, ids))),
  };

/** The current display name of each id that still exists in the org, keyed `type:id`. */
export async function namesOf(tx: Tx, orgId: string, refs: NameRefs): Promise<Map<string, string>> {
  const wanted = (Object.entries(refs) as Array<[keyof NameRefs, string[]]>)
    .map(([type, ids]): [keyof NameRefs, string[]] => [type, [...new Set(ids)]])
    .filter(([, ids]) => ids.length > 0);
  const found = await Promise.all(
    wanted.map(async ([type, ids]) => ({ type, rows: await NAME_LOOKUPS[type](tx, orgId, ids) })),
  );
  const names = new Map<string, string>();
  for (const { type, rows } of found) {
    for (const r of rows) if (r.name) names.set(`${type}:${r.id}`, r.name);
  }
  return names;
}
