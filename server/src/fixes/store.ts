import { and, desc, eq, inArray, lt, sql } from 'drizzle-orm';
import type { Tx } from '../platform/db/index.ts';
import { type FixStatus, fixes } from './tables.ts';

export type FixRecord = typeof fixes.$inferSelect;
export type FixInsert = typeof fixes.$inferInsert;
export type FixPatch = Partial<Omit<FixInsert, 'id' | 'orgId' | 'issueId' | 'requestedBy' | 'createdAt'>>;

export async function insertFix(tx: Tx, row: FixInsert): Promise<FixRecord> {
  const [created] = await tx.insert(fixes).values(row).returning();
  return created!;
}

export async function findFix(tx: Tx, orgId: string, id: string): Promise<FixRecord | undefined> {
  const [row] = await tx
    .select()
    .from(fixes)
    .where(and(eq(fixes.orgId, orgId), eq(fixes.id, id)));
  return row;
}

/** The fix a run works, by the run's id. */
export async function findFixOfRun(tx: Tx, orgId: string, runId: string): Promise<FixRecord | undefined> {
  const [row] = await tx
    .select()
    .from(fixes)
    .where(and(eq(fixes.orgId, orgId), eq(fixes.runId, runId)));
  return row;
}

/** An issue's fixes, newest first, from `before` (an id) on. */
export async function listFixesOfIssue(
  tx: Tx,
  orgId: string,
  issueId: string,
  page: { limit: number; before?: string | undefined },
): Promise<FixRecord[]> {
  const where = [eq(fixes.orgId, orgId), eq(fixes.issueId, issueId)];
  if (page.before) where.push(lt(fixes.id, page.before));
  return tx
    .select()
    .from(fixes)
    .where(and(...where))
    .orderBy(desc(fixes.id))
    .limit(page.limit);
}

/**
 * Changes a fix only while the guard holds: its status is one of `from`, it has `editCount` edits, its
 * `holding` is as given. The guard makes every transition happen once. Answers the changed row, or undefined.
 */
export async function updateFix(
  tx: Tx,
  orgId: string,
  id: string,
  patch: FixPatch,
  guard: { from?: FixStatus[]; editCount?: number; holding?: boolean } = {},
): Promise<FixRecord | undefined> {
  const where = [eq(fixes.orgId, orgId), eq(fixes.id, id)];
  if (guard.from) where.push(inArray(fixes.status, guard.from));
  if (guard.holding !== undefined) where.push(eq(fixes.holding, guard.holding));
  if (guard.editCount !== undefined) where.push(sql`jsonb_array_length(${fixes.edits}) = ${guard.editCount}`);
  const [row] = await tx
    .update(fixes)
    .set({ ...patch, updatedAt: new Date() })
    .where(and(...where))
    .returning();
  return row;
}

/** The applied fixes of these issues that still hold (their commits exist), for the regression check. */
export async function holdingFixesOf(tx: Tx, orgId: string, issueIds: string[]): Promise<FixRecord[]> {
  if (issueIds.length === 0) return [];
  return tx
    .select()
    .from(fixes)
    .where(and(eq(fixes.orgId, orgId), inArray(fixes.issueId, issueIds), eq(fixes.holding, true)));
}

/** Deletes the fixes of a project's issues; answers them as they were. */
export async function deleteFixesOfProject(tx: Tx, orgId: string, projectId: string): Promise<FixRecord[]> {
  return tx
    .delete(fixes)
    .where(and(eq(fixes.orgId, orgId), eq(fixes.projectId, projectId)))
    .returning();
}
