import {
  and,
  asc,
  desc,
  eq,
  getTableColumns,
  gte,
  ilike,
  inArray,
  lt,
  lte,
  or,
  type SQL,
  sql,
} from 'drizzle-orm';
import { bulkInsert } from '../platform/db/bulk.ts';
import type { Tx } from '../platform/db/index.ts';
import { idFloorAt } from '../platform/ids.ts';
import {
  errorEvents,
  errorProjects,
  errorRawEvents,
  type IssueLevel,
  type IssueStatus,
  issues,
  issueUsers,
} from './tables.ts';

export type ProjectRecord = typeof errorProjects.$inferSelect;
export type ProjectInsert = typeof errorProjects.$inferInsert;
export type ProjectPatch = Partial<
  Pick<
    ProjectInsert,
    | 'name'
    | 'slug'
    | 'platform'
    | 'repositoryPath'
    | 'repositoryBranch'
    | 'verifyCommand'
    | 'rateLimitPerMinute'
  >
>;
export type IssueRecord = typeof issues.$inferSelect;
export type IssueInsert = typeof issues.$inferInsert;
export type EventRecord = typeof errorEvents.$inferSelect;
export type EventInsert = typeof errorEvents.$inferInsert;
export type RawEventRecord = typeof errorRawEvents.$inferSelect;
export type RawEventInsert = typeof errorRawEvents.$inferInsert;

