import type { ModelCallUsage } from '../execution/events.ts';
import type { Principal } from '../platform/auth.ts';
import type { Db } from '../platform/db/index.ts';
import type { Work } from '../platform/db/work.ts';
import { newId } from '../platform/ids.ts';
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

/** Usage records: every model call, kept for health, usage reports and budgets. */
export function createUsageService({ db, agents }: { db: Db; agents: UsageAgents }) {
  /** The model calls of many turns in one insert (runs written behind their answers). */
  async function recordManyModelCalls(
    turns: Array<{ orgId: string; ctx: UsageContext; calls: ModelCallUsage[]; at?: Date | undefined }>,
    work?: Work,
  ): Promise<void> {
    const now = new Date();
    await store.insertUsageEvents(
      work?.tx ?? db,
      turns.flatMap(({ orgId, ctx, calls, at }) =>
        calls.map((call) => ({
          id: newId('use'),
          orgId,
          agentId: call.agentId || ctx.agentId,
          runId: ctx.runId ?? null,
          conversationId: ctx.conversationId ?? null,
          model: call.model,
          provider: providerOf(call.model),
          inputTokens: count(call.inputTokens),
          outputTokens: count(call.outputTokens),
          latencyMs: count(call.latencyMs),
          outcome: call.outcome,
          errorCode: call.outcome === 'error' ? (call.errorCode ?? 'model_error') : null,
          createdAt: at ?? now,
        })),
      ),
    );
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
      const found = ids ? await agents.findMany(p.orgId, ids) : await agents.roster(p.orgId);
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
