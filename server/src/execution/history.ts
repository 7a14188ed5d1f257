import { z } from 'zod';
import type { TurnMessage } from './events.ts';

/**
 * Earlier messages a run carries itself instead of a conversation (the OpenAI-compatible surface is
 * stateless: each request brings its own history). Kept in the run's metadata under `chat.context`,
 * so whichever loop executes the run gives them to the model as history.
 */
export const contextMessageSchema = z.object({
  role: z.enum(['user', 'assistant', 'tool_call', 'tool_result', 'handoff']),
  agentId: z.string().nullable(),
  content: z.string(),
  data: z.object({
    toolName: z.string().optional(),
    callId: z.string().optional(),
    arguments: z.unknown().optional(),
    isError: z.boolean().optional(),
  }),
});

const carriedHistorySchema = z.object({
  chat: z.object({ context: z.array(contextMessageSchema).optional() }),
});

/** The history a run carries in its metadata, or [] when it carries none (or none that is valid). */
export function carriedHistory(metadata: Record<string, unknown>): TurnMessage[] {
  const parsed = carriedHistorySchema.safeParse(metadata);
  return parsed.success ? (parsed.data.chat.context ?? []) : [];
}
