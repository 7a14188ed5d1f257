import { z } from 'zod';
import { executionEventSchema, turnUsageSchema } from '../execution/events.ts';

const id = z.string().min(1).max(100);

/** Cap on one chat message; the run's input has the same limit. */
export const MAX_MESSAGE_CHARS = 100_000;

export const chatBody = z
  .strictObject({
    agentId: id.meta({ description: 'The agent to talk to (an agent of your organisation)' }),
    message: z.string().trim().min(1).max(MAX_MESSAGE_CHARS),
    conversationId: id.optional().meta({
      description: 'Continue this conversation; without it a new one is started, titled from the message',
    }),
    detach: z
      .boolean()
      .default(false)
      .meta({
        description:
          'Keep the run going when the client disconnects. By default a disconnect cancels the run (and ' +
          'its model call): at once for POST /chat, after a short grace for streams so a dropped stream ' +
          'can resume with GET /chat/stream/{runId}',
      }),
    includeEvents: z
      .boolean()
      .default(false)
      .meta({ description: 'POST /chat only: also answer with every event of the turn' }),
  })
  .meta({ id: 'ChatRequest' });

export type ChatBody = z.infer<typeof chatBody>;

export const chatResponse = z
  .object({
    runId: z.string(),
    conversationId: z.string(),
    agentId: z.string().meta({ description: 'The agent that spoke last' }),
    status: z.enum(['succeeded', 'waiting_approval']),
    reply: z.string().nullable().meta({ description: 'The final reply; null while waiting for approval' }),
    usage: turnUsageSchema.nullable(),
    approval: z
      .object({
        inboxItemId: z.string(),
        name: z.string(),
        arguments: z.unknown(),
        callId: z.string(),
      })
      .nullable()
      .meta({
        description: 'With waiting_approval: what needs approving; the run continues in the background',
      }),
    events: z.array(executionEventSchema).optional().meta({ description: 'With includeEvents' }),
  })
  .meta({ id: 'ChatResponse' });

export type ChatResponse = z.infer<typeof chatResponse>;
