import type { ModelCallUsage } from '../agents/events.ts';
import type { Db, Tx } from '../platform/db/index.ts';
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

/** Usage records: every model call, kept for health, usage reports and budgets. */
export function createUsageService({ db }: { db: Db }) {
  /** The model calls of many turns in one insert (runs written behind their answers). */
  async function recordManyModelCalls(
    turns: Array<{ orgId: string; ctx: UsageContext; calls: ModelCallUsage[]; at?: Date | undefined }>,
    tx?: Tx,
  ): Promise<void> {
    const now = new Date();
    await store.insertUsageEvents(
      tx ?? db,
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

  return {
    /**
     * Keeps one usage row per model call of a turn. The chat and run paths call it after each turn;
     * pass `tx` to commit the rows with the turn's own writes, and `at` for calls made earlier.
     */
    async recordModelCalls(
      orgId: string,
      ctx: UsageContext,
      calls: ModelCallUsage[],
      options: { tx?: Tx; at?: Date } = {},
    ): Promise<void> {
      await recordManyModelCalls([{ orgId, ctx, calls, at: options.at }], options.tx);
    },

    recordManyModelCalls,

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
}

export type UsageService = ReturnType<typeof createUsageService>;
