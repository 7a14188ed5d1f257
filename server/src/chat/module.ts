import type { FastifyBaseLogger } from 'fastify';
import type { AgentService } from '../agents/service.ts';
import type { ConversationService } from '../conversations/service.ts';
import type { Execution } from '../execution/module.ts';
import type { AppContext } from '../platform/context.ts';
import type { RunsService } from '../runs/service.ts';
import { createIntentHandler } from './intent.ts';
import { createOpenAiService } from './openai-service.ts';
import { createChatService } from './service.ts';
import { createStreamLimiter } from './stream-limiter.ts';

/**
 * Wires chat: the service every chat surface uses, the OpenAI surface's, the cap on open streams
 * (SSE, WebSocket intents and streamed completions, per user and per org), and the WebSocket intent
 * handler.
 */
export function createChatModule(deps: {
  ctx: AppContext;
  agents: AgentService;
  conversations: ConversationService;
  runs: RunsService;
  execution: Execution;
  log: FastifyBaseLogger;
}) {
  const { ctx } = deps;
  const limiter = createStreamLimiter({
    perUser: ctx.config.chat.maxStreamsPerUser,
    perOrg: ctx.config.chat.maxStreamsPerOrg,
  });
  const chat = createChatService({
    bus: ctx.bus,
    runs: deps.runs,
    agents: deps.agents,
    conversations: deps.conversations,
    log: deps.log,
  });
  return {
    chat,
    openai: createOpenAiService({ chat, agents: deps.agents, inline: deps.execution.inline }),
    limiter,
    intents: createIntentHandler({ chat, limiter }),
    /** Ends every chat stream (their runs carry on). */
    close: () => chat.close(),
  };
}

export type ChatModule = ReturnType<typeof createChatModule>;
