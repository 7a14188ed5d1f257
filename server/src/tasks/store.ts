import {
  and,
  arrayContains,
  count,
  desc,
  eq,
  gte,
  inArray,
  isNull,
  lt,
  ne,
  notInArray,
  or,
  type SQL,
  sql,
} from 'drizzle-orm';
import type { Tx } from '../platform/db/index.ts';
import { OPEN_STATUSES } from './schema.ts';
import { type AssigneeType, type TaskStatus, tasks } from './tables.ts';

export type TaskRecord = typeof tasks.$inferSelect;
export type TaskInsert = typeof tasks.$inferInsert;
export type TaskPatch = Partial<Omit<TaskInsert, 'id' | 'orgId' | 'createdBy' | 'createdAt'>>;

export interface TaskFilter {
  status?: TaskStatus | undefined;
  /** `{type, id}`, or null for unassigned tasks. */
  assignee?: { type: AssigneeType; id: string } | null | undefined;
  label?: string | undefined;
  overdue?: boolean | undefined;
  q?: string | undefined;
}

const CLOSED: TaskStatus[] = ['done', 'cancelled'];

/** Open and past due at `now`. */
const overdueAt = (now: Date) => and(lt(tasks.dueAt, now), notInArray(tasks.status, CLOSED)) as SQL;

/** `%` and `_` in what a person typed are matched as themselves. */
const likePattern = (q: string) => `%${q.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;

export async function insertTask(tx: Tx, row: TaskInsert): Promise<TaskRecord> {
  const [created] = await tx.insert(tasks).values(row).returning();
  return created!;
}

export async function findTask(tx: Tx, orgId: string, id: string): Promise<TaskRecord | undefined> {
  const [row] = await tx
    .select()
    .from(tasks)
    .where(and(eq(tasks.orgId, orgId), eq(tasks.id, id)));
  return row;
}

/** Newest first, from `before` (an id) on. */
export async function listTasks(
  tx: Tx,
  orgId: string,
  filter: TaskFilter,
  page: { limit: number; before?: string | undefined },
  now: Date,
): Promise<TaskRecord[]> {
  const where: SQL[] = [eq(tasks.orgId, orgId)];
  if (filter.status) where.push(eq(tasks.status, filter.status));
  if (filter.assignee === null) where.push(isNull(tasks.assigneeId));
  else if (filter.assignee) {
    where.push(eq(tasks.assigneeType, filter.assignee.type), eq(tasks.assigneeId, filter.assignee.id));
  }
  if (filter.label) where.push(arrayContains(tasks.labels, [filter.label]));
  if (filter.overdue === true) where.push(overdueAt(now));
  if (filter.overdue === false) where.push(sql`not coalesce(${overdueAt(now)}, false)`);
  if (filter.q) {
    const pattern = likePattern(filter.q);
    where.push(or(sql`${tasks.title} ilike ${pattern}`, sql`${tasks.description} ilike ${pattern}`) as SQL);
  }
  if (page.before) where.push(lt(tasks.id, page.before));
  return tx
    .select()
    .from(tasks)
    .where(and(...where))
    .orderBy(desc(tasks.id))
    .limit(page.limit);
}

/**
 * Changes a task; with `expect`, only while it is still worked by that run in one of those statuses
 * (undefined otherwise: another change came first).
 */
export async function updateTask(
  tx: Tx,
  orgId: string,
  id: string,
  patch: TaskPatch,
  expect?: { runId: string | null; statuses?: TaskStatus[] },
): Promise<TaskRecord | undefined> {
  const where: SQL[] = [eq(tasks.orgId, orgId), eq(tasks.id, id)];
  if (expect) {
    where.push(expect.runId === null ? isNull(tasks.runId) : eq(tasks.runId, expect.runId));
    if (expect.statuses) where.push(inArray(tasks.status, expect.statuses));
  }
  const [row] = await tx
    .update(tasks)
    .set({ ...patch, updatedAt: new Date() })
    .where(and(...where))
    .returning();
  return row;
}

export async function deleteTask(tx: Tx, orgId: string, id: string): Promise<TaskRecord | undefined> {
  const [row] = await tx
    .delete(tasks)
    .where(and(eq(tasks.orgId, orgId), eq(tasks.id, id)))
    .returning();
  return row;
}

/** The titles of the org's tasks by id (the activity feed names them); others are left out. */
export async function titlesOf(tx: Tx, orgId: string, ids: string[]): Promise<Map<string, string>> {
  if (ids.length === 0) return new Map();
  const rows = await tx
    .select({ id: tasks.id, title: tasks.title })
    .from(tasks)
    .where(and(eq(tasks.orgId, orgId), inArray(tasks.id, [...new Set(ids)])));
  return new Map(rows.map((r) => [r.id, r.title]));
}

/** The dashboard's figures in three grouped reads. */
export async function taskFigures(tx: Tx, orgId: string, now: Date) {
  const weekAgo = new Date(now.getTime() - 7 * 86_400_000);
  const open = inArray(tasks.status, [...OPEN_STATUSES]);
  const [byStatus, totals, byAssignee] = await Promise.all([
    tx
      .select({ status: tasks.status, n: count() })
      .from(tasks)
      .where(eq(tasks.orgId, orgId))
      .groupBy(tasks.status),
    tx
      .select({
        overdue: sql<number>`count(*) filter (where ${overdueAt(now)})`.mapWith(Number),
        completed:
          sql<number>`count(*) filter (where ${tasks.status} = 'done' and ${gte(tasks.completedAt, weekAgo)})`.mapWith(
            Number,
          ),
      })
      .from(tasks)
      .where(eq(tasks.orgId, orgId)),
    tx
      .select({
        type: tasks.assigneeType,
        id: tasks.assigneeId,
        open: sql<number>`count(*) filter (where ${open})`.mapWith(Number),
        done: sql<number>`count(*) filter (where ${tasks.status} = 'done')`.mapWith(Number),
      })
      .from(tasks)
      .where(and(eq(tasks.orgId, orgId), ne(tasks.status, 'cancelled')))
      .groupBy(tasks.assigneeType, tasks.assigneeId),
  ]);
  return { byStatus, totals: totals[0] ?? { overdue: 0, completed: 0 }, byAssignee };
}
