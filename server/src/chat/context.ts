import { z } from 'zod';
import type { TurnMessage } from '../agents/events.ts';

/**
 * Earlier messages a chat run carries itself instead of a conversation (the OpenAI-compatible surface
 * is stateless: each request brings its own history). Stored in the run's metadata under
 * `chat.context`, so whichever worker executes the run gives them to the model as history.
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

const chatMetadataSchema = z.object({
  chat: z.object({ context: z.array(contextMessageSchema).optional() }),
});

/** The history a run carries in its metadata, or [] when it carries none (or none that is valid). */
export function contextOf(metadata: Record<string, unknown>): TurnMessage[] {
  const parsed = chatMetadataSchema.safeParse(metadata);
  return parsed.success ? (parsed.data.chat.context ?? []) : [];
}

/** Whether a client disconnecting from this run's stream should cancel it (chat runs not detached). */
export function cancelsOnDisconnect(run: { source: string; metadata: Record<string, unknown> }): boolean {
  const chat = run.metadata.chat;
  return (
    run.source !== 'api' &&
    typeof chat === 'object' &&
    chat !== null &&
    (chat as { detach?: unknown }).detach === false
  );
}
