import type { ModelCallUsage } from '../execution/events.ts';
import type { Principal } from '../platform/auth.ts';
import type { Bus } from '../platform/bus.ts';
import type { Db } from '../platform/db/index.ts';
import type { Work } from '../platform/db/work.ts';
import { newId } from '../platform/ids.ts';
import { decodeCursor, toPage } from '../platform/pagination.ts';
import { fillBuckets, HOUR_MS, rangeOf } from '../platform/time-buckets.ts';
import { periodOf } from './periods.ts';
import { usdOf } from './prices.ts';
import {
  type AgentHealth,
  DEGRADED_BELOW,
  FAILING_BELOW,
  HEALTH_WINDOWS,
  type HealthWindow,
} from './schema.ts';
import * as store from './store.ts';

/** What a turn's model calls were spent on. */
export interface UsageContext {
  /** The agent the turn started with; each call is kept under the agent that made it (hand-offs). */
  agentId: string;
  runId?: string | undefined;
  conversationId?: string | undefined;
  /** The user or API key whose run made the calls. */
  createdBy?: string | undefined;
}

/** `openai` from `openai:gpt-4.1`. */
function providerOf(model: string): string {
  const i = model.indexOf(':');
  return i > 0 ? model.slice(0, i) : 'unknown';
}

const count = (n: number) => (Number.isFinite(n) && n > 0 ? Math.round(n) : 0);

function statusOf(requests: number, successRate: number | null): AgentHealth['status'] {
  if (requests === 0) return 'idle';
  if (successRate === null) return 'healthy';
  if (successRate < FAILING_BELOW) return 'failing';
  if (successRate < DEGRADED_BELOW) return 'degraded';
  return 'healthy';
}

/** Agents whose health one request may ask for. */
export const MAX_HEALTH_BATCH = 100;

/** The org's agents, as far as usage needs them; the agents domain answers. */
export interface UsageAgents {
  get(p: Principal, id: string): Promise<{ id: string }>;
  findMany(orgId: string, ids: string[]): Promise<Array<{ id: string }>>;
  roster(orgId: string): Promise<Array<{ id: string }>>;
}

/** Names of what usage is grouped by; the owning domains answer. */
export interface UsageNames {
  agents(orgId: string, ids: string[]): Promise<Map<string, string>>;
  people(orgId: string, kind: 'user' | 'api_key', ids: string[]): Promise<Map<string, string>>;
}

/** How often, at most, `usage.recorded` goes out per org (per replica). */
const LIVE_EVERY_MS = 1_000;

const presentSums = (s: store.UsageSums) => ({
  calls: s.calls,
  errors: s.errors,
  inputTokens: s.inputTokens,
  cachedInputTokens: s.cachedInputTokens,
  outputTokens: s.outputTokens,
  costUsd: usdOf(s.costNanos),
});

/** The hours a read covers: from the hour holding `from` to the end of the hour holding `to`. */
function hoursOf(range: { from: Date; to: Date }): { from: Date; to: Date } {
  return {
    from: new Date(Math.floor(range.from.getTime() / HOUR_MS) * HOUR_MS),
    to: new Date(Math.floor(range.to.getTime() / HOUR_MS) * HOUR_MS + HOUR_MS),
  };
}

