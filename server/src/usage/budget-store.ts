import { and, asc, eq, inArray, sql } from 'drizzle-orm';
import type { Tx } from '../platform/db/index.ts';
import { type BudgetPeriod, type BudgetScope, budgets, budgetWindows, modelPrices } from './tables.ts';

export type BudgetRecord = typeof budgets.$inferSelect;

export async function listBudgets(tx: Tx, orgId: string): Promise<BudgetRecord[]> {
  return tx.select().from(budgets).where(eq(budgets.orgId, orgId)).orderBy(asc(budgets.id));
}

export async function findBudget(tx: Tx, orgId: string, id: string): Promise<BudgetRecord | undefined> {
  const [row] = await tx
    .select()
    .from(budgets)
    .where(and(eq(budgets.orgId, orgId), eq(budgets.id, id)));
  return row;
}

/** The org's budget a plan set (`source` plan), if any. */
export async function findPlanBudget(tx: Tx, orgId: string): Promise<BudgetRecord | undefined> {
  const [row] = await tx
    .select()
    .from(budgets)
    .where(and(eq(budgets.orgId, orgId), eq(budgets.source, 'plan')));
  return row;
}

export async function insertBudget(tx: Tx, row: typeof budgets.$inferInsert): Promise<BudgetRecord> {
  const [created] = await tx.insert(budgets).values(row).returning();
  return created!;
}

export async function updateBudget(
  tx: Tx,
  orgId: string,
  id: string,
  patch: {
    scope?: BudgetScope;
    scopeId?: string | null;
    limitNanos?: number;
    period?: BudgetPeriod;
    hard?: boolean;
    alertAt?: number[];
  },
): Promise<BudgetRecord | undefined> {
  const [row] = await tx
    .update(budgets)
    .set({ ...patch, updatedAt: new Date() })
    .where(and(eq(budgets.orgId, orgId), eq(budgets.id, id)))
    .returning();
  return row;
}

export async function deleteBudget(tx: Tx, orgId: string, id: string): Promise<boolean> {
  const rows = await tx
    .delete(budgets)
    .where(and(eq(budgets.orgId, orgId), eq(budgets.id, id)))
    .returning({ id: budgets.id });
  return rows.length > 0;
}

/** Starts a budget's window with what its period already spent. */
export async function seedWindow(
  tx: Tx,
  budgetId: string,
  periodStart: Date,
  spentNanos: number,
): Promise<void> {
  await tx.insert(budgetWindows).values({ budgetId, periodStart, spentNanos }).onConflictDoNothing();
}

/** Spending and reservations of these budget windows. */
export async function findWindows(
  tx: Tx,
  keys: Array<{ budgetId: string; periodStart: Date }>,
): Promise<Array<typeof budgetWindows.$inferSelect>> {
  if (keys.length === 0) return [];
  const rows = await tx
    .select()
    .from(budgetWindows)
    .where(
      inArray(
        budgetWindows.budgetId,
        keys.map((k) => k.budgetId),
      ),
    );
  const wanted = new Set(keys.map((k) => `${k.budgetId}|${k.periodStart.getTime()}`));
  return rows.filter((r) => wanted.has(`${r.budgetId}|${r.periodStart.getTime()}`));
}

// Arrays go as one parameter each (a template would spread them into a list of parameters).
const textArray = (values: Array<string | null>) => sql`${sql.param(values)}::text[]`;
const timeArray = (values: Date[]) => sql`${sql.param(values.map((d) => d.toISOString()))}::timestamptz[]`;
const bigintArray = (values: number[]) => sql`${sql.param(values.map(String))}::bigint[]`;

export interface ReserveItem {
  /** The lease's reservation: what it holds on this budget adds up under this id. */
  reservation: string;
  budgetId: string;
  periodStart: Date;
  /** What the call needs; without room for it on every budget, nothing is reserved. */
  neededNanos: number;
  /** What the lease would like, room permitting (never less than needed). */
  wantedNanos: number;
}

/**
 * Reserves on every budget window, all or none (sb_reserve_budgets in the migration); `items` must be
 * sorted by budget id. Answers the first budget without room, or what each was granted (0 for a budget
 * deleted meanwhile).
 */
