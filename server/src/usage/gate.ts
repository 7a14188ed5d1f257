import type { FastifyBaseLogger } from 'fastify';
import type { ModelCallUsage } from '../execution/events.ts';
import { type CallGate, type CallIntent, CallRefused } from '../execution/metered-model.ts';
import type { Db } from '../platform/db/index.ts';
import { createWriteBehind } from '../platform/write-behind.ts';
import * as store from './budget-store.ts';
import { type BudgetRecord, type Budgets, budgetApplies } from './budgets.ts';
import { createLeases, LEASE_CALLS, LEASE_IDLE_MS, type Lease } from './leases.ts';
import { periodOf } from './periods.ts';
import { costNanos, type Price, usdOf } from './prices.ts';
import type { Pricing } from './pricing.ts';

/**
 * The most a call may produce when neither the agent nor the caller caps it. Under a hard budget the
 * call is sent with this cap, so its worst case is known before it is made.
 */
export const DEFAULT_MAX_OUTPUT_TOKENS = 4096;
/** A reservation older than this belongs to a call whose process died; the sweep releases it. */
export const RESERVATION_TTL_MS = 15 * 60_000;

const FREE: Price = { inputPerMTok: 0, cachedInputPerMTok: 0, outputPerMTok: 0 };

/**
 * The input tokens a request can use at most: its size in UTF-8 bytes. Tokenizers never make a token
 * of less than a byte, so this bound always holds; it overestimates several times over, which only
 * means a call near the limit may be refused though it would have fit.
 */
function inputBound(request: CallIntent['request']): number {
  const { systemInstructions, input, tools, handoffs } = request;
  return Buffer.byteLength(JSON.stringify({ systemInstructions, input, tools, handoffs }) ?? '');
}

/** A call's settlement on one budget, or what a lease gives back; the org is for the alerts. */
type Settlement = store.SettleItem & { orgId: string };
export interface BudgetAlert {
  type: 'budget.threshold' | 'budget.exceeded';
  budget: BudgetRecord;
  periodStart: Date;
  resetsAt: Date | null;
  spentNanos: number;
  fraction: number | null;
}

/**
 * Budgets on the path of every model call. Before the call, every hard budget that applies holds the
 * call's worst case: taken from room this process already reserved on it (a lease), or reserved in
 * one SQL statement (all of them or none, under each budget window's row lock, with room for the next
 * calls when there is plenty), so concurrent calls on any replica never spend past a hard limit; a
 * budget without room refuses the call before it is made. After the call, what it really cost is
 * settled (written behind, in batches) and the rest of its worst case returns to the lease; soft
 * budgets count it too, and crossing an alert fraction or the limit is announced once per period.
 */