/** Usage records: every model call, kept for health, usage reports and budgets. */
export function createUsageService(deps: {
  db: Db;
  bus: Bus;
  agents: UsageAgents;
  names: UsageNames;
  clock: () => Date;
}) {
  const { db, agents } = deps;
  const lastLive = new Map<string, number>();
  const pendingLive = new Map<string, NodeJS.Timeout>();

  /** Sends the org's totals for this month on the `usage` channel, at most once a second. */
  function announce(orgId: string): void {
    if (pendingLive.has(orgId)) return;
    const wait = Math.max(0, (lastLive.get(orgId) ?? 0) + LIVE_EVERY_MS - Date.now());
    const timer = setTimeout(() => {
      pendingLive.delete(orgId);
      lastLive.set(orgId, Date.now());
      void monthTotals(orgId)
        .then((totals) =>
          deps.bus.publish({ topic: `org:${orgId}`, type: 'usage.recorded', orgId, data: totals }),
        )
        .catch(() => {});
    }, wait);
    timer.unref();
    pendingLive.set(orgId, timer);
  }

  /** The org's usage this calendar month (UTC), for the live figures. */
  async function monthTotals(orgId: string) {
    const now = deps.clock();
    const { start, end } = periodOf('month', now);
    const { totals } = await store.summarise(db, orgId, { from: start, to: end ?? now }, 'model');
    return { period: { from: start.toISOString(), to: end?.toISOString() ?? null }, ...presentSums(totals) };
  }

  /** The model calls of many turns in one insert (runs written behind their answers). */
  async function recordManyModelCalls(
    turns: Array<{ orgId: string; ctx: UsageContext; calls: ModelCallUsage[]; at?: Date | undefined }>,
    work?: Work,
  ): Promise<void> {
    const now = deps.clock();
    const rows = turns.flatMap(({ orgId, ctx, calls, at }) =>
      calls.map(
        (call): store.UsageEventRow => ({
          id: newId('use'),
          orgId,
          agentId: call.agentId || ctx.agentId,
          runId: ctx.runId ?? null,
          conversationId: ctx.conversationId ?? null,
          createdBy: ctx.createdBy ?? null,
          model: call.model,
          provider: providerOf(call.model),
          inputTokens: count(call.inputTokens),
          cachedInputTokens: count(call.cachedInputTokens ?? 0),
          outputTokens: count(call.outputTokens),
          // Priced when the call was made (usage/gate.ts), at the price in force then.
          costNanos: Math.round((call.costUsd ?? 0) * 1e9),
          latencyMs: count(call.latencyMs),
          outcome: call.outcome,
          errorCode: call.outcome === 'error' ? (call.errorCode ?? 'model_error') : null,
          errorMessage: call.outcome === 'error' ? (call.errorMessage ?? null) : null,
          createdAt: at ?? now,
        }),
      ),
    );
    await store.insertUsageEvents(work?.tx ?? db, rows);
    const orgs = new Set(rows.map((r) => r.orgId));
    const live = () => {
      for (const orgId of orgs) announce(orgId);
    };
    if (work) work.afterCommit(live);
    else live();
  }

  /** Labels of group keys: agents' and people's names, models as they are. */
  async function labelsOf(
    orgId: string,
    groupBy: store.UsageGroup,
    keys: string[],
  ): Promise<Map<string, string>> {
    if (groupBy === 'model') return new Map(keys.map((k) => [k, k]));
    if (groupBy === 'agent') return deps.names.agents(orgId, keys);
    return deps.names.people(orgId, groupBy === 'user' ? 'user' : 'api_key', keys);
  }

  const service = {
    /**
     * Keeps one usage row per model call of a turn. The run loops call it after each turn; pass
     * `work` to commit the rows with the turn's own writes, and `at` for calls made earlier.
     */
    async recordModelCalls(
      orgId: string,
      ctx: UsageContext,
      calls: ModelCallUsage[],
      options: { work?: Work; at?: Date } = {},
    ): Promise<void> {
      await recordManyModelCalls([{ orgId, ctx, calls, at: options.at }], options.work);
    },

    recordManyModelCalls,

    /** Totals over a period, and the same per model, agent, user or API key, costliest first. */
    async summary(
      p: Principal,
      q: { from?: string | undefined; to?: string | undefined; groupBy: store.UsageGroup },
    ) {
      const range = rangeOf(q, deps.clock());
      const { totals, groups } = await store.summarise(db, p.orgId, hoursOf(range), q.groupBy);
      const labels = await labelsOf(
        p.orgId,
        q.groupBy,
        groups.map((g) => g.key),
      );
      return {
        from: range.from.toISOString(),
        to: range.to.toISOString(),
        groupBy: q.groupBy,
        totals: presentSums(totals),
        groups: groups.map((g) => ({ key: g.key, label: labels.get(g.key) ?? null, ...presentSums(g) })),
      };
    },

    /** Calls, tokens and cost per hour or day over a period, every bucket present (empty ones as zeros). */
    async timeline(
      p: Principal,
      q: {
        bucket: 'hour' | 'day';
        from?: string | undefined;
        to?: string | undefined;
        agentId?: string | undefined;
        model?: string | undefined;
      },
    ) {
      const range = rangeOf(q, deps.clock());
      const rows = await store.timeline(db, p.orgId, hoursOf(range), q.bucket, q);
      const found = new Map(rows.map((r) => [r.start.getTime(), r]));
      const buckets = fillBuckets(range, q.bucket).starts.map((start) => ({
        start: start.toISOString(),
        ...presentSums(found.get(start.getTime()) ?? store.NO_USAGE),
      }));
      return { bucket: q.bucket, from: range.from.toISOString(), to: range.to.toISOString(), buckets };
    },

    /** Failed model calls over a period, newest first, a page at a time. */
    async errors(
      p: Principal,
      q: { from?: string | undefined; to?: string | undefined; limit: number; cursor?: string | undefined },
    ) {
      const range = rangeOf(q, deps.clock());
      const rows = await store.listErrors(db, p.orgId, range, {
        limit: q.limit + 1,
        before: decodeCursor(q.cursor),
      });
      const page = toPage(rows, q.limit);
      return {
        items: page.items.map((r) => ({
          id: r.id,
          at: r.createdAt.toISOString(),
          model: r.model,
          agentId: r.agentId,
          runId: r.runId,
          code: r.errorCode ?? 'model_error',
          message: r.errorMessage ?? '',
        })),
        nextCursor: page.nextCursor,
      };
    },

    /** This month's usage of the org (the dashboard, and every `usage.recorded`). */
    monthTotals: (p: Principal) => monthTotals(p.orgId),
    /** This month's totals of an org (billing shows them against the plan's budget). */
    monthTotalsOf: (orgId: string) => monthTotals(orgId),

    /** How an agent of the caller's org has fared lately (404 for any other). */
    async health(p: Principal, id: string, window: HealthWindow): Promise<AgentHealth> {
      await agents.get(p, id);
      return service.agentHealth(p.orgId, id, window);
    },

    /**
     * The health of many agents in one answer (the agents list), `ids` or else the org's first
     * `MAX_HEALTH_BATCH`; ids that are not the org's agents are left out.
     */
    async healthOf(p: Principal, window: HealthWindow, ids?: string[]): Promise<AgentHealth[]> {
      const found = ids?.length ? await agents.findMany(p.orgId, ids) : await agents.roster(p.orgId);
      const chosen = found.slice(0, MAX_HEALTH_BATCH);
      return Promise.all(chosen.map((a) => service.agentHealth(p.orgId, a.id, window)));
    },

    /** An agent's recent success rate, errors, latency and activity, from its model calls. */
    async agentHealth(
      orgId: string,
      agentId: string,
      window: HealthWindow,
      now: Date = new Date(),
    ): Promise<AgentHealth> {
      const since = new Date(now.getTime() - HEALTH_WINDOWS[window]);
      const [stats, lastCall, lastError] = await Promise.all([
        store.agentCallStats(db, orgId, agentId, since),
        store.lastAgentCall(db, orgId, agentId),
        store.lastAgentError(db, orgId, agentId, since),
      ]);
      const decided = stats.succeeded + stats.errors;
      const successRate = decided ? stats.succeeded / decided : null;
      const round = (v: number | null) => (v === null ? null : Math.round(v));
      return {
        agentId,
        window,
        since: since.toISOString(),
        until: now.toISOString(),
        status: statusOf(stats.requests, successRate),
        requests: stats.requests,
        succeeded: stats.succeeded,
        errors: stats.errors,
        cancelled: stats.cancelled,
        successRate,
        latencyMs: { p50: round(stats.p50), p95: round(stats.p95) },
        tokens: { input: stats.inputTokens, output: stats.outputTokens },
        lastCallAt: lastCall?.toISOString() ?? null,
        lastError: lastError
          ? { code: lastError.errorCode ?? 'model_error', at: lastError.createdAt.toISOString() }
          : null,
      };
    },
  };
  return service;
}

export type UsageService = ReturnType<typeof createUsageService>;
