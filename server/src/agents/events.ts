import { z } from 'zod';

/** Tokens and time of one model call. */
export const modelCallUsageSchema = z
  .object({
    agentId: z.string(),
    model: z.string(),
    inputTokens: z.number().int(),
    outputTokens: z.number().int(),
    latencyMs: z.number().int(),
    outcome: z.enum(['ok', 'error', 'cancelled']),
    errorCode: z.string().optional().meta({
      description:
        'With outcome error: model_error, model_timeout, model_rate_limited, provider_not_configured, ...',
    }),
  })
  .meta({ id: 'ModelCallUsage' });

/** What a turn cost: totals, and each model call for the usage records. */
export const turnUsageSchema = z
  .object({
    model: z.string().meta({ description: 'The model of the agent the turn started with' }),
    inputTokens: z.number().int(),
    outputTokens: z.number().int(),
    totalTokens: z.number().int(),
    requests: z.number().int().meta({ description: 'Model calls made' }),
    latencyMs: z.number().int().meta({ description: 'Wall time of the whole turn' }),
    outcome: z.enum(['completed', 'failed', 'cancelled', 'waiting_approval']),
    calls: z.array(modelCallUsageSchema),
  })
  .meta({ id: 'TurnUsage' });

export type ModelCallUsage = z.infer<typeof modelCallUsageSchema>;
export type TurnUsage = z.infer<typeof turnUsageSchema>;

/**
 * The chat event vocabulary of API.md, shared by `/chat/stream`, the WebSocket `intent` message and
 * run event logs. `agentId` says which agent of a hand-off chain is speaking.
 */
export const chatEventSchema = z
  .discriminatedUnion('type', [
    z.object({ type: z.literal('run.started'), agentId: z.string(), model: z.string() }),
    z.object({ type: z.literal('message.delta'), text: z.string(), agentId: z.string() }),
    z.object({
      type: z.literal('tool.called'),
      name: z.string(),
      arguments: z.unknown(),
      callId: z.string(),
      agentId: z.string(),
    }),
    z.object({
      type: z.literal('tool.result'),
      name: z.string(),
      callId: z.string(),
      output: z.string(),
      isError: z.boolean(),
      agentId: z.string(),
    }),
    z.object({ type: z.literal('handoff'), from: z.string(), to: z.string() }),
    z.object({
      type: z.literal('approval.required'),
      name: z.string(),
      arguments: z.unknown(),
      callId: z.string(),
      agentId: z.string(),
    }),
    z.object({ type: z.literal('message.completed'), text: z.string(), agentId: z.string() }),
    z.object({ type: z.literal('run.completed'), usage: turnUsageSchema }),
    z.object({
      type: z.literal('run.failed'),
      code: z
        .string()
        .meta({ description: 'model_error, cancelled, max_turns, provider_not_configured, ...' }),
      message: z.string(),
    }),
  ])
  .meta({ id: 'ChatEvent' });

export type ChatEvent = z.infer<typeof chatEventSchema>;

/** A message a turn produced (or a past one, as history), in the shape conversations store. */
export interface TurnMessage {
  role: 'user' | 'assistant' | 'tool_call' | 'tool_result' | 'handoff';
  /** The agent that produced it; for a user message, the agent it was addressed to. */
  agentId: string | null;
  content: string;
  data: {
    toolName?: string;
    callId?: string;
    arguments?: unknown;
    isError?: boolean;
    /** An assistant reply cut off by a failure or cancellation. */
    incomplete?: boolean;
    from?: string;
    to?: string;
  };
}