export function createBudgetGate(deps: {
  db: Db;
  budgets: Budgets;
  pricing: Pricing;
  clock: () => Date;
  log: FastifyBaseLogger;
  announce(alert: BudgetAlert): Promise<void>;
}) {
  const { db, log } = deps;

  /**
   * Announces the alerts windows crossed, once per period each. Budgets come from the org's cached list
   * (`orgOf` names each budget's org), so a settlement costs no extra read.
   */
  async function alertsAfter(
    rows: Array<{ budgetId: string; periodStart: Date; spentNanos: number }>,
    orgOf: Map<string, string>,
  ) {
    for (const row of rows) {
      const orgId = orgOf.get(row.budgetId);
      const budget = orgId && (await deps.budgets.forOrg(orgId)).find((b) => b.id === row.budgetId);
      if (!budget) continue;
      const crossed = budget.alertAt.filter((f) => row.spentNanos >= f * budget.limitNanos);
      const exceeded = row.spentNanos >= budget.limitNanos;
      for (const fraction of [...crossed, ...(exceeded ? [null] : [])]) {
        if (!(await store.markAlert(db, budget.id, row.periodStart, fraction))) continue;
        await deps
          .announce({
            type: fraction === null ? 'budget.exceeded' : 'budget.threshold',
            budget,
            periodStart: row.periodStart,
            resetsAt: periodOf(budget.period, row.periodStart).end,
            spentNanos: row.spentNanos,
            fraction,
          })
          .catch((err: unknown) =>
            log.error({ err, budgetId: budget.id }, 'budgets: could not announce an alert'),
          );
      }
    }
  }

  // Settlements in key order, so two writers lock budget windows in the same order.
  const byWindow = (a: Settlement, b: Settlement) =>
    a.budgetId === b.budgetId
      ? a.periodStart.getTime() - b.periodStart.getTime()
      : a.budgetId < b.budgetId
        ? -1
        : 1;
  const settleBatch = async (batch: Settlement[]) => {
    const rows = await store.settle(db, [...batch].sort(byWindow));
    await alertsAfter(rows, new Map(batch.map((item) => [item.budgetId, item.orgId])));
  };
  const settlements = createWriteBehind<Settlement>({
    name: 'budget settlements',
    log,
    write: settleBatch,
    writeOne: (item) => settleBatch([item]),
    flushMs: 20,
    batchSize: 200,
  });
  // Leases age by the server's clock (tests move it to make a lease idle).
  const leases = createLeases({
    release: (item) => settlements.add(item),
    now: () => deps.clock().getTime(),
  });
  const leaseSweep = setInterval(() => leases.sweep(), LEASE_IDLE_MS / 2);
  leaseSweep.unref();
  // A changed budget (a lower limit, a deletion) must not be admitted against by a lease made before.
  const unsubscribe = deps.budgets.onChange((orgId) => leases.closeOrg(orgId));

  /**
   * Holds `worst` on every lease: what each already has goes to this call first, the database is
   * asked for the rest (and for room for the next calls). Refuses the call when a budget has no room.
   */
  async function reserve(held: Lease[], hard: BudgetRecord[], worst: number): Promise<void> {
    const local = held.map((lease) => {
      const part = Math.min(lease.available, worst);
      lease.available -= part;
      return part;
    });
    const result = await store.reserve(
      db,
      held.map((lease, i) => ({
        reservation: lease.id,
        budgetId: lease.budgetId,
        periodStart: lease.periodStart,
        neededNanos: worst - local[i]!,
        wantedNanos: LEASE_CALLS * worst - local[i]!,
      })),
    );
    if (result.failed !== undefined) {
      held.forEach((lease, i) => {
        leases.giveBack(lease, local[i]!);
      });
      const refusedBy = hard.find((b) => b.id === result.failed)!;
      const lease = held.find((l) => l.budgetId === result.failed)!;
      return refuse(refusedBy, worst, lease.periodStart);
    }
    // Granted beyond this call's need: room for the next calls. A budget deleted meanwhile granted 0.
    held.forEach((lease, i) => {
      leases.giveBack(lease, Math.max(0, result.granted[i]! - (worst - local[i]!)));
    });
  }

  /** Refuses a call: 402 on the API, a 429 `insufficient_quota` on /v1, a failed run everywhere. */
  async function refuse(budget: BudgetRecord, worstNanos: number, periodStart: Date): Promise<never> {
    const [window] = await store.findWindows(db, [{ budgetId: budget.id, periodStart }]);
    const spentNanos = window?.spentNanos ?? 0;
    const held = window?.reservedNanos ?? 0;
    const name = budget.scope === 'org' ? 'the organisation' : `${budget.scope} ${budget.scopeId}`;
    await alertsAfter(
      [{ budgetId: budget.id, periodStart, spentNanos: Math.max(spentNanos, budget.limitNanos) }],
      new Map([[budget.id, budget.orgId]]),
    );
    throw new CallRefused(
      'budget_exceeded',
      `the ${budget.period} budget ${budget.id} of ${name} has no room for this call: $${usdOf(spentNanos)} spent` +
        `${held ? ` and $${usdOf(held)} held by calls in flight` : ''} of $${usdOf(budget.limitNanos)}; ` +
        `the call could cost up to $${usdOf(worstNanos)}`,
      {
        budgetId: budget.id,
        scope: budget.scope,
        scopeId: budget.scopeId,
        limitUsd: usdOf(budget.limitNanos),
        spentUsd: usdOf(spentNanos),
      },
    );
  }

  async function admit(
    run: { orgId: string; createdBy: string | null },
    intent: CallIntent,
  ): Promise<(usage: ModelCallUsage) => ModelCallUsage> {
    const price = (await deps.pricing.priceOf(run.orgId, intent.model)) ?? FREE;
    /** The call's cost, rounded to a micro-USD like every amount of money the API shows. */
    const priced = (usage: ModelCallUsage) => {
      const nanos = Math.round(costNanos(price, usage) / 1000) * 1000;
      return { nanos, usage: { ...usage, costUsd: nanos / 1e9 } };
    };
    const applicable = (await deps.budgets.forOrg(run.orgId)).filter((b) =>
      budgetApplies(b, { agentId: intent.agentId, createdBy: run.createdBy }),
    );
    if (applicable.length === 0) return (usage) => priced(usage).usage;
    const now = deps.clock();
    const hard = applicable.filter((b) => b.hard).sort((a, b) => (a.id < b.id ? -1 : 1));
    let held: Lease[] = [];
    let worst = 0;
    if (hard.length) {
      const settings = intent.request.modelSettings;
      settings.maxTokens ??= DEFAULT_MAX_OUTPUT_TOKENS;
      const exact = costNanos(price, {
        inputTokens: inputBound(intent.request),
        outputTokens: settings.maxTokens,
      });
      worst = Math.ceil(exact / 1000) * 1000;
      if (worst > 0) {
        held = hard.map((b) => leases.of(run.orgId, b.id, periodOf(b.period, now).start));
        if (!leases.takeAll(held, worst)) await reserve(held, hard, worst);
      }
    }
    return (usage) => {
      const { nanos, usage: costed } = priced(usage);
      // What the call cost is spent from what it held; the rest of its worst case returns to the lease.
      const used = Math.min(nanos, worst);
      for (const lease of held) {
        settlements.add({
          orgId: run.orgId,
          reservation: lease.id,
          budgetId: lease.budgetId,
          periodStart: lease.periodStart,
          spentNanos: nanos,
          releaseNanos: used,
        });
        leases.giveBack(lease, worst - used);
      }
      for (const b of applicable) {
        if (held.some((lease) => lease.budgetId === b.id)) continue;
        settlements.add({
          orgId: run.orgId,
          reservation: null,
          budgetId: b.id,
          periodStart: periodOf(b.period, now).start,
          spentNanos: nanos,
          releaseNanos: 0,
        });
      }
      return costed;
    };
  }

  return {
    /** The gate of one run's model calls (the user or API key that started it, and its org). */
    gateFor(run: { orgId: string; createdBy: string | null }): CallGate {
      return { admit: (intent) => admit(run, intent) };
    },
    /** Releases reservations of calls whose process died before settling them. */
    sweep: () => store.releaseStale(db, new Date(deps.clock().getTime() - RESERVATION_TTL_MS)),
    /** Writes every settlement still waiting (tests, shutdown). */
    async flush() {
      await settlements.flush();
    },
    /** Gives back what leases hold and writes every settlement still waiting. */
    async stop() {
      clearInterval(leaseSweep);
      unsubscribe();
      leases.closeAll();
      await settlements.stop();
    },
  };
}

export type BudgetGate = ReturnType<typeof createBudgetGate>;
