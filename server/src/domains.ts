import type { FastifyBaseLogger } from 'fastify';
import type { ModelCallUsage } from './agents/events.ts';
import { createAgentsModule } from './agents/module.ts';
import { createTurnExecutor } from './chat/turn.ts';
import { createConversationService } from './conversations/service.ts';
import type { AppContext } from './platform/context.ts';
import { createRunsDomain } from './runs/module.ts';
import { createUsageService } from './usage/service.ts';

/**
 * The domains that execute work: agents and their tools, conversations, usage, and runs with their
 * worker. The API server and a worker-only process (`switchboard worker`) both build them here, so
 * they execute runs in exactly the same way.
 */
export function createExecutionDomains(ctx: AppContext, log: FastifyBaseLogger) {
  const { db } = ctx.database;
  const usage = createUsageService({ db });
  const agents = createAgentsModule(db, ctx.bus, ctx.config, log, usage);
  const conversations = createConversationService({ db, agents: agents.agents, bus: ctx.bus });
  const runs = createRunsDomain(ctx, log, {
    findAgent: (orgId, id) => agents.agents.getForOrg(orgId, id).catch(() => undefined),
    recordUsage: (tx, inline) =>
      usage.recordManyModelCalls(
        inline.map((run) => ({
          orgId: run.orgId,
          ctx: { agentId: run.agentId, runId: run.id },
          calls: run.calls as ModelCallUsage[],
          at: run.createdAt,
        })),
        tx,
      ),
    conversationExists: (orgId, id) => conversations.exists(orgId, id),
    executor: createTurnExecutor({
      agents: agents.agents,
      conversations,
      runAgentTurn: agents.runAgentTurn,
      recordUsage: (run, calls) =>
        usage.recordModelCalls(
          run.orgId,
          { agentId: run.agentId, runId: run.id, conversationId: run.conversationId ?? undefined },
          calls,
        ),
    }),
  });
  return {
    usage,
    agents,
    conversations,
    runs,
    /** Stops workers first (running turns finish or go back to the queue), then closes tool connections. */
    async close(): Promise<void> {
      await runs.stopWorkers();
      await agents.close();
    },
  };
}

export type ExecutionDomains = ReturnType<typeof createExecutionDomains>;
