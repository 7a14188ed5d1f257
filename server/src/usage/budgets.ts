import type { Principal } from '../platform/auth.ts';
import type { Bus } from '../platform/bus.ts';
import type { Db } from '../platform/db/index.ts';
import { inTransaction } from '../platform/db/work.ts';
import { newId } from '../platform/ids.ts';
import { createOrgCache } from '../platform/org-cache.ts';
import * as store from './budget-store.ts';
import { UsageErrors } from './errors.ts';
import { periodOf } from './periods.ts';
import { nanosOf, usdOf } from './prices.ts';
import * as usageStore from './store.ts';
import type { BudgetPeriod, BudgetScope } from './tables.ts';

export type BudgetRecord = store.BudgetRecord;

/** Whether a scoped thing (agent, user, API key) belongs to the org; the owning domains answer. */
export type ScopeCheck = (orgId: string, scope: Exclude<BudgetScope, 'org'>, id: string) => Promise<boolean>;

export interface BudgetInput {
  scope: BudgetScope;
  scopeId?: string | null | undefined;
  limitUsd: number;
  period: BudgetPeriod;
  hard: boolean;
  alertAt: number[];
}

/** Whether a budget limits a call of this agent, made by a run of this user or API key. */
export function budgetApplies(b: BudgetRecord, call: { agentId: string; createdBy: string | null }): boolean {
  if (b.scope === 'org') return true;
  if (b.scope === 'agent') return b.scopeId === call.agentId;
  return b.scopeId !== null && b.scopeId === call.createdBy;
}

/** Alert fractions in order, each once. */
const fractions = (alertAt: number[]) => [...new Set(alertAt)].sort((a, b) => a - b);

/**
 * Budgets: limits on what an org, an agent, a user or an API key may spend in a day, week, month or
 * in total. Each org's budgets are cached (every model call asks which apply) and dropped on any
 * change on every replica; what was spent lives in SQL (budget_windows), never in the cache.
 */
