import type { FastifyBaseLogger } from 'fastify';
import type { AgentsModule } from '../agents/module.ts';
import { createStreamLimiter } from '../agents/stream-limiter.ts';
import type { ConversationService } from '../conversations/service.ts';
import type { AppContext } from '../platform/context.ts';
import type { RunsDomain } from '../runs/module.ts';
import { createInlineTurns } from './inline.ts';
import { createIntentHandler } from './intent.ts';
import { createChatService } from './service.ts';

/**
 * Wires chat: the service every surface uses, the cap on open streams (SSE, WebSocket intents and
 * streamed completions, per user and per org), and the WebSocket intent handler.
 */
export function createChat(deps: {
  ctx: AppContext;
  agents: AgentsModule;
  conversations: ConversationService;
  runs: RunsDomain;
  log: FastifyBaseLogger;
}) {
  const { ctx, runs } = deps;
  const limiter = createStreamLimiter({
    perUser: ctx.config.chat.maxStreamsPerUser,
    perOrg: ctx.config.chat.maxStreamsPerOrg,
  });
  const chat = createChatService({
    db: ctx.database.db,
    bus: ctx.bus,
    runs: runs.runs,
    agents: deps.agents.agents,
    conversations: deps.conversations,
    wake: () => runs.worker.wake(),
    log: deps.log,
    inline: ctx.config.chat.inlineMax
      ? createInlineTurns({
          runAgentTurn: deps.agents.runAgentTurn,
          runs: runs.inline,
          maxInFlight: ctx.config.chat.inlineMax,
          timeoutSeconds: ctx.config.runs.timeoutSeconds,
        })
      : undefined,
  });
  return {
    chat,
    limiter,
    intents: createIntentHandler({ chat, limiter }),
    /** Ends every chat stream and wait; their runs carry on. */
    close: () => chat.close(),
  };
}

export type Chat = ReturnType<typeof createChat>;
