import type { FastifyBaseLogger } from 'fastify';
import type { AppContext } from '../platform/context.ts';
import { createBudgets, type ScopeCheck } from './budgets.ts';
import { type BudgetAlert, createBudgetGate } from './gate.ts';
import { usdOf } from './prices.ts';
import { createPricing } from './pricing.ts';
import { createUsageService, type UsageAgents, type UsageNames } from './service.ts';

/** How often reservations of calls whose process died are looked for. */
const SWEEP_EVERY_MS = 60_000;

/** Where a budget alert goes besides the `usage` channel: the org's webhook and its admins' inbox. */
export interface AlertOutlets {
  webhook(orgId: string, type: string, data: unknown): Promise<void>;
  notice(notice: {
    orgId: string;
    title: string;
    body: string;
    audience: string;
    payload: Record<string, unknown>;
  }): Promise<unknown>;
}

/** What an alert says, on every outlet. */
function alertData(alert: BudgetAlert) {
  const b = alert.budget;
  return {
    budgetId: b.id,
    scope: b.scope,
    scopeId: b.scopeId,
    period: b.period,
    hard: b.hard,
    limitUsd: usdOf(b.limitNanos),
    spentUsd: usdOf(alert.spentNanos),
    fraction: alert.fraction,
    periodStart: alert.periodStart.toISOString(),
    resetsAt: alert.resetsAt?.toISOString() ?? null,
  };
}

/**
 * Wires usage: the records of model calls and their reads, model prices, budgets, and the gate every
 * model call passes (pricing it, reserving budget before it and settling after).
 */
export function createUsageModule(
  ctx: AppContext,
  log: FastifyBaseLogger,
  ports: {
    agents: UsageAgents;
    names: UsageNames;
    scopeExists: ScopeCheck;
    alerts: AlertOutlets;
    clock?: (() => Date) | undefined;
  },
) {
  const { db } = ctx.database;
  const clock = ports.clock ?? (() => new Date());
  const pricing = createPricing({ db, bus: ctx.bus });
  const budgets = createBudgets({ db, bus: ctx.bus, scopeExists: ports.scopeExists, clock });
  const service = createUsageService({ db, bus: ctx.bus, agents: ports.agents, names: ports.names, clock });

  async function announce(alert: BudgetAlert): Promise<void> {
    const orgId = alert.budget.orgId;
    const data = alertData(alert);
    await ctx.bus.publish({ topic: `org:${orgId}`, type: alert.type, orgId, data });
    await ports.alerts.webhook(orgId, alert.type, data);
    const what =
      alert.budget.scope === 'org' ? 'The organisation' : `${alert.budget.scope} ${alert.budget.scopeId}`;
    const title =
      alert.type === 'budget.exceeded'
        ? `${what} reached its ${alert.budget.period} budget of $${data.limitUsd}`
        : `${what} spent ${Math.round((alert.fraction ?? 0) * 100)}% of its ${alert.budget.period} budget`;
    const body =
      `$${data.spentUsd} of $${data.limitUsd} spent this ${alert.budget.period}` +
      (alert.budget.hard && alert.type === 'budget.exceeded'
        ? '; model calls are refused until it resets.'
        : '.') +
      (data.resetsAt ? ` It resets at ${data.resetsAt}.` : '');
    await ports.alerts.notice({ orgId, title, body, audience: 'budgets:write', payload: data });
  }

  const gate = createBudgetGate({ db, budgets, pricing, clock, log, announce });
  let sweeper: NodeJS.Timeout | undefined;
  return {
    service,
    pricing,
    budgets,
    gate,
    clock,
    /** Starts the sweep of reservations left by calls whose process died. */
    start(): void {
      sweeper = setInterval(() => {
        void gate.sweep().catch((err: unknown) => log.warn({ err }, 'budgets: the reservation sweep failed'));
      }, SWEEP_EVERY_MS);
      sweeper.unref();
    },
    async stop(): Promise<void> {
      clearInterval(sweeper);
      await gate.stop();
      pricing.close();
      budgets.close();
    },
  };
}

export type UsageModule = ReturnType<typeof createUsageModule>;
