import { z } from 'zod';
import type { Agent } from '../agents/present.ts';
import { AppError } from '../platform/errors.ts';
import type { ServerMessage } from '../realtime/protocol.ts';
import type { IntentHandler } from '../realtime/session.ts';
import { ChatErrors } from './errors.ts';
import { MAX_MESSAGE_CHARS } from './schema.ts';
import type { ChatService } from './service.ts';
import type { StreamLimiter } from './stream-limiter.ts';

/**
 * `{type:"intent", intent, session_id?, agent_type?, agent_id?, metadata?, detach?, id?}` on the
 * WebSocket: starts a chat turn. `session_id` is a conversation id (a new conversation is started
 * without it); `agent_id` an agent id, `agent_type` an agent slug (or id); without either, the
 * conversation's agent answers.
 */
export const intentMessageSchema = z
  .object({
    type: z.literal('intent'),
    intent: z.string().trim().min(1).max(MAX_MESSAGE_CHARS).meta({ description: 'The message' }),
    session_id: z.string().min(1).max(100).optional().meta({ description: 'A conversation to continue' }),
    agent_type: z.string().min(1).max(100).optional().meta({ description: 'An agent slug (or id)' }),
    agent_id: z.string().min(1).max(100).optional(),
    metadata: z.record(z.string(), z.unknown()).optional(),
    detach: z.boolean().optional().meta({ description: 'Keep the run going when the socket closes' }),
    id: z.string().max(100).optional(),
  })
  .meta({ id: 'RealtimeIntent', description: 'Starts a chat turn over /api/v1/ws' });

/** The answer to an intent: the run to follow, whose events arrive on `channel` (`runs:<id>`). */
export const intentAckSchema = z
  .object({
    type: z.literal('intent_ack'),
    id: z.string().optional(),
    runId: z.string(),
    conversationId: z.string().nullable(),
    agentId: z.string(),
    channel: z.string(),
  })
  .meta({ id: 'RealtimeIntentAck' });

type IntentAck = z.infer<typeof intentAckSchema>;

/**
 * The WebSocket side of chat: the same turn and the same events as `POST /chat/stream`, sent as
 * `{type:"event", channel:"runs:<id>", seq, event, data, at}` after an `intent_ack` that names the run.
 * The socket closing cancels the run after the resume grace, unless the intent said `detach`.
 */
export function createIntentHandler(deps: { chat: ChatService; limiter: StreamLimiter }): IntentHandler {
  const { chat, limiter } = deps;
  return async (socket, raw) => {
    const parsed = intentMessageSchema.safeParse(raw);
    const rawId = (raw as { id?: unknown }).id;
    const id = parsed.success ? parsed.data.id : typeof rawId === 'string' ? rawId.slice(0, 100) : undefined;
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      socket.fail(
        'invalid_message',
        issue ? `${issue.path.join('.') || 'message'}: ${issue.message}` : 'invalid intent',
        id,
      );
      return undefined;
    }
    const msg = parsed.data;
    const p = socket.principal;
    if (!p.scopes.has('chat:write')) {
      socket.fail('forbidden', 'this needs the chat:write permission', id);
      return undefined;
    }
    let release: (() => void) | undefined;
    try {
      const named = msg.agent_id ?? msg.agent_type;
      let agentId: string | undefined;
      let agent: Agent | undefined;
      if (named) {
        agent = await chat.findAgent(p, named);
        if (!agent) throw ChatErrors.agentNotFound(named);
        agentId = agent.id;
      } else if (msg.session_id) {
        agentId = (await chat.conversation(p, msg.session_id)).agentId;
      } else {
        throw ChatErrors.invalidMessage(
          'name the agent with agent_id or agent_type, or continue a conversation with session_id',
        );
      }
      release = limiter.acquire(p);
      const turn = await chat.start(p, {
        agentId,
        agent,
        message: msg.intent,
        conversationId: msg.session_id,
        newConversation: true,
        detach: msg.detach ?? false,
        metadata: msg.metadata,
        source: 'chat',
      });
      const channel = `runs:${turn.run.id}`;
      socket.send({
        type: 'intent_ack',
        ...(id ? { id } : {}),
        runId: turn.run.id,
        conversationId: turn.run.conversationId,
        agentId: turn.run.agentId,
        channel,
      } satisfies IntentAck);
      const done = release;
      release = undefined;
      const streaming = chat
        .stream(p, turn, {
          afterSeq: 0,
          resumed: false,
          signal: socket.closed,
          send: (e) =>
            socket.send({
              type: 'event',
              channel,
              seq: e.seq,
              event: e.event.type,
              data: e.event,
              at: e.at,
            } satisfies ServerMessage),
        })
        .then(({ shutdown }) => {
          if (shutdown) socket.fail('server_restarting', 'the server is restarting; the run carries on', id);
        })
        .catch((err: unknown) => {
          socket.log.error({ err, runId: turn.run.id }, 'chat: intent stream failed');
          socket.fail('stream_failed', `the stream of run ${turn.run.id} failed`, id);
        })
        .finally(done);
      return { streaming };
    } catch (err) {
      release?.();
      if (err instanceof AppError) socket.fail(err.code, err.message, id);
      else {
        socket.log.error({ err }, 'chat: intent failed');
        socket.fail('internal_error', 'the turn could not start; try again', id);
      }
      return undefined;
    }
  };
}