/** `%` and `_` in what a person typed are matched as themselves. */
const likePattern = (q: string) => `%${q.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;

// ---------------------------------------------------------------------------------------------------
// Projects

export async function insertProject(tx: Tx, row: ProjectInsert): Promise<ProjectRecord> {
  const [created] = await tx.insert(errorProjects).values(row).returning();
  return created!;
}

/** The org's built-in project, made once: a second maker (another replica) gets the first's. */
export async function ensureBuiltinProject(tx: Tx, row: ProjectInsert): Promise<ProjectRecord> {
  await tx.insert(errorProjects).values(row).onConflictDoNothing();
  const [found] = await tx
    .select()
    .from(errorProjects)
    .where(and(eq(errorProjects.orgId, row.orgId), eq(errorProjects.builtin, true)));
  return found!;
}

export async function findBuiltinProject(tx: Tx, orgId: string): Promise<ProjectRecord | undefined> {
  const [row] = await tx
    .select()
    .from(errorProjects)
    .where(and(eq(errorProjects.orgId, orgId), eq(errorProjects.builtin, true)));
  return row;
}

export async function findProject(tx: Tx, orgId: string, id: string): Promise<ProjectRecord | undefined> {
  const [row] = await tx
    .select()
    .from(errorProjects)
    .where(and(eq(errorProjects.orgId, orgId), eq(errorProjects.id, id)));
  return row;
}

/** The project a DSN key belongs to, whatever its org: the key is the ingest credential. */
export async function findProjectByKey(tx: Tx, publicKey: string): Promise<ProjectRecord | undefined> {
  const [row] = await tx.select().from(errorProjects).where(eq(errorProjects.publicKey, publicKey));
  return row;
}

/** Oldest first (the order people made them), `limit` after the id `after`. */
export async function listProjects(
  tx: Tx,
  orgId: string,
  page: { limit: number; after?: string | undefined },
): Promise<ProjectRecord[]> {
  const where: SQL[] = [eq(errorProjects.orgId, orgId)];
  if (page.after) where.push(sql`${errorProjects.id} > ${page.after}`);
  return tx
    .select()
    .from(errorProjects)
    .where(and(...where))
    .orderBy(asc(errorProjects.id))
    .limit(page.limit);
}

export async function updateProject(
  tx: Tx,
  orgId: string,
  id: string,
  patch: ProjectPatch,
): Promise<ProjectRecord | undefined> {
  const [row] = await tx
    .update(errorProjects)
    .set({ ...patch, updatedAt: new Date() })
    .where(and(eq(errorProjects.orgId, orgId), eq(errorProjects.id, id)))
    .returning();
  return row;
}

export async function deleteProject(tx: Tx, orgId: string, id: string): Promise<ProjectRecord | undefined> {
  const [row] = await tx
    .delete(errorProjects)
    .where(and(eq(errorProjects.orgId, orgId), eq(errorProjects.id, id)))
    .returning();
  return row;
}

/** Which of these project ids are the org's. */
export async function projectIdsOf(tx: Tx, orgId: string, ids: string[]): Promise<Set<string>> {
  if (ids.length === 0) return new Set();
  const rows = await tx
    .select({ id: errorProjects.id })
    .from(errorProjects)
    .where(and(eq(errorProjects.orgId, orgId), inArray(errorProjects.id, ids)));
  return new Set(rows.map((r) => r.id));
}

/**
 * Locks the projects for grouping, in id order (so two groupers never wait on each other in a circle),
 * and answers their slugs. Projects deleted meanwhile are absent.
 */
export async function lockProjects(
  tx: Tx,
  ids: string[],
): Promise<Map<string, { slug: string; orgId: string }>> {
  if (ids.length === 0) return new Map();
  const rows = await tx
    .select({ id: errorProjects.id, slug: errorProjects.slug, orgId: errorProjects.orgId })
    .from(errorProjects)
    .where(inArray(errorProjects.id, ids))
    .orderBy(asc(errorProjects.id))
    .for('update');
  return new Map(rows.map((r) => [r.id, { slug: r.slug, orgId: r.orgId }]));
}

/** The next issue number of a project (its row is locked by the grouper). */
export async function nextIssueNumber(tx: Tx, projectId: string): Promise<number> {
  const [row] = await tx
    .update(errorProjects)
    .set({ issueCounter: sql`${errorProjects.issueCounter} + 1` })
    .where(eq(errorProjects.id, projectId))
    .returning({ n: errorProjects.issueCounter });
  return row!.n;
}

// ---------------------------------------------------------------------------------------------------
// Raw events (the ingest queue)

/** A raw event to store, its payload as JSON text (an object's, as the SDK sent it or re-written). */
export interface RawEventText {
  orgId: string;
  projectId: string;
  eventId: string;
  receivedAt: Date;
  json: string;
}

/**
 * Stores raw events in one statement with one parameter: the rows as one JSON array whose payloads are
 * the events' own text, put in as they are (not parsed and written again here). The database checks
 * the text: one it refuses fails the whole statement.
 */
export async function insertRawEvents(tx: Tx, rows: RawEventText[]): Promise<void> {
  if (rows.length === 0) return;
  const text = `[${rows
    .map(
      (r) =>
        `{"o":${JSON.stringify(r.orgId)},"p":${JSON.stringify(r.projectId)},"e":${JSON.stringify(r.eventId)},"r":"${r.receivedAt.toISOString()}","j":${r.json}}`,
    )
    .join(',')}]`;
  await tx.execute(
    sql`insert into ${errorRawEvents} (org_id, project_id, event_id, received_at, payload)
        select r.o, r.p, r.e, r.r, r.j
        from jsonb_to_recordset(${text}::jsonb) as r(o text, p text, e text, r timestamptz, j jsonb)`,
  );
}

/** Up to `limit` raw events, oldest first, that no other grouper holds; locked until the transaction ends. */
export async function claimRawEvents(tx: Tx, limit: number): Promise<RawEventRecord[]> {
  return tx
    .select()
    .from(errorRawEvents)
    .orderBy(asc(errorRawEvents.seq))
    .limit(limit)
    .for('update', { skipLocked: true });
}

/** Deletes grouped raw events by their seq, all in one array parameter. */
export async function deleteRawEvents(tx: Tx, seqs: number[]): Promise<void> {
  if (seqs.length > 0)
    await tx
      .delete(errorRawEvents)
      .where(sql`${errorRawEvents.seq} = any(${`{${seqs.join(',')}}`}::bigint[])`);
}

export async function countRawEvents(tx: Tx): Promise<number> {
  const [row] = await tx.select({ n: sql<number>`count(*)`.mapWith(Number) }).from(errorRawEvents);
  return row?.n ?? 0;
}

// ---------------------------------------------------------------------------------------------------
// Issues

/** The issues of a project with these fingerprints, locked for the grouper's change. */
export async function lockIssuesByFingerprint(
  tx: Tx,
  projectId: string,
  fingerprints: string[],
): Promise<IssueRecord[]> {
  if (fingerprints.length === 0) return [];
  return tx
    .select()
    .from(issues)
    .where(and(eq(issues.projectId, projectId), inArray(issues.fingerprint, fingerprints)))
    .orderBy(asc(issues.id))
    .for('update');
}

export async function insertIssue(tx: Tx, row: IssueInsert): Promise<IssueRecord> {
  const [created] = await tx.insert(issues).values(row).returning();
  return created!;
}

/** What a grouping pass adds to one issue's figures. */
export interface IssueAddition {
  id: string;
  count: number;
  users: number;
  firstSeen: Date;
  lastSeen: Date;
  level: IssueLevel;
  status?: IssueStatus;
}

/**
 * Adds a grouped batch's events to its issues' figures, every issue in one statement (the additions
 * as one JSON parameter); answers the issues as they now are, by id.
 */
export async function addToIssues(tx: Tx, adds: IssueAddition[]): Promise<Map<string, IssueRecord>> {
  if (adds.length === 0) return new Map();
  const rows = adds.map((a) => ({
    add_id: a.id,
    add_count: a.count,
    add_users: a.users,
    add_first: a.firstSeen.toISOString(),
    add_last: a.lastSeen.toISOString(),
    add_level: a.level,
    add_status: a.status ?? null,
  }));
  const updated = await tx
    .update(issues)
    .set({
      count: sql`${issues.count} + a.add_count`,
      userCount: sql`${issues.userCount} + a.add_users`,
      firstSeen: sql`least(${issues.firstSeen}, a.add_first)`,
      lastSeen: sql`greatest(${issues.lastSeen}, a.add_last)`,
      level: sql`a.add_level`,
      status: sql`coalesce(a.add_status, ${issues.status})`,
      updatedAt: new Date(),
    })
    .from(
      sql`jsonb_to_recordset(${JSON.stringify(rows)}::jsonb) as a(add_id text, add_count integer, add_users integer, add_first timestamptz, add_last timestamptz, add_level text, add_status text)`,
    )
    .where(sql`${issues.id} = a.add_id`)
    .returning(getTableColumns(issues));
  return new Map(updated.map((row) => [row.id, row]));
}

/** Records the users an issue reached; answers how many of them are new to each issue. */
export async function addIssueUsers(
  tx: Tx,
  rows: Array<{ orgId: string; issueId: string; userKey: string }>,
): Promise<Map<string, number>> {
  const added = new Map<string, number>();
  if (rows.length === 0) return added;
  const inserted = await tx
    .insert(issueUsers)
    .values(rows)
    .onConflictDoNothing()
    .returning({ issueId: issueUsers.issueId });
  for (const r of inserted) added.set(r.issueId, (added.get(r.issueId) ?? 0) + 1);
  return added;
}

export async function findIssue(tx: Tx, orgId: string, id: string): Promise<IssueRecord | undefined> {
  const [row] = await tx
    .select()
    .from(issues)
    .where(and(eq(issues.orgId, orgId), eq(issues.id, id)));
  return row;
}

export type IssueSort = 'lastSeen' | 'firstSeen' | 'count';

export interface IssueFilter {
  projectId?: string | undefined;
  status?: IssueStatus | undefined;
  level?: IssueLevel | undefined;
  q?: string | undefined;
}

/** Where a page ends: the sort column's value and the id, so pages are stable under the sort. */
export interface IssueCursor {
  value: string;
  id: string;
}

const sortColumn = (sort: IssueSort) =>
  sort === 'count' ? issues.count : sort === 'firstSeen' ? issues.firstSeen : issues.lastSeen;

/** Descending by the sort column, then by id; from after `cursor`. */
export async function listIssues(
  tx: Tx,
  orgId: string,
  filter: IssueFilter,
  sort: IssueSort,
  page: { limit: number; after?: IssueCursor | undefined },
): Promise<IssueRecord[]> {
  const where: SQL[] = [eq(issues.orgId, orgId)];
  if (filter.projectId) where.push(eq(issues.projectId, filter.projectId));
  if (filter.status) where.push(eq(issues.status, filter.status));
  if (filter.level) where.push(eq(issues.level, filter.level));
  if (filter.q) {
    const pattern = likePattern(filter.q);
    where.push(
      or(ilike(issues.title, pattern), ilike(issues.culprit, pattern), ilike(issues.message, pattern))!,
    );
  }
  const column = sortColumn(sort);
  if (page.after) {
    const value = sort === 'count' ? Number(page.after.value) : new Date(page.after.value);
    where.push(
      sql`(${column}, ${issues.id}) < (${sort === 'count' ? value : (value as Date).toISOString()}, ${page.after.id})`,
    );
  }
  return tx
    .select()
    .from(issues)
    .where(and(...where))
    .orderBy(desc(column), desc(issues.id))
    .limit(page.limit);
}

export async function updateIssue(
  tx: Tx,
  orgId: string,
  id: string,
  patch: Partial<Pick<IssueInsert, 'status' | 'assigneeId'>>,
): Promise<IssueRecord | undefined> {
  const [row] = await tx
    .update(issues)
    .set({ ...patch, updatedAt: new Date() })
    .where(and(eq(issues.orgId, orgId), eq(issues.id, id)))
    .returning();
  return row;
}

/** Shortened ids (`SHOP-12`) of the org's issues by id, for the activity feed. */
export async function shortIdsOf(tx: Tx, orgId: string, ids: string[]): Promise<Map<string, string>> {
  if (ids.length === 0) return new Map();
  const rows = await tx
    .select({ id: issues.id, shortId: issues.shortId, title: issues.title })
    .from(issues)
    .where(and(eq(issues.orgId, orgId), inArray(issues.id, [...new Set(ids)])));
  return new Map(rows.map((r) => [r.id, `${r.shortId} ${r.title}`]));
}

// ---------------------------------------------------------------------------------------------------
// Events

/** Inserts a grouping pass's events with one parameter (many rows, each with a JSON document). */
export async function insertEvents(tx: Tx, rows: EventInsert[]): Promise<void> {
  await bulkInsert(tx, errorEvents, rows);
}

export async function latestEvent(tx: Tx, orgId: string, issueId: string): Promise<EventRecord | undefined> {
  const [row] = await tx
    .select()
    .from(errorEvents)
    .where(and(eq(errorEvents.orgId, orgId), eq(errorEvents.issueId, issueId)))
    .orderBy(desc(errorEvents.id))
    .limit(1);
  return row;
}

/**
 * Whether an event of the issue from `release` was received at or before `at` (the fixes domain asks:
 * an error coming back in a release that existed before a fix's commit is not a regression of it).
 */
export async function releaseSeenBefore(
  tx: Tx,
  orgId: string,
  issueId: string,
  release: string,
  at: Date,
): Promise<boolean> {
  const [row] = await tx
    .select({ id: errorEvents.id })
    .from(errorEvents)
    .where(
      and(
        eq(errorEvents.orgId, orgId),
        eq(errorEvents.issueId, issueId),
        sql`${errorEvents.data}->>'release' = ${release}`,
        lte(errorEvents.receivedAt, at),
      ),
    )
    .limit(1);
  return row !== undefined;
}

/** Newest first, `limit` before the id `before`. */
export async function listEvents(
  tx: Tx,
  orgId: string,
  issueId: string,
  page: { limit: number; before?: string | undefined },
): Promise<EventRecord[]> {
  const where: SQL[] = [eq(errorEvents.orgId, orgId), eq(errorEvents.issueId, issueId)];
  if (page.before) where.push(lt(errorEvents.id, page.before));
  return tx
    .select()
    .from(errorEvents)
    .where(and(...where))
    .orderBy(desc(errorEvents.id))
    .limit(page.limit);
}

// ---------------------------------------------------------------------------------------------------
// Figures

/** Events per hour or day (UTC) and level over `range`; empty buckets are left out (the service fills them). */
export async function eventTimeline(
  tx: Tx,
  orgId: string,
  range: { from: Date; to: Date },
  bucket: 'hour' | 'day',
  projectId: string | undefined,
): Promise<Array<{ start: Date; level: IssueLevel; n: number }>> {
  const unit = sql.raw(bucket === 'hour' ? "'hour'" : "'day'");
  const start = sql<Date>`date_trunc(${unit}, ${errorEvents.receivedAt} at time zone 'UTC') at time zone 'UTC'`;
  const where: SQL[] = [
    eq(errorEvents.orgId, orgId),
    sql`${errorEvents.receivedAt} >= ${range.from.toISOString()}::timestamptz`,
    sql`${errorEvents.receivedAt} < ${range.to.toISOString()}::timestamptz`,
  ];
  if (projectId) where.push(eq(errorEvents.projectId, projectId));
  const rows = await tx
    .select({ start, level: errorEvents.level, n: sql<number>`count(*)`.mapWith(Number) })
    .from(errorEvents)
    .where(and(...where))
    .groupBy(start, errorEvents.level)
    .orderBy(start);
  return rows.map((r) => ({ start: new Date(r.start), level: r.level, n: r.n }));
}

/** The org's issues last seen at `since` or later, most recent first. */
export async function issueIdsSeenSince(
  tx: Tx,
  orgId: string,
  since: Date,
  limit: number,
): Promise<string[]> {
  const rows = await tx
    .select({ id: issues.id })
    .from(issues)
    .where(and(eq(issues.orgId, orgId), gte(issues.lastSeen, since)))
    .orderBy(desc(issues.lastSeen), desc(issues.id))
    .limit(limit);
  return rows.map((r) => r.id);
}

/** Events per hour (UTC) of each of the org's issues named, over `range`; empty hours are left out. */
export async function issueHourlyCounts(
  tx: Tx,
  orgId: string,
  issueIds: string[],
  range: { from: Date; to: Date },
): Promise<Array<{ issueId: string; start: Date; n: number }>> {
  if (issueIds.length === 0) return [];
  const start = sql<Date>`date_trunc('hour', ${errorEvents.receivedAt} at time zone 'UTC') at time zone 'UTC'`;
  const rows = await tx
    .select({ issueId: errorEvents.issueId, start, n: sql<number>`count(*)`.mapWith(Number) })
    .from(errorEvents)
    .where(
      and(
        eq(errorEvents.orgId, orgId),
        inArray(errorEvents.issueId, issueIds),
        // An event's id is minted when it is grouped, after it was received: this bound keeps the read
        // on (org, issue, id) to the window instead of every event the issue ever had.
        gte(errorEvents.id, idFloorAt('evt', new Date(range.from.getTime() - 60_000))),
        sql`${errorEvents.receivedAt} >= ${range.from.toISOString()}::timestamptz`,
        sql`${errorEvents.receivedAt} < ${range.to.toISOString()}::timestamptz`,
      ),
    )
    .groupBy(errorEvents.issueId, start);
  return rows.map((r) => ({ issueId: r.issueId, start: new Date(r.start), n: r.n }));
}

/** Issues first seen per bucket, and the issues seen in the range by status and level. */
export async function issueFigures(
  tx: Tx,
  orgId: string,
  range: { from: Date; to: Date },
  bucket: 'hour' | 'day',
  projectId: string | undefined,
) {
  const unit = sql.raw(bucket === 'hour' ? "'hour'" : "'day'");
  const start = sql<Date>`date_trunc(${unit}, ${issues.firstSeen} at time zone 'UTC') at time zone 'UTC'`;
  const from = range.from.toISOString();
  const to = range.to.toISOString();
  const scope: SQL[] = [eq(issues.orgId, orgId)];
  if (projectId) scope.push(eq(issues.projectId, projectId));
  const [created, byStatus, byLevel] = await Promise.all([
    tx
      .select({ start, n: sql<number>`count(*)`.mapWith(Number) })
      .from(issues)
      .where(
        and(
          ...scope,
          sql`${issues.firstSeen} >= ${from}::timestamptz`,
          sql`${issues.firstSeen} < ${to}::timestamptz`,
        ),
      )
      .groupBy(start),
    tx
      .select({ key: issues.status, n: sql<number>`count(*)`.mapWith(Number) })
      .from(issues)
      .where(
        and(
          ...scope,
          sql`${issues.lastSeen} >= ${from}::timestamptz`,
          sql`${issues.firstSeen} < ${to}::timestamptz`,
        ),
      )
      .groupBy(issues.status),
    tx
      .select({ key: issues.level, n: sql<number>`count(*)`.mapWith(Number) })
      .from(issues)
      .where(
        and(
          ...scope,
          sql`${issues.lastSeen} >= ${from}::timestamptz`,
          sql`${issues.firstSeen} < ${to}::timestamptz`,
        ),
      )
      .groupBy(issues.level),
  ]);
  return {
    created: created.map((r) => ({ start: new Date(r.start), n: r.n })),
    byStatus,
    byLevel,
  };
}