export function createBudgets(deps: { db: Db; bus: Bus; scopeExists: ScopeCheck; clock: () => Date }) {
  const { db } = deps;
  const listeners = new Set<(orgId: string) => void>();
  const cache = createOrgCache<{ budgets: BudgetRecord[] }>({
    name: 'budgets',
    bus: deps.bus,
    orgIdOf: (_v, orgId) => orgId,
    onChange: (orgId) => {
      for (const listener of listeners) listener(orgId);
    },
  });

  async function checkScope(orgId: string, input: Pick<BudgetInput, 'scope' | 'scopeId'>) {
    if (input.scope === 'org') {
      if (input.scopeId) throw UsageErrors.scopeIdForOrg();
      return;
    }
    if (!input.scopeId) throw UsageErrors.scopeIdMissing(input.scope);
    if (!(await deps.scopeExists(orgId, input.scope, input.scopeId)))
      throw UsageErrors.unknownScope(input.scope, input.scopeId);
  }

  /** Budgets with their spending in the period that holds now. */
  async function present(rows: BudgetRecord[]) {
    const now = deps.clock();
    const periods = rows.map((b) => periodOf(b.period, now));
    const windows = await store.findWindows(
      db,
      rows.map((b, i) => ({ budgetId: b.id, periodStart: periods[i]!.start })),
    );
    const byKey = new Map(windows.map((w) => [`${w.budgetId}|${w.periodStart.getTime()}`, w]));
    return rows.map((b, i) => {
      const period = periods[i]!;
      const window = byKey.get(`${b.id}|${period.start.getTime()}`);
      return {
        id: b.id,
        scope: b.scope,
        scopeId: b.scopeId,
        limitUsd: usdOf(b.limitNanos),
        period: b.period,
        hard: b.hard,
        alertAt: b.alertAt,
        source: b.source as 'manual' | 'plan',
        spentUsd: usdOf(window?.spentNanos ?? 0),
        reservedUsd: usdOf(window?.reservedNanos ?? 0),
        periodStart: period.start.toISOString(),
        resetsAt: period.end?.toISOString() ?? null,
        createdAt: b.createdAt.toISOString(),
        updatedAt: b.updatedAt.toISOString(),
      };
    });
  }

  async function requireBudget(p: Principal, id: string) {
    const row = await store.findBudget(db, p.orgId, id);
    if (!row) throw UsageErrors.budgetNotFound(id);
    return row;
  }

  const service = {
    /** Told when an org's budgets changed, here or on another replica; answers how to stop. */
    onChange(listener: (orgId: string) => void): () => void {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },

    /** The org's budgets, as every model call checks them (cached). */
    async forOrg(orgId: string): Promise<BudgetRecord[]> {
      return (await cache.get(orgId, async () => ({ budgets: await store.listBudgets(db, orgId) })))!.budgets;
    },

    async list(p: Principal) {
      return { items: await present(await store.listBudgets(db, p.orgId)) };
    },

    async get(p: Principal, id: string) {
      return (await present([await requireBudget(p, id)]))[0]!;
    },

    async create(p: Principal, input: BudgetInput) {
      await checkScope(p.orgId, input);
      // What the period has already spent counts: a daily budget made at noon sees the morning's calls.
      const scopeId = input.scope === 'org' ? null : (input.scopeId ?? null);
      const period = periodOf(input.period, deps.clock());
      const spent = await usageStore.costSince(db, p.orgId, { scope: input.scope, scopeId }, period.start);
      const row = await cache.changing(
        p.orgId,
        inTransaction(db, async ({ tx }) => {
          const created = await store.insertBudget(tx, {
            id: newId('bud'),
            orgId: p.orgId,
            scope: input.scope,
            scopeId,
            limitNanos: nanosOf(input.limitUsd),
            period: input.period,
            hard: input.hard,
            alertAt: fractions(input.alertAt),
            createdBy: p.id,
          });
          if (spent > 0) await store.seedWindow(tx, created.id, period.start, spent);
          return created;
        }),
      );
      return (await present([row]))[0]!;
    },

    async update(p: Principal, id: string, patch: Partial<BudgetInput>) {
      const current = await requireBudget(p, id);
      if (current.source === 'plan') throw UsageErrors.managedByPlan(id);
      const scope = patch.scope ?? current.scope;
      const scopeId =
        patch.scope === 'org' ? null : patch.scopeId !== undefined ? patch.scopeId : current.scopeId;
      if (patch.scope !== undefined || patch.scopeId !== undefined)
        await checkScope(p.orgId, { scope, scopeId });
      const row = await cache.changing(
        p.orgId,
        store.updateBudget(db, p.orgId, id, {
          scope,
          scopeId,
          ...(patch.limitUsd !== undefined ? { limitNanos: nanosOf(patch.limitUsd) } : {}),
          ...(patch.period ? { period: patch.period } : {}),
          ...(patch.hard !== undefined ? { hard: patch.hard } : {}),
          ...(patch.alertAt ? { alertAt: fractions(patch.alertAt) } : {}),
        }),
      );
      if (!row) throw UsageErrors.budgetNotFound(id);
      return (await present([row]))[0]!;
    },

    async remove(p: Principal, id: string): Promise<void> {
      const current = await requireBudget(p, id);
      if (current.source === 'plan') throw UsageErrors.managedByPlan(id);
      await cache.changing(p.orgId, store.deleteBudget(db, p.orgId, id));
    },

    /**
     * Sets (or with `undefined` removes) the org's hard monthly budget a billing plan brings; it is
     * managed here only, never through the budgets API.
     */
    async setPlanBudget(orgId: string, limitUsd: number | undefined, setBy: string): Promise<void> {
      const current = await store.findPlanBudget(db, orgId);
      if (limitUsd === undefined) {
        if (current) await cache.changing(orgId, store.deleteBudget(db, orgId, current.id));
        return;
      }
      if (current) {
        await cache.changing(
          orgId,
          store.updateBudget(db, orgId, current.id, { limitNanos: nanosOf(limitUsd) }),
        );
        return;
      }
      await cache.changing(
        orgId,
        store.insertBudget(db, {
          id: newId('bud'),
          orgId,
          scope: 'org',
          scopeId: null,
          limitNanos: nanosOf(limitUsd),
          period: 'month',
          hard: true,
          alertAt: [0.8],
          source: 'plan',
          createdBy: setBy,
        }),
      );
    },

    close: () => cache.close(),
  };
  return service;
}

export type Budgets = ReturnType<typeof createBudgets>;
