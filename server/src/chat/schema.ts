import { z } from 'zod';
import { turnUsageSchema } from '../agents/events.ts';

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

const agentId = z
  .string()
  .meta({ description: 'The agent speaking (differs from the first after a hand-off)' });

/**
 * What `/chat/stream`, `GET /chat/stream/{id}` and the WebSocket `intent` message send: the chat
 * vocabulary of API.md, mapped from the run's event log. The SSE `id:` and the WebSocket `seq` are the
 * run log's sequence numbers, so `Last-Event-ID` resumes without gaps or repeats.
 */
export const chatStreamEventSchema = z
  .discriminatedUnion('type', [
    z
      .object({
        type: z.literal('run.queued'),
        runId: z.string(),
        conversationId: z.string().nullable(),
        agentId: z.string(),
      })
      .meta({ description: 'Always first: names the run (to resume or cancel) and its conversation' }),
    z.object({
      type: z.literal('run.started'),
      agentId,
      model: z.string(),
      attempt: z.number().int(),
      resumed: z
        .boolean()
        .meta({ description: 'True when the run continues after an approval or a worker restart' }),
    }),
    z.object({ type: z.literal('message.delta'), text: z.string(), agentId }),
    z.object({
      type: z.literal('tool.called'),
      name: z.string(),
      arguments: z.unknown(),
      callId: z.string(),
      agentId,
    }),
    z.object({
      type: z.literal('tool.result'),
      name: z.string(),
      callId: z.string(),
      output: z.string(),
      isError: z.boolean(),
      agentId,
    }),
    z.object({
      type: z.literal('handoff'),
      from: z.string().meta({ description: 'Agent id handing off' }),
      to: z.string().meta({ description: 'Agent id taking over' }),
    }),
    z
      .object({
        type: z.literal('approval.required'),
        name: z.string(),
        arguments: z.unknown(),
        callId: z.string(),
        agentId,
        inboxItemId: z.string().meta({ description: 'Approve or reject it with POST /inbox/{id}/approve' }),
      })
      .meta({ description: 'The run pauses; the stream stays open and continues once a person decides' }),
    z.object({ type: z.literal('message.completed'), text: z.string(), agentId }),
    z.object({
      type: z.literal('run.completed'),
      output: z.string(),
      agentId: z.string().meta({ description: 'The agent that spoke last' }),
      usage: turnUsageSchema,
    }),
    z.object({
      type: z.literal('run.failed'),
      code: z.string().meta({ description: 'model_error, cancelled, run_timeout, max_turns, ...' }),
      message: z.string(),
    }),
    z.object({ type: z.literal('error'), code: z.string(), message: z.string() }).meta({
      description:
        'Not the end of the run: `retrying` (a transient failure; the turn starts again) or ' +
        '`server_restarting` (resume with Last-Event-ID)',
    }),
  ])
  .meta({ id: 'ChatStreamEvent' });

export type ChatStreamEvent = z.infer<typeof chatStreamEventSchema>;

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
    events: z.array(chatStreamEventSchema).optional().meta({ description: 'With includeEvents' }),
  })
  .meta({ id: 'ChatResponse' });

export type ChatResponse = z.infer<typeof chatResponse>;