export async function reserve(
  tx: Tx,
  items: ReserveItem[],
): Promise<{ failed: string; granted?: undefined } | { failed?: undefined; granted: number[] }> {
  const result = await tx.execute(
    sql`select out_failed, out_granted from sb_reserve_budgets(${textArray(items.map((i) => i.reservation))}, ${textArray(
      items.map((i) => i.budgetId),
    )}, ${timeArray(items.map((i) => i.periodStart))}, ${bigintArray(items.map((i) => i.neededNanos))}, ${bigintArray(
      items.map((i) => i.wantedNanos),
    )})`,
  );
  const row = rowsOf<{ out_failed: string | null; out_granted: Array<string | number> | null }>(result)[0];
  if (row?.out_failed) return { failed: row.out_failed };
  return { granted: (row?.out_granted ?? []).map(Number) };
}

export interface SettleItem {
  /** The reservation to give back from, or null (a soft budget holds nothing). */
  reservation: string | null;
  budgetId: string;
  periodStart: Date;
  /** What a call really cost (0 when a lease only gives back what it held). */
  spentNanos: number;
  /** What the reservation gives back. */
  releaseNanos: number;
}

/** Settles calls and gives back what leases held (sb_settle_budgets); answers each window's spending after it. */
export async function settle(
  tx: Tx,
  items: SettleItem[],
): Promise<Array<{ budgetId: string; periodStart: Date; spentNanos: number }>> {
  if (items.length === 0) return [];
  const result = await tx.execute(
    sql`select * from sb_settle_budgets(${textArray(items.map((i) => i.reservation))}, ${textArray(
      items.map((i) => i.budgetId),
    )}, ${timeArray(items.map((i) => i.periodStart))}, ${bigintArray(items.map((i) => i.spentNanos))}, ${bigintArray(
      items.map((i) => i.releaseNanos),
    )})`,
  );
  return rowsOf<{ out_budget_id: string; out_period_start: string | Date; out_spent_nanos: string }>(
    result,
  ).map((r) => ({
    budgetId: r.out_budget_id,
    periodStart: new Date(r.out_period_start),
    spentNanos: Number(r.out_spent_nanos),
  }));
}

/** Releases reservations made before `before` that were never settled (a process died mid-call). */
export async function releaseStale(tx: Tx, before: Date): Promise<number> {
  const result = await tx.execute(
    sql`select sb_release_stale_reservations(${before.toISOString()}::timestamptz) as n`,
  );
  return Number(rowsOf<{ n: number }>(result)[0]?.n ?? 0);
}

/**
 * Marks an alert as sent for this window, once: true for the one caller that marks it first
 * (`fraction` null marks `budget.exceeded`).
 */
export async function markAlert(
  tx: Tx,
  budgetId: string,
  periodStart: Date,
  fraction: number | null,
): Promise<boolean> {
  const where = and(eq(budgetWindows.budgetId, budgetId), eq(budgetWindows.periodStart, periodStart));
  const rows =
    fraction === null
      ? await tx
          .update(budgetWindows)
          .set({ exceededSent: true })
          .where(and(where, eq(budgetWindows.exceededSent, false)))
          .returning({ id: budgetWindows.budgetId })
      : await tx
          .update(budgetWindows)
          .set({ alerted: sql`${budgetWindows.alerted} || ${JSON.stringify([fraction])}::jsonb` })
          .where(and(where, sql`not (${budgetWindows.alerted} @> ${JSON.stringify([fraction])}::jsonb)`))
          .returning({ id: budgetWindows.budgetId });
  return rows.length > 0;
}

/** Rows of a raw query, from either driver (node-postgres answers `{rows}`, PGlite too). */
function rowsOf<T>(result: unknown): T[] {
  return ((result as { rows?: T[] }).rows ?? (result as T[])) as T[];
}

// ---- prices --------------------------------------------------------------------------------------

export type PriceRecord = typeof modelPrices.$inferSelect;

export async function listPrices(tx: Tx, orgId: string): Promise<PriceRecord[]> {
  return tx.select().from(modelPrices).where(eq(modelPrices.orgId, orgId)).orderBy(asc(modelPrices.model));
}

export async function upsertPrice(tx: Tx, row: typeof modelPrices.$inferInsert): Promise<void> {
  const { orgId: _org, model: _model, ...set } = row;
  await tx
    .insert(modelPrices)
    .values(row)
    .onConflictDoUpdate({ target: [modelPrices.orgId, modelPrices.model], set });
}

export async function deletePrice(tx: Tx, orgId: string, model: string): Promise<boolean> {
  const rows = await tx
    .delete(modelPrices)
    .where(and(eq(modelPrices.orgId, orgId), eq(modelPrices.model, model)))
    .returning({ model: modelPrices.model });
  return rows.length > 0;
}
